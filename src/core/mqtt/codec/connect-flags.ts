/** Bits of the CONNECT packet's flags byte (MQTT 3.1.1 §3.1.2.3), shared by encoder and decoder. */
export const CONNECT_FLAG_USERNAME = 0x80;
export const CONNECT_FLAG_PASSWORD = 0x40;
export const CONNECT_FLAG_WILL_RETAIN = 0x20;
export const CONNECT_FLAG_WILL_QOS_SHIFT = 3;
export const CONNECT_FLAG_WILL = 0x04;
export const CONNECT_FLAG_CLEAN_SESSION = 0x02;
export const CONNECT_FLAG_RESERVED = 0x01;
