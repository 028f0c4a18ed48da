import { EncodeErrorCode, MqttEncodeError } from "./encode-error";
import { PUBLISH_FLAG_DUP, PUBLISH_FLAG_RETAIN, PUBLISH_QOS_SHIFT, requiredHeaderFlags } from "./fixed-header";
import type { ConnectPacket, MqttPacket, PublishPacket } from "./packet-types";
import { PacketTypeCode, PROTOCOL_LEVEL_3_1_1, SUBACK_FAILURE } from "./packet-types";
import { MAX_REMAINING_LENGTH, remainingLengthSize, writeRemainingLength } from "./remaining-length";
import { topicFilterProblem, topicNameProblem } from "./topic-validation";
import { utf8ByteLength, writeUtf8 } from "../../lib/utf8";
import {
  CONNECT_FLAG_CLEAN_SESSION,
  CONNECT_FLAG_PASSWORD,
  CONNECT_FLAG_USERNAME,
  CONNECT_FLAG_WILL,
  CONNECT_FLAG_WILL_QOS_SHIFT,
  CONNECT_FLAG_WILL_RETAIN,
} from "./connect-flags";

/**
 * MQTT 3.1.1 packet generator. Each packet is validated and measured first,
 * then written once into a single Uint8Array.
 *
 * Errors: every function here THROWS `MqttEncodeError` (with a `code` from
 * `EncodeErrorCode`) for a packet MQTT 3.1.1 forbids or that cannot be
 * represented; nothing is written in that case. If the bytes written ever
 * differ from the size measured (an encoder bug) it throws with code
 * LENGTH_MISMATCH instead of returning the bytes.
 */

/** Total encoded size of `packet` in bytes, fixed header included. */
export function encodedLength(packet: MqttPacket): number {
  const body = measureBody(packet);
  return 1 + remainingLengthSize(body) + body;
}

/**
 * Encodes `packet` into `target` starting at `offset`; returns the number of
 * bytes written. Throws BUFFER_TOO_SMALL (writing nothing) if it does not fit.
 */
export function encodeInto(packet: MqttPacket, target: Uint8Array, offset = 0): number {
  const body = measureBody(packet);
  const total = 1 + remainingLengthSize(body) + body;
  if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
    throw new MqttEncodeError(EncodeErrorCode.BUFFER_TOO_SMALL, `offset ${offset} outside target of ${target.length} bytes`);
  }
  if (target.length - offset < total) {
    throw new MqttEncodeError(
      EncodeErrorCode.BUFFER_TOO_SMALL,
      `packet needs ${total} bytes, ${target.length - offset} available at offset ${offset}`,
    );
  }
  writeMeasured(packet, body, total, target.subarray(offset, offset + total));
  return total;
}

/** Encodes `packet` into a new Uint8Array of exactly its size. */
export function encodePacket(packet: MqttPacket): Uint8Array {
  // Validated and measured once (encodeInto would do both again).
  const body = measureBody(packet);
  const total = 1 + remainingLengthSize(body) + body;
  const out = new Uint8Array(total);
  writeMeasured(packet, body, total, out);
  return out;
}

/**
 * Writes a validated packet of remaining length `body` into `slot`, which
 * is exactly `total` bytes: the writer sees only the packet's slot, so a
 * measuring bug can never overwrite the caller's bytes after it.
 */
function writeMeasured(packet: MqttPacket, body: number, total: number, slot: Uint8Array): void {
  const w = new Writer(slot);
  try {
    w.u8(headerByte(packet));
    w.pos += writeRemainingLength(body, w.bytes, w.pos);
    writeBody(packet, w);
  } catch (e) {
    if (e instanceof RangeError) throw new MqttEncodeError(EncodeErrorCode.LENGTH_MISMATCH, `wrote past measured size: ${e.message}`);
    throw e;
  }
  if (w.pos !== total) {
    throw new MqttEncodeError(EncodeErrorCode.LENGTH_MISMATCH, `measured ${total} bytes, wrote ${w.pos}`);
  }
}

const PROTOCOL_NAME = "MQTT";
const MAX_FIELD_LENGTH = 0xffff;

function fail(code: EncodeErrorCode, message: string): never {
  throw new MqttEncodeError(code, message);
}

