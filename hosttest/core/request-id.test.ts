import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RequestIdAllocator } from "../../src/core/model/request-id";
import { RecentIdSet } from "../../src/core/stream/recent-id-set";
import { hashString } from "../../src/core/lib/string-hash";

const rnd = (v: number) => ({ nextUint32: () => v });

describe("request ids", () => {
  it("combine terminal, persisted boot counter and sequence", () => {
    const ids = new RequestIdAllocator("term_1", { nextBoot: () => 42 }, rnd(0));
    expect(ids.format(ids.next())).toBe("term_1-16-1");
    expect(ids.format(ids.next())).toBe("term_1-16-2");
    expect(ids.issued).toBe(2);
  });

  it("fall back to a random boot part, marked, when the counter cannot be stored", () => {
    const ids = new RequestIdAllocator("term_1", { nextBoot: () => null }, rnd(0xdeadbeef));
    expect(ids.format(1)).toBe("term_1-r" + (0xdeadbeef).toString(36) + "-1");
  });

  it("take boot 0 as it is, and a boot number that is negative or not whole as a failed counter", () => {
    expect(new RequestIdAllocator("t", { nextBoot: () => 0 }, rnd(7)).bootPart).toBe("0");
    expect(new RequestIdAllocator("t", { nextBoot: () => 1 }, rnd(7)).bootPart).toBe("1");
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(new RequestIdAllocator("t", { nextBoot: () => bad }, rnd(35)).bootPart).toBe("rz");
    }
  });

  it("are unique across reboots and sequences", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 1e6 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 60 }), (boots, perBoot) => {
        const seen = new Set<string>();
        for (const b of boots) {
          const ids = new RequestIdAllocator("t-1", { nextBoot: () => b }, rnd(1));
          for (let i = 0; i < perBoot; i++) seen.add(ids.format(ids.next()));
        }
        expect(seen.size).toBe(boots.length * perBoot);
      }),
      { numRuns: 100 },
    );
  });
});

describe("recent id set", () => {
  it("remembers the last N ids and forgets the oldest", () => {
    const s = new RecentIdSet(2);
    expect(s.add("a")).toBe(true);
    expect(s.add("a")).toBe(false);
    s.add("b");
    s.add("c");
    expect(s.has("a")).toBe(false);
    expect(s.has("b")).toBe(true);
    expect(s.size).toBe(2);
    expect(s.forgotten).toBe(1);
    expect(new RecentIdSet(1).add("x")).toBe(true);
    for (const bad of [0, -1, 1.5]) expect(() => new RecentIdSet(bad)).toThrow(`id set capacity must be a positive integer, got ${bad}`);
  });

  it("agrees with an unbounded model over the last N distinct ids", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), fc.boolean(), (cap, xs, collide) => {
        const s = new RecentIdSet(cap);
        const window: string[] = [];
        for (const x of xs) {
          const id = "i" + x;
          const fresh = !window.includes(id);
          // With `collide`, every id gets one of two hashes: long probe runs and shifts.
          expect(s.add(id, collide ? x % 2 : hashString(id))).toBe(fresh);
          if (fresh) {
            window.push(id);
            if (window.length > cap) window.shift();
          }
          for (const w of window) expect(s.has(w, collide ? Number(w.slice(1)) % 2 : hashString(w))).toBe(true);
          expect(s.size).toBe(window.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
