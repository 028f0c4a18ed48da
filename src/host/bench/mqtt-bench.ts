/**
 * `npm run bench:mqtt [-- --json] [--messages N] [--window W] [--payload BYTES] [--rounds R]`
 *
 * 1. Codec: encode + parse of one QoS 1 PUBLISH and its PUBACK per operation,
 *    paycard (`encodeInto` a preallocated buffer, one reused `PacketParser`)
 *    against mqtt-packet (`generate`, one reused `parser()`); each side parses
 *    its own bytes, one chunk per packet. Each measurement runs >= 0.5 s.
 * 2. QoS 1 throughput: N equal messages to one mosquitto on 127.0.0.1 with the
 *    same in-flight window W, by paycard's MqttSession over the Node TCP
 *    transport, by MQTT.js (W publishAsync promises outstanding) and by
 *    `mosquitto_pub -l -M W` reading N lines from stdin.
 *
 * Every figure is the median of `--rounds` rounds after one warm-up round. In
 * the warm-up round a subscriber counts what the broker delivers for each
 * client; the bench fails unless all N arrived. Prints a table; with --json,
 * one JSON object on the last line.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import mqtt from "mqtt";
import mqttPacket from "mqtt-packet";
import { MqttSession, SendOutcome } from "../../core/mqtt/session/mqtt-session";
import { encodeInto, encodePacket } from "../../core/mqtt/codec/packet-encoder";
import { PacketParser } from "../../core/mqtt/codec/packet-parser";
import type { MqttPacket, PubackPacket, PublishPacket } from "../../core/mqtt/codec/packet-types";
import { SeededRandom } from "../../sim/seeded-random";
import { MemoryPublishStore } from "../../sim/memory-publish-store";
import { intOption, parseArgs } from "../cli-args";
import { nodeTcpTransportFactory } from "../node-tcp-transport";
import { findMosquittoTool, Mosquitto } from "../mosquitto-broker";

const TOPIC = "paycard/term_1/tx";
const MIN_MEASURE_MS = 500;

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const nowMs = () => performance.now();

/** Printable ASCII, no newline (mosquitto_pub -l sends one line per message). */
function makePayload(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let i = 0; i < bytes; i++) b[i] = alphabet.charCodeAt(i % alphabet.length);
  return b;
}

// ------------------------------------------------------------------ codec

interface CodecSide {
  /** Runs `ops` encode+parse operations; returns a checksum of what was parsed. */
  run(ops: number, start: number): number;
}

function oursCodec(payload: Uint8Array, preallocated: boolean): CodecSide {
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

function mqttPacketCodec(payload: Buffer): CodecSide {
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
function measureCodec(side: CodecSide, payloadLength: number): number {
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

// ------------------------------------------------------------------ QoS 1 clients

interface Run {
  /** ms from first PUBLISH to last PUBACK (mosquitto_pub: from spawn to exit). */
  ms: number;
}

async function runPaycard(port: number, n: number, window: number, payload: Uint8Array, clientId: string): Promise<Run> {
  // Each message is held here until its PUBACK, as the outbox holds it on a terminal.
  const store = new MemoryPublishStore();
  const session = new MqttSession(
    {
      clientId,
      keepAliveSec: 60,
      pingTimeoutMs: 5_000,
      inFlightWindow: window,
      maxPacketSize: 65_536,
      backoff: { baseMs: 50, capMs: 1_000 },
      connectTimeoutMs: 5_000,
      cleanSession: false,
    },
    { transport: nodeTcpTransportFactory({ host: "127.0.0.1", port }), random: new SeededRandom(1), store },
  );
  let next = 0;
  let acked = 0;
  let t0 = 0;
  let t1 = 0;
  const errors: string[] = [];
  return await new Promise<Run>((resolve, reject) => {
    const timer = setInterval(() => session.tick(Date.now()), 100);
    const finish = (e?: Error) => {
      clearInterval(timer);
      session.stop(Date.now());
      if (e !== undefined) reject(e);
      else resolve({ ms: t1 - t0 });
    };
    const offer = () => {
      while (next < n && session.canSend()) {
        if (next === 0) t0 = nowMs();
        store.put(next, TOPIC, payload);
        if (session.publish(TOPIC, payload, 1, false, next).outcome !== SendOutcome.SENT) {
          store.clear(next);
          break;
        }
        next++;
      }
    };
    session.onError((e) => {
      errors.push(`${e.code}: ${e.message}`);
      finish(new Error(`paycard session error: ${errors.join("; ")}`));
    });
    session.onConnected(() => offer());
    session.onPuback((handle) => {
      store.clear(handle);
      if (++acked === n) {
        t1 = nowMs();
        finish();
        return;
      }
      offer();
    });
    session.start(Date.now());
  });
}

async function runMqttJs(port: number, n: number, window: number, payload: Buffer, clientId: string): Promise<Run> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId,
    clean: false,
    protocolVersion: 4,
    keepalive: 60,
    reconnectPeriod: 0,
  });
  try {
    let next = 0;
    let acked = 0;
    const t0 = nowMs();
    await new Promise<void>((resolve, reject) => {
      const one = () => {
        next++;
        client.publishAsync(TOPIC, payload, { qos: 1 }).then(() => {
          if (++acked === n) resolve();
          else if (next < n) one();
        }, reject);
      };
      for (let i = 0; i < window && next < n; i++) one();
    });
    return { ms: nowMs() - t0 };
  } finally {
    await client.endAsync();
  }
}