function checkPacketId(id: unknown, what: string): void {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > 0xffff) {
    fail(EncodeErrorCode.INVALID_PACKET_ID, `${what} packet identifier must be an integer in 1..65535, got ${String(id)}`);
  }
}

function checkQos(qos: unknown, what: string): void {
  if (qos !== 0 && qos !== 1 && qos !== 2) fail(EncodeErrorCode.INVALID_QOS, `${what} QoS must be 0, 1 or 2, got ${String(qos)}`);
}

function checkBoolean(v: unknown, what: string): void {
  if (typeof v !== "boolean") fail(EncodeErrorCode.INVALID_FLAGS, `${what} must be a boolean, got ${String(v)}`);
}

/** Size of a length-prefixed UTF-8 string field (2 + bytes), after validating it. */
function stringFieldSize(s: unknown, what: string): number {
  if (typeof s !== "string") fail(EncodeErrorCode.INVALID_STRING, `${what} must be a string`);
  if (s.indexOf("\u0000") !== -1) fail(EncodeErrorCode.INVALID_STRING, `${what} contains U+0000`);
  const n = utf8ByteLength(s);
  if (n < 0) fail(EncodeErrorCode.INVALID_STRING, `${what} contains a lone surrogate`);
  if (n > MAX_FIELD_LENGTH) fail(EncodeErrorCode.FIELD_TOO_LONG, `${what} is ${n} bytes, limit 65535`);
  return 2 + n;
}

function checkBinary(b: unknown, what: string): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) fail(EncodeErrorCode.INVALID_BINARY, `${what} must be a Uint8Array`);
}

/** Size of a length-prefixed binary field (2 + bytes), after validating it. */
function binaryFieldSize(b: unknown, what: string): number {
  checkBinary(b, what);
  if (b.length > MAX_FIELD_LENGTH) fail(EncodeErrorCode.FIELD_TOO_LONG, `${what} is ${b.length} bytes, limit 65535`);
  return 2 + b.length;
}

function checkList(list: unknown, what: string): asserts list is readonly unknown[] {
  if (!Array.isArray(list) || list.length === 0) fail(EncodeErrorCode.INVALID_FIELD, `${what} must be a non-empty array`);
}

function measureConnect(p: ConnectPacket): number {
  let n = 2 + PROTOCOL_NAME.length + 1 + 1 + 2; // protocol name, level, flags, keep alive
  n += stringFieldSize(p.clientId, "CONNECT client identifier");
  checkBoolean(p.cleanSession, "CONNECT cleanSession");
  if (p.clientId === "" && !p.cleanSession) {
    fail(EncodeErrorCode.INVALID_FIELD, "CONNECT with an empty client identifier needs cleanSession");
  }
  const k = p.keepAlive;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k > 0xffff) {
    fail(EncodeErrorCode.INVALID_FIELD, `CONNECT keepAlive must be an integer in 0..65535, got ${String(k)}`);
  }
  if (p.will !== undefined) {
    const w = p.will;
    if (w === null || typeof w !== "object") fail(EncodeErrorCode.INVALID_FIELD, "CONNECT will must be an object");
    n += stringFieldSize(w.topic, "will topic");
    const problem = topicNameProblem(w.topic);
    if (problem !== null) fail(EncodeErrorCode.INVALID_TOPIC_NAME, `will: ${problem}`);
    n += binaryFieldSize(w.payload, "will payload");
    checkQos(w.qos, "will");
    checkBoolean(w.retain, "will retain");
  }
  if (p.username !== undefined) n += stringFieldSize(p.username, "CONNECT user name");
  if (p.password !== undefined) {
    if (p.username === undefined) fail(EncodeErrorCode.INVALID_FIELD, "CONNECT password needs a user name in MQTT 3.1.1");
    n += binaryFieldSize(p.password, "CONNECT password");
  }
  return n;
}

