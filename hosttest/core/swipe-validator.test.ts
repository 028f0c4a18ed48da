import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createEmptySwipe } from "../../src/core/model/swipe";
import { createRejectInfo, DEFAULT_VALIDATION_LIMITS, SwipeValidator } from "../../src/core/model/swipe-validator";
import { REJECT_REASONS, RejectReason } from "../../src/core/model/reject-reason";
import { looksLikeCardNumber } from "../../src/core/model/card-number-check";
import { hashString } from "../../src/core/lib/string-hash";
import { rawSwipe, T0 } from "../support/swipes";

function check(input: unknown) {
  const s = createEmptySwipe();
  const info = createRejectInfo();
  const ok = new SwipeValidator(DEFAULT_VALIDATION_LIMITS).validate(input, s, info);
  return { ok, s, reason: ok ? null : info.reason, field: ok ? null : info.field, detail: info.detail };
}

function without(key: string): Record<string, unknown> {
  const r: Record<string, unknown> = { ...rawSwipe() };
  delete r[key];
  return r;
}

describe("swipe validation", () => {
  it("accepts a well-formed swipe and copies every field", () => {
    const r = check(rawSwipe({ transaction_id: "txn-a1b2c3d4", amount_cents: 4523, timestamp: "2026-01-10T14:23:45.123Z", terminal_time: "2026-01-10T14:23:45.456Z" }));
    expect(r.ok).toBe(true);
    expect(r.s.transaction_id).toBe("txn-a1b2c3d4");
    expect(r.s.amount_cents).toBe(4523);
    expect(r.s.lat).toBe(40.7128);
    expect(r.s.lon).toBe(-74.006);
    expect(r.s.timestamp).toBe(Date.UTC(2026, 0, 10, 14, 23, 45, 123));
    expect(r.s.terminal_time - r.s.timestamp).toBe(333);
    expect(check(rawSwipe({ timestamp: 1_768_053_600_000.75, terminal_time: 1_768_053_600_001 })).s.timestamp).toBe(1_768_053_600_000);
  });

  it("gives a specific reason for each kind of bad input", () => {
    const cases: [unknown, RejectReason, string][] = [
      [null, RejectReason.NOT_AN_OBJECT, ""],
      [[1, 2], RejectReason.NOT_AN_OBJECT, ""],
      ["{}", RejectReason.NOT_AN_OBJECT, ""],
      [without("card_hash"), RejectReason.MISSING_FIELD, "card_hash"],
      [without("location"), RejectReason.MISSING_FIELD, "location"],
      [without("terminal_time"), RejectReason.MISSING_FIELD, "terminal_time"],
      [rawSwipe({ merchant_id: 12 as unknown as string }), RejectReason.WRONG_TYPE, "merchant_id"],
      [rawSwipe({ amount_cents: "45" as unknown as number }), RejectReason.WRONG_TYPE, "amount_cents"],
      [rawSwipe({ terminal_id: "" }), RejectReason.EMPTY_STRING, "terminal_id"],
      [rawSwipe({ transaction_id: "x".repeat(65) }), RejectReason.STRING_TOO_LONG, "transaction_id"],
      [rawSwipe({ merchant_id: "a/b" }), RejectReason.BAD_CHARACTERS, "merchant_id"],
      [rawSwipe({ card_hash: "4111 1111 1111 1111" }), RejectReason.BAD_CHARACTERS, "card_hash"],
      [rawSwipe({ card_hash: "4111111111111111" }), RejectReason.CARD_NUMBER_IN_CARD_HASH, "card_hash"],
      [rawSwipe({ amount_cents: 12.5 }), RejectReason.AMOUNT_NOT_INTEGER, "amount_cents"],
      [rawSwipe({ amount_cents: NaN }), RejectReason.AMOUNT_NOT_INTEGER, "amount_cents"],
      [rawSwipe({ amount_cents: 0 }), RejectReason.AMOUNT_NOT_POSITIVE, "amount_cents"],
      [rawSwipe({ amount_cents: -100 }), RejectReason.AMOUNT_NOT_POSITIVE, "amount_cents"],
      [rawSwipe({ amount_cents: 10_000_001 }), RejectReason.AMOUNT_TOO_LARGE, "amount_cents"],
      [rawSwipe({ currency: "usd" }), RejectReason.BAD_CURRENCY, "currency"],
      [rawSwipe({ currency: "USDT" }), RejectReason.BAD_CURRENCY, "currency"],
      [rawSwipe({ location: { lat: 91, lon: 0 } }), RejectReason.LAT_OUT_OF_RANGE, "location.lat"],
      [rawSwipe({ location: { lat: 0, lon: -180.5 } }), RejectReason.LON_OUT_OF_RANGE, "location.lon"],
      [rawSwipe({ location: { lat: NaN, lon: 0 } }), RejectReason.LAT_OUT_OF_RANGE, "location.lat"],
      [rawSwipe({ location: [1, 2] as unknown as { lat: number; lon: number } }), RejectReason.WRONG_TYPE, "location"],
      [rawSwipe({ timestamp: Infinity }), RejectReason.BAD_TIME, "timestamp"],
      [rawSwipe({ timestamp: "yesterday" }), RejectReason.BAD_TIME, "timestamp"],
      [rawSwipe({ timestamp: "2026-01-10 14:23:45" }), RejectReason.BAD_TIME, "timestamp"],
      [rawSwipe({ terminal_time: 12 }), RejectReason.BAD_TIME, "terminal_time"],
      [rawSwipe({ timestamp: T0 + 11 * 60_000, terminal_time: T0 }), RejectReason.EVENT_TIME_IN_FUTURE, "timestamp"],
    ];
    for (const [input, reason, field] of cases) {
      const r = check(input);
      expect(r.reason).toBe(reason);
      expect(r.field).toBe(field);
      expect(r.detail.length).toBeGreaterThan(0);
    }
  });

  it("every reason code is distinct and named after itself", () => {
    expect(new Set(REJECT_REASONS).size).toBe(REJECT_REASONS.length);
    for (const r of REJECT_REASONS) expect(RejectReason[r]).toBe(r);
  });

  it("caches the last terminal, merchant and currency by identity, never accepting a bad one", () => {
    const v = new SwipeValidator(DEFAULT_VALIDATION_LIMITS);
    const s = createEmptySwipe();
    const info = createRejectInfo();
    expect(v.validate(rawSwipe(), s, info)).toBe(true);
    expect(v.validate(rawSwipe({ terminal_id: "" }), s, info)).toBe(false);
    expect(info.reason).toBe(RejectReason.EMPTY_STRING);
    expect(v.validate(rawSwipe({ merchant_id: "m/1" }), s, info)).toBe(false);
    expect(info.reason).toBe(RejectReason.BAD_CHARACTERS);
    expect(v.validate(rawSwipe({ currency: "EU" }), s, info)).toBe(false);
    expect(info.reason).toBe(RejectReason.BAD_CURRENCY);
    const fresh = new SwipeValidator(DEFAULT_VALIDATION_LIMITS);
    expect(fresh.validate(rawSwipe({ terminal_id: "" }), s, info)).toBe(false);
    expect(fresh.validate(rawSwipe({ currency: "" }), s, info)).toBe(false);
    expect(info.reason).toBe(RejectReason.BAD_CURRENCY);
  });

  it("leaves the hashes of the transaction id and keys for dedup and keyed state, equal to hashString", () => {
    const v = new SwipeValidator(DEFAULT_VALIDATION_LIMITS);
    for (const id of ["txn-a1b2c3d4", "t", "term_1-tx-123456789", "A.b:c_d-e"]) {
      expect(v.validate(rawSwipe({ transaction_id: id }), createEmptySwipe(), createRejectInfo())).toBe(true);
      expect(v.transactionHash).toBe(hashString(id));
    }
    const r = rawSwipe({ card_hash: "card_77", merchant_id: "m.9", terminal_id: "t:1" });
    for (let i = 0; i < 2; i++) {
      // The second time, merchant and terminal come from the identity cache.
      expect(v.validate({ ...r, transaction_id: "x" + i }, createEmptySwipe(), createRejectInfo())).toBe(true);
      expect(v.keyHashes).toEqual({ card_hash: hashString("card_77"), merchant_id: hashString("m.9"), terminal_id: hashString("t:1") });
    }
  });

  it("checks an id as a character-by-character model does: the length limit exactly, every character, no line break at the end", () => {
    const allowed = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 58) || c === 95 || c === 45 || c === 46;
    const model = (id: string, max: number): RejectReason | null => {
      if (id.length === 0) return RejectReason.EMPTY_STRING;
      for (let i = 0; i < id.length; i++) {
        if (i >= max) return RejectReason.STRING_TOO_LONG;
        if (!allowed(id.charCodeAt(i))) return RejectReason.BAD_CHARACTERS;
      }
      return null;
    };
    const chars = fc.constantFrom("a", "Z", "0", "9", ":", "_", "-", ".", "/", " ", "\n", "é", "\ud800", "#", "+");
    fc.assert(
      // The limit from 17 (the other ids of rawSwipe fit): ids up to 24 code units cross it.
      fc.property(fc.array(chars, { maxLength: 24 }).map((a) => a.join("")), fc.integer({ min: 17, max: 22 }), (id, max) => {
        const v = new SwipeValidator({ ...DEFAULT_VALIDATION_LIMITS, maxIdLength: max });
        const info = createRejectInfo();
        const ok = v.validate(rawSwipe({ transaction_id: id }), createEmptySwipe(), info);
        const want = model(id, max);
        expect(ok ? null : info.reason).toBe(want);
        if (!ok) expect(info.field).toBe("transaction_id");
        else expect(v.transactionHash).toBe(hashString(id));
      }),
      { numRuns: 500 },
    );
    for (const id of ["abc\n", "\nabc", "ab\ncd"]) expect(check(rawSwipe({ transaction_id: id })).reason).toBe(RejectReason.BAD_CHARACTERS);
    expect(check(rawSwipe({ transaction_id: "x".repeat(64) })).ok).toBe(true);
    // Too long and a bad character: whichever a scan from the start meets first.
    expect(check(rawSwipe({ transaction_id: "x".repeat(64) + "/" })).reason).toBe(RejectReason.STRING_TOO_LONG);
    expect(check(rawSwipe({ transaction_id: "x/" + "x".repeat(70) })).reason).toBe(RejectReason.BAD_CHARACTERS);
    expect(() => new SwipeValidator({ ...DEFAULT_VALIDATION_LIMITS, maxIdLength: 0 })).toThrow("maxIdLength must be a positive integer");
  });

  it("hashes strings that differ anywhere in their last six code units, or in their length, apart", () => {
    const base = "term_1-tx-1234567";
    const seen = new Set<number>();
    for (let i = base.length - 6; i < base.length; i++) {
      for (const c of "0123456789") seen.add(hashString(base.slice(0, i) + c + base.slice(i + 1)));
    }
    expect(seen.size).toBe(6 * 9 + 1);
    expect(hashString(base + "0")).not.toBe(hashString(base));
  });

  it("recognises card numbers by the Luhn check, not by length alone", () => {
    expect(looksLikeCardNumber("4111111111111111")).toBe(true);
    expect(looksLikeCardNumber("4111-1111-1111-1111")).toBe(true);
    expect(looksLikeCardNumber("4111111111111112")).toBe(false);
    expect(looksLikeCardNumber("123456789012")).toBe(false);
    expect(looksLikeCardNumber("hash_xyz789")).toBe(false);
    expect(looksLikeCardNumber("378282246310005")).toBe(true); // 15 digits (odd length)
    expect(looksLikeCardNumber("378282246310006")).toBe(false);
    expect(looksLikeCardNumber("4111111111111111111")).toBe(false); // 19 digits, bad check digit
    expect(looksLikeCardNumber("41111111111111111111")).toBe(false); // 20 digits
  });

  it("card numbers: 13 to 19 digits exactly, only digits and dashes, against a reference Luhn check", () => {
    /** `body` completed with its Luhn check digit (a reference, written the textbook way). */
    const luhn = (body: string): string => {
      let sum = 0;
      for (let i = 0; i < body.length; i++) {
        const d = body.charCodeAt(body.length - 1 - i) - 48;
        sum += i % 2 === 0 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
      }
      return body + String((10 - (sum % 10)) % 10);
    };
    const digits = "9876543210987654321";
    for (let n = 12; n <= 20; n++) {
      const pan = luhn(digits.slice(0, n - 1));
      expect(looksLikeCardNumber(pan), `${n} digits`).toBe(n >= 13 && n <= 19);
      // The same with any non-digit but the dash inside is not a number at all.
      for (const c of [" ", "/", ":", "a", ".", "_"]) {
        for (let at = 0; at <= pan.length; at += 3) expect(looksLikeCardNumber(pan.slice(0, at) + c + pan.slice(at)), JSON.stringify(c)).toBe(false);
      }
      expect(looksLikeCardNumber(pan.replace(/(\d{4})/g, "$1-"))).toBe(n >= 13 && n <= 19);
    }
    expect(looksLikeCardNumber("0000000000000")).toBe(true);
    expect(looksLikeCardNumber("9999999999999995")).toBe(true);
    expect(looksLikeCardNumber("")).toBe(false);
    expect(looksLikeCardNumber("----")).toBe(false);
  });

  it("never throws, whatever the input", () => {
    const anyValue = fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true });
    const mutated = fc.record({ field: fc.constantFrom(...Object.keys(rawSwipe())), value: anyValue }).map(({ field, value }) => ({ ...rawSwipe(), [field]: value }));
    fc.assert(
      fc.property(fc.oneof(anyValue, mutated), (input) => {
        const r = check(input);
        expect(typeof r.ok).toBe("boolean");
        if (!r.ok) expect(REJECT_REASONS).toContain(r.reason);
      }),
      { numRuns: 500 },
    );
  });
});

