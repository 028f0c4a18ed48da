// Engine-neutral tests of the SNTP packet codec, NTP timestamps (with the
// 2036 era rollover) and the reply checks: one case per reject reason.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  DEFAULT_ERA_PIVOT_UTC_MS,
  NTP_ERA1_START_UTC_MS,
  NTP_ERA_MS,
  NTP_UNIX_EPOCH_OFFSET_MS,
  ntpToUtcMs,
  readUint32,
  writeNtpTimestamp,
  writeUint32,
} from "../../src/core/clock/sntp/ntp-timestamp";
import { createSntpReply, decodeSntpReply, encodeSntpRequest, NTP_PACKET_SIZE } from "../../src/core/clock/sntp/sntp-packet";
import { createSntpRejectCounts, SNTP_REJECT_REASONS, SntpRejectReason } from "../../src/core/clock/sntp/sntp-reject-reason";
import { checkSntpReply, KISS_DENY, KISS_RATE, KISS_RSTR } from "../../src/core/clock/sntp/sntp-reply-check";

const NONCE_HI = 0x9e3779b9;
const NONCE_LO = 0x7f4a7c15;

/** A valid server reply to the request with NONCE_HI:NONCE_LO, with fields to override. */
function replyBytes(o: { leap?: number; version?: number; mode?: number; stratum?: number; refId?: number; t2?: number; t3?: number; zeroT2?: boolean; zeroT3?: boolean; origHi?: number; origLo?: number } = {}): Uint8Array {
  const b = new Uint8Array(48);
  b[0] = ((o.leap ?? 0) << 6) | ((o.version ?? 4) << 3) | (o.mode ?? 4);
  b[1] = o.stratum ?? 2;
  b[2] = 6;
  b[3] = 0xe9; // -23
  writeUint32(b, 4, 0x00000180); // root delay 384/65536 s
  writeUint32(b, 8, 0x00010000); // root dispersion 1 s
  writeUint32(b, 12, o.refId ?? 0x47505300);
  writeNtpTimestamp(b, 16, (o.t2 ?? 1772323200000) - 1000);
  writeUint32(b, 24, o.origHi ?? NONCE_HI);
  writeUint32(b, 28, o.origLo ?? NONCE_LO);
  if (o.zeroT2 !== true) writeNtpTimestamp(b, 32, o.t2 ?? 1772323200000);
  if (o.zeroT3 !== true) writeNtpTimestamp(b, 40, o.t3 ?? 1772323200000.5);
  return b;
}

function check(bytes: Uint8Array): SntpRejectReason | null {
  const r = createSntpReply();
  expect(decodeSntpReply(bytes, r)).toBe(true);
  return checkSntpReply(r, NONCE_HI, NONCE_LO);
}