function measurePublish(p: PublishPacket): number {
  let n = stringFieldSize(p.topic, "PUBLISH topic");
  const problem = topicNameProblem(p.topic);
  if (problem !== null) fail(EncodeErrorCode.INVALID_TOPIC_NAME, problem);
  checkQos(p.qos, "PUBLISH");
  checkBoolean(p.retain, "PUBLISH retain");
  checkBoolean(p.dup, "PUBLISH dup");
  if (p.qos === 0) {
    if (p.dup) fail(EncodeErrorCode.INVALID_FLAGS, "PUBLISH QoS 0 must not set dup");
    if (p.packetId !== undefined) fail(EncodeErrorCode.INVALID_PACKET_ID, "PUBLISH QoS 0 must not carry a packet identifier");
  } else {
    checkPacketId(p.packetId, "PUBLISH");
    n += 2;
  }
  checkBinary(p.payload, "PUBLISH payload");
  return n + p.payload.length;
}

/** Validates `packet` and returns its remaining length. */
function measureBody(packet: MqttPacket): number {
  if (packet === null || typeof packet !== "object") fail(EncodeErrorCode.UNKNOWN_PACKET_TYPE, "packet must be an object");
  let n: number;
  switch (packet.type) {
    case "connect":
      n = measureConnect(packet);
      break;
    case "connack": {
      checkBoolean(packet.sessionPresent, "CONNACK sessionPresent");
      const rc = packet.returnCode as unknown;
      if (typeof rc !== "number" || !Number.isInteger(rc) || rc < 0 || rc > 5) {
        fail(EncodeErrorCode.INVALID_FIELD, `CONNACK return code must be 0..5, got ${String(rc)}`);
      }
      if (packet.sessionPresent && rc !== 0) fail(EncodeErrorCode.INVALID_FIELD, "CONNACK refusal must not set sessionPresent");
      n = 2;
      break;
    }
    case "publish":
      n = measurePublish(packet);
      break;
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      checkPacketId(packet.packetId, packet.type.toUpperCase());
      n = 2;
      break;
    case "subscribe": {
      checkPacketId(packet.packetId, "SUBSCRIBE");
      checkList(packet.subscriptions, "SUBSCRIBE subscriptions");
      n = 2;
      for (const s of packet.subscriptions) {
        if (s === null || typeof s !== "object") fail(EncodeErrorCode.INVALID_FIELD, "SUBSCRIBE subscription must be an object");
        n += stringFieldSize(s.topicFilter, "SUBSCRIBE topic filter") + 1;
        const problem = topicFilterProblem(s.topicFilter);
        if (problem !== null) fail(EncodeErrorCode.INVALID_TOPIC_FILTER, problem);
        checkQos(s.qos, "SUBSCRIBE requested");
      }
      break;
    }
    case "suback": {
      checkPacketId(packet.packetId, "SUBACK");
      checkList(packet.returnCodes, "SUBACK return codes");
      for (const c of packet.returnCodes as readonly unknown[]) {
        if (c !== 0 && c !== 1 && c !== 2 && c !== SUBACK_FAILURE) {
          fail(EncodeErrorCode.INVALID_FIELD, `SUBACK return code must be 0, 1, 2 or 0x80, got ${String(c)}`);
        }
      }
      n = 2 + packet.returnCodes.length;
      break;
    }
    case "unsubscribe": {
      checkPacketId(packet.packetId, "UNSUBSCRIBE");
      checkList(packet.topicFilters, "UNSUBSCRIBE topic filters");
      n = 2;
      for (const f of packet.topicFilters) {
        n += stringFieldSize(f, "UNSUBSCRIBE topic filter");
        const problem = topicFilterProblem(f);
        if (problem !== null) fail(EncodeErrorCode.INVALID_TOPIC_FILTER, problem);
      }
      break;
    }
    case "pingreq":
    case "pingresp":
    case "disconnect":
      n = 0;
      break;
    default:
      fail(EncodeErrorCode.UNKNOWN_PACKET_TYPE, `unknown packet type ${String((packet as { type?: unknown }).type)}`);
  }
  if (n > MAX_REMAINING_LENGTH) fail(EncodeErrorCode.PACKET_TOO_LARGE, `remaining length ${n} exceeds ${MAX_REMAINING_LENGTH}`);
  return n;
}

