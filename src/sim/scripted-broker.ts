// A scripted in-memory MQTT broker for engine-neutral tests: the real codec
// on the far end, a queue of deliveries driven by pump(), and faults on
// demand: fragmented bytes, cuts mid-packet or between PUBLISH and PUBACK,
// refused or silent TCP, CONNACK refusals, forgotten sessions, PUBACKs held
// back, unanswered pings, writes accepted only in part, raw bytes (garbage).
// Plain ECMAScript, runs in XS.
import { encodePacket } from "../core/mqtt/codec/packet-encoder";
import { PacketParser } from "../core/mqtt/codec/packet-parser";
import type { ConnackReturnCode, ConnectPacket, MqttPacket } from "../core/mqtt/codec/packet-types";
import type { MqttTransport, TransportHandlers } from "../core/mqtt/session/transport-port";
import { SeededRandom } from "./seeded-random";

export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

export function text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** One end of an in-memory connection; the other end is the Broker. */
export class Link implements MqttTransport {
  handlers: TransportHandlers | null = null;
  closed = false;
  /** Closed by the session (close()), not by the broker. */
  closedBySession = false;
  /** Cut by the network: bytes written from now on are lost. */
  dead = false;
  readonly parser: PacketParser;
  constructor(private readonly broker: Broker) {
    this.parser = new PacketParser({
      maxPacketSize: 1 << 20,
      onPacket: (p) => broker.receive(this, p),
      onError: (code, detail) => broker.parseErrors.push(`${code}: ${detail}`),
    });
  }
  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.broker.links.push(this);
    if (this.broker.down) {
      this.broker.later(() => this.closeFromBroker("ECONNREFUSED"));
      return;
    }
    if (this.broker.silentTcp) return; // never connects
    this.broker.later(() => {
      if (!this.closed) this.handlers!.onConnected();
    });
  }
  write(b: Uint8Array): number {
    if (this.closed) return 0;
    if (this.dead) return b.length;
    const broker = this.broker;
    let n = b.length;
    if (broker.writeBudget >= 0) {
      n = Math.min(n, broker.writeBudget);
      // The budget refills at the next pump, like onWritable after an ACK.
      broker.writeBudget -= n;
      if (n < b.length) {
        broker.later(() => {
          if (!this.closed) {
            broker.writeBudget = broker.budgetPerPump;
            this.handlers!.onWritable();
          }
        });
      }
    }
    const cut = broker.cutAfterClientBytes;
    if (cut >= 0 && broker.bytesFromClient + n >= cut) {
      // The network dies inside this write: the broker sees only a prefix.
      const keep = cut - broker.bytesFromClient;
      broker.cutAfterClientBytes = -1;
      broker.bytesFromClient = cut;
      broker.cuts++;
      this.dead = true;
      if (keep > 0) this.parser.feed(b.subarray(0, keep));
      broker.later(() => this.closeFromBroker("reset mid-packet"));
      return n;
    }
    broker.bytesFromClient += n;
    this.parser.feed(n === b.length ? b : b.subarray(0, n));
    return n;
  }
  close(): void {
    this.closed = true;
    this.closedBySession = true;
  }
  closeFromBroker(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers!.onClosed(reason);
  }
}

/** A PUBLISH as the broker received it (the payload as text). */
export interface ReceivedPublish {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  dup: boolean;
  /** 0 at QoS 0. */
  packetId: number;
}

/** Far end: answers with the real codec; `publishes` is what subscribers would get, in order. */
export class Broker {
  readonly links: Link[] = [];
  /** Every PUBLISH received, in order. */
  readonly publishes: ReceivedPublish[] = [];
  /** Every packet received, in order. */
  readonly packets: MqttPacket[] = [];
  readonly connects: ConnectPacket[] = [];
  /** Last retained payload per topic. */
  readonly retained = new Map<string, string>();
  /** The Will of the last CONNECT per client id. */
  readonly wills = new Map<string, { topic: string; payload: string; retain: boolean }>();
  /** Client ids whose session the broker remembers. */
  readonly sessions = new Set<string>();
  /** What the broker's parser refused, as "CODE: detail". */
  readonly parseErrors: string[] = [];
  /** Packet ids held without a PUBACK while autoAck is off (ackAll sends them). */
  readonly unacked: number[] = [];
  private readonly queue: Array<() => void> = [];
  private readonly rnd: SeededRandom;
  keepSessions = true;
  /** False: answer without keeping what arrived (long runs, memory measurements: a big live heap slows XS's GC). */
  keepMessages = true;
  /** TCP connections are refused. */
  down = false;
  /** TCP connections never complete (nor fail). */
  silentTcp = false;
  /** Non-zero: every CONNECT is refused with this CONNACK return code. */
  connackCode: ConnackReturnCode = 0;
  /** False: QoS 1 PUBLISHes wait in `unacked`. */
  autoAck = true;
  answerPings = true;
  /** Probability that the link dies after a PUBLISH is delivered, before its PUBACK. */
  cutBeforeAck = 0;
  /** Cut the link once the client has written this many bytes in total (-1: never). */
  cutAfterClientBytes = -1;
  bytesFromClient = 0;
  /** Bytes the session may write before the next pump (-1: unlimited); refilled to budgetPerPump. */
  writeBudget = -1;
  budgetPerPump = -1;
  /** Largest chunk delivered to the session (0: whole packets). */
  fragment = 0;
  cuts = 0;
  dupFlags = 0;

