/**
 * MQTT 3.1.1 control packets as plain objects.
 *
 * `PacketTypeCode` holds the 4-bit type numbers of the fixed header;
 * `MqttPacket` is the discriminated union (on `type`) that the encoder takes
 * and the parser delivers. Binary fields (payloads, password) are Uint8Array.
 * Optional fields are absent (not `undefined`) in parsed packets.
 */
export const PacketTypeCode = Object.freeze({
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const);

export type PacketTypeCode = (typeof PacketTypeCode)[keyof typeof PacketTypeCode];

/** MQTT 3.1.1 protocol level carried in CONNECT. */
export const PROTOCOL_LEVEL_3_1_1 = 4;

export type QoS = 0 | 1 | 2;

/** CONNACK return codes defined by MQTT 3.1.1; 6..255 are reserved. */
export const ConnackReturnCode = Object.freeze({
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL_VERSION: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const);

export type ConnackReturnCode = (typeof ConnackReturnCode)[keyof typeof ConnackReturnCode];

/** SUBACK return code for a refused subscription. */
export const SUBACK_FAILURE = 0x80;

/** Per-subscription SUBACK return code: the granted QoS, or 0x80 for failure. */
export type SubackReturnCode = QoS | typeof SUBACK_FAILURE;

export interface Will {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface ConnectPacket {
  type: "connect";
  clientId: string;
  cleanSession: boolean;
  /** Seconds, 0..65535. */
  keepAlive: number;
  will?: Will;
  username?: string;
  /** MQTT 3.1.1 allows a password only together with a username. */
  password?: Uint8Array;
}

export interface ConnackPacket {
  type: "connack";
  /** Must be false when returnCode is not 0. */
  sessionPresent: boolean;
  returnCode: ConnackReturnCode;
}

export interface PublishPacket {
  type: "publish";
  /** A topic name: non-empty, no wildcards. */
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** Must be false for QoS 0. */
  dup: boolean;
  /** 1..65535; present exactly when qos > 0. */
  packetId?: number;
}

export interface PubackPacket {
  type: "puback";
  packetId: number;
}

export interface PubrecPacket {
  type: "pubrec";
  packetId: number;
}

export interface PubrelPacket {
  type: "pubrel";
  packetId: number;
}

export interface PubcompPacket {
  type: "pubcomp";
  packetId: number;
}

export interface Subscription {
  topicFilter: string;
  qos: QoS;
}

export interface SubscribePacket {
  type: "subscribe";
  packetId: number;
  /** At least one. */
  subscriptions: Subscription[];
}

export interface SubackPacket {
  type: "suback";
  packetId: number;
  /** One per subscription of the SUBSCRIBE, at least one. */
  returnCodes: SubackReturnCode[];
}

export interface UnsubscribePacket {
  type: "unsubscribe";
  packetId: number;
  /** At least one. */
  topicFilters: string[];
}

export interface UnsubackPacket {
  type: "unsuback";
  packetId: number;
}

export interface PingreqPacket {
  type: "pingreq";
}

export interface PingrespPacket {
  type: "pingresp";
}

export interface DisconnectPacket {
  type: "disconnect";
}

export type MqttPacket =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket;
