import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SlicePool } from "../../src/core/stream/slice-pool";
import type { WindowAggregate } from "../../src/core/stream/window-result";

const empty = (): WindowAggregate => ({ count: -1, sum: -1, min: -1, max: -1, small: -1 });

/** The starts of `slot`'s slices, oldest first, following `next` (and checked against `prev`). */
function startsOf(pool: SlicePool, slot: number): number[] {
  const out: number[] = [];
  let before = -1;
  for (let s = pool.head[slot]; s >= 0; s = pool.next[s]) {
    expect(pool.prev[s]).toBe(before);
    out.push(pool.start[s]);
    before = s;
  }
  expect(pool.tail[slot]).toBe(before);
  return out;
}

describe("SlicePool", () => {
  it("takes slices into a key's list in the place it is given, each with its first element, and folds more in", () => {
    const pool = new SlicePool(4, 2, 500);
    const b = pool.take(0, -1, 2_000, 100);
    const a = pool.take(0, -1, 1_000, 600); // first
    const c = pool.take(0, b, 3_000, 700); // after b
    expect(startsOf(pool, 0)).toEqual([1_000, 2_000, 3_000]);
    expect(startsOf(pool, 1)).toEqual([]);
    expect(pool.size).toBe(3);
    expect([pool.count[a], pool.sum[a], pool.min[a], pool.max[a], pool.small[a]]).toEqual([1, 600, 600, 600, 0]);
    expect(pool.small[b]).toBe(1);
    pool.add(c, 200);
    pool.add(c, -50);
    expect([pool.count[c], pool.sum[c], pool.min[c], pool.max[c], pool.small[c]]).toEqual([3, 850, -50, 700, 2]);
  });

  it("says when it is exhausted, and reuses what was released", () => {
    const pool = new SlicePool(2, 1, 500);
    expect(pool.take(0, -1, 0, 1)).toBeGreaterThanOrEqual(0);
    const last = pool.take(0, pool.tail[0], 10, 1);
    expect(pool.take(0, pool.tail[0], 20, 1)).toBe(-1);
    expect(pool.releaseBefore(0, 10)).toBe(false);
    expect(startsOf(pool, 0)).toEqual([10]);
    expect(pool.head[0]).toBe(last);
    const again = pool.take(0, last, 20, -7);
    expect(again).toBeGreaterThanOrEqual(0);
    expect([pool.count[again], pool.sum[again], pool.min[again], pool.max[again], pool.small[again]]).toEqual([1, -7, -7, -7, 1]);
    expect(pool.releaseBefore(0, 1_000)).toBe(true);
    expect(startsOf(pool, 0)).toEqual([]);
    expect(pool.size).toBe(0);
  });

  it("finds the newest slice before a time, and the last of a run before a time", () => {
    const pool = new SlicePool(8, 1, 500);
    let s = -1;
    for (const t of [0, 10, 20, 40]) s = pool.take(0, s, t, 1);
    expect(pool.start[pool.newestBefore(0, 40)]).toBe(20);
    expect(pool.start[pool.newestBefore(0, 41)]).toBe(40);
    expect(pool.newestBefore(0, 0)).toBe(-1);
    const first = pool.head[0];
    expect(pool.start[pool.lastBefore(first, 25)]).toBe(20);
    expect(pool.lastBefore(first, 5)).toBe(first);
    expect(pool.start[pool.lastBefore(first, 1e9)]).toBe(40);
  });

  it("combines a window walking back from its newest slice, and releases a key's slices", () => {
    const pool = new SlicePool(8, 2, 500);
    let s = -1;
    for (const [t, amounts] of [[0, [100]], [10, [900, 300]], [30, [50]]] as [number, number[]][]) {
      s = pool.take(1, s, t, amounts[0]);
      for (const a of amounts.slice(1)) pool.add(s, a);
    }
    const late = empty();
    expect(pool.start[pool.combine(pool.tail[1], 20, late)]).toBe(10);
    expect(late).toEqual({ count: 1, sum: 50, min: 50, max: 50, small: 1 });
    const middle = empty();
    // From the slice at 20 back: [10, 30).
    expect(pool.start[pool.combine(pool.newestBefore(1, 30), 10, middle)]).toBe(0);
    expect(middle).toEqual({ count: 2, sum: 1_200, min: 300, max: 900, small: 1 });
    const all = empty();
    expect(pool.combine(pool.tail[1], -Infinity, all)).toBe(-1);
    expect(all).toEqual({ count: 4, sum: 1_350, min: 50, max: 900, small: 3 });
    expect(pool.releaseBefore(1, Infinity)).toBe(true);
    expect(startsOf(pool, 1)).toEqual([]);
    expect(pool.size).toBe(0);
  });

  it("combines what a brute-force fold over the elements gives", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: -1_000, max: 1_000 })), { maxLength: 60 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        (elements, x, y) => {
          const [from, to] = [Math.min(x, y) * 10, Math.max(x, y) * 10];
          const pool = new SlicePool(10, 1, 0);
          // Slices at 0, 10, ..., 90 (each made with an element of 0), each element into slice i.
          let s = -1;
          for (let i = 0; i < 10; i++) s = pool.take(0, s, i * 10, 0);
          for (const [i, amount] of elements) pool.add(pool.head[0] + i, amount);
          // The window [from, to): from its newest slice back.
          const into = empty();
          pool.combine(pool.newestBefore(0, to), from, into);
          const inside = elements.filter(([i]) => i * 10 >= from && i * 10 < to).map(([, a]) => a);
          for (let i = from / 10; i < to / 10; i++) inside.push(0);
          expect(into.count).toBe(inside.length);
          expect(into.sum).toBe(inside.reduce((t, a) => t + a, 0));
          expect(into.small).toBe(inside.filter((a) => a < 0).length);
          if (inside.length > 0) {
            expect(into.min).toBe(Math.min(...inside));
            expect(into.max).toBe(Math.max(...inside));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
