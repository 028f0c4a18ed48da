/**
 * NTP timestamps (RFC 5905 §6): 32 bits of seconds since 1900-01-01 and 32
 * bits of fraction. The seconds wrap every 2^32 s (~136 years): era 0 ends
 * 2036-02-07T06:28:16Z. A timestamp alone does not say its era; the reader
 * picks the era that puts it closest to a pivot: the local UTC estimate once
 * the clock is synced, otherwise DEFAULT_ERA_PIVOT_UTC_MS, which makes the
 * choice RFC 4330's (seconds with the top bit set are 1968-2036, the others
 * 2036-2104).
 */

/** Milliseconds between 1900-01-01 (NTP) and 1970-01-01 (Unix). */
export const NTP_UNIX_EPOCH_OFFSET_MS = 2208988800000;
/** Length of one NTP era in milliseconds (2^32 s). */
export const NTP_ERA_MS = 4294967296000;
/** 2036-02-07T06:28:16Z, the start of NTP era 1. */
export const NTP_ERA1_START_UTC_MS = NTP_ERA_MS - NTP_UNIX_EPOCH_OFFSET_MS;
export const DEFAULT_ERA_PIVOT_UTC_MS = NTP_ERA1_START_UTC_MS;

const MS_PER_FRACTION = 1000 / 4294967296;
const FRACTIONS_PER_MS = 4294967.296;

/** Unix-epoch milliseconds of (seconds, fraction) in the era closest to `pivotUtcMs`. */
export function ntpToUtcMs(seconds: number, fraction: number, pivotUtcMs: number): number {
  const era0 = seconds * 1000 + fraction * MS_PER_FRACTION - NTP_UNIX_EPOCH_OFFSET_MS;
  if (!Number.isFinite(pivotUtcMs)) pivotUtcMs = DEFAULT_ERA_PIVOT_UTC_MS; // NaN and ±Infinity
  // The era that puts the result in [pivot − half an era, pivot + half an era).
  const k = Math.ceil((pivotUtcMs - era0) / NTP_ERA_MS - 0.5);
  return era0 + k * NTP_ERA_MS;
}

/** Reads a big-endian unsigned 32-bit integer. */
export function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Writes a big-endian unsigned 32-bit integer. */
export function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 24) & 0xff;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** Writes the NTP timestamp of a Unix-epoch millisecond time (any era) at `at` (8 bytes). */
export function writeNtpTimestamp(bytes: Uint8Array, at: number, utcMs: number): void {
  const total = utcMs + NTP_UNIX_EPOCH_OFFSET_MS;
  const wholeSeconds = Math.floor(total / 1000);
  let fraction = Math.floor((total - wholeSeconds * 1000) * FRACTIONS_PER_MS);
  // Defensive: the remainder is in [0, 1000), so the fraction is already in range for any time tried.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: not reached (see above)
  if (fraction > 0xffffffff) fraction = 0xffffffff;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: not reached (see above)
  if (fraction < 0) fraction = 0;
  writeUint32(bytes, at, wholeSeconds); // its low 32 bits: the seconds within their era
  writeUint32(bytes, at + 4, fraction);
}
