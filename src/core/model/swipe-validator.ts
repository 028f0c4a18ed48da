import { MAX_PLAUSIBLE_TIME_MS, MIN_PLAUSIBLE_TIME_MS, epochMsOf } from "./event-time";
import { looksLikeCardNumber } from "./card-number-check";
import { RejectReason } from "./reject-reason";
import { codeUnitAt } from "../lib/string-scan";
import { hashOfLength } from "../lib/string-hash";
import type { Swipe } from "./swipe";

export interface ValidationLimits {
  /** Longest accepted identifier (transaction, card hash, terminal, merchant). */
  maxIdLength: number;
  /** Largest accepted amount in cents; anything above is absurd for a terminal. */
  maxAmountCents: number;
  /** How far the event time may be ahead of the terminal time. */
  maxFutureSkewMs: number;
}

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = Object.freeze({
  maxIdLength: 64,
  maxAmountCents: 10_000_000,
  maxFutureSkewMs: 10 * 60_000,
});

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

// Called on the string, not through it: XS wraps a string to read its properties.
const lastIndexOfFn = String.prototype.lastIndexOf;
const searchFn = String.prototype.search;

const SCAN_BAD_CHARACTER = -1;
const SCAN_TOO_LONG = -2;

/**
 * Checks raw records (parsed JSON, or a reader's object) against the payment
 * schema. Never throws for any input value, and allocates nothing on the
 * accepting path: identifiers are scanned without touching string properties
 * (see string-scan.ts), and the terminal, merchant and currency of the last
 * accepted swipe are recognised by identity.
 */
export class SwipeValidator {
  /**
   * A code unit an identifier may not hold (it may hold letters, digits and `_ - . :`); not
   * global, not sticky: it keeps no state. Made with the validator (not at load: on XS a module's load-time RegExp is in flash, where matching it crashes; preload-rules.test.ts).
   */
  private readonly notIdCharacter = /[^A-Za-z0-9_.:-]/;
  /** hashString() of the last accepted swipe's transaction_id. */
  transactionHash = 0;
  /** hashString() of the last accepted swipe's keys, for keyed state lookups. */
  readonly keyHashes = { card_hash: 0, merchant_id: 0, terminal_id: 0 };
  private scanHash = 0;
  private lastTerminal = "";
  private lastTerminalHash = 0;
  private lastMerchant = "";
  private lastMerchantHash = 0;
  private lastCurrency = "";

  constructor(readonly limits: ValidationLimits) {
    if (!Number.isInteger(limits.maxIdLength) || limits.maxIdLength < 1) throw new RangeError(`maxIdLength must be a positive integer, got ${limits.maxIdLength}`);
  }

  /**
   * Length of a well-formed id, or 0 (empty) / SCAN_BAD_CHARACTER / SCAN_TOO_LONG; its hash
   * (string-hash.ts's) is left in scanHash. Identifiers travel into topics, logs and alert ids:
   * letters, digits and `_ - . :` only. Native calls, allocation-free on a good id: its length
   * (lastIndexOf of "", called on the string so that XS does not wrap it) and one search for a
   * character outside the set, which finds none (a match would build a result: 6 slots); a loop
   * over the characters in JavaScript was ~40 XS steps a character.
   */
  private scanId(s: string): number {
    const n = lastIndexOfFn.call(s, "");
    if (n === 0 || n > this.limits.maxIdLength || this.notIdCharacter.test(s)) return this.idFault(s);
    this.scanHash = hashOfLength(s, n);
    return n;
  }

  /**
   * What is wrong with an id scanId refused, as a scan from its start meets it first: 0 (empty),
   * SCAN_BAD_CHARACTER (one within the length limit) or SCAN_TOO_LONG.
   */
  private idFault(s: string): number {
    if (lastIndexOfFn.call(s, "") === 0) return 0;
    const bad = searchFn.call(s, this.notIdCharacter);
    return bad >= 0 && bad < this.limits.maxIdLength ? SCAN_BAD_CHARACTER : SCAN_TOO_LONG;
  }

  private checkId(rec: Record<string, unknown>, field: string, out: RejectInfo): string | false {
    const v = rec[field];
    if (v === undefined || v === null) return fail(out, RejectReason.MISSING_FIELD, field, `${field} is required`);
    if (typeof v !== "string") return fail(out, RejectReason.WRONG_TYPE, field, `${field} must be a string, got ${typeof v}`);
    const n = this.scanId(v);
    if (n > 0) return v;
    if (n === 0) return fail(out, RejectReason.EMPTY_STRING, field, `${field} is empty`);
    if (n === SCAN_TOO_LONG) {
      return fail(out, RejectReason.STRING_TOO_LONG, field, `${field} has ${v.length} characters, limit ${this.limits.maxIdLength}`);
    }
    return fail(out, RejectReason.BAD_CHARACTERS, field, `${field} may hold only letters, digits and _ - . :`);
  }

