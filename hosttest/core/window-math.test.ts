import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkWindowSpec, floorMod, gcd, type WindowSpec, windowStartFor } from "../../src/core/stream/window-math";

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

  it("checkWindowSpec takes every edge of a valid spec", () => {
    const ok: WindowSpec[] = [
      { size: 1, slide: 1, offset: 0, allowedLateness: 0 },
      { size: 300_000, slide: 300_000, offset: 299_999, allowedLateness: 120_000 },
      { size: 300_000, slide: 30_000, offset: 0, allowedLateness: 0 },
    ];
    for (const spec of ok) expect(() => checkWindowSpec("w", spec)).not.toThrow();
  });

  it("checkWindowSpec names the window and the parameter it refuses, with the value", () => {
    const base: WindowSpec = { size: 60_000, slide: 15_000, offset: 0, allowedLateness: 0 };
    const refused: [Partial<WindowSpec>, string][] = [
      [{ size: 0 }, "window w: size must be a positive integer of ms, got 0"],
      [{ size: -60_000 }, "window w: size must be a positive integer of ms, got -60000"],
      [{ size: 60_000.5 }, "window w: size must be a positive integer of ms, got 60000.5"],
      [{ slide: 0 }, "window w: slide must be a positive integer of ms, got 0"],
      [{ slide: -1 }, "window w: slide must be a positive integer of ms, got -1"],
      [{ slide: 1.5 }, "window w: slide must be a positive integer of ms, got 1.5"],
      [{ slide: 60_001 }, "window w: slide 60001 is larger than size 60000 (gaps between windows)"],
      [{ offset: -1 }, "window w: offset must be an integer in 0..slide-1, got -1"],
      [{ offset: 15_000 }, "window w: offset must be an integer in 0..slide-1, got 15000"],
      [{ offset: 0.5 }, "window w: offset must be an integer in 0..slide-1, got 0.5"],
      [{ allowedLateness: -1 }, "window w: allowedLateness must be a non-negative integer of ms, got -1"],
      [{ allowedLateness: 0.5 }, "window w: allowedLateness must be a non-negative integer of ms, got 0.5"],
    ];
    for (const [change, message] of refused) expect(() => checkWindowSpec("w", { ...base, ...change })).toThrow(message);
  });
});
