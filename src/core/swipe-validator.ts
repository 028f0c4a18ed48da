import { MAX_PLAUSIBLE_TIME_MS, MIN_PLAUSIBLE_TIME_MS, parseTimeMs } from "./event-time";
import { looksLikeCardNumber } from "./card-number-check";
import { RejectReason } from "./reject-reason";
import type { Swipe } from "./swipe";

export interface ValidationLimits {
  /** Longest accepted identifier (transaction, card hash, terminal, merchant). */
  maxIdLength: number;
  /** Largest accepted amount in cents; anything above is absurd for a terminal. */
  maxAmountCents: number;
  /** How far the event time may be ahead of the terminal time. */
  maxFutureSkewMs: number;
}

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = {
  maxIdLength: 64,
  maxAmountCents: 10_000_000,
  maxFutureSkewMs: 10 * 60_000,
};

/** What was wrong with a refused swipe. Reused between calls: copy what you keep. */
export interface RejectInfo {
  reason: RejectReason;
  /** The schema field at fault, or "" for the record as a whole. */
  field: string;
  detail: string;
}

export function createRejectInfo(): RejectInfo {
  return { reason: RejectReason.NOT_AN_OBJECT, field: "", detail: "" };
}

function fail(out: RejectInfo, reason: RejectReason, field: string, detail: string): false {
  out.reason = reason;
  out.field = field;
  out.detail = detail;
  return false;
}

/** Identifiers travel into topics, logs and alert ids: letters, digits, `_ - . :` only. */
function hasOnlyIdCharacters(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
      c === 95 || c === 45 || c === 46 || c === 58;
    if (!ok) return false;
  }
  return true;
}

function checkId(rec: Record<string, unknown>, field: string, limits: ValidationLimits, out: RejectInfo): string | false {
  const v = rec[field];
  if (v === undefined || v === null) return fail(out, RejectReason.MISSING_FIELD, field, `${field} is required`);
  if (typeof v !== "string") return fail(out, RejectReason.WRONG_TYPE, field, `${field} must be a string, got ${typeof v}`);
  if (v.length === 0) return fail(out, RejectReason.EMPTY_STRING, field, `${field} is empty`);
  if (v.length > limits.maxIdLength) {
    return fail(out, RejectReason.STRING_TOO_LONG, field, `${field} has ${v.length} characters, limit ${limits.maxIdLength}`);
  }
  if (!hasOnlyIdCharacters(v)) return fail(out, RejectReason.BAD_CHARACTERS, field, `${field} may hold only letters, digits and _ - . :`);
  return v;
}

function checkTime(rec: Record<string, unknown>, field: string, out: RejectInfo): number | false {
  const v = rec[field];
  if (v === undefined || v === null) return fail(out, RejectReason.MISSING_FIELD, field, `${field} is required`);
  if (typeof v !== "number" && typeof v !== "string") {
    return fail(out, RejectReason.WRONG_TYPE, field, `${field} must be epoch milliseconds or an ISO-8601 string`);
  }
  const ms = parseTimeMs(v);
  if (ms !== ms) return fail(out, RejectReason.BAD_TIME, field, `${field} is not a finite time (epoch ms or ISO-8601 with Z or offset)`);
  if (ms < MIN_PLAUSIBLE_TIME_MS || ms > MAX_PLAUSIBLE_TIME_MS) {
    return fail(out, RejectReason.BAD_TIME, field, `${field} is outside 2000..2100`);
  }
  return ms;
}

/**
 * Checks one raw record (parsed JSON, or a reader's object) against the
 * payment schema and fills `swipe`. Returns true when accepted; otherwise
 * fills `out` with a specific reason and returns false. Never throws for any
 * input value.
 */
