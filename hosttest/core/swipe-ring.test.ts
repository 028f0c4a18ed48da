import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SwipeRing } from "../../src/core/stream/swipe-ring";
import { createEmptySwipe } from "../../src/core/model/swipe";

function swipeAt(i: number) {
  const s = createEmptySwipe();
  s.transaction_id = "t" + i;
  s.timestamp = 1_000 + i;
  s.amount_cents = 100 + i;
  return s;
}

describe("swipe ring buffer", () => {
  it("keeps the newest `capacity` swipes, overwriting the oldest and counting it", () => {
    const ring = new SwipeRing(3);
    for (let i = 0; i < 5; i++) ring.push(swipeAt(i), i + 1);
    expect(ring.size).toBe(3);
    expect(ring.overwritten).toBe(2);
    expect(ring.pushed).toBe(5);
    const out = createEmptySwipe();
    expect(ring.read(0, out)).toBe(3);
    expect(out.transaction_id).toBe("t2");
    expect(ring.eventTimeAt(2)).toBe(1_004);
    expect(ring.requestSeqAt(2)).toBe(5);
  });

  it("iterates oldest-first and newest-first, and stops early on request", () => {
    const ring = new SwipeRing(4);
    for (let i = 0; i < 6; i++) ring.push(swipeAt(i), i);
    const fwd: number[] = [];
    ring.forEach((p) => void fwd.push(ring.amountAt(p)));
    const back: number[] = [];
    ring.forEach((p) => void back.push(ring.amountAt(p)), true);
    expect(fwd).toEqual([102, 103, 104, 105]);
    expect(back).toEqual([105, 104, 103, 102]);
    const firstTwo: number[] = [];
    ring.forEach((p) => {
      firstTwo.push(p);
      return firstTwo.length < 2;
    });
    expect(firstTwo).toEqual([0, 1]);
  });

  it("refuses positions outside the held range and bad capacities", () => {
    const ring = new SwipeRing(2);
    expect(() => ring.eventTimeAt(0)).toThrow("outside");
    ring.push(swipeAt(1), 1);
    expect(() => ring.eventTimeAt(1)).toThrow("outside");
    expect(() => new SwipeRing(0)).toThrow("positive integer");
    expect(() => ring.eventTimeAt(-1)).toThrow("ring position -1 outside 0..0");
    expect(() => ring.txIdAt(1)).toThrow("ring position 1 outside 0..0");
  });

  it("push answers the new swipe's position; every field reads back at it; clear empties it", () => {
    const ring = new SwipeRing(2);
    const s = swipeAt(7);
    s.card_hash = "card-7";
    s.merchant_id = "merch-7";
    s.terminal_id = "term-7";
    s.currency = "EUR";
    s.lat = 1.5;
    s.lon = -2.5;
    s.terminal_time = 99;
    expect(ring.push(swipeAt(6), 6)).toBe(0);
    expect(ring.push(s, 7)).toBe(1);
    expect(ring.push(s, 8)).toBe(1); // full: still the newest position
    expect([ring.keyAt(0, "card_hash"), ring.keyAt(0, "merchant_id"), ring.keyAt(0, "terminal_id")]).toEqual(["card-7", "merch-7", "term-7"]);
    const out = createEmptySwipe();
    expect(ring.read(0, out)).toBe(7);
    expect(out).toEqual({ ...s });
    expect(ring.txIdAt(1)).toBe("t7");
    ring.clear();
    expect(ring.size).toBe(0);
    expect(() => ring.eventTimeAt(0)).toThrow("outside");
    expect(ring.push(swipeAt(9), 9)).toBe(0);
    expect(ring.txIdAt(0)).toBe("t9");
  });

  it("behaves like an array that keeps its last `capacity` items", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 1, max: 1e6 }), { maxLength: 100 }), (cap, amounts) => {
        const ring = new SwipeRing(cap);
        amounts.forEach((a, i) => {
          const s = swipeAt(i);
          s.amount_cents = a;
          ring.push(s, i);
        });
        const expected = amounts.slice(Math.max(0, amounts.length - cap));
        const got: number[] = [];
        ring.forEach((p) => void got.push(ring.amountAt(p)));
        expect(got).toEqual(expected);
        expect(ring.overwritten).toBe(Math.max(0, amounts.length - cap));
      }),
      { numRuns: 200 },
    );
  });
});