async function runMosquittoPub(bin: string, port: number, window: number, linesFile: string, clientId: string): Promise<Run> {
  const fd = openSync(linesFile, "r");
  try {
    const t0 = nowMs();
    const p = spawn(bin, ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", TOPIC, "-l", "-M", String(window), "-i", clientId], {
      stdio: [fd, "ignore", "pipe"],
    });
    let err = "";
    p.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      p.once("error", reject);
      p.once("exit", (c) => resolve(c));
    });
    const ms = nowMs() - t0;
    if (code !== 0) throw new Error(`mosquitto_pub exited with ${String(code)}: ${err}`);
    return { ms };
  } finally {
    closeSync(fd);
  }
}

// ------------------------------------------------------------------ verification

interface Counter {
  count(): number;
  reset(): void;
  close(): Promise<void>;
}

/** A QoS 0 subscriber on TOPIC (the broker's queue limit is lifted, so nothing is dropped for it). */
async function subscriber(port: number): Promise<Counter> {
  let n = 0;
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bench-observer-${process.pid}`, clean: true, reconnectPeriod: 0 });
  c.on("message", () => n++);
  await c.subscribeAsync(TOPIC, { qos: 0 });
  return { count: () => n, reset: () => (n = 0), close: () => c.endAsync() };
}

async function awaitCount(c: Counter, n: number, idleMs = 2_000): Promise<number> {
  let last = -1;
  let since = nowMs();
  while (c.count() < n) {
    if (c.count() !== last) {
      last = c.count();
      since = nowMs();
    } else if (nowMs() - since > idleMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100)); // would catch duplicates arriving late
  return c.count();
}

// ------------------------------------------------------------------ main

type ClientName = "paycard" | "mqttjs" | "mosquitto_pub";

export async function runMqttBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { json: "flag", messages: "value", window: "value", payload: "value", rounds: "value" });
  const n = intOption(args, "messages", 20_000, 100, 10_000_000);
  const window = intOption(args, "window", 32, 1, 65_535);
  const payloadBytes = intOption(args, "payload", 256, 1, 65_000);
  const rounds = intOption(args, "rounds", 5, 1, 101);
  const payload = makePayload(payloadBytes);
  const payloadU8 = new Uint8Array(payload);

  // ---- codec
  const ours = oursCodec(payloadU8, true);
  const oursAlloc = oursCodec(payloadU8, false);
  const theirs = mqttPacketCodec(payload);
  const codec = { ours: [] as number[], oursAlloc: [] as number[], theirs: [] as number[] };
  // The allocating variant runs after the others: interleaving it changes
  // what V8 has seen at the shared call sites and made the headline figure
  // swing between processes.
  for (let r = 0; r <= rounds; r++) {
    const a = measureCodec(ours, payloadBytes);
    const b = measureCodec(theirs, payloadBytes);
    if (r === 0) continue; // warm-up
    codec.ours.push(a);
    codec.theirs.push(b);
  }
  for (let r = 0; r <= rounds; r++) {
    const c = measureCodec(oursAlloc, payloadBytes);
    if (r > 0) codec.oursAlloc.push(c);
  }
  const codecOurs = median(codec.ours);
  const codecTheirs = median(codec.theirs);
  const codecOursAlloc = median(codec.oursAlloc);

  // ---- QoS 1
  const pubBin = findMosquittoTool("mosquitto_pub");
  if (pubBin === null) throw new Error("mosquitto_pub not found: install the Debian package mosquitto-clients");
  // max_queued_messages only bounds the broker's outgoing queue to the verifying
  // subscriber (default 1000: QoS 0 messages past it are dropped); the publishers'
  // path does not use it. max_inflight_messages stays at its default.
  const broker = await Mosquitto.start({ extra: ["max_queued_messages 0"] });
  const tmp = mkdtempSync(path.join(os.tmpdir(), "paycard-bench-mqtt-"));
  const linesFile = path.join(tmp, "lines.txt");
  const doubleFile = path.join(tmp, "lines2.txt");
  const line = payload.toString("latin1");
  writeFileSync(linesFile, (line + "\n").repeat(n));
  writeFileSync(doubleFile, (line + "\n").repeat(2 * n));
  const times: Record<ClientName, number[]> = { paycard: [], mqttjs: [], mosquitto_pub: [] };
  const mosqPubDouble: number[] = [];
  const delivered: Record<ClientName, number> = { paycard: 0, mqttjs: 0, mosquitto_pub: 0 };
  let deliveredDouble = 0;
  const order: ClientName[] = ["paycard", "mqttjs", "mosquitto_pub"];
  try {
    let obs: Counter | null = await subscriber(broker.port);
    for (let r = 0; r <= rounds; r++) {
      // Rotate the order so no client always runs first after a pause.
      const rot = order.map((_, i) => order[(i + r) % order.length]!);
      for (const who of rot) {
        obs?.reset();
        const id = `bench-${who}-${r}`;
        let run: Run;
        if (who === "paycard") run = await runPaycard(broker.port, n, window, payloadU8, id);
        else if (who === "mqttjs") run = await runMqttJs(broker.port, n, window, payload, id);
        else run = await runMosquittoPub(pubBin, broker.port, window, linesFile, id);
        if (obs !== null) delivered[who] = await awaitCount(obs, n);
        if (r > 0) times[who].push(run.ms);
      }
      // mosquitto_pub again with 2N lines: t(2N) - t(N) is the time of N messages without its fixed costs.
      obs?.reset();
      const double = await runMosquittoPub(pubBin, broker.port, window, doubleFile, `bench-mosquitto_pub2-${r}`);
      if (obs !== null) deliveredDouble = await awaitCount(obs, 2 * n);
      if (r > 0) mosqPubDouble.push(double.ms);
      if (r === 0) {
        // Warm-up round done: every client's messages must all have arrived.
        await obs!.close();
        obs = null;
        for (const who of order) {
          if (delivered[who] !== n) throw new Error(`bench: subscriber saw ${delivered[who]} of ${n} messages from ${who}`);
        }
        if (deliveredDouble !== 2 * n) throw new Error(`bench: subscriber saw ${deliveredDouble} of ${2 * n} messages from mosquitto_pub (2N run)`);
      }
    }
  } finally {
    await broker.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }

  const rate = (ms: number) => (n * 1000) / ms;
  const paycardRate = rate(median(times.paycard));
  const mqttjsRate = rate(median(times.mqttjs));
  const mosqRawMs = median(times.mosquitto_pub);
  const mosqDoubleMs = median(mosqPubDouble);
  const mosqOverheadMs = 2 * mosqRawMs - mosqDoubleMs;
  const mosqRawRate = rate(mosqRawMs);
  // Net: t(2N) - t(N), so spawn, connect (and its 100 ms wait for CONNACK in -l mode) and exit cancel out.
  const mosqNetMs = mosqDoubleMs - mosqRawMs;
  const mosqNetRate = mosqNetMs > 0 ? rate(mosqNetMs) : Number.POSITIVE_INFINITY;

  const result = {
    codec_ratio_vs_mqtt_packet: round(codecOurs / codecTheirs, 2),
    qos1_msgs_per_s: round(paycardRate),
    qos1_ratio_vs_mqttjs: round(paycardRate / mqttjsRate, 2),
    qos1_ratio_vs_mosquitto_pub: round(paycardRate / mosqNetRate, 2),
    qos1_ratio_vs_mosquitto_pub_raw: round(paycardRate / mosqRawRate, 2),
    codec_ops_per_s: round(codecOurs),
    codec_alloc_ops_per_s: round(codecOursAlloc),
    mqtt_packet_ops_per_s: round(codecTheirs),
    mqttjs_msgs_per_s: round(mqttjsRate),
    mosquitto_pub_msgs_per_s: round(mosqNetRate),
    mosquitto_pub_raw_msgs_per_s: round(mosqRawRate),
    mosquitto_pub_fixed_ms: round(mosqOverheadMs, 1),
    mosquitto_pub_2n_ms: round(mosqDoubleMs, 1),
    messages: n,
    window,
    payload_bytes: payloadBytes,
    rounds,
    delivered_in_warmup: { ...delivered, mosquitto_pub_2n: deliveredDouble },
  };

  const spread = (xs: number[], f: (x: number) => number) => {
    const v = xs.map(f);
    return `${round(Math.min(...v)).toLocaleString("en")}..${round(Math.max(...v)).toLocaleString("en")}`;
  };
  const id = (x: number) => x;
  const met = (v: number, t: number) => (v >= t ? "met" : "NOT met");
  const pad = (s: string, w: number) => s.padEnd(w);
  const num = (x: number) => round(x).toLocaleString("en").padStart(12);
  const lines = [
    `paycard MQTT benchmark — median of ${rounds} round(s) after a warm-up round`,
    `codec: one op = encode + parse of PUBLISH (QoS 1, ${TOPIC}, ${payloadBytes} B) and PUBACK; each measurement >= ${MIN_MEASURE_MS} ms`,
    "",
    `${pad("codec", 42)}     ops/s       range`,
    `${pad("paycard encodeInto + PacketParser", 42)}${num(codecOurs)}   ${spread(codec.ours, id)}`,
    `${pad("paycard encodePacket (allocating) + parser", 42)}${num(codecOursAlloc)}   ${spread(codec.oursAlloc, id)}`,
    `${pad("mqtt-packet generate + parser().parse", 42)}${num(codecTheirs)}   ${spread(codec.theirs, id)}`,
    "",
    `QoS 1: ${n.toLocaleString("en")} messages of ${payloadBytes} B to mosquitto on 127.0.0.1, in-flight window ${window}`,
    `${pad("client", 42)}    msgs/s       range`,
    `${pad("paycard MqttSession + NodeTcpTransport", 42)}${num(paycardRate)}   ${spread(times.paycard, rate)}`,
    `${pad("MQTT.js (mqtt) publishAsync, W outstanding", 42)}${num(mqttjsRate)}   ${spread(times.mqttjs, rate)}`,
    `${pad("mosquitto_pub -l -M W, net of overhead", 42)}${num(mosqNetRate)}   (t(2N) ${round(mosqDoubleMs)} ms − t(N) ${round(mosqRawMs)} ms)`,
    `${pad("mosquitto_pub -l -M W, spawn to exit", 42)}${num(mosqRawRate)}   ${spread(times.mosquitto_pub, rate)}`,
    `delivered to a subscriber in the warm-up round: ${order.map((w) => `${w} ${delivered[w]}/${n}`).join(", ")}, mosquitto_pub 2N ${deliveredDouble}/${2 * n}`,
    "",
    "targets",
    `  codec vs mqtt-packet      ${result.codec_ratio_vs_mqtt_packet.toFixed(2)}x  (>= 2x)    ${met(result.codec_ratio_vs_mqtt_packet, 2)}`,
    `  QoS 1 vs MQTT.js          ${result.qos1_ratio_vs_mqttjs.toFixed(2)}x  (>= 1.5x)  ${met(result.qos1_ratio_vs_mqttjs, 1.5)}`,
    `  QoS 1 vs mosquitto_pub    ${result.qos1_ratio_vs_mosquitto_pub.toFixed(2)}x  (>= 0.8x)  ${met(result.qos1_ratio_vs_mosquitto_pub, 0.8)}` +
      `  (against spawn-to-exit: ${result.qos1_ratio_vs_mosquitto_pub_raw.toFixed(2)}x)`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  if (args.options.has("json")) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
