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

  it("among keys last used at the same time, evicts the first held (the table's own order)", () => {
    const t = new KeySlotTable(3, 1e9);
    const removed: string[] = [];
    t.onRemove = (slot) => removed.push(t.keys[slot]);
    for (const k of ["a", "b", "c"]) use(t, k, 0);
    t.release(t.find("a")); // the last held, c, takes a's place: c, b
    use(t, "d", 0);
    use(t, "e", 1);
    expect(removed).toEqual(["c"]);
    use(t, "f", 1);
    expect(removed).toEqual(["c", "b"]);
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

  it("uses by touch, releases and expiry keep the recency order: evictions and expirations as a model's", () => {
    // op: [kind, key]; kind 0 acquire, 1 touch (if held), 2 release (if held), 3 let time pass to expire.
    const op = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 7 }));
    fc.assert(
      // `ask`: leastRecentlyUsed is checked after every op (the list starts at once), else only
      // once at the end (the list starts at the first eviction, with expiry by search before).
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 150 }), fc.boolean(), (cap, ops, ask) => {
        const ttl = 20;
        const t = new KeySlotTable(cap, ttl);
        const model = new Map<string, number>(); // key -> last use, least recent first
        const removed: string[] = [];
        const expected: string[] = [];
        const tally = { evicted: 0, expired: 0, released: 0 };
        t.onRemove = (slot, why) => removed.push(why + ":" + t.keys[slot]);
        let now = 0;
        for (const [kind, k] of ops) {
          const key = "k" + k;
          now += 1 + (kind === 3 ? k * 3 : 0);
          t.expireIdle(now);
          for (const [mk, at] of [...model]) {
            if (now - at >= ttl) {
              expected.push("expired:" + mk);
              tally.expired++;
              model.delete(mk);
            }
          }
          const slot = t.find(key);
          expect(slot >= 0).toBe(model.has(key));
          if (kind === 0) {
            if (!model.has(key) && model.size === cap) {
              const lru = model.keys().next().value as string;
              expected.push("evicted:" + lru);
              tally.evicted++;
              model.delete(lru);
            }
            model.delete(key);
            model.set(key, now);
            expect(t.keys[t.acquire(key)]).toBe(key);
          } else if (kind === 1 && slot >= 0) {
            model.delete(key);
            model.set(key, now);
            t.touch(slot);
          } else if (kind === 2 && slot >= 0) {
            model.delete(key);
            tally.released++;
            t.release(slot);
          }
          expect([t.evictions, t.expirations, t.releases]).toEqual([tally.evicted, tally.expired, tally.released]);
          // Each step removes what the model does (the keys one expiry pass frees, in any order).
          expect(removed.sort()).toEqual(expected.sort());
          removed.length = 0;
          expected.length = 0;
          expect(t.size).toBe(model.size);
          if (ask) checkLru();
        }
        checkLru();
        function checkLru(): void {
          const lru = model.size > 0 ? (model.keys().next().value as string) : undefined;
          expect(t.leastRecentlyUsed()).toBe(lru === undefined ? -1 : t.find(lru));
          // Other than the least recent: the next one.
          const second = [...model.keys()][1];
          if (lru !== undefined) expect(t.leastRecentlyUsed(t.find(lru))).toBe(second === undefined ? -1 : t.find(second));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a capacity or TTL it cannot use", () => {
    expect(new KeySlotTable(1, 1).capacity).toBe(1);
    for (const c of [0, -1, 1.5]) expect(() => new KeySlotTable(c, 10)).toThrow(`key capacity must be a positive integer, got ${c}`);
    for (const ttl of [0, -1, Number.NaN]) expect(() => new KeySlotTable(4, ttl)).toThrow(`key TTL must be positive ms, got ${ttl}`);
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
