// Engine-neutral tests of the heap margin the firmware reports (also run inside XS).
import { describe, expect, it } from "vitest";
import { HeapMargin } from "../../src/core/app/heap-margin";

const ESP32 = { slotBytes: 6_144 * 16, chunkBytes: 49_152, stackBytes: 768 * 16 };

describe("HeapMargin", () => {
  it("keeps the highest live readings and the deepest stack, and the headroom of each", () => {
    const m = new HeapMargin(ESP32);
    expect(m.measured).toBe(false);
    m.noteLive(20_000, 30_000);
    expect(m.measured).toBe(false); // no stack reading yet
    m.noteStack(4_000);
    m.noteLive(25_000, 28_000);
    m.noteStack(3_000);
    m.noteLive(22_000, 34_404);
    expect(m.measured).toBe(true);
    expect(m.peaks).toEqual({ slotBytes: 25_000, chunkBytes: 34_404, stackBytes: 4_000 });
    expect(m.headroom("slots")).toBe(74.6);
    expect(m.headroom("chunks")).toBe(30);
    expect(m.headroom("stack")).toBe(67.4);
    expect(m.minHeadroom()).toBe(30);
    expect(m.describe()).toBe("slots=25000/98304B chunks=34404/49152B stack=4000/12288B headroom=30.0%");
  });

  it("ignores NaN readings (a build without instrumentation) and shows an overrun as negative headroom", () => {
    const m = new HeapMargin(ESP32);
    m.noteLive(Number.NaN, Number.NaN);
    m.noteStack(Number.NaN);
    expect(m.measured).toBe(false);
    expect(m.peaks).toEqual({ slotBytes: 0, chunkBytes: 0, stackBytes: 0 });
    m.noteLive(1_000, 60_000);
    m.noteStack(13_000);
    expect(m.headroom("chunks")).toBe(-22.1);
    expect(m.headroom("stack")).toBe(-5.8);
    expect(m.minHeadroom()).toBe(-22.1);
  });

  it("measured needs both kinds of reading; a reading with any NaN is left out whole; a lower reading never lowers a peak", () => {
    const m = new HeapMargin(ESP32);
    m.noteStack(2_000);
    expect(m.measured).toBe(false); // no live reading yet
    m.noteLive(Number.NaN, 9_000);
    m.noteLive(9_000, Number.NaN);
    expect(m.measured).toBe(false);
    expect(m.peaks).toEqual({ slotBytes: 0, chunkBytes: 0, stackBytes: 2_000 });
    m.noteLive(90_000, 40_000);
    m.noteLive(10_000, 10_000);
    m.noteStack(1_000);
    expect(m.measured).toBe(true);
    expect(m.peaks).toEqual({ slotBytes: 90_000, chunkBytes: 40_000, stackBytes: 2_000 });
    // Each part can be the smallest headroom.
    expect([m.headroom("slots"), m.headroom("chunks"), m.headroom("stack")]).toEqual([8.4, 18.6, 83.7]);
    expect(m.minHeadroom()).toBe(8.4);
    const stackBound = new HeapMargin(ESP32);
    stackBound.noteLive(1_000, 1_000);
    stackBound.noteStack(12_000);
    expect(stackBound.minHeadroom()).toBe(2.3);
    const fresh = new HeapMargin(ESP32);
    fresh.noteLive(1_000, 1_000);
    fresh.noteStack(Number.NaN);
    expect(fresh.measured).toBe(false);
  });

  it("refuses a budget that is not positive whole bytes, naming the field", () => {
    expect(() => new HeapMargin({ ...ESP32, chunkBytes: 0 })).toThrow("heap budget chunkBytes must be a positive integer, got 0");
    expect(() => new HeapMargin({ ...ESP32, stackBytes: 1.5 })).toThrow("heap budget stackBytes must be a positive integer, got 1.5");
    expect(() => new HeapMargin({ ...ESP32, slotBytes: Number.NaN })).toThrow("heap budget slotBytes must be a positive integer, got NaN");
  });
});
