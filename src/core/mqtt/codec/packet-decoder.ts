import { fixedHeaderProblem, fixedRemainingLength, PUBLISH_FLAG_DUP, PUBLISH_FLAG_RETAIN, PUBLISH_QOS_SHIFT } from "./fixed-header";
import type {
  ConnackReturnCode,
  ConnectPacket,
  MqttPacket,
  QoS,
  SubackReturnCode,
  Subscription,
  Will,
} from "./packet-types";
import { PacketTypeCode, PROTOCOL_LEVEL_3_1_1, SUBACK_FAILURE } from "./packet-types";
import { ProtocolErrorCode, ProtocolViolation } from "./protocol-error";
import { topicFilterProblem, topicNameProblem } from "./topic-validation";
import { decodeUtf8 } from "../../lib/utf8";
import {
  CONNECT_FLAG_CLEAN_SESSION,
  CONNECT_FLAG_PASSWORD,
  CONNECT_FLAG_RESERVED,
  CONNECT_FLAG_USERNAME,
  CONNECT_FLAG_WILL,
  CONNECT_FLAG_WILL_QOS_SHIFT,
  CONNECT_FLAG_WILL_RETAIN,
} from "./connect-flags";

/**
 * Decodes one complete packet whose fixed-header first byte is `header` and
 * whose body (everything after the remaining length) is bytes[start..end).
 * Throws ProtocolViolation for anything MQTT 3.1.1 forbids; the body must be
 * consumed exactly. Binary fields are copied, so `bytes` may be reused.
 */
export function decodePacket(header: number, bytes: Uint8Array, start: number, end: number): MqttPacket {
  const problem = fixedHeaderProblem(header);
  if (problem !== null) throw new ProtocolViolation(problem.code, problem.detail);
  const typeCode = header >> 4;
  const fixed = fixedRemainingLength(typeCode);
  if (fixed >= 0 && end - start !== fixed) {
    throw new ProtocolViolation(
      ProtocolErrorCode.INVALID_PACKET_LENGTH,
      `packet type ${typeCode} needs remaining length ${fixed}, got ${end - start}`,
    );
  }
  const r = new BodyReader(bytes, start, end);
  let packet: MqttPacket;
  switch (typeCode) {
    case PacketTypeCode.CONNECT:
      packet = decodeConnect(r);
      break;
    case PacketTypeCode.CONNACK:
      packet = decodeConnack(r);
      break;
    case PacketTypeCode.PUBLISH:
      packet = decodePublish(header, r);
      break;
    case PacketTypeCode.PUBACK:
      packet = { type: "puback", packetId: r.packetId() };
      break;
    case PacketTypeCode.PUBREC:
      packet = { type: "pubrec", packetId: r.packetId() };
      break;
    case PacketTypeCode.PUBREL:
      packet = { type: "pubrel", packetId: r.packetId() };
      break;
    case PacketTypeCode.PUBCOMP:
      packet = { type: "pubcomp", packetId: r.packetId() };
      break;
    case PacketTypeCode.SUBSCRIBE:
      packet = decodeSubscribe(r);
      break;
    case PacketTypeCode.SUBACK:
      packet = decodeSuback(r);
      break;
    case PacketTypeCode.UNSUBSCRIBE:
      packet = decodeUnsubscribe(r);
      break;
    case PacketTypeCode.UNSUBACK:
      packet = { type: "unsuback", packetId: r.packetId() };
      break;
    case PacketTypeCode.PINGREQ:
      packet = { type: "pingreq" };
      break;
    case PacketTypeCode.PINGRESP:
      packet = { type: "pingresp" };
      break;
    case PacketTypeCode.DISCONNECT:
      packet = { type: "disconnect" };
      break;
    default:
      throw new ProtocolViolation(ProtocolErrorCode.RESERVED_PACKET_TYPE, `reserved packet type ${typeCode}`);
  }
  r.expectEnd(packet.type);
  return packet;
}


