// A scripted in-memory MQTT broker for engine-neutral tests: the real codec
// on the far end, a queue of deliveries driven by pump(), and faults on
// demand (fragmented bytes, cuts mid-packet or between PUBLISH and PUBACK,
// refused connections, forgotten sessions). Plain ECMAScript, runs in XS.
import { encodePacket } from "../../../src/core/mqtt/packet-encoder";
import { PacketParser } from "../../../src/core/mqtt/packet-parser";
import type { MqttPacket } from "../../../src/core/mqtt/packet-types";
import type { MqttTransport, TransportHandlers } from "../../../src/core/mqtt/transport-port";
import { SeededRandom } from "../../../src/core/seeded-random";

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

export class Link implements MqttTransport {
  handlers: TransportHandlers | null = null;
  closed = false;
  /** Cut by the network: bytes written from now on are lost. */
  dead = false;
  readonly parser: PacketParser;
  constructor(private readonly broker: Broker) {
    this.parser = new PacketParser({ maxPacketSize: 1 << 20, onPacket: (p) => broker.receive(this, p), onError: () => broker.parseErrors++ });
  }
  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.broker.links.push(this);
    if (this.broker.down) {
      this.broker.later(() => this.closeFromBroker("ECONNREFUSED"));
      return;
    }
    this.broker.later(() => {
      if (!this.closed) this.handlers!.onConnected();
    });
  }
  write(b: Uint8Array): number {
    if (this.closed) return 0;
    if (this.dead) return b.length;
    const cut = this.broker.cutAfterClientBytes;
    if (cut >= 0 && this.broker.bytesFromClient + b.length >= cut) {
      // The network dies inside this write: the broker sees only a prefix.
      const keep = cut - this.broker.bytesFromClient;
      this.broker.cutAfterClientBytes = -1;
      this.broker.bytesFromClient = cut;
      this.broker.cuts++;
      this.dead = true;
      if (keep > 0) this.parser.feed(b.subarray(0, keep));
      this.broker.later(() => this.closeFromBroker("reset mid-packet"));
      return b.length;
    }
    this.broker.bytesFromClient += b.length;
    this.parser.feed(b);
    return b.length;
  }
  close(): void {
    this.closed = true;
  }
  closeFromBroker(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers!.onClosed(reason);
  }
}

/** Far end: answers with the real codec; `delivered` is what subscribers would get, in order. */
export class Broker {
  readonly links: Link[] = [];
  readonly delivered: string[] = [];
  /** Every PUBLISH received, with its topic and flags (delivered holds the payloads alone). */
  readonly publishes: { topic: string; payload: string; qos: number; retain: boolean; dup: boolean }[] = [];
  /** Last retained payload per topic. */
  readonly retained = new Map<string, string>();
  /** The Will of the last CONNECT per client id. */
  readonly wills = new Map<string, { topic: string; payload: string; retain: boolean }>();
  readonly sessions = new Set<string>();
  private readonly queue: Array<() => void> = [];
  private readonly rnd: SeededRandom;
  keepSessions = true;
  /** False: deliver and acknowledge without keeping what arrived (memory measurements). */
  keepMessages = true;
  down = false;
  /** Probability that the link dies after a PUBLISH is delivered, before its PUBACK. */
  cutBeforeAck = 0;
  /** Cut the link once the client has written this many bytes in total (-1: never). */
  cutAfterClientBytes = -1;
  bytesFromClient = 0;
  /** Largest chunk delivered to the session (0: whole packets). */
  fragment = 0;
  cuts = 0;
  parseErrors = 0;
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

  pump(): void {
    for (let guard = 0; this.queue.length > 0; guard++) {
      if (guard > 1_000_000) throw new Error("pump does not settle");
      this.queue.shift()!();
    }
  }

  drop(): void {
    const l = this.link;
    if (l !== null) {
      this.cuts++;
      this.later(() => l.closeFromBroker("connection reset"));
    }
  }

  private send(link: Link, p: MqttPacket): void {
    const b = encodePacket(p);
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
    switch (p.type) {
      case "connect": {
        if (p.will !== undefined) this.wills.set(p.clientId, { topic: p.will.topic, payload: text(p.will.payload), retain: p.will.retain });
        const present = !p.cleanSession && this.keepSessions && this.sessions.has(p.clientId);
        this.sessions.add(p.clientId);
        this.send(link, { type: "connack", sessionPresent: present, returnCode: 0 });
        return;
      }
      case "publish":
        if (this.keepMessages) {
          this.delivered.push(text(p.payload));
          this.publishes.push({ topic: p.topic, payload: text(p.payload), qos: p.qos, retain: p.retain, dup: p.dup });
          if (p.retain) this.retained.set(p.topic, text(p.payload));
        }
        if (p.qos === 0) return;
        if (p.dup) this.dupFlags++;
        if (this.cutBeforeAck > 0 && this.rnd.next() < this.cutBeforeAck) {
          this.cuts++;
          link.dead = true;
          this.later(() => link.closeFromBroker("reset before PUBACK"));
          return;
        }
        this.send(link, { type: "puback", packetId: p.packetId! });
        return;
      case "pingreq":
        this.send(link, { type: "pingresp" });
        return;
      default:
        return;
    }
  }
}