export function validateSwipe(input: unknown, limits: ValidationLimits, swipe: Swipe, out: RejectInfo): boolean {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return fail(out, RejectReason.NOT_AN_OBJECT, "", "a swipe must be a JSON object");
  }
  const rec = input as Record<string, unknown>;

  const txId = checkId(rec, "transaction_id", limits, out);
  if (txId === false) return false;
  const cardHash = checkId(rec, "card_hash", limits, out);
  if (cardHash === false) return false;
  if (looksLikeCardNumber(cardHash)) {
    return fail(out, RejectReason.CARD_NUMBER_IN_CARD_HASH, "card_hash", "card_hash looks like a card number; send only its hash");
  }
  const terminalId = checkId(rec, "terminal_id", limits, out);
  if (terminalId === false) return false;
  const merchantId = checkId(rec, "merchant_id", limits, out);
  if (merchantId === false) return false;

  const amount = rec.amount_cents;
  if (amount === undefined || amount === null) return fail(out, RejectReason.MISSING_FIELD, "amount_cents", "amount_cents is required");
  if (typeof amount !== "number") return fail(out, RejectReason.WRONG_TYPE, "amount_cents", `amount_cents must be a number, got ${typeof amount}`);
  if (!Number.isInteger(amount)) return fail(out, RejectReason.AMOUNT_NOT_INTEGER, "amount_cents", "amount_cents must be a whole number of cents");
  if (amount <= 0) return fail(out, RejectReason.AMOUNT_NOT_POSITIVE, "amount_cents", "amount_cents must be positive");
  if (amount > limits.maxAmountCents) {
    return fail(out, RejectReason.AMOUNT_TOO_LARGE, "amount_cents", `amount_cents ${amount} exceeds the limit ${limits.maxAmountCents}`);
  }

  const currency = rec.currency;
  if (currency === undefined || currency === null) return fail(out, RejectReason.MISSING_FIELD, "currency", "currency is required");
  if (typeof currency !== "string") return fail(out, RejectReason.WRONG_TYPE, "currency", `currency must be a string, got ${typeof currency}`);
  if (currency.length !== 3 || !isUpperAsciiLetter(currency, 0) || !isUpperAsciiLetter(currency, 1) || !isUpperAsciiLetter(currency, 2)) {
    return fail(out, RejectReason.BAD_CURRENCY, "currency", "currency must be three upper-case letters (ISO 4217)");
  }

  const loc = rec.location;
  if (loc === undefined || loc === null) return fail(out, RejectReason.MISSING_FIELD, "location", "location is required");
  if (typeof loc !== "object" || Array.isArray(loc)) return fail(out, RejectReason.WRONG_TYPE, "location", "location must be an object {lat, lon}");
  const lat = (loc as Record<string, unknown>).lat;
  const lon = (loc as Record<string, unknown>).lon;
  if (lat === undefined || lat === null) return fail(out, RejectReason.MISSING_FIELD, "location.lat", "location.lat is required");
  if (typeof lat !== "number") return fail(out, RejectReason.WRONG_TYPE, "location.lat", "location.lat must be a number");
  if (!(lat >= -90 && lat <= 90)) return fail(out, RejectReason.LAT_OUT_OF_RANGE, "location.lat", "location.lat must be within -90..90");
  if (lon === undefined || lon === null) return fail(out, RejectReason.MISSING_FIELD, "location.lon", "location.lon is required");
  if (typeof lon !== "number") return fail(out, RejectReason.WRONG_TYPE, "location.lon", "location.lon must be a number");
  if (!(lon >= -180 && lon <= 180)) return fail(out, RejectReason.LON_OUT_OF_RANGE, "location.lon", "location.lon must be within -180..180");

  const eventTime = checkTime(rec, "timestamp", out);
  if (eventTime === false) return false;
  const procTime = checkTime(rec, "terminal_time", out);
  if (procTime === false) return false;
  if (eventTime - procTime > limits.maxFutureSkewMs) {
    return fail(out, RejectReason.EVENT_TIME_IN_FUTURE, "timestamp",
      `timestamp is ${eventTime - procTime} ms ahead of terminal_time (limit ${limits.maxFutureSkewMs} ms)`);
  }

  swipe.transaction_id = txId;
  swipe.card_hash = cardHash;
  swipe.terminal_id = terminalId;
  swipe.merchant_id = merchantId;
  swipe.amount_cents = amount;
  swipe.currency = currency;
  swipe.lat = lat;
  swipe.lon = lon;
  swipe.timestamp = eventTime;
  swipe.terminal_time = procTime;
  return true;
}

function isUpperAsciiLetter(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 65 && c <= 90;
}
