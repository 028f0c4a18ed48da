/**
 * bench:mqtt's codec part: encode + parse of one QoS 1 PUBLISH and its PUBACK per operation,
 * paycard (`encodeInto` a preallocated buffer, one reused `PacketParser`; or the allocating
 * `encodePacket`) against mqtt-packet (`generate`, one reused `parser()`); each side parses its own
 * bytes, one chunk per packet, and the parsed packets are checked. Each measurement runs at least
 * MIN_MEASURE_MS. Run in fresh processes by mqtt-bench-worker.ts.
 */
import mqttPacket from "mqtt-packet";
import { encodeInto, encodePacket } from "../../core/mqtt/codec/packet-encoder";
import { PacketParser } from "../../core/mqtt/codec/packet-parser";
import type { MqttPacket, PubackPacket, PublishPacket } from "../../core/mqtt/codec/packet-types";

export const TOPIC = "paycard/term_1/tx";
export const MIN_MEASURE_MS = 500;
const nowMs = () => performance.now();

/** Printable ASCII, no newline (mosquitto_pub -l sends one line per message). */
export function makePayload(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let i = 0; i < bytes; i++) b[i] = alphabet.charCodeAt(i % alphabet.length);
  return b;
}

export const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One process's codec figures: the median of `rounds` measurements of each side after a warm-up. */
export function codecFigures(payloadBytes: number, rounds: number): { ours: number; oursAlloc: number; theirs: number } {
  const payload = makePayload(payloadBytes);
  const payloadU8 = new Uint8Array(payload);
  const ours = oursCodec(payloadU8, true);
  const oursAlloc = oursCodec(payloadU8, false);
  const theirs = mqttPacketCodec(payload);
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const x = measureCodec(ours, payloadBytes);
    const y = measureCodec(theirs, payloadBytes);
    if (r === 0) continue; // warm-up
    a.push(x);
    b.push(y);
  }
  // The allocating variant runs after the others: interleaving it changes what V8 has seen at the
  // shared call sites and made the headline figure swing between processes.
  for (let r = 0; r <= rounds; r++) {
    const z = measureCodec(oursAlloc, payloadBytes);
    if (r > 0) c.push(z);
  }
  return { ours: median(a), oursAlloc: median(c), theirs: median(b) };
}

export interface CodecSide {
  /** Runs `ops` encode+parse operations; returns a checksum of what was parsed. */
  run(ops: number, start: number): number;
}

export function oursCodec(payload: Uint8Array, preallocated: boolean): CodecSide {
  let sum = 0;
  const parser = new PacketParser({
    maxPacketSize: 65_536,
    onPacket: (p: MqttPacket) => {
      if (p.type === "puback") sum += p.packetId;
      else if (p.type === "publish") sum += p.payload.length + p.packetId!;
    },
  });
  const pub: PublishPacket = { type: "publish", topic: TOPIC, payload, qos: 1, retain: false, dup: false, packetId: 1 };
  const ack: PubackPacket = { type: "puback", packetId: 1 };
  const buf = new Uint8Array(payload.length + 64);
  return {
    run(ops, start) {
      sum = 0;
      for (let i = 0; i < ops; i++) {
        const id = ((start + i) % 65_535) + 1;
        pub.packetId = id;
        ack.packetId = id;
        if (preallocated) {
          const n1 = encodeInto(pub, buf, 0);
          const n2 = encodeInto(ack, buf, n1);
          parser.feed(buf.subarray(0, n1));
          parser.feed(buf.subarray(n1, n1 + n2));
        } else {
          parser.feed(encodePacket(pub));
          parser.feed(encodePacket(ack));
        }
      }
      if (parser.failed) throw new Error(`paycard parser failed: ${JSON.stringify(parser.lastError)}`);
      return sum;
    },
  };
}

export function mqttPacketCodec(payload: Buffer): CodecSide {
  let sum = 0;
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", (p: mqttPacket.Packet) => {
    if (p.cmd === "puback") sum += p.messageId!;
    else if (p.cmd === "publish") sum += (p.payload as Buffer).length + p.messageId!;
  });
  parser.on("error", (e: Error) => {
    throw e;
  });
  const pub: mqttPacket.IPublishPacket = { cmd: "publish", topic: TOPIC, payload, qos: 1, retain: false, dup: false, messageId: 1 };
  const ack: mqttPacket.IPubackPacket = { cmd: "puback", messageId: 1 };
  return {
    run(ops, start) {
      sum = 0;
      for (let i = 0; i < ops; i++) {
        const id = ((start + i) % 65_535) + 1;
        pub.messageId = id;
        ack.messageId = id;
        parser.parse(mqttPacket.generate(pub));
        parser.parse(mqttPacket.generate(ack));
      }
      return sum;
    },
  };
}

function expectedSum(payloadLength: number, ops: number, start: number): number {
  let s = 0;
  for (let i = 0; i < ops; i++) s += payloadLength + 2 * (((start + i) % 65_535) + 1);
  return s;
}

/** Ops/s over batches until at least MIN_MEASURE_MS have passed; checks the parsed packets. */
export function measureCodec(side: CodecSide, payloadLength: number): number {
  const batch = 20_000;
  const check = expectedSum(payloadLength, batch, 0);
  let ops = 0;
  const t0 = nowMs();
  let t = t0;
  while (t - t0 < MIN_MEASURE_MS) {
    const got = side.run(batch, 0);
    if (got !== check) throw new Error(`codec checksum ${got}, expected ${check}`);
    ops += batch;
    t = nowMs();
  }
  return (ops * 1000) / (t - t0);
}
