import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KeySlotTable } from "../../src/core/stream/key-slot-table";

/** A use of `key` at processing time `now`. */
function use(t: KeySlotTable, key: string, now: number): number {
  t.advanceClock(now);
  return t.acquire(key);
}

describe("key slot table", () => {
  it("evicts the least recently used key when full, and says so first", () => {
    const t = new KeySlotTable(2, 1e9);
    const removed: string[] = [];
    t.onRemove = (slot, why) => removed.push(t.keys[slot] + ":" + why);
    const a = use(t, "a", 0);
    use(t, "b", 1);
    expect(use(t, "a", 2)).toBe(a); // touch a: b is now least recent
    use(t, "c", 3);
    expect(removed).toEqual(["b:evicted"]);
    expect(t.find("b")).toBe(-1);
    expect(t.find("a")).toBe(a);
    expect(t.evictions).toBe(1);
  });

  it("expires keys idle for the TTL, and only those", () => {
    const t = new KeySlotTable(4, 100);
    const removed: string[] = [];
    t.onRemove = (slot, why) => removed.push(t.keys[slot] + ":" + why);
    use(t, "a", 0);
    use(t, "b", 50);
    t.expireIdle(99);
    expect(removed).toEqual([]);
    t.expireIdle(100);
    expect(removed).toEqual(["a:expired"]);
    use(t, "c", 120);
    t.expireIdle(149);
    expect(removed).toEqual(["a:expired"]);
    t.expireIdle(150);
    expect(removed).toEqual(["a:expired", "b:expired"]);
    t.expireIdle(1_000);
    expect(removed).toEqual(["a:expired", "b:expired", "c:expired"]);
    expect(t.expirations).toBe(3);
    expect(t.size).toBe(0);
  });

  it("processing time that goes backwards does not resurrect or reorder keys", () => {
    const t = new KeySlotTable(4, 100);
    use(t, "a", 1_000);
    use(t, "b", 10); // clock stays at 1000
    t.expireIdle(1_099);
    expect(t.size).toBe(2);
    t.expireIdle(1_100);
    expect(t.size).toBe(0);
  });

  it("evicts by true recency: the key used longest ago goes first", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 100 }), (cap, seq) => {
        const t = new KeySlotTable(cap, 1e9);
        const order: string[] = []; // model: least recent first
        const evicted: string[] = [];
        const expected: string[] = [];
        t.onRemove = (slot) => evicted.push(t.keys[slot]);
        seq.forEach((k, now) => {
          const key = "k" + k;
          const at = order.indexOf(key);
          if (at >= 0) order.splice(at, 1);
          else if (order.length === cap) expected.push(order.shift() as string);
          order.push(key);
          use(t, key, now);
        });
        expect(evicted).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("never holds more than its capacity and keeps its index consistent", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.boolean()), { maxLength: 200 }), (cap, ops) => {
        const t = new KeySlotTable(cap, 1e9);
        let now = 0;
        for (const [k, release] of ops) {
          const key = "k" + k;
          const slot = use(t, key, now++);
          expect(t.keys[slot]).toBe(key);
          if (release) t.release(slot);
          expect(t.size).toBeLessThanOrEqual(cap);
        }
        const seen = new Set<number>();
        for (let i = 0; i < t.size; i++) {
          const s = t.slotAt(i);
          expect(t.find(t.keys[s])).toBe(s);
          seen.add(s);
        }
        expect(seen.size).toBe(t.size);
      }),
      { numRuns: 200 },
    );
  });
});