function decodeConnect(r: BodyReader): ConnectPacket {
  const nameLength = r.u16("protocol name length");
  r.need(nameLength, "protocol name");
  if (
    nameLength !== 4 ||
    r.byteAt(0) !== 0x4d || // M
    r.byteAt(1) !== 0x51 || // Q
    r.byteAt(2) !== 0x54 || // T
    r.byteAt(3) !== 0x54 // T
  ) {
    // [MQTT-3.1.2-1]
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_PROTOCOL_NAME, "CONNECT protocol name is not \"MQTT\"");
  }
  r.skip(4);
  const level = r.u8("protocol level");
  // [MQTT-3.1.2-2] (a server answers CONNACK 1 first: the session's business, not the codec's)
  if (level !== PROTOCOL_LEVEL_3_1_1) {
    throw new ProtocolViolation(ProtocolErrorCode.UNSUPPORTED_PROTOCOL_LEVEL, `CONNECT protocol level ${level}, expected 4`);
  }
  const flags = r.u8("connect flags");
  // [MQTT-3.1.2-3]
  if ((flags & CONNECT_FLAG_RESERVED) !== 0) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_CONNECT_FLAGS, "CONNECT reserved flag bit 0 set");
  }
  const hasWill = (flags & CONNECT_FLAG_WILL) !== 0;
  const willQos = (flags >> CONNECT_FLAG_WILL_QOS_SHIFT) & 3;
  const willRetain = (flags & CONNECT_FLAG_WILL_RETAIN) !== 0;
  // [MQTT-3.1.2-11], [MQTT-3.1.2-13], [MQTT-3.1.2-15]
  if (!hasWill && (willQos !== 0 || willRetain)) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_CONNECT_FLAGS, "CONNECT will QoS/retain set without will flag");
  }
  if (willQos === 3) throw new ProtocolViolation(ProtocolErrorCode.INVALID_QOS, "CONNECT will QoS 3"); // [MQTT-3.1.2-14]
  const hasUsername = (flags & CONNECT_FLAG_USERNAME) !== 0;
  const hasPassword = (flags & CONNECT_FLAG_PASSWORD) !== 0;
  // [MQTT-3.1.2-22]
  if (hasPassword && !hasUsername) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_CONNECT_FLAGS, "CONNECT password flag without username flag");
  }
  const keepAlive = r.u16("keep alive");
  const clientId = r.string("client identifier");
  const packet: ConnectPacket = {
    type: "connect",
    clientId,
    cleanSession: (flags & CONNECT_FLAG_CLEAN_SESSION) !== 0,
    keepAlive,
  };
  if (hasWill) {
    const topic = r.string("will topic");
    const topicProblem = topicNameProblem(topic);
    if (topicProblem !== null) throw new ProtocolViolation(ProtocolErrorCode.INVALID_TOPIC, `will: ${topicProblem}`);
    const will: Will = { topic, payload: r.binary("will payload"), qos: willQos as QoS, retain: willRetain };
    packet.will = will;
  }
  if (hasUsername) packet.username = r.string("user name");
  if (hasPassword) packet.password = r.binary("password");
  return packet;
}

function decodeConnack(r: BodyReader): MqttPacket {
  const ackFlags = r.u8("connack flags");
  const returnCode = r.u8("connack return code");
  // Bits 7-1 of the acknowledge flags are reserved (section 3.2.2.1); return codes 6-255 too (3.2.2.3).
  if ((ackFlags & 0xfe) !== 0) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_CONNACK_FLAGS, `CONNACK reserved flag bits set: ${ackFlags}`);
  }
  if (returnCode > 5) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_RETURN_CODE, `CONNACK reserved return code ${returnCode}`);
  }
  const sessionPresent = ackFlags === 1;
  // [MQTT-3.2.2-4]
  if (sessionPresent && returnCode !== 0) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_CONNACK_FLAGS, "CONNACK session present with a non-zero return code");
  }
  return { type: "connack", sessionPresent, returnCode: returnCode as ConnackReturnCode };
}

function decodePublish(header: number, r: BodyReader): MqttPacket {
  const qos = ((header >> PUBLISH_QOS_SHIFT) & 3) as QoS;
  const topic = r.string("topic name");
  const topicProblem = topicNameProblem(topic); // [MQTT-3.3.2-2], section 4.7
  if (topicProblem !== null) throw new ProtocolViolation(ProtocolErrorCode.INVALID_TOPIC, topicProblem);
  const retain = (header & PUBLISH_FLAG_RETAIN) !== 0;
  const dup = (header & PUBLISH_FLAG_DUP) !== 0;
  if (qos === 0) return { type: "publish", topic, payload: r.rest(), qos, retain, dup };
  const packetId = r.packetId();
  return { type: "publish", topic, payload: r.rest(), qos, retain, dup, packetId };
}

