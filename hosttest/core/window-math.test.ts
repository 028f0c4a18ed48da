import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { floorMod, gcd, windowStartFor } from "../../src/core/stream/window-math";

describe("window math", () => {
  it("windowStartFor follows Flink's formula for positive times", () => {
    expect(windowStartFor(14_999, 0, 15_000)).toBe(0);
    expect(windowStartFor(15_000, 0, 15_000)).toBe(15_000);
    expect(windowStartFor(15_001, 0, 15_000)).toBe(15_000);
    expect(windowStartFor(1_000, 500, 1_000)).toBe(500);
    expect(windowStartFor(499, 500, 1_000)).toBe(-500);
  });

  it("the start is the latest grid point at or before ts, for any integer ts", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 1e6 }), fc.nat(), (ts, slide, o) => {
        const offset = o % slide;
        const start = windowStartFor(ts, offset, slide);
        expect(start).toBeLessThanOrEqual(ts);
        expect(ts - start).toBeLessThan(slide);
        expect(floorMod(start - offset, slide)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("gcd and floorMod", () => {
    expect(gcd(120_000, 15_000)).toBe(15_000);
    expect(gcd(300_000, 45_000)).toBe(15_000);
    expect(floorMod(-1, 10)).toBe(9);
    expect(floorMod(10, 10)).toBe(0);
  });
});
