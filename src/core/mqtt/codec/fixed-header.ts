import { PacketTypeCode } from "./packet-types";
import { ProtocolErrorCode } from "./protocol-error";

/**
 * The first byte of every packet: type in bits 7..4, flags in bits 3..0 (section 2.2).
 * Only PUBLISH has meaningful flags (DUP, QoS, RETAIN); PUBREL, SUBSCRIBE
 * and UNSUBSCRIBE must carry 0b0010, every other type 0b0000 [MQTT-2.2.2-1], [MQTT-2.2.2-2].
 */

export const PUBLISH_FLAG_DUP = 0x08;
export const PUBLISH_FLAG_RETAIN = 0x01;
export const PUBLISH_QOS_SHIFT = 1;

/** The flags a non-PUBLISH packet type must carry. */
export function requiredHeaderFlags(typeCode: number): number {
  return typeCode === PacketTypeCode.PUBREL ||
    typeCode === PacketTypeCode.SUBSCRIBE ||
    typeCode === PacketTypeCode.UNSUBSCRIBE
    ? 0b0010
    : 0;
}

export interface HeaderProblem {
  code: ProtocolErrorCode;
  detail: string;
}

/** Null if `byte` is a valid MQTT 3.1.1 fixed-header first byte, else why not. */
export function fixedHeaderProblem(byte: number): HeaderProblem | null {
  const typeCode = byte >> 4;
  const flags = byte & 0x0f;
  // Types 0 and 15 are reserved (section 2.2.1).
  if (typeCode === 0 || typeCode === 15) {
    return { code: ProtocolErrorCode.RESERVED_PACKET_TYPE, detail: `reserved packet type ${typeCode}` };
  }
  if (typeCode === PacketTypeCode.PUBLISH) {
    const qos = (flags >> PUBLISH_QOS_SHIFT) & 3;
    if (qos === 3) return { code: ProtocolErrorCode.INVALID_QOS, detail: "PUBLISH with QoS 3" }; // [MQTT-3.3.1-4]
    // [MQTT-3.3.1-2]
    if (qos === 0 && (flags & PUBLISH_FLAG_DUP) !== 0) {
      return { code: ProtocolErrorCode.INVALID_HEADER_FLAGS, detail: "PUBLISH with DUP set and QoS 0" };
    }
    return null;
  }
  const required = requiredHeaderFlags(typeCode);
  if (flags !== required) {
    return {
      code: ProtocolErrorCode.INVALID_HEADER_FLAGS,
      detail: `packet type ${typeCode} needs header flags ${required}, got ${flags}`,
    };
  }
  return null;
}

/** The only remaining length valid for a fixed-size packet type, or -1 if the size varies. */
export function fixedRemainingLength(typeCode: number): number {
  switch (typeCode) {
    case PacketTypeCode.CONNACK:
    case PacketTypeCode.PUBACK:
    case PacketTypeCode.PUBREC:
    case PacketTypeCode.PUBREL:
    case PacketTypeCode.PUBCOMP:
    case PacketTypeCode.UNSUBACK:
      return 2;
    case PacketTypeCode.PINGREQ:
    case PacketTypeCode.PINGRESP:
    case PacketTypeCode.DISCONNECT:
      return 0;
    default:
      return -1;
  }
}
