import type { MqttTransport, TransportHandlers } from "../core/mqtt/session/transport-port";

const CONNACK_NEW = new Uint8Array([0x20, 2, 0, 0]);
const CONNACK_PRESENT = new Uint8Array([0x20, 2, 1, 0]);
const PINGRESP = new Uint8Array([0xd0, 0]);
const PUBLISH_TYPE = 3;
const SUBSCRIBE_TYPE = 8;
const PINGREQ_TYPE = 12;
const CONNECT_TYPE = 1;

/** Where the scanner is in the client's byte stream. */
const AT_TYPE = 0;
const AT_LENGTH = 1;
const IN_BODY = 2;

/**
 * The far end of bench:core's device run: a broker reduced to what a terminal needs answered
 * (CONNACK, PUBACK, PINGRESP, SUBACK), found by scanning the client's bytes — fixed header,
 * Remaining Length, the packet id after a QoS 1 PUBLISH's topic — without decoding a packet or
 * allocating per packet, so the figures measured in the same XS realm are the terminal's own.
 * The scripted broker (scripted-broker.ts, the real codec) stays the far end of the tests;
 * this one checks nothing. Answers wait for `pump()`, as a network would make them wait.
 */
export class AckOnlyBroker {
  /** False: PUBACKs wait until `ackAll()` (a stalled broker). */
  autoAck = true;
  /** True: unreachable (links are cut at the next pump, new ones never connect); the session it kept survives. */
  down = false;
  publishes = 0;
  private link: AckOnlyLink | null = null;
  private connected = false;
  private sessionKnown = false;
  /** Answers due at the next pump: packet ids to acknowledge, and what else is owed. */
  private readonly due: number[] = [];
  private readonly held: number[] = [];
  private connackDue = false;
  private pingsDue = 0;
  private readonly subacksDue: number[] = [];
  private readonly puback = new Uint8Array([0x40, 2, 0, 0]);
  private readonly suback = new Uint8Array([0x90, 3, 0, 0, 1]);

  transport(): MqttTransport {
    const l = new AckOnlyLink(this);
    this.link = l;
    this.connected = false;
    this.due.length = 0;
    this.connackDue = false;
    this.pingsDue = 0;
    this.subacksDue.length = 0;
    return l;
  }

  /** Sends the PUBACKs held while autoAck was off (at the next pump). */
  ackAll(): void {
    for (let i = 0; i < this.held.length; i++) this.due.push(this.held[i]!);
    this.held.length = 0;
  }

  /** Delivers what is due: the link's connection, then the answers owed. */
  pump(): void {
    const l = this.link;
    if (l === null || l.closed) return;
    const h = l.handlers as TransportHandlers;
    if (this.down) {
      if (this.connected) {
        // The unacknowledged PUBLISHes stay with the session: the client sends them again.
        this.connected = false;
        this.held.length = 0;
        l.closed = true;
        h.onClosed("broker unreachable");
      }
      return;
    }
    if (!this.connected) {
      this.connected = true;
      h.onConnected();
    }
    if (this.connackDue) {
      this.connackDue = false;
      h.onData(this.sessionKnown ? CONNACK_PRESENT : CONNACK_NEW);
      this.sessionKnown = true;
    }
    for (; this.pingsDue > 0; this.pingsDue--) h.onData(PINGRESP);
    for (let i = 0; i < this.subacksDue.length; i++) {
      const id = this.subacksDue[i]!;
      this.suback[2] = id >> 8;
      this.suback[3] = id & 0xff;
      h.onData(this.suback);
    }
    this.subacksDue.length = 0;
    // PUBACKs found while these are delivered wait for the next pump.
    const n = this.due.length;
    for (let i = 0; i < n && !l.closed; i++) {
      const id = this.due[i]!;
      this.puback[2] = id >> 8;
      this.puback[3] = id & 0xff;
      h.onData(this.puback);
    }
    this.due.splice(0, n);
  }

  /** A whole packet's fixed header was read (type, flags) and, for PUBLISH QoS 1, its id. */
  packet(type: number, flags: number, packetId: number): void {
    if (type === CONNECT_TYPE) this.connackDue = true;
    else if (type === PINGREQ_TYPE) this.pingsDue++;
    else if (type === SUBSCRIBE_TYPE) this.subacksDue.push(packetId);
    else if (type === PUBLISH_TYPE) {
      this.publishes++;
      if ((flags & 6) === 0) return;
      if (this.autoAck) this.due.push(packetId);
      else this.held.push(packetId);
    }
  }
}

/** One connection to an AckOnlyBroker: scans what the session writes, byte by byte where it must. */
class AckOnlyLink implements MqttTransport {
  handlers: TransportHandlers | null = null;
  closed = false;
  private at = AT_TYPE;
  private type = 0;
  private flags = 0;
  private remaining = 0;
  private shift = 0;
  /** Body bytes read so far, and (PUBLISH, SUBSCRIBE) the topic length and packet id as they arrive. */
  private read = 0;
  private topicLength = 0;
  private packetId = 0;

  constructor(private readonly broker: AckOnlyBroker) {}

  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  write(bytes: Uint8Array): number {
    if (this.closed) return 0;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (this.at === AT_TYPE) {
        const b = bytes[i++]!;
        this.type = b >> 4;
        this.flags = b & 15;
        this.remaining = 0;
        this.shift = 0;
        this.at = AT_LENGTH;
      } else if (this.at === AT_LENGTH) {
        // Not the codec's RemainingLengthReader: its method call per byte would count in the
        // terminal's figure (this far end runs in the measured realm); nothing here is validated.
        const b = bytes[i++]!;
        this.remaining += (b & 0x7f) * 2 ** this.shift;
        this.shift += 7;
        if ((b & 0x80) === 0) this.startBody();
      } else {
        i = this.body(bytes, i, n);
        if (this.read === this.remaining) this.endPacket();
      }
    }
    return n;
  }

  close(): void {
    this.closed = true;
  }

  private startBody(): void {
    this.read = 0;
    this.topicLength = 0;
    this.packetId = 0;
    this.at = IN_BODY;
    if (this.remaining === 0) this.endPacket();
  }

  /**
   * Reads body bytes from bytes[i]: one at a time where an id or the topic length sits, the
   * rest skipped whole. Returns where it stopped.
   */
  private body(bytes: Uint8Array, i: number, n: number): number {
    const r = this.read;
    if (this.type === PUBLISH_TYPE && (this.flags & 6) !== 0) {
      if (r < 2) {
        this.topicLength = this.topicLength * 256 + bytes[i]!;
        this.read++;
        return i + 1;
      }
      const idAt = 2 + this.topicLength;
      if (r < idAt) {
        const k = Math.min(n - i, idAt - r);
        this.read += k;
        return i + k;
      }
      if (r < idAt + 2) {
        this.packetId = ((this.packetId << 8) | bytes[i]!) & 0xffff;
        this.read++;
        return i + 1;
      }
    } else if (this.type === SUBSCRIBE_TYPE && r < 2) {
      this.packetId = ((this.packetId << 8) | bytes[i]!) & 0xffff;
      this.read++;
      return i + 1;
    }
    const k = Math.min(n - i, this.remaining - r);
    this.read += k;
    return i + k;
  }

  private endPacket(): void {
    this.at = AT_TYPE;
    this.broker.packet(this.type, this.flags, this.packetId);
  }
}
