import { enumValues, zeroCounts } from "../../lib/enum-values";

/**
 * Why the packet parser stopped. The parser reports exactly one of these
 * through `onError(code, detail)`, counts it, and then ignores input until
 * `reset()`. None of them is thrown out of `PacketParser.feed`.
 *
 * All codes but the last two are MQTT protocol violations of the input.
 */
export const ProtocolErrorCode = Object.freeze({
  /** Packet type 0 or 15 in the fixed header. */
  RESERVED_PACKET_TYPE: "RESERVED_PACKET_TYPE",
  /** Fixed-header flag bits wrong for the type (PUBREL/SUBSCRIBE/UNSUBSCRIBE need 0b0010, other non-PUBLISH 0), or DUP set on a QoS 0 PUBLISH. */
  INVALID_HEADER_FLAGS: "INVALID_HEADER_FLAGS",
  /** QoS 3 in a PUBLISH header, a CONNECT will, or a SUBSCRIBE request. */
  INVALID_QOS: "INVALID_QOS",
  /** Remaining length uses more than 4 bytes, or more bytes than its value needs. */
  MALFORMED_REMAINING_LENGTH: "MALFORMED_REMAINING_LENGTH",
  /** The whole packet (fixed header included) would exceed maxPacketSize. */
  PACKET_TOO_LARGE: "PACKET_TOO_LARGE",
  /** Remaining length impossible for the type: wrong size for a fixed-size packet, bytes left over after the last field, or an empty subscription / return-code / topic-filter list. */
  INVALID_PACKET_LENGTH: "INVALID_PACKET_LENGTH",
  /** A field or length prefix reaches past the end of the packet. */
  FIELD_OUT_OF_BOUNDS: "FIELD_OUT_OF_BOUNDS",
  /** A string is not well-formed UTF-8 (overlong, surrogate, above U+10FFFF, truncated sequence). */
  INVALID_UTF8: "INVALID_UTF8",
  /** A string contains U+0000, which MQTT forbids. */
  NULL_CHARACTER: "NULL_CHARACTER",
  /** CONNECT protocol name is not "MQTT". */
  INVALID_PROTOCOL_NAME: "INVALID_PROTOCOL_NAME",
  /** CONNECT protocol level is not 4 (MQTT 3.1.1). */
  UNSUPPORTED_PROTOCOL_LEVEL: "UNSUPPORTED_PROTOCOL_LEVEL",
  /** CONNECT flags: reserved bit set, will QoS/retain without will flag, or password without username. */
  INVALID_CONNECT_FLAGS: "INVALID_CONNECT_FLAGS",
  /** CONNACK acknowledge flags: reserved bits set, or session present with a non-zero return code. */
  INVALID_CONNACK_FLAGS: "INVALID_CONNACK_FLAGS",
  /** CONNACK return code above 5, or SUBACK return code other than 0, 1, 2, 0x80. */
  INVALID_RETURN_CODE: "INVALID_RETURN_CODE",
  /** Packet identifier 0. */
  INVALID_PACKET_ID: "INVALID_PACKET_ID",
  /** Empty topic, wildcard in a topic name, or misplaced wildcard in a topic filter. */
  INVALID_TOPIC: "INVALID_TOPIC",
  /** SUBSCRIBE requested-QoS byte with reserved bits 7..2 set. */
  INVALID_SUBSCRIPTION_OPTIONS: "INVALID_SUBSCRIPTION_OPTIONS",
  /** Not a protocol violation: onPacket threw, or feed() was called from inside a callback. */
  HANDLER_ERROR: "HANDLER_ERROR",
  /** Not a protocol violation: a bug in the parser itself was caught. Should never be counted. */
  INTERNAL_ERROR: "INTERNAL_ERROR",
} as const);

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export const PROTOCOL_ERROR_CODES: readonly ProtocolErrorCode[] = enumValues(ProtocolErrorCode);

/** Counters per error code, all present from the start. */
export type ProtocolErrorCounts = Record<ProtocolErrorCode, number>;

export function createProtocolErrorCounts(): ProtocolErrorCounts {
  return zeroCounts(PROTOCOL_ERROR_CODES);
}

/**
 * Thrown by the packet decoder for malformed input and caught by the parser,
 * which turns it into an `onError` report. Callers of `decodePacket` catch it.
 */
export class ProtocolViolation extends Error {
  // A class field, not `this.name = ...`: in a preloaded module (Moddable)
  // Error.prototype is frozen and assigning its inherited `name` throws.
  override name = "ProtocolViolation";
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, detail: string) {
    super(detail);
    this.code = code;
  }
}
