/**
 * PUBLISH packets with each topic encoded once. A terminal publishes to a handful of topics
 * (tx, alerts, late, rejects, metrics, status); validating a topic and writing its UTF-8 in
 * JavaScript costs XS ~100 steps a character, for every message. Here a small cache keeps each
 * topic's length-prefixed field, made by encodePacket itself, so a message costs its header
 * bytes and two native copies (topic field, payload). Same bytes as encodePacket, and the same
 * MqttEncodeError for anything encodePacket refuses (the codec suite checks both).
 */
import { EncodeErrorCode, MqttEncodeError } from "./encode-error";
import { encodePacket } from "./packet-encoder";
import { MAX_REMAINING_LENGTH, remainingLengthSize, writeRemainingLength } from "./remaining-length";

const EMPTY = new Uint8Array(0);
const PUBLISH_TYPE = 3;

export class PublishEncoder {
  private readonly topics: string[];
  private readonly fields: Uint8Array[];
  private next = 0;
  /** Topic fields encoded (cache misses). */
  topicsEncoded = 0;

  /** `capacity`: topics kept (least recently added replaced first). */
  constructor(readonly capacity = 8) {
    this.topics = new Array<string>(capacity).fill("");
    this.fields = new Array<Uint8Array>(capacity).fill(EMPTY);
  }

  /** The topic's validated field: 2-byte length, then its UTF-8. Throws MqttEncodeError for a bad topic. */
  topicField(topic: string): Uint8Array {
    for (let i = 0; i < this.capacity; i++) if (this.fields[i] !== EMPTY && this.topics[i] === topic) return this.fields[i];
    // encodePacket validates the topic exactly as for any PUBLISH; its body is the topic field alone.
    const pkt = encodePacket({ type: "publish", topic, payload: EMPTY, qos: 0, retain: false, dup: false });
    let at = 1;
    while (pkt[at] & 0x80) at++;
    const field = pkt.slice(at + 1);
    const slot = this.next;
    this.next = (slot + 1) % this.capacity;
    this.topics[slot] = topic;
    this.fields[slot] = field;
    this.topicsEncoded++;
    return field;
  }

  /** The PUBLISH packet (packetId 0 for QoS 0). Throws MqttEncodeError where encodePacket would. */
  encode(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean, dup: boolean, packetId: number): Uint8Array {
    const bad =
      (qos !== 0 && qos !== 1) ||
      typeof retain !== "boolean" ||
      typeof dup !== "boolean" ||
      !(payload instanceof Uint8Array) ||
      (qos === 0 ? dup || packetId !== 0 : !(Number.isInteger(packetId) && packetId >= 1 && packetId <= 0xffff));
    if (bad) {
      // Let the general encoder name what is wrong (it throws); a valid oddity would still come out right.
      return encodePacket(
        qos === 0
          ? { type: "publish", topic, payload, qos, retain, dup }
          : { type: "publish", topic, payload, qos, retain, dup, packetId },
      );
    }
    const field = this.topicField(topic);
    const body = field.length + (qos === 1 ? 2 : 0) + payload.length;
    if (body > MAX_REMAINING_LENGTH) throw new MqttEncodeError(EncodeErrorCode.PACKET_TOO_LARGE, `remaining length ${body} exceeds ${MAX_REMAINING_LENGTH}`);
    const out = new Uint8Array(1 + remainingLengthSize(body) + body);
    out[0] = (PUBLISH_TYPE << 4) | (qos << 1) | (dup ? 8 : 0) | (retain ? 1 : 0);
    let pos = 1 + writeRemainingLength(body, out, 1);
    out.set(field, pos);
    pos += field.length;
    if (qos === 1) {
      out[pos++] = packetId >> 8;
      out[pos++] = packetId & 0xff;
    }
    out.set(payload, pos);
    return out;
  }
}
