/**
 * The bounded-out-of-orderness watermark's exact values: max event time seen - delay - 1, from
 * events and from the clock, never backwards, +Infinity at the end of input.
 */
import { describe, expect, it } from "vitest";
import { BoundedOutOfOrdernessWatermark } from "../../src/core/stream/watermark";

describe("BoundedOutOfOrdernessWatermark", () => {
  it("starts at -Infinity with nothing seen", () => {
    const w = new BoundedOutOfOrdernessWatermark(30_000);
    expect(w.current).toBe(-Infinity);
    expect(w.maxSeen).toBe(-Infinity);
    expect(w.delayMs).toBe(30_000);
  });

  it("is the max event time seen minus the delay minus 1, and says when it advanced", () => {
    const w = new BoundedOutOfOrdernessWatermark(30_000);
    expect(w.observe(100_000)).toBe(true);
    expect(w.current).toBe(69_999);
    expect(w.maxSeen).toBe(100_000);
    // Out of order, and equal: neither moves it, nor what it has seen.
    expect(w.observe(90_000)).toBe(false);
    expect(w.maxSeen).toBe(100_000);
    expect(w.observe(100_000)).toBe(false);
    expect(w.current).toBe(69_999);
    expect(w.maxSeen).toBe(100_000);
    expect(w.observe(100_001)).toBe(true);
    expect(w.current).toBe(70_000);
  });

  it("with no delay trails the newest event by 1 ms", () => {
    const w = new BoundedOutOfOrdernessWatermark(0);
    w.observe(5);
    expect(w.current).toBe(4);
  });

  it("follows the clock behind it by the delay, never ahead, and never goes back", () => {
    const w = new BoundedOutOfOrdernessWatermark(30_000);
    expect(w.advanceByClock(1_000_000)).toBe(true);
    expect(w.current).toBe(969_999);
    // An earlier clock reading, and the same one: no change.
    expect(w.advanceByClock(999_000)).toBe(false);
    expect(w.advanceByClock(1_000_000)).toBe(false);
    expect(w.current).toBe(969_999);
    // An event stamped with that same reading: new, but it does not advance the watermark.
    expect(w.observe(1_000_000)).toBe(false);
    expect(w.current).toBe(969_999);
    // An old event does not take it back either.
    expect(w.observe(500_000)).toBe(false);
    expect(w.current).toBe(969_999);
    expect(w.maxSeen).toBe(1_000_000);
    // A newer one moves it past the clock's.
    expect(w.observe(1_000_005)).toBe(true);
    expect(w.current).toBe(970_004);
    expect(w.advanceByClock(1_000_004)).toBe(false);
    expect(w.advanceByClock(1_000_006)).toBe(true);
    expect(w.current).toBe(970_005);
  });

  it("goes to +Infinity at the end of input, and stays there", () => {
    const w = new BoundedOutOfOrdernessWatermark(10);
    w.observe(50);
    w.finish();
    expect(w.current).toBe(Infinity);
    expect(w.observe(1e15)).toBe(false);
    expect(w.current).toBe(Infinity);
    expect(w.advanceByClock(1e15)).toBe(false);
    expect(w.current).toBe(Infinity);
  });

  it("refuses a delay that is negative or not a whole number of ms, naming it", () => {
    expect(() => new BoundedOutOfOrdernessWatermark(-1)).toThrow("watermark delay must be a non-negative integer of ms, got -1");
    expect(() => new BoundedOutOfOrdernessWatermark(1.5)).toThrow("got 1.5");
    expect(() => new BoundedOutOfOrdernessWatermark(Number.NaN)).toThrow("got NaN");
  });
});