  private checkTime(rec: Record<string, unknown>, field: string, out: RejectInfo): number | false {
    const v = rec[field];
    if (v === undefined || v === null) return fail(out, RejectReason.MISSING_FIELD, field, `${field} is required`);
    if (typeof v !== "number" && typeof v !== "string") {
      return fail(out, RejectReason.WRONG_TYPE, field, `${field} must be epoch milliseconds or an ISO-8601 string`);
    }
    const ms = epochMsOf(v);
    if (ms !== ms) return fail(out, RejectReason.BAD_TIME, field, `${field} is not a finite time (epoch ms or ISO-8601 with Z or offset)`);
    if (ms < MIN_PLAUSIBLE_TIME_MS || ms > MAX_PLAUSIBLE_TIME_MS) {
      return fail(out, RejectReason.BAD_TIME, field, `${field} is outside 2000..2100`);
    }
    return ms;
  }

  /**
   * Fills `swipe` and returns true when `input` is acceptable; otherwise
   * fills `out` with a specific reason and returns false.
   */
  validate(input: unknown, swipe: Swipe, out: RejectInfo): boolean {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return fail(out, RejectReason.NOT_AN_OBJECT, "", "a swipe must be a JSON object");
    }
    const rec = input as Record<string, unknown>;
    const limits = this.limits;

    const txId = this.checkId(rec, "transaction_id", out);
    if (txId === false) return false;
    const txHash = this.scanHash;
    const cardHash = this.checkId(rec, "card_hash", out);
    if (cardHash === false) return false;
    const cardKeyHash = this.scanHash;
    const first = codeUnitAt(cardHash, 0);
    if (first >= 48 && first <= 57 && looksLikeCardNumber(cardHash)) {
      return fail(out, RejectReason.CARD_NUMBER_IN_CARD_HASH, "card_hash", "card_hash looks like a card number; send only its hash");
    }
    // "" is never a valid id, so an empty cache matches nothing.
    let terminalId: string | false = this.lastTerminal;
    let terminalHash = this.lastTerminalHash;
    if (terminalId === "" || rec.terminal_id !== terminalId) {
      terminalId = this.checkId(rec, "terminal_id", out);
      if (terminalId === false) return false;
      terminalHash = this.scanHash;
    }
    let merchantId: string | false = this.lastMerchant;
    let merchantHash = this.lastMerchantHash;
    if (merchantId === "" || rec.merchant_id !== merchantId) {
      merchantId = this.checkId(rec, "merchant_id", out);
      if (merchantId === false) return false;
      merchantHash = this.scanHash;
    }

    const amount = rec.amount_cents;
    if (amount === undefined || amount === null) return fail(out, RejectReason.MISSING_FIELD, "amount_cents", "amount_cents is required");
    if (typeof amount !== "number") return fail(out, RejectReason.WRONG_TYPE, "amount_cents", `amount_cents must be a number, got ${typeof amount}`);
    if (!Number.isInteger(amount)) return fail(out, RejectReason.AMOUNT_NOT_INTEGER, "amount_cents", "amount_cents must be a whole number of cents");
    if (amount <= 0) return fail(out, RejectReason.AMOUNT_NOT_POSITIVE, "amount_cents", "amount_cents must be positive");
    if (amount > limits.maxAmountCents) {
      return fail(out, RejectReason.AMOUNT_TOO_LARGE, "amount_cents", `amount_cents ${amount} exceeds the limit ${limits.maxAmountCents}`);
    }

    const currency = rec.currency;
    if (this.lastCurrency === "" || currency !== this.lastCurrency) {
      if (currency === undefined || currency === null) return fail(out, RejectReason.MISSING_FIELD, "currency", "currency is required");
      if (typeof currency !== "string") return fail(out, RejectReason.WRONG_TYPE, "currency", `currency must be a string, got ${typeof currency}`);
      if (!isCurrencyCode(currency)) return fail(out, RejectReason.BAD_CURRENCY, "currency", "currency must be three upper-case letters (ISO 4217)");
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

    const eventTime = this.checkTime(rec, "timestamp", out);
    if (eventTime === false) return false;
    const procTime = this.checkTime(rec, "terminal_time", out);
    if (procTime === false) return false;
    if (eventTime - procTime > limits.maxFutureSkewMs) {
      return fail(out, RejectReason.EVENT_TIME_IN_FUTURE, "timestamp",
        `timestamp is ${eventTime - procTime} ms ahead of terminal_time (limit ${limits.maxFutureSkewMs} ms)`);
    }

    this.transactionHash = txHash;
    this.keyHashes.card_hash = cardKeyHash;
    this.keyHashes.terminal_id = terminalHash;
    this.keyHashes.merchant_id = merchantHash;
    this.lastTerminal = terminalId;
    this.lastTerminalHash = terminalHash;
    this.lastMerchant = merchantId;
    this.lastMerchantHash = merchantHash;
    this.lastCurrency = currency as string;
    swipe.transaction_id = txId;
    swipe.card_hash = cardHash;
    swipe.terminal_id = terminalId;
    swipe.merchant_id = merchantId;
    swipe.amount_cents = amount;
    swipe.currency = currency as string;
    swipe.lat = lat;
    swipe.lon = lon;
    swipe.timestamp = eventTime;
    swipe.terminal_time = procTime;
    return true;
  }
}

function isCurrencyCode(s: string): boolean {
  for (let i = 0; i < 3; i++) {
    const c = codeUnitAt(s, i);
    if (!(c >= 65 && c <= 90)) return false;
  }
  return codeUnitAt(s, 3) !== codeUnitAt(s, 3); // exactly three: NaN past the end
}