  constructor(seed: number) {
    this.rnd = new SeededRandom(seed);
  }

  get link(): Link | null {
    const l = this.links[this.links.length - 1];
    return l !== undefined && !l.closed ? l : null;
  }

  later(fn: () => void): void {
    this.queue.push(fn);
  }

  /** Runs queued deliveries (and what they cause) until none is left. */
  pump(): void {
    for (let guard = 0; this.queue.length > 0; guard++) {
      if (guard > 1_000_000) throw new Error("pump does not settle");
      this.queue.shift()!();
    }
  }

  /** The network drops the connection: the session hears onClosed. */
  drop(): void {
    const l = this.link;
    if (l !== null) {
      this.cuts++;
      this.later(() => l.closeFromBroker("connection reset"));
    }
  }

  /** Sends the PUBACKs held back while autoAck was off. */
  ackAll(): void {
    const link = this.link;
    if (link === null) return;
    for (const id of this.unacked.splice(0)) this.send(link, { type: "puback", packetId: id });
  }

  send(link: Link, p: MqttPacket): void {
    this.sendBytes(link, encodePacket(p));
  }

  /** Delivers raw bytes, in fragments when `fragment` is set. */
  sendBytes(link: Link, b: Uint8Array): void {
    let i = 0;
    while (i < b.length) {
      const n = this.fragment > 0 ? 1 + this.rnd.below(this.fragment) : b.length;
      const chunk = b.slice(i, i + n);
      i += n;
      this.later(() => {
        if (!link.closed) link.handlers!.onData(chunk);
      });
    }
  }

  receive(link: Link, p: MqttPacket): void {
    if (link.closed || link.dead) return;
    if (this.keepMessages) this.packets.push(p);
    switch (p.type) {
      case "connect": {
        if (this.keepMessages) this.connects.push(p);
        if (this.connackCode !== 0) {
          this.send(link, { type: "connack", sessionPresent: false, returnCode: this.connackCode });
          return;
        }
        if (p.will !== undefined) this.wills.set(p.clientId, { topic: p.will.topic, payload: text(p.will.payload), retain: p.will.retain });
        const present = !p.cleanSession && this.keepSessions && this.sessions.has(p.clientId);
        if (p.cleanSession) this.sessions.delete(p.clientId);
        else this.sessions.add(p.clientId);
        this.send(link, { type: "connack", sessionPresent: present, returnCode: 0 });
        return;
      }
      case "publish":
        if (this.keepMessages) {
          const payload = text(p.payload);
          this.publishes.push({ topic: p.topic, payload, qos: p.qos, retain: p.retain, dup: p.dup, packetId: p.packetId ?? 0 });
          if (p.retain) this.retained.set(p.topic, payload);
        }
        if (p.qos === 0) return;
        if (p.dup) this.dupFlags++;
        if (this.cutBeforeAck > 0 && this.rnd.next() < this.cutBeforeAck) {
          this.cuts++;
          link.dead = true;
          this.later(() => link.closeFromBroker("reset before PUBACK"));
          return;
        }
        if (this.autoAck) this.send(link, { type: "puback", packetId: p.packetId! });
        else this.unacked.push(p.packetId!);
        return;
      case "pingreq":
        if (this.answerPings) this.send(link, { type: "pingresp" });
        return;
      case "subscribe":
        // A filter under "forbidden" is refused (0x80), as an ACL would.
        this.send(link, { type: "suback", packetId: p.packetId, returnCodes: p.subscriptions.map((x) => (x.topicFilter.startsWith("forbidden") ? 0x80 : x.qos)) });
        return;
      default:
        return;
    }
  }
}
