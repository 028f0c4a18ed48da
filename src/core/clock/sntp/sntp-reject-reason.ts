import { enumValues, zeroCounts } from "../../lib/enum-values";

/**
 * Why the SNTP client refused a datagram. Every refusal is counted under its
 * reason; none throws. Replies are checked in this order; the first failing
 * check names the reason.
 */
export const SntpRejectReason = Object.freeze({
  /** No request is outstanding to the sender's address and port (late, duplicate or stray datagram). */
  UNSOLICITED: "UNSOLICITED",
  /** Shorter than the 48-byte NTP header. */
  TOO_SHORT: "TOO_SHORT",
  /** Mode is not 4 (server). */
  BAD_MODE: "BAD_MODE",
  /** Version is not 3 or 4. */
  BAD_VERSION: "BAD_VERSION",
  /** The originate timestamp does not echo the random one sent: spoofed or stale. The request stays outstanding. */
  ORIGIN_MISMATCH: "ORIGIN_MISMATCH",
  /** Kiss-o'-Death DENY: access denied; the server is dropped. */
  KOD_DENY: "KOD_DENY",
  /** Kiss-o'-Death RSTR: access restricted; the server is dropped. */
  KOD_RSTR: "KOD_RSTR",
  /** Kiss-o'-Death RATE: polling too fast; the server's poll interval is doubled. */
  KOD_RATE: "KOD_RATE",
  /** Stratum 0 with any other kiss code. */
  KOD_OTHER: "KOD_OTHER",
  /** Leap indicator 3: the server's clock is not synchronized. */
  UNSYNCHRONIZED: "UNSYNCHRONIZED",
  /** Stratum 16..255. */
  BAD_STRATUM: "BAD_STRATUM",
  /** Transmit timestamp zero. */
  ZERO_TRANSMIT: "ZERO_TRANSMIT",
  /** Receive timestamp zero. */
  ZERO_RECEIVE: "ZERO_RECEIVE",
  /** Round-trip delay below zero: the server claims it held the request longer than the round trip took. */
  NEGATIVE_DELAY: "NEGATIVE_DELAY",
  /** Root delay / 2 + root dispersion above the configured limit: the server itself is too uncertain. */
  ROOT_DISTANCE: "ROOT_DISTANCE",
} as const);

export type SntpRejectReason = (typeof SntpRejectReason)[keyof typeof SntpRejectReason];

export const SNTP_REJECT_REASONS: readonly SntpRejectReason[] = enumValues(SntpRejectReason);

/** Counters per reject reason, all present from the start. */
export type SntpRejectCounts = Record<SntpRejectReason, number>;

export function createSntpRejectCounts(): SntpRejectCounts {
  return zeroCounts(SNTP_REJECT_REASONS);
}