describe("NTP timestamps", () => {
  it("knows the epochs", () => {
    expect(NTP_UNIX_EPOCH_OFFSET_MS).toBe(2208988800000);
    // 2036-02-07T06:28:16Z
    expect(NTP_ERA1_START_UTC_MS).toBe(2085978496000);
    expect(DEFAULT_ERA_PIVOT_UTC_MS).toBe(NTP_ERA1_START_UTC_MS);
  });

  it("writes and reads a known timestamp", () => {
    const b = new Uint8Array(8);
    writeNtpTimestamp(b, 0, 0); // 1970-01-01
    expect(readUint32(b, 0)).toBe(2208988800);
    expect(readUint32(b, 4)).toBe(0);
    writeNtpTimestamp(b, 0, 1500); // + 1.5 s
    expect(readUint32(b, 0)).toBe(2208988801);
    expect(readUint32(b, 4)).toBe(0x80000000);
    expect(ntpToUtcMs(2208988801, 0x80000000, DEFAULT_ERA_PIVOT_UTC_MS)).toBe(1500);
  });

  it("follows the RFC 4330 rule with the default pivot", () => {
    // Top bit set: 1968-2036 (era 0); clear: 2036-2104 (era 1).
    expect(ntpToUtcMs(0x80000000, 0, DEFAULT_ERA_PIVOT_UTC_MS)).toBe(0x80000000 * 1000 - NTP_UNIX_EPOCH_OFFSET_MS);
    expect(ntpToUtcMs(0xffffffff, 0, DEFAULT_ERA_PIVOT_UTC_MS)).toBe(0xffffffff * 1000 - NTP_UNIX_EPOCH_OFFSET_MS);
    expect(ntpToUtcMs(0, 0, DEFAULT_ERA_PIVOT_UTC_MS)).toBe(NTP_ERA1_START_UTC_MS);
    expect(ntpToUtcMs(0x7fffffff, 0, DEFAULT_ERA_PIVOT_UTC_MS)).toBe(NTP_ERA1_START_UTC_MS + 0x7fffffff * 1000);
  });

  it("crosses the 2036 rollover: the era closest to the pivot wins", () => {
    const b = new Uint8Array(8);
    const before = NTP_ERA1_START_UTC_MS - 250; // 2036-02-07T06:28:15.750Z
    const after = NTP_ERA1_START_UTC_MS + 250;
    writeNtpTimestamp(b, 0, before);
    expect(readUint32(b, 0)).toBe(0xffffffff);
    const sBefore = readUint32(b, 0);
    const fBefore = readUint32(b, 4);
    writeNtpTimestamp(b, 0, after);
    expect(readUint32(b, 0)).toBe(0);
    const sAfter = readUint32(b, 0);
    const fAfter = readUint32(b, 4);
    // A local estimate on either side of the boundary reads both correctly.
    for (const pivot of [before - 3000, after + 3000, NTP_ERA1_START_UTC_MS]) {
      expect(ntpToUtcMs(sBefore, fBefore, pivot)).toBeCloseTo(before, 3);
      expect(ntpToUtcMs(sAfter, fAfter, pivot)).toBeCloseTo(after, 3);
    }
    // Seconds 0 is 1900 only when the local estimate says so.
    expect(ntpToUtcMs(0, 0, -NTP_UNIX_EPOCH_OFFSET_MS + 1000)).toBe(-NTP_UNIX_EPOCH_OFFSET_MS);
    // A bad pivot falls back to the default.
    expect(ntpToUtcMs(0, 0, NaN)).toBe(NTP_ERA1_START_UTC_MS);
    expect(ntpToUtcMs(0, 0, Number.POSITIVE_INFINITY)).toBe(NTP_ERA1_START_UTC_MS);
    expect(ntpToUtcMs(0, 0, Number.NEGATIVE_INFINITY)).toBe(NTP_ERA1_START_UTC_MS);
  });

  it("round-trips any time from 1970 to 2200 to within a microsecond, given a pivot within 60 years", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 7258118400000, noNaN: true }),
        fc.double({ min: -1.9e12, max: 1.9e12, noNaN: true }),
        (utc, skew) => {
          const b = new Uint8Array(8);
          writeNtpTimestamp(b, 0, utc);
          const back = ntpToUtcMs(readUint32(b, 0), readUint32(b, 4), utc + skew);
          return Math.abs(back - utc) < 0.001;
        },
      ),
      { numRuns: 300 },
    );
  });

  it("puts a time one era away in another era", () => {
    const b = new Uint8Array(8);
    writeNtpTimestamp(b, 0, 1772323200000);
    expect(ntpToUtcMs(readUint32(b, 0), readUint32(b, 4), 1772323200000 + NTP_ERA_MS)).toBe(1772323200000 + NTP_ERA_MS);
  });
});

describe("SNTP request", () => {
  it("is 48 bytes of LI 0, version 4, mode 3 and the nonce as transmit time", () => {
    const b = new Uint8Array(NTP_PACKET_SIZE).fill(0xaa);
    encodeSntpRequest(b, 0x01020304, 0xf0e0d0c0);
    expect(b[0]).toBe(0x23);
    for (let i = 1; i < 40; i++) expect(b[i]).toBe(0);
    expect(readUint32(b, 40)).toBe(0x01020304);
    expect(readUint32(b, 44)).toBe(0xf0e0d0c0);
  });
});

