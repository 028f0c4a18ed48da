import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { StringSlotIndex } from "../../src/core/lib/string-slot-index";
import { hashString } from "../../src/core/lib/string-hash";

describe("string slot index", () => {
  it("agrees with a Map under inserts and removals, even when every hash collides", () => {
    const op = fc.record({ key: fc.integer({ min: 0, max: 30 }), remove: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(op, { maxLength: 300 }), fc.constantFrom("real", "two", "one"), (cap, ops, hashing) => {
        const hashOf = (k: string) => (hashing === "real" ? hashString(k) : hashing === "two" ? k.length % 2 : 7);
        const idx = new StringSlotIndex(cap);
        const model = new Map<string, number>();
        const free: number[] = [];
        for (let s = cap - 1; s >= 0; s--) free.push(s);
        for (const o of ops) {
          const key = "key" + o.key;
          const at = model.get(key);
          if (o.remove && at !== undefined) {
            idx.remove(at);
            model.delete(key);
            free.push(at);
          } else if (!o.remove && at === undefined && free.length > 0) {
            const slot = free.pop() as number;
            idx.insert(key, hashOf(key), slot);
            model.set(key, slot);
          }
          for (let k = 0; k <= 30; k++) {
            const kk = "key" + k;
            expect(idx.find(kk, hashOf(kk))).toBe(model.get(kk) ?? -1);
          }
        }
        for (const [k, s] of model) expect(idx.keys[s]).toBe(k);
      }),
      { numRuns: 150 },
    );
  });
});
