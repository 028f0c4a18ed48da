// src/core/model/event-time.ts: the two spellings of an event time and everything else refused.
// Also runs under XS.
import { describe, expect, it } from "vitest";
import { epochMsOf } from "../../src/core/model/event-time";

describe("event time", () => {
  it("epoch milliseconds: whole ms, fractions dropped; non-finite numbers and other types are NaN", () => {
    expect(epochMsOf(1_768_055_025_123)).toBe(1_768_055_025_123);
    expect(epochMsOf(1_768_055_025_123.9)).toBe(1_768_055_025_123);
    expect(epochMsOf(-0.5)).toBe(-1);
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, undefined, true, {}, [1], 10n]) {
      expect(epochMsOf(v), String(v)).toBeNaN();
    }
  });

  it("ISO-8601 with Z or an offset, 0 to 3 decimals: the instant it names", () => {
    const cases: [string, number][] = [
      ["2026-01-10T14:23:45Z", Date.UTC(2026, 0, 10, 14, 23, 45)],
      ["2026-01-10T14:23:45.1Z", Date.UTC(2026, 0, 10, 14, 23, 45, 100)],
      ["2026-01-10T14:23:45.12Z", Date.UTC(2026, 0, 10, 14, 23, 45, 120)],
      ["2026-01-10T14:23:45.123Z", Date.UTC(2026, 0, 10, 14, 23, 45, 123)],
      ["2026-01-10T14:23:45+05:30", Date.UTC(2026, 0, 10, 8, 53, 45)],
      ["2026-01-10T14:23:45.5-01:00", Date.UTC(2026, 0, 10, 15, 23, 45, 500)],
    ];
    for (const [s, ms] of cases) expect(epochMsOf(s), s).toBe(ms);
  });

  it("refuses every other spelling, local times included", () => {
    for (const s of [
      "2026-01-10T14:23:45", // local time: its meaning depends on the engine
      "2026-01-10 14:23:45Z",
      "2026-01-10T14:23:45.1234Z",
      "2026-01-10T14:23:45.Z",
      "2026-01-10T14:23Z",
      "26-01-10T14:23:45Z",
      "20261-01-10T14:23:45Z",
      "2026-1-10T14:23:45Z",
      "2026-01-10T14:23:45*05:00",
      "2026-01-10T14:23:45+0530",
      "2026-01-10T14:23:45+05:3",
      "x2026-01-10T14:23:45Z",
      "2026-01-10T14:23:45Zx",
      " 2026-01-10T14:23:45Z",
      "1768055025123",
      "",
    ]) {
      expect(epochMsOf(s), s).toBeNaN();
    }
  });
});