describe("swipe validation: every limit's edge and every message", () => {
  const MIN_MS = Date.UTC(2000, 0, 1);
  const MAX_MS = Date.UTC(2100, 0, 1);
  const over = (o: Record<string, unknown>) => ({ ...rawSwipe(), ...o });
  /** A Luhn-valid 16-digit number starting with `first`. */
  const cardStartingWith = (first: string) => {
    for (let c = 0; c < 10; c++) {
      const n = first + "0".repeat(14) + String(c);
      if (looksLikeCardNumber(n)) return n;
    }
    throw new Error("no check digit");
  };

  it("accepts the edges of every range", () => {
    const accepted: Record<string, unknown>[] = [
      over({ location: { lat: -90, lon: -180 } }),
      over({ location: { lat: 90, lon: 180 } }),
      over({ amount_cents: 1 }),
      over({ amount_cents: 10_000_000 }),
      over({ currency: "AAA" }),
      over({ currency: "ZZZ" }),
      over({ timestamp: MIN_MS, terminal_time: MIN_MS }),
      over({ timestamp: MAX_MS, terminal_time: MAX_MS }),
      over({ timestamp: T0 + 600_000, terminal_time: T0 }),
      over({ transaction_id: "t".repeat(64) }),
      over({ card_hash: ":4111111111111111" }), // not a digit first: not a card number's shape
    ];
    for (const input of accepted) expect(check(input).ok, JSON.stringify(input)).toBe(true);
    expect(MIN_MS).toBe(946_684_800_000);
    expect(MAX_MS).toBe(4_102_444_800_000);
  });

  it("refuses one step past each edge, with the reason, the field and the message", () => {
    const refused: [Record<string, unknown>, RejectReason, string, string][] = [
      [over({ location: { lat: -90.000001, lon: 0 } }), RejectReason.LAT_OUT_OF_RANGE, "location.lat", "location.lat must be within -90..90"],
      [over({ location: { lat: 90.000001, lon: 0 } }), RejectReason.LAT_OUT_OF_RANGE, "location.lat", "location.lat must be within -90..90"],
      [over({ location: { lat: Number.NaN, lon: 0 } }), RejectReason.LAT_OUT_OF_RANGE, "location.lat", "location.lat must be within -90..90"],
      [over({ location: { lat: 0, lon: -180.000001 } }), RejectReason.LON_OUT_OF_RANGE, "location.lon", "location.lon must be within -180..180"],
      [over({ location: { lat: 0, lon: 180.000001 } }), RejectReason.LON_OUT_OF_RANGE, "location.lon", "location.lon must be within -180..180"],
      [over({ location: { lon: 0 } }), RejectReason.MISSING_FIELD, "location.lat", "location.lat is required"],
      [over({ location: { lat: null, lon: 0 } }), RejectReason.MISSING_FIELD, "location.lat", "location.lat is required"],
      [over({ location: { lat: "1", lon: 0 } }), RejectReason.WRONG_TYPE, "location.lat", "location.lat must be a number"],
      [over({ location: { lat: 0 } }), RejectReason.MISSING_FIELD, "location.lon", "location.lon is required"],
      [over({ location: { lat: 0, lon: null } }), RejectReason.MISSING_FIELD, "location.lon", "location.lon is required"],
      [over({ location: { lat: 0, lon: "1" } }), RejectReason.WRONG_TYPE, "location.lon", "location.lon must be a number"],
      [over({ location: undefined }), RejectReason.MISSING_FIELD, "location", "location is required"],
      [over({ location: null }), RejectReason.MISSING_FIELD, "location", "location is required"],
      [over({ location: [1, 2] }), RejectReason.WRONG_TYPE, "location", "location must be an object {lat, lon}"],
      [over({ location: "40,-74" }), RejectReason.WRONG_TYPE, "location", "location must be an object {lat, lon}"],
      [over({ amount_cents: undefined }), RejectReason.MISSING_FIELD, "amount_cents", "amount_cents is required"],
      [over({ amount_cents: null }), RejectReason.MISSING_FIELD, "amount_cents", "amount_cents is required"],
      [over({ amount_cents: "5" }), RejectReason.WRONG_TYPE, "amount_cents", "amount_cents must be a number, got string"],
      [over({ amount_cents: 1.5 }), RejectReason.AMOUNT_NOT_INTEGER, "amount_cents", "amount_cents must be a whole number of cents"],
      [over({ amount_cents: 0 }), RejectReason.AMOUNT_NOT_POSITIVE, "amount_cents", "amount_cents must be positive"],
      [over({ amount_cents: 10_000_001 }), RejectReason.AMOUNT_TOO_LARGE, "amount_cents", "amount_cents 10000001 exceeds the limit 10000000"],
      [over({ currency: undefined }), RejectReason.MISSING_FIELD, "currency", "currency is required"],
      [over({ currency: null }), RejectReason.MISSING_FIELD, "currency", "currency is required"],
      [over({ currency: 840 }), RejectReason.WRONG_TYPE, "currency", "currency must be a string, got number"],
      [over({ currency: "usd" }), RejectReason.BAD_CURRENCY, "currency", "currency must be three upper-case letters (ISO 4217)"],
      [over({ currency: "@AA" }), RejectReason.BAD_CURRENCY, "currency", "currency must be three upper-case letters (ISO 4217)"],
      [over({ currency: "AA[" }), RejectReason.BAD_CURRENCY, "currency", "currency must be three upper-case letters (ISO 4217)"],
      [over({ currency: "USDX" }), RejectReason.BAD_CURRENCY, "currency", "currency must be three upper-case letters (ISO 4217)"],
      [over({ currency: "US" }), RejectReason.BAD_CURRENCY, "currency", "currency must be three upper-case letters (ISO 4217)"],
      [over({ timestamp: MIN_MS - 1, terminal_time: MIN_MS }), RejectReason.BAD_TIME, "timestamp", "timestamp is outside 2000..2100"],
      [over({ timestamp: MAX_MS + 1, terminal_time: MAX_MS }), RejectReason.BAD_TIME, "timestamp", "timestamp is outside 2000..2100"],
      [over({ timestamp: MIN_MS, terminal_time: MIN_MS - 1 }), RejectReason.BAD_TIME, "terminal_time", "terminal_time is outside 2000..2100"],
      [over({ timestamp: T0 + 600_001, terminal_time: T0 }), RejectReason.EVENT_TIME_IN_FUTURE, "timestamp", "timestamp is 600001 ms ahead of terminal_time (limit 600000 ms)"],
      [over({ transaction_id: "t".repeat(65) }), RejectReason.STRING_TOO_LONG, "transaction_id", "transaction_id has 65 characters, limit 64"],
      [over({ card_hash: cardStartingWith("0") }), RejectReason.CARD_NUMBER_IN_CARD_HASH, "card_hash", "card_hash looks like a card number; send only its hash"],
      [over({ card_hash: cardStartingWith("9") }), RejectReason.CARD_NUMBER_IN_CARD_HASH, "card_hash", "card_hash looks like a card number; send only its hash"],
    ];
    for (const [input, reason, field, detail] of refused) {
      const r = check(input);
      expect([r.reason, r.field, r.detail], JSON.stringify(input)).toEqual([reason, field, detail]);
    }
  });

  it("checks the currency, terminal and merchant again when they differ from the last accepted swipe's", () => {
    const v = new SwipeValidator(DEFAULT_VALIDATION_LIMITS);
    const s = createEmptySwipe();
    const info = createRejectInfo();
    expect(v.validate(rawSwipe(), s, info)).toBe(true);
    expect(v.validate(over({ currency: undefined }), s, info)).toBe(false);
    expect(info.detail).toBe("currency is required");
    expect(v.validate(over({ merchant_id: "" }), s, info)).toBe(false);
    expect(info.detail).toBe("merchant_id is empty");
    expect(v.validate(over({ terminal_id: "bad id" }), s, info)).toBe(false);
    expect(info.detail).toBe("terminal_id may hold only letters, digits and _ - . :");
    expect(v.validate(rawSwipe(), s, info)).toBe(true);
  });

  it("refuses an id length limit below 1", () => {
    expect(() => new SwipeValidator({ ...DEFAULT_VALIDATION_LIMITS, maxIdLength: 0 })).toThrow("maxIdLength must be a positive integer, got 0");
    expect(() => new SwipeValidator({ ...DEFAULT_VALIDATION_LIMITS, maxIdLength: 1.5 })).toThrow("maxIdLength must be a positive integer, got 1.5");
    const one = new SwipeValidator({ ...DEFAULT_VALIDATION_LIMITS, maxIdLength: 1 });
    expect(one.validate(over({ transaction_id: "t", card_hash: "c", terminal_id: "x", merchant_id: "m" }), createEmptySwipe(), createRejectInfo())).toBe(true);
  });

  it("keeps the default limits", () => {
    expect(DEFAULT_VALIDATION_LIMITS).toEqual({ maxIdLength: 64, maxAmountCents: 10_000_000, maxFutureSkewMs: 600_000 });
  });
});

