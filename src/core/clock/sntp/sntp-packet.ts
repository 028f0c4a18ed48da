import { readUint32, writeUint32 } from "./ntp-timestamp";

/**
 * The 48-byte SNTP v4 header (RFC 4330 / RFC 5905 §7.3). Longer datagrams
 * (extension fields, MAC) are accepted; only the header is read.
 */
export const NTP_PACKET_SIZE = 48;
export const NTP_PORT = 123;

const NTP_MODE_CLIENT = 3;
export const NTP_MODE_SERVER = 4;
const NTP_VERSION = 4;
export const NTP_LEAP_UNSYNCHRONIZED = 3;
export const NTP_MAX_STRATUM = 15;

/** A decoded header. Timestamps stay as (seconds, fraction) pairs; `ntpToUtcMs` converts. */
export interface SntpReply {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  poll: number;
  /** log2 seconds, signed. */
  precision: number;
  rootDelayMs: number;
  rootDispersionMs: number;
  /** Reference id; for stratum 0 the four-letter kiss code. */
  referenceId: number;
  referenceSeconds: number;
  referenceFraction: number;
  originateSeconds: number;
  originateFraction: number;
  receiveSeconds: number;
  receiveFraction: number;
  transmitSeconds: number;
  transmitFraction: number;
}

export function createSntpReply(): SntpReply {
  return {
    leap: 0, version: 0, mode: 0, stratum: 0, poll: 0, precision: 0,
    rootDelayMs: 0, rootDispersionMs: 0, referenceId: 0,
    referenceSeconds: 0, referenceFraction: 0,
    originateSeconds: 0, originateFraction: 0,
    receiveSeconds: 0, receiveFraction: 0,
    transmitSeconds: 0, transmitFraction: 0,
  };
}

/** NTP short format (16.16 seconds) in milliseconds. */
function shortToMs(v: number): number {
  return (v * 1000) / 65536;
}

/**
 * Fills `out` from a received datagram. Returns false (and leaves `out`
 * partly unchanged) when it is shorter than the header; never throws.
 */
export function decodeSntpReply(bytes: Uint8Array, out: SntpReply): boolean {
  if (bytes.length < NTP_PACKET_SIZE) return false;
  const b0 = bytes[0]!;
  out.leap = b0 >>> 6;
  out.version = (b0 >>> 3) & 7;
  out.mode = b0 & 7;
  out.stratum = bytes[1]!;
  out.poll = bytes[2]! > 127 ? bytes[2]! - 256 : bytes[2]!;
  out.precision = bytes[3]! > 127 ? bytes[3]! - 256 : bytes[3]!;
  out.rootDelayMs = shortToMs(readUint32(bytes, 4));
  out.rootDispersionMs = shortToMs(readUint32(bytes, 8));
  out.referenceId = readUint32(bytes, 12);
  out.referenceSeconds = readUint32(bytes, 16);
  out.referenceFraction = readUint32(bytes, 20);
  out.originateSeconds = readUint32(bytes, 24);
  out.originateFraction = readUint32(bytes, 28);
  out.receiveSeconds = readUint32(bytes, 32);
  out.receiveFraction = readUint32(bytes, 36);
  out.transmitSeconds = readUint32(bytes, 40);
  out.transmitFraction = readUint32(bytes, 44);
  return true;
}

/**
 * Writes a client request into `out` (at least 48 bytes): LI 0, version 4,
 * mode 3, everything zero except the transmit timestamp, which carries the
 * caller's random 64-bit nonce (the server echoes it as originate). Sending
 * no real time keeps the client's clock private (as chrony does).
 */
export function encodeSntpRequest(out: Uint8Array, nonceHigh: number, nonceLow: number): void {
  out.fill(0, 0, NTP_PACKET_SIZE);
  out[0] = (0 << 6) | (NTP_VERSION << 3) | NTP_MODE_CLIENT;
  writeUint32(out, 40, nonceHigh >>> 0);
  writeUint32(out, 44, nonceLow >>> 0);
}
