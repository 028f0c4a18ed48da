import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { sliceLengthOf, WindowGrid } from "../../src/core/stream/window-grid";

const grid = (size: number, slide: number, offset = 0, allowedLateness = 0) => new WindowGrid("w", { size, slide, offset, allowedLateness });

describe("WindowGrid", () => {
  it("places windows on offset + k·slide, for negative times too", () => {
    const g = grid(60_000, 15_000, 5_000);
    expect(g.startAfter(5_000)).toBe(20_000);
    expect(g.startAfter(4_999)).toBe(5_000);
    expect(g.startAfter(-10_001)).toBe(-10_000);
    expect(g.endAfter(65_000)).toBe(80_000);
    expect(g.endAfter(64_999)).toBe(65_000);
    expect(g.lastEndContaining(20_000)).toBe(80_000);
    expect(g.lastEndContaining(19_999)).toBe(65_000);
    expect(g.lastEndContaining(-1)).toBe(50_000);
  });

  it("refuses an element once every window holding it is past its lateness", () => {
    const g = grid(60_000, 15_000, 0, 10_000);
    // The last window holding 30 000 ends at 90 000: late at watermark 99 999 (end - 1 + lateness).
    expect(g.isLate(30_000, 99_998)).toBe(false);
    expect(g.isLate(30_000, 99_999)).toBe(true);
    // At watermark 99 999 the first window that can still fire or update starts at 45 000.
    expect(g.firstLiveStart(99_999)).toBe(45_000);
    expect(g.firstLiveStart(99_998)).toBe(30_000);
  });

  it("keeps its arithmetic true for any integer time", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.nat(),
        fc.integer({ min: -1e9, max: 1e9 }),
        (a, b, o, t) => {
          const slide = Math.min(a, b);
          const size = Math.max(a, b);
          const g = grid(size, slide, o % slide);
          const end = g.lastEndContaining(t);
          expect(end - size).toBeLessThanOrEqual(t);
          expect(end).toBeGreaterThan(t);
          expect(end + slide - size).toBeGreaterThan(t); // the next window does not hold t
          const after = g.startAfter(t);
          expect(after).toBeGreaterThan(t);
          expect(after - slide).toBeLessThanOrEqual(t);
          expect(g.endAfter(t) - slide).toBeLessThanOrEqual(t);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("cuts slices every grid is made of, and checks its spec", () => {
    expect(sliceLengthOf([grid(300_000, 30_000), grid(120_000, 15_000)])).toBe(15_000);
    expect(sliceLengthOf([grid(60_000, 60_000, 10_000)])).toBe(10_000);
    expect(() => grid(10, 20)).toThrow("slide 20 is larger than size 10");
  });
});
