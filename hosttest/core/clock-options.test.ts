// The clock's settings (src/core/clock/sntp/sntp-client-options.ts and
// src/core/clock/discipline/clock-discipline-options.ts): every option's default, both ends of
// its range accepted, one step beyond each refused with the message an installer reads, and
// non-integers where an integer is asked. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { type ClockDisciplineOptions, resolveClockDisciplineOptions } from "../../src/core/clock/discipline/clock-discipline-options";
import { DEFAULT_ERA_PIVOT_UTC_MS } from "../../src/core/clock/sntp/ntp-timestamp";
import { resolveSntpClientOptions, type SntpClientOptions } from "../../src/core/clock/sntp/sntp-client-options";
import { thrown } from "../support/thrown";

/** name, default, lowest, highest, a value below, a value above, integer only */
type Range = [string, number, number, number, number, number, boolean];

const SNTP: Range[] = [
  ["port", 123, 1, 65535, 0, 65536, true],
  ["responseTimeoutMs", 2000, 10, 60_000, 9, 60_001, true],
  ["burstSamples", 4, 1, 8, 0, 9, true],
  ["burstSpacingMs", 2000, 10, 60_000, 9, 60_001, true],
  ["minPollMs", 32_000, 15_000, 0x7fffffff, 14_999, 0x80000000, true],
  ["stablePollsToBackOff", 4, 1, 1000, 0, 1001, true],
  ["pollBackoffResidualMs", 5, 0, 60_000, -1, 60_001, true],
  ["maxRootDistanceMs", 1000, 1, 16_000, 0, 16_001, true],
  ["resolveTimeoutMs", 10_000, 10, 600_000, 9, 600_001, true],
  ["reresolveMs", 3_600_000, 1000, 0x7fffffff, 999, 0x80000000, true],
  ["reresolveAfterFailures", 8, 1, 1000, 0, 1001, true],
];

const DISCIPLINE: Range[] = [
  ["stepThresholdMs", 1000, 0, 1e9, -0.5, 1e9 + 1, false],
  ["maxSlewPpm", 500, 1, 500, 0.5, 500.5, false],
  ["maxFrequencyPpm", 500, 1, 10000, 0.5, 10000.5, false],
  ["initialFrequencyPpm", 0, -10000, 10000, -10000.5, 10000.5, false],
  ["wanderPpm", 10, 0, 10000, -0.5, 10000.5, false],
  ["timestampNoiseMs", 0.5, 0.001, 1000, 0.0005, 1000.5, false],
  ["windowSize", 128, 4, 256, 3, 257, true],
  ["maxSampleAgeMs", 3_600_000, 1000, 1e12, 999.5, 1e12 + 1, false],
  ["minSamplesKept", 8, 1, 128, 0, 129, true], // at most windowSize (128 by default)
  ["reacquireAfterOutliers", 4, 1, 1000, 0, 1001, true],
  ["initialUtcOffsetMs", 0, -1e15, 1e15, -1e15 - 1, 1e15 + 1, false],
];

function refusal(fn: () => unknown): string {
  return String(thrown(fn));
}