const TYPE_CODES: Record<MqttPacket["type"], number> = Object.freeze({
  connect: PacketTypeCode.CONNECT,
  connack: PacketTypeCode.CONNACK,
  publish: PacketTypeCode.PUBLISH,
  puback: PacketTypeCode.PUBACK,
  pubrec: PacketTypeCode.PUBREC,
  pubrel: PacketTypeCode.PUBREL,
  pubcomp: PacketTypeCode.PUBCOMP,
  subscribe: PacketTypeCode.SUBSCRIBE,
  suback: PacketTypeCode.SUBACK,
  unsubscribe: PacketTypeCode.UNSUBSCRIBE,
  unsuback: PacketTypeCode.UNSUBACK,
  pingreq: PacketTypeCode.PINGREQ,
  pingresp: PacketTypeCode.PINGRESP,
  disconnect: PacketTypeCode.DISCONNECT,
});

function headerByte(packet: MqttPacket): number {
  const typeCode = TYPE_CODES[packet.type];
  if (packet.type === "publish") {
    let flags = packet.qos << PUBLISH_QOS_SHIFT;
    if (packet.dup) flags |= PUBLISH_FLAG_DUP;
    if (packet.retain) flags |= PUBLISH_FLAG_RETAIN;
    return (typeCode << 4) | flags;
  }
  return (typeCode << 4) | requiredHeaderFlags(typeCode);
}

/** Sequential writes into the packet's slot; throws RangeError past its end. */
class Writer {
  readonly bytes: Uint8Array;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  private room(n: number): void {
    if (this.pos + n > this.bytes.length) throw new RangeError(`write of ${n} bytes at ${this.pos} past ${this.bytes.length}`);
  }

  u8(v: number): void {
    this.room(1);
    this.bytes[this.pos++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.bytes[this.pos++] = v >> 8;
    this.bytes[this.pos++] = v & 0xff;
  }

  /** Writes the UTF-8 bytes after a 2-byte hole, then fills in their count. */
  string(s: string): void {
    this.room(2);
    const n = writeUtf8(s, this.bytes, this.pos + 2);
    this.bytes[this.pos] = n >> 8;
    this.bytes[this.pos + 1] = n & 0xff;
    this.pos += 2 + n;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }

  binary(b: Uint8Array): void {
    this.u16(b.length);
    this.raw(b);
  }
}

function writeBody(packet: MqttPacket, w: Writer): void {
  switch (packet.type) {
    case "connect": {
      w.string(PROTOCOL_NAME);
      w.u8(PROTOCOL_LEVEL_3_1_1);
      let flags = packet.cleanSession ? CONNECT_FLAG_CLEAN_SESSION : 0;
      if (packet.will !== undefined) {
        flags |= CONNECT_FLAG_WILL | (packet.will.qos << CONNECT_FLAG_WILL_QOS_SHIFT);
        if (packet.will.retain) flags |= CONNECT_FLAG_WILL_RETAIN;
      }
      if (packet.username !== undefined) flags |= CONNECT_FLAG_USERNAME;
      if (packet.password !== undefined) flags |= CONNECT_FLAG_PASSWORD;
      w.u8(flags);
      w.u16(packet.keepAlive);
      w.string(packet.clientId);
      if (packet.will !== undefined) {
        w.string(packet.will.topic);
        w.binary(packet.will.payload);
      }
      if (packet.username !== undefined) w.string(packet.username);
      if (packet.password !== undefined) w.binary(packet.password);
      return;
    }
    case "connack":
      w.u8(packet.sessionPresent ? 1 : 0);
      w.u8(packet.returnCode);
      return;
    case "publish":
      w.string(packet.topic);
      if (packet.qos > 0) w.u16(packet.packetId!);
      w.raw(packet.payload);
      return;
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      w.u16(packet.packetId);
      return;
    case "subscribe":
      w.u16(packet.packetId);
      for (const s of packet.subscriptions) {
        w.string(s.topicFilter);
        w.u8(s.qos);
      }
      return;
    case "suback":
      w.u16(packet.packetId);
      for (const c of packet.returnCodes) w.u8(c);
      return;
    case "unsubscribe":
      w.u16(packet.packetId);
      for (const f of packet.topicFilters) w.string(f);
      return;
    case "pingreq":
    case "pingresp":
    case "disconnect":
      return;
  }
}
