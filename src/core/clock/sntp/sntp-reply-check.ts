import type { SntpReply } from "./sntp-packet";
import { NTP_LEAP_UNSYNCHRONIZED, NTP_MAX_STRATUM, NTP_MODE_SERVER } from "./sntp-packet";
import { SntpRejectReason } from "./sntp-reject-reason";

/** Kiss codes (RFC 5905 §7.4), as the reference id's four ASCII bytes. */
export const KISS_DENY = 0x44454e59; // "DENY"
export const KISS_RSTR = 0x52535452; // "RSTR"
export const KISS_RATE = 0x52415445; // "RATE"

/**
 * Checks a decoded reply against the request it should answer (whose
 * random transmit timestamp was `nonceHigh:nonceLow`). Returns null when the
 * reply is a usable time sample, otherwise why not: RFC 4330 section 5's checks
 * of a reply (mode 4, the version asked, the origin echoing our transmit
 * timestamp, leap indicator not 3, stratum 1-15, non-zero timestamps) and the
 * Kiss-o'-Death (stratum 0, RFC 4330 section 8). The origin is checked
 * before the kiss code: an unauthenticated Kiss-o'-Death must not make the
 * client drop a server (RFC 5905 §7.4).
 */
export function checkSntpReply(r: SntpReply, nonceHigh: number, nonceLow: number): SntpRejectReason | null {
  if (r.mode !== NTP_MODE_SERVER) return SntpRejectReason.BAD_MODE;
  if (r.version !== 3 && r.version !== 4) return SntpRejectReason.BAD_VERSION;
  if (r.originateSeconds !== nonceHigh >>> 0 || r.originateFraction !== nonceLow >>> 0) return SntpRejectReason.ORIGIN_MISMATCH;
  if (r.stratum === 0) {
    switch (r.referenceId) {
      case KISS_DENY:
        return SntpRejectReason.KOD_DENY;
      case KISS_RSTR:
        return SntpRejectReason.KOD_RSTR;
      case KISS_RATE:
        return SntpRejectReason.KOD_RATE;
      default:
        return SntpRejectReason.KOD_OTHER;
    }
  }
  if (r.leap === NTP_LEAP_UNSYNCHRONIZED) return SntpRejectReason.UNSYNCHRONIZED;
  if (r.stratum > NTP_MAX_STRATUM) return SntpRejectReason.BAD_STRATUM;
  if (r.transmitSeconds === 0 && r.transmitFraction === 0) return SntpRejectReason.ZERO_TRANSMIT;
  if (r.receiveSeconds === 0 && r.receiveFraction === 0) return SntpRejectReason.ZERO_RECEIVE;
  return null;
}
