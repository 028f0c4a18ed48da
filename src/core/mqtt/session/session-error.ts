import { ConnackReturnCode } from "../codec/packet-types";

/**
 * Why the MQTT session reports an error through `onError`. The session never
 * throws: every failure becomes one of these, is counted, and (for link
 * failures) leads to a reconnect with backoff.
 */
export const SessionErrorCode = Object.freeze({
  /** CONNACK 1: the broker does not speak MQTT 3.1.1. */
  UNACCEPTABLE_PROTOCOL_VERSION: "UNACCEPTABLE_PROTOCOL_VERSION",
  /** CONNACK 2: client identifier refused. */
  IDENTIFIER_REJECTED: "IDENTIFIER_REJECTED",
  /** CONNACK 3: broker up but MQTT service unavailable. */
  SERVER_UNAVAILABLE: "SERVER_UNAVAILABLE",
  /** CONNACK 4: bad user name or password. */
  BAD_USERNAME_OR_PASSWORD: "BAD_USERNAME_OR_PASSWORD",
  /** CONNACK 5: client not authorised to connect. */
  NOT_AUTHORIZED: "NOT_AUTHORIZED",
  /** The broker's bytes broke MQTT 3.1.1 (parser error) or its packets made no sense for a client (e.g. CONNACK twice). */
  PROTOCOL_ERROR: "PROTOCOL_ERROR",
  /** No PINGRESP (nor any other packet) within pingTimeoutMs of a PINGREQ. */
  KEEPALIVE_TIMEOUT: "KEEPALIVE_TIMEOUT",
  /** No accepted CONNACK within connectTimeoutMs of starting an attempt. */
  CONNECT_TIMEOUT: "CONNECT_TIMEOUT",
  /** The transport failed to connect or the connection closed. */
  TRANSPORT_CLOSED: "TRANSPORT_CLOSED",
  /** A publish or subscribe was refused before sending: invalid topic, too large, not encodable. */
  INVALID_MESSAGE: "INVALID_MESSAGE",
  /** A message to be sent again after a reconnect was no longer in the PublishStore: forgotten, not sent. */
  NOT_IN_STORE: "NOT_IN_STORE",
  /** The broker refused a subscription (SUBACK 0x80). */
  SUBSCRIBE_REFUSED: "SUBSCRIBE_REFUSED",
  /** A callback given to the session threw; the exception was caught. */
  CALLBACK_ERROR: "CALLBACK_ERROR",
  /** A bug in the session was caught; the connection was dropped. */
  INTERNAL_ERROR: "INTERNAL_ERROR",
} as const);

export type SessionErrorCode = (typeof SessionErrorCode)[keyof typeof SessionErrorCode];

export interface SessionError {
  code: SessionErrorCode;
  message: string;
}

/** The error for a CONNACK refusal code (1..5); PROTOCOL_ERROR for anything else. */
export function connackRefusalError(returnCode: number): SessionErrorCode {
  switch (returnCode) {
    case ConnackReturnCode.UNACCEPTABLE_PROTOCOL_VERSION:
      return SessionErrorCode.UNACCEPTABLE_PROTOCOL_VERSION;
    case ConnackReturnCode.IDENTIFIER_REJECTED:
      return SessionErrorCode.IDENTIFIER_REJECTED;
    case ConnackReturnCode.SERVER_UNAVAILABLE:
      return SessionErrorCode.SERVER_UNAVAILABLE;
    case ConnackReturnCode.BAD_USERNAME_OR_PASSWORD:
      return SessionErrorCode.BAD_USERNAME_OR_PASSWORD;
    case ConnackReturnCode.NOT_AUTHORIZED:
      return SessionErrorCode.NOT_AUTHORIZED;
    default:
      return SessionErrorCode.PROTOCOL_ERROR;
  }
}
