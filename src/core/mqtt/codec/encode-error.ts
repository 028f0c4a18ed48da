/**
 * Why the encoder refused a packet. `encodedLength`, `encodeInto` and
 * `encodePacket` throw `MqttEncodeError` (never return partial or guessed
 * bytes); its `code` is one of these.
 */
export const EncodeErrorCode = Object.freeze({
  /** `type` is not one of the MQTT 3.1.1 packet types. */
  UNKNOWN_PACKET_TYPE: "UNKNOWN_PACKET_TYPE",
  /** Packet identifier missing, not an integer, or outside 1..65535. */
  INVALID_PACKET_ID: "INVALID_PACKET_ID",
  /** QoS not 0, 1 or 2. */
  INVALID_QOS: "INVALID_QOS",
  /** DUP set on a QoS 0 PUBLISH, or a boolean flag that is not a boolean. */
  INVALID_FLAGS: "INVALID_FLAGS",
  /** PUBLISH / will topic empty or containing '+' or '#'. */
  INVALID_TOPIC_NAME: "INVALID_TOPIC_NAME",
  /** Topic filter empty or with a misplaced wildcard. */
  INVALID_TOPIC_FILTER: "INVALID_TOPIC_FILTER",
  /** Not a string, or contains a lone surrogate or U+0000. */
  INVALID_STRING: "INVALID_STRING",
  /** Binary field (payload, password) is not a Uint8Array. */
  INVALID_BINARY: "INVALID_BINARY",
  /** String or binary field longer than 65535 bytes. */
  FIELD_TOO_LONG: "FIELD_TOO_LONG",
  /** Other field out of range: keep-alive, empty client id without clean session, password without username, CONNACK/SUBACK return code, empty list, session present with a refusal. */
  INVALID_FIELD: "INVALID_FIELD",
  /** Remaining length above 268435455. */
  PACKET_TOO_LARGE: "PACKET_TOO_LARGE",
  /** encodeInto: offset invalid or the target too small. Nothing was written. */
  BUFFER_TOO_SMALL: "BUFFER_TOO_SMALL",
  /** Encoder bug: bytes written differ from the size computed. */
  LENGTH_MISMATCH: "LENGTH_MISMATCH",
} as const);

export type EncodeErrorCode = (typeof EncodeErrorCode)[keyof typeof EncodeErrorCode];

/** The encoder's refusal of a packet: `code` says why, the message names the field. */
export class MqttEncodeError extends Error {
  // A class field, not `this.name = ...`: in a preloaded module (Moddable)
  // Error.prototype is frozen and assigning its inherited `name` throws.
  override name = "MqttEncodeError";
  readonly code: EncodeErrorCode;

  constructor(code: EncodeErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}
