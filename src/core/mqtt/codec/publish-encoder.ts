import { EncodeErrorCode, MqttEncodeError } from "./encode-error";
import { encodePacket } from "./packet-encoder";
import { MAX_REMAINING_LENGTH } from "./remaining-length";

const EMPTY = new Uint8Array(0);
const PUBLISH_TYPE = 3;

/**
 * PUBLISH packets as two fragments, head and payload, with no array made per message.
 *
 * A terminal publishes to a handful of topics (tx, alerts, late, rejects, metrics, status);
 * validating a topic and writing its UTF-8 in JavaScript costs XS ~100 steps a character.
 * Here each topic gets one head buffer, made once by encodePacket itself: fixed header,
 * Remaining Length, the length-prefixed topic, and the packet id at QoS 1. Per message only
 * the first byte, the Remaining Length and the packet id are written into it, in place; the
 * payload goes to the transport as it is (the outbox's own bytes). Head then payload are the
 * bytes encodePacket writes, and anything encodePacket refuses throws the same
 * MqttEncodeError (the codec suite checks both).
 *
 * A head is reused: it is valid until the next `head` call for its topic. Whoever keeps it
 * longer (a short write) copies it.
 */
export class PublishEncoder {
  private readonly topics: string[];
  private readonly heads: Uint8Array[];
  /** Per slot s: where its head's topic field starts (after the Remaining Length) at [2s], that field's bytes at [2s + 1]. */
  private readonly fields: Int32Array;
  private next = 0;
  /** The slot of the last topic asked for: a terminal publishes mostly to one. */
  private last = 0;
  /** Topic fields encoded (cache misses). */
  topicsEncoded = 0;
  /** Heads remade: a topic's message with another QoS or Remaining Length size than its head has room for. */
  headsMade = 0;

  /** `capacity`: topics kept (least recently added replaced first). */
  constructor(readonly capacity = 8) {
    this.topics = new Array<string>(capacity).fill("");
    this.heads = new Array<Uint8Array>(capacity).fill(EMPTY);
    this.fields = new Int32Array(2 * capacity);
  }

  /**
   * The PUBLISH packet's bytes before its payload, for a payload of `payloadLength` bytes
   * (packetId 0 at QoS 0). Reused: valid until the next call for the same topic.
   * Throws MqttEncodeError where encodePacket would.
   */
  head(topic: string, payloadLength: number, qos: 0 | 1, retain: boolean, dup: boolean, packetId: number): Uint8Array {
    const bad =
      (qos !== 0 && qos !== 1) ||
      typeof retain !== "boolean" ||
      typeof dup !== "boolean" ||
      !(Number.isInteger(payloadLength) && payloadLength >= 0) ||
      (qos === 0 ? dup || packetId !== 0 : (packetId & 0xffff) !== packetId || packetId === 0);
    if (bad) {
      if (!(Number.isInteger(payloadLength) && payloadLength >= 0)) {
        throw new MqttEncodeError(EncodeErrorCode.INVALID_BINARY, `PUBLISH payload length must be a whole number of bytes, got ${String(payloadLength)}`);
      }
      // Let the general encoder name what is wrong (it throws); a valid oddity would still come out right.
      const payload = new Uint8Array(payloadLength);
      // A packet id is left out only where none was given: QoS 0 with one is refused there too.
      const whole = encodePacket(
        qos === 0 && packetId === 0
          ? { type: "publish", topic, payload, qos, retain, dup }
          : { type: "publish", topic, payload, qos, retain, dup, packetId },
      );
      return whole.subarray(0, whole.length - payload.length);
    }
    // Inline on purpose (on XS a call costs about what the writes do).
    let slot = this.last;
    if (this.topics[slot] !== topic || this.heads[slot] === EMPTY) slot = this.last = this.slotOf(topic);
    let head = this.heads[slot]!;
    const fieldLength = this.fields[2 * slot + 1]!;
    const body = fieldLength + (qos === 1 ? 2 : 0) + payloadLength;
    if (body > MAX_REMAINING_LENGTH) throw new MqttEncodeError(EncodeErrorCode.PACKET_TOO_LARGE, `remaining length ${body} exceeds ${MAX_REMAINING_LENGTH}`);
    const rlSize = body < 0x80 ? 1 : body < 0x4000 ? 2 : body < 0x200000 ? 3 : 4;
    const size = 1 + rlSize + fieldLength + (qos === 1 ? 2 : 0);
    if (head.length !== size || this.fields[2 * slot] !== 1 + rlSize) head = this.remake(head, slot, fieldLength, rlSize, size);
    head[0] = (PUBLISH_TYPE << 4) | (qos << 1) | (dup ? 8 : 0) | (retain ? 1 : 0);
    // The Remaining Length: 7 bits a byte, least significant first, the high bit when more follow.
    let v = body;
    let at = 1;
    while (v >= 0x80) {
      head[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    head[at] = v;
    if (qos === 1) {
      head[size - 2] = packetId >> 8;
      head[size - 1] = packetId & 0xff;
    }
    return head;
  }

  /** The cache slot holding `topic`, encoding (and validating) it on a miss. Throws MqttEncodeError for a bad topic. */
  private slotOf(topic: string): number {
    for (let i = 0; i < this.capacity; i++) if (this.heads[i] !== EMPTY && this.topics[i] === topic) return i;
    // encodePacket validates the topic exactly as for any PUBLISH; at QoS 0 its body is the topic field alone.
    const pkt = encodePacket({ type: "publish", topic, payload: EMPTY, qos: 0, retain: false, dup: false });
    const slot = this.next;
    this.next = (slot + 1) % this.capacity;
    const start = fieldStart(pkt);
    this.topics[slot] = topic;
    this.heads[slot] = pkt;
    this.fields[2 * slot] = start;
    this.fields[2 * slot + 1] = 2 + ((pkt[start]! << 8) | pkt[start + 1]!);
    this.topicsEncoded++;
    return slot;
  }

  /** A head of `size` bytes for the slot's topic: its field moved behind a Remaining Length of `rlSize` bytes. */
  private remake(old: Uint8Array, slot: number, fieldLength: number, rlSize: number, size: number): Uint8Array {
    const start = this.fields[2 * slot]!;
    const head = new Uint8Array(size);
    head.set(old.subarray(start, start + fieldLength), 1 + rlSize);
    this.heads[slot] = head;
    this.fields[2 * slot] = 1 + rlSize;
    this.headsMade++;
    return head;
  }
}

/** Where a head's topic field starts: after the fixed header byte and the Remaining Length bytes. */
function fieldStart(head: Uint8Array): number {
  let at = 1;
  while (head[at]! & 0x80) at++;
  return at + 1;
}