function decodeSubscribe(r: BodyReader): MqttPacket {
  const packetId = r.packetId();
  const subscriptions: Subscription[] = [];
  while (r.remaining > 0) {
    const topicFilter = r.string("topic filter");
    const problem = topicFilterProblem(topicFilter);
    if (problem !== null) throw new ProtocolViolation(ProtocolErrorCode.INVALID_TOPIC, problem);
    const options = r.u8("requested QoS");
    // [MQTT-3-8.3-4] (so numbered in the standard)
    if ((options & 0xfc) !== 0) {
      throw new ProtocolViolation(ProtocolErrorCode.INVALID_SUBSCRIPTION_OPTIONS, `SUBSCRIBE reserved option bits set: ${options}`);
    }
    if (options === 3) throw new ProtocolViolation(ProtocolErrorCode.INVALID_QOS, "SUBSCRIBE requested QoS 3");
    subscriptions.push({ topicFilter, qos: options as QoS });
  }
  // [MQTT-3.8.3-3]
  if (subscriptions.length === 0) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_PACKET_LENGTH, "SUBSCRIBE without subscriptions");
  }
  return { type: "subscribe", packetId, subscriptions };
}

function decodeSuback(r: BodyReader): MqttPacket {
  const packetId = r.packetId();
  const returnCodes: SubackReturnCode[] = [];
  while (r.remaining > 0) {
    const code = r.u8("SUBACK return code");
    // [MQTT-3.9.3-2]
    if (code > 2 && code !== SUBACK_FAILURE) {
      throw new ProtocolViolation(ProtocolErrorCode.INVALID_RETURN_CODE, `SUBACK return code ${code}`);
    }
    returnCodes.push(code as SubackReturnCode);
  }
  if (returnCodes.length === 0) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_PACKET_LENGTH, "SUBACK without return codes");
  }
  return { type: "suback", packetId, returnCodes };
}

function decodeUnsubscribe(r: BodyReader): MqttPacket {
  const packetId = r.packetId();
  const topicFilters: string[] = [];
  while (r.remaining > 0) {
    const topicFilter = r.string("topic filter");
    const problem = topicFilterProblem(topicFilter);
    if (problem !== null) throw new ProtocolViolation(ProtocolErrorCode.INVALID_TOPIC, problem);
    topicFilters.push(topicFilter);
  }
  // [MQTT-3.10.3-2]
  if (topicFilters.length === 0) {
    throw new ProtocolViolation(ProtocolErrorCode.INVALID_PACKET_LENGTH, "UNSUBSCRIBE without topic filters");
  }
  return { type: "unsubscribe", packetId, topicFilters };
}

/** Bounds-checked reads over one packet body. */
class BodyReader {
  private readonly bytes: Uint8Array;
  private readonly end: number;
  private pos: number;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, field: string): void {
    if (n > this.end - this.pos) {
      throw new ProtocolViolation(
        ProtocolErrorCode.FIELD_OUT_OF_BOUNDS,
        `${field} needs ${n} bytes, ${this.end - this.pos} left in packet`,
      );
    }
  }

  byteAt(k: number): number {
    return this.bytes[this.pos + k]!;
  }

  skip(n: number): void {
    this.pos += n;
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  packetId(): number {
    const id = this.u16("packet identifier");
    if (id === 0) throw new ProtocolViolation(ProtocolErrorCode.INVALID_PACKET_ID, "packet identifier 0"); // [MQTT-2.3.1-1]
    return id;
  }

  string(field: string): string {
    const n = this.u16(`${field} length`);
    this.need(n, field);
    const start = this.pos;
    const end = start + n;
    for (let i = start; i < end; i++) {
      if (this.bytes[i] === 0) throw new ProtocolViolation(ProtocolErrorCode.NULL_CHARACTER, `U+0000 in ${field}`); // [MQTT-1.5.3-2]
    }
    const s = decodeUtf8(this.bytes, start, end);
    if (s === null) throw new ProtocolViolation(ProtocolErrorCode.INVALID_UTF8, `malformed UTF-8 in ${field}`); // [MQTT-1.5.3-1]
    this.pos = end;
    return s;
  }

  binary(field: string): Uint8Array {
    const n = this.u16(`${field} length`);
    this.need(n, field);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  rest(): Uint8Array {
    const out = this.bytes.slice(this.pos, this.end);
    this.pos = this.end;
    return out;
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new ProtocolViolation(
        ProtocolErrorCode.INVALID_PACKET_LENGTH,
        `${this.end - this.pos} bytes left over after ${what}`,
      );
    }
  }
}