describe("SNTP reply decoding", () => {
  it("reads every header field", () => {
    const r = createSntpReply();
    expect(decodeSntpReply(replyBytes({ leap: 1, stratum: 3, t2: 1772323200250, t3: 1772323200251 }), r)).toBe(true);
    expect(r.leap).toBe(1);
    expect(r.version).toBe(4);
    expect(r.mode).toBe(4);
    expect(r.stratum).toBe(3);
    expect(r.poll).toBe(6);
    expect(r.precision).toBe(-23);
    expect(r.rootDelayMs).toBeCloseTo((384 / 65536) * 1000, 6);
    expect(r.rootDispersionMs).toBe(1000);
    expect(r.referenceId).toBe(0x47505300);
    expect(r.originateSeconds).toBe(NONCE_HI);
    expect(r.originateFraction).toBe(NONCE_LO);
    expect(ntpToUtcMs(r.receiveSeconds, r.receiveFraction, DEFAULT_ERA_PIVOT_UTC_MS)).toBeCloseTo(1772323200250, 3);
    expect(ntpToUtcMs(r.transmitSeconds, r.transmitFraction, DEFAULT_ERA_PIVOT_UTC_MS)).toBeCloseTo(1772323200251, 3);
  });

  it("reads poll and precision as signed bytes", () => {
    const r = createSntpReply();
    const b = replyBytes();
    for (const [byte, value] of [[0, 0], [127, 127], [128, -128], [0xec, -20], [255, -1]]) {
      b[2] = byte!;
      b[3] = byte!;
      expect(decodeSntpReply(b, r)).toBe(true);
      expect([r.poll, r.precision], String(byte)).toEqual([value, value]);
    }
  });

  it("refuses anything shorter than 48 bytes and accepts longer datagrams", () => {
    const r = createSntpReply();
    expect(decodeSntpReply(new Uint8Array(47), r)).toBe(false);
    expect(decodeSntpReply(new Uint8Array(0), r)).toBe(false);
    const long = new Uint8Array(68);
    long.set(replyBytes());
    expect(decodeSntpReply(long, r)).toBe(true);
    expect(checkSntpReply(r, NONCE_HI, NONCE_LO)).toBeNull();
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.nat(), fc.nat(), (bytes, hi, lo) => {
        const r = createSntpReply();
        if (decodeSntpReply(bytes, r)) checkSntpReply(r, hi, lo);
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe("SNTP reply checks", () => {
  it("accept a valid reply (version 3 too)", () => {
    expect(check(replyBytes())).toBeNull();
    expect(check(replyBytes({ version: 3 }))).toBeNull();
    expect(check(replyBytes({ stratum: 1 }))).toBeNull();
    expect(check(replyBytes({ stratum: 15 }))).toBeNull();
    expect(check(replyBytes({ leap: 2 }))).toBeNull();
  });

  it("name each reason", () => {
    expect(check(replyBytes({ mode: 3 }))).toBe(SntpRejectReason.BAD_MODE);
    expect(check(replyBytes({ mode: 5 }))).toBe(SntpRejectReason.BAD_MODE);
    expect(check(replyBytes({ version: 2 }))).toBe(SntpRejectReason.BAD_VERSION);
    expect(check(replyBytes({ version: 5 }))).toBe(SntpRejectReason.BAD_VERSION);
    expect(check(replyBytes({ origLo: NONCE_LO ^ 1 }))).toBe(SntpRejectReason.ORIGIN_MISMATCH);
    expect(check(replyBytes({ origHi: 0 }))).toBe(SntpRejectReason.ORIGIN_MISMATCH);
    expect(check(replyBytes({ stratum: 0, refId: KISS_DENY }))).toBe(SntpRejectReason.KOD_DENY);
    expect(check(replyBytes({ stratum: 0, refId: KISS_RSTR }))).toBe(SntpRejectReason.KOD_RSTR);
    expect(check(replyBytes({ stratum: 0, refId: KISS_RATE }))).toBe(SntpRejectReason.KOD_RATE);
    expect(check(replyBytes({ stratum: 0, refId: 0x494e4954 }))).toBe(SntpRejectReason.KOD_OTHER); // INIT
    expect(check(replyBytes({ leap: 3 }))).toBe(SntpRejectReason.UNSYNCHRONIZED);
    expect(check(replyBytes({ stratum: 16 }))).toBe(SntpRejectReason.BAD_STRATUM);
    expect(check(replyBytes({ stratum: 255 }))).toBe(SntpRejectReason.BAD_STRATUM);
    expect(check(replyBytes({ zeroT3: true }))).toBe(SntpRejectReason.ZERO_TRANSMIT);
    expect(check(replyBytes({ zeroT2: true }))).toBe(SntpRejectReason.ZERO_RECEIVE);
  });

  it("a timestamp is zero ('not set') only when both its seconds and its fraction are", () => {
    const r = createSntpReply();
    decodeSntpReply(replyBytes(), r);
    const expectWith = (change: Partial<typeof r>, reason: string | null) => {
      const c = { ...r, receiveFraction: 5, transmitFraction: 7, ...change }; // both times set, fractions non-zero
      expect(checkSntpReply(c, NONCE_HI, NONCE_LO), JSON.stringify(change)).toBe(reason);
    };
    expectWith({ transmitSeconds: 0 }, null);
    expectWith({ transmitFraction: 0 }, null);
    expectWith({ transmitSeconds: 0, transmitFraction: 0 }, SntpRejectReason.ZERO_TRANSMIT);
    expectWith({ receiveSeconds: 0 }, null);
    expectWith({ receiveFraction: 0 }, null);
    expectWith({ receiveSeconds: 0, receiveFraction: 0 }, SntpRejectReason.ZERO_RECEIVE);
  });

  it("check the originate before the kiss code: a spoofed KoD is only a mismatch", () => {
    expect(check(replyBytes({ stratum: 0, refId: KISS_DENY, origLo: 1 }))).toBe(SntpRejectReason.ORIGIN_MISMATCH);
  });

  it("keep counters for every reason from the start", () => {
    const counts = createSntpRejectCounts();
    expect(Object.keys(counts)).toHaveLength(SNTP_REJECT_REASONS.length);
    for (const r of SNTP_REJECT_REASONS) expect(counts[r]).toBe(0);
    expect(SNTP_REJECT_REASONS).toContain(SntpRejectReason.UNSOLICITED);
    expect(SNTP_REJECT_REASONS).toContain(SntpRejectReason.NEGATIVE_DELAY);
    expect(SNTP_REJECT_REASONS).toContain(SntpRejectReason.ROOT_DISTANCE);
  });
});