describe("SNTP client options", () => {
  const servers = ["pool.ntp.org"];
  const resolve = (o: Partial<SntpClientOptions>) => resolveSntpClientOptions({ servers, ...o }) as unknown as Record<string, number>;

  it("defaults, both ends of every range, and one step beyond each refused by name and range", () => {
    for (const [name, dflt, lo, hi, below, above] of SNTP) {
      const upper = name === "minPollMs" ? { maxPollMs: hi } : {};
      expect(resolve({})[name], name).toBe(dflt);
      expect(resolve({ [name]: lo })[name], name).toBe(lo);
      expect(resolve({ [name]: hi, ...upper })[name], name).toBe(hi);
      for (const bad of [below, above, lo + 0.5, Number.NaN, "7" as unknown as number]) {
        expect(refusal(() => resolve({ [name]: bad, ...upper })), `${name} ${bad}`).toBe(`RangeError: ${name} must be an integer in ${lo}..${hi}, got ${String(bad)}`);
      }
    }
  });

  it("maxPollMs: from minPollMs up", () => {
    expect(resolve({ minPollMs: 40_000, maxPollMs: 40_000 }).maxPollMs).toBe(40_000);
    expect(resolve({}).maxPollMs).toBe(1_024_000);
    expect(refusal(() => resolve({ minPollMs: 40_000, maxPollMs: 39_999 }))).toBe("RangeError: maxPollMs must be an integer in 40000..2147483647, got 39999");
  });

  it("servers: 1 to 16 names of 1 to 253 characters, kept as a copy", () => {
    const list = ["a", "b".repeat(253)];
    const o = resolveSntpClientOptions({ servers: list });
    list.push("c");
    expect(o.servers).toEqual(["a", "b".repeat(253)]);
    expect(resolveSntpClientOptions({ servers: Array.from({ length: 16 }, (_, i) => `s${i}`) }).servers).toHaveLength(16);
    const noList = "RangeError: servers must list 1..16 host names";
    expect(refusal(() => resolveSntpClientOptions({ servers: [] }))).toBe(noList);
    expect(refusal(() => resolveSntpClientOptions({ servers: Array.from({ length: 17 }, (_, i) => `s${i}`) }))).toBe(noList);
    expect(refusal(() => resolveSntpClientOptions({ servers: "pool.ntp.org" as unknown as string[] }))).toBe(noList);
    expect(refusal(() => resolveSntpClientOptions(undefined as unknown as SntpClientOptions))).toBe(noList);
    for (const bad of ["", "x".repeat(254), 7 as unknown as string]) {
      expect(refusal(() => resolveSntpClientOptions({ servers: ["a", bad] }))).toBe(`RangeError: invalid server name ${String(bad)}`);
    }
  });

  it("eraPivotUtcMs: any finite number, the RFC 4330 pivot by default", () => {
    expect(resolve({}).eraPivotUtcMs).toBe(DEFAULT_ERA_PIVOT_UTC_MS);
    expect(resolve({ eraPivotUtcMs: -5 }).eraPivotUtcMs).toBe(-5);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, "0" as unknown as number]) {
      expect(refusal(() => resolve({ eraPivotUtcMs: bad }))).toBe(`RangeError: eraPivotUtcMs must be a finite number, got ${String(bad)}`);
    }
  });
});

describe("clock discipline options", () => {
  const resolve = (o: ClockDisciplineOptions) => resolveClockDisciplineOptions(o) as unknown as Record<string, number>;

  it("defaults, both ends of every range, and one step beyond each refused by name and range", () => {
    for (const [name, dflt, lo, hi, below, above, integer] of DISCIPLINE) {
      expect(resolve({})[name], name).toBe(dflt);
      expect(resolve({ [name]: lo })[name], name).toBe(lo);
      expect(resolve({ [name]: hi })[name], name).toBe(hi);
      const kind = integer ? "an integer" : "a number";
      const bad = [below, above, Number.NaN, Number.POSITIVE_INFINITY, "7" as unknown as number];
      if (integer) bad.push(lo + 0.5);
      for (const v of bad) expect(refusal(() => resolve({ [name]: v })), `${name} ${v}`).toBe(`RangeError: ${name} must be ${kind} in ${lo}..${hi}, got ${String(v)}`);
    }
  });

  it("minSamplesKept is bounded by the window it is kept in", () => {
    expect(resolve({ windowSize: 10, minSamplesKept: 10 }).minSamplesKept).toBe(10);
    // Its default, 8, follows a smaller window.
    expect([resolve({ windowSize: 4 }).minSamplesKept, resolve({ windowSize: 9 }).minSamplesKept]).toEqual([4, 8]);
    expect(refusal(() => resolve({ windowSize: 10, minSamplesKept: 11 }))).toBe("RangeError: minSamplesKept must be an integer in 1..10, got 11");
    expect(resolveClockDisciplineOptions()).toEqual(resolveClockDisciplineOptions({}));
  });
});
