// Engine-neutral tests of the MQTT packet id allocator (also run inside XS).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MAX_PACKET_ID, PacketIdAllocator } from "../../src/core/mqtt/session/packet-id-allocator";
import { SeededRandom } from "../../src/sim/seeded-random";

/** The broker acknowledges one of the `live` ids, picked at random: the model forgets it, the allocator releases it. */
function ackRandom(rnd: SeededRandom, a: PacketIdAllocator, live: number[], flag: Uint8Array): boolean {
  const j = rnd.below(live.length);
  const id = live[j]!;
  live[j] = live[live.length - 1]!;
  live.pop();
  flag[id] = 0;
  return a.release(id);
}

describe("PacketIdAllocator", () => {
  it("hands out 1, 2, 3 ... 65535, then wraps to 1", () => {
    const a = new PacketIdAllocator();
    for (let i = 1; i <= MAX_PACKET_ID; i++) {
      const id = a.allocate();
      if (id !== i) expect(id).toBe(i);
      a.release(id);
    }
    expect(a.allocate()).toBe(1);
    expect(a.allocate()).toBe(2);
    expect(a.inFlight).toBe(2);
  });

  it("skips ids still in flight when it wraps", () => {
    const a = new PacketIdAllocator();
    expect(a.allocate()).toBe(1);
    expect(a.allocate()).toBe(2);
    expect(a.allocate()).toBe(3);
    a.release(2);
    for (let i = 4; i <= MAX_PACKET_ID; i++) a.release(a.allocate());
    // 1 and 3 are still in flight: the wrap lands on 2, then 4.
    expect(a.allocate()).toBe(2);
    expect(a.allocate()).toBe(4);
    expect(a.isInFlight(1)).toBe(true);
    expect(a.isInFlight(3)).toBe(true);
  });

  it("skips a long run of ids in flight", () => {
    const a = new PacketIdAllocator();
    for (let i = 1; i <= 200; i++) expect(a.allocate()).toBe(i);
    for (let i = 201; i <= MAX_PACKET_ID; i++) a.release(a.allocate());
    a.release(150);
    expect(a.allocate()).toBe(150);
    expect(a.allocate()).toBe(201);
  });

  it("returns 0 when all 65535 ids are in flight, and the released id after", () => {
    const a = new PacketIdAllocator();
    for (let i = 1; i <= MAX_PACKET_ID; i++) a.allocate();
    expect(a.inFlight).toBe(MAX_PACKET_ID);
    expect(a.allocate()).toBe(0);
    expect(a.allocate()).toBe(0);
    expect(a.release(40000)).toBe(true);
    expect(a.allocate()).toBe(40000);
    expect(a.allocate()).toBe(0);
  });

  it("release and reserve refuse ids outside 1..65535 or in the wrong state", () => {
    const a = new PacketIdAllocator();
    expect(a.release(0)).toBe(false);
    expect(a.release(1)).toBe(false);
    expect(a.release(65536)).toBe(false);
    expect(a.reserve(0)).toBe(false);
    expect(a.reserve(65536)).toBe(false);
    expect(a.reserve(1.5)).toBe(false);
    expect(a.reserve(7)).toBe(true);
    expect(a.reserve(7)).toBe(false);
    expect(a.isInFlight(7)).toBe(true);
    for (let i = 1; i <= 6; i++) a.allocate();
    expect(a.allocate()).toBe(8);
    a.releaseAll();
    expect(a.inFlight).toBe(0);
    expect(a.isInFlight(7)).toBe(false);
    expect(a.allocate()).toBe(9);
    // Out of range is never in flight nor releasable, whatever the table's empty slots hold (0).
    const fresh = new PacketIdAllocator(4);
    for (const id of [0, -1, 65536, 0.5]) {
      expect(fresh.isInFlight(id), String(id)).toBe(false);
      expect(fresh.release(id), String(id)).toBe(false);
    }
    expect(fresh.reserve(65535)).toBe(true);
    expect(fresh.isInFlight(65535)).toBe(true);
    expect(fresh.allocate()).toBe(1);
    expect(fresh.release(65535)).toBe(true);
    expect(fresh.isInFlight(65535)).toBe(false);
  });

  it("holds at most `capacity` ids: allocate answers 0 and reserve false at capacity, the set's table sized to it", () => {
    const a = new PacketIdAllocator(3);
    expect(a.capacity).toBe(3);
    expect([a.allocate(), a.allocate(), a.allocate()]).toEqual([1, 2, 3]);
    expect(a.allocate()).toBe(0);
    expect(a.reserve(100)).toBe(false);
    expect(a.release(2)).toBe(true);
    expect(a.allocate()).toBe(4);
    expect(a.inFlight).toBe(3);
    for (const bad of [0, -1, 1.5, 65536, Number.NaN]) expect(() => new PacketIdAllocator(bad)).toThrow(/capacity must be an integer in \[1, 65535\]/);
  });

  it("ids that share a home slot (same low bits) are found, released and refilled in any order", () => {
    // Capacity 4: a table of 8 slots; 1, 9, 17, 25 all start at slot 1.
    const orders = [
      [1, 9, 17, 25],
      [25, 17, 9, 1],
      [9, 25, 1, 17],
      [17, 1, 25, 9],
    ];
    for (const order of orders) {
      const a = new PacketIdAllocator(4);
      for (const id of [1, 9, 17, 25]) expect(a.reserve(id)).toBe(true);
      const left = new Set([1, 9, 17, 25]);
      for (const id of order) {
        expect(a.release(id)).toBe(true);
        expect(a.release(id)).toBe(false);
        left.delete(id);
        for (const other of [1, 9, 17, 25]) expect(a.isInFlight(other)).toBe(left.has(other));
      }
      expect(a.inFlight).toBe(0);
      // 7 and 8 sit in slots 7 and 0, so 15 wraps around the table's end to slot 2.
      expect([7, 15, 8, 16].map((id) => a.reserve(id))).toEqual([true, true, true, true]);
      const afterRelease = (id: number) => [a.release(id), a.isInFlight(15), a.isInFlight(16)];
      expect([afterRelease(7), afterRelease(8)]).toEqual([
        [true, true, true],
        [true, true, true],
      ]);
    }
  });

  it("with a terminal's capacity (window 8 + 4 subscriptions), random acks: the same ids as the model over 100k publishes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 12 }), (seed, window) => {
        const rnd = new SeededRandom(seed);
        const a = new PacketIdAllocator(12);
        const flag = new Uint8Array(MAX_PACKET_ID + 1);
        const live: number[] = [];
        let last = 0;
        for (let k = 0; k < 100_000; k++) {
          while (live.length > 0 && (live.length >= window || rnd.below(3) === 0)) {
            if (!ackRandom(rnd, a, live, flag)) return false;
          }
          const id = a.allocate();
          let expected = last;
          do expected = expected >= MAX_PACKET_ID ? 1 : expected + 1;
          while (flag[expected] === 1);
          if (id !== expected) return false;
          last = id;
          flag[id] = 1;
          live.push(id);
          if (a.inFlight !== live.length) return false;
        }
        return true;
      }),
      { numRuns: 4, seed: 25 },
    );
  });

  it("over >= 200k publishes with random acks: never 0, never an id in flight, always the next free id, and it wraps", () => {
    let total = 0;
    let wraps = 0;
    let skips = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 4 }), (seed, window, ackBias) => {
        const rnd = new SeededRandom(seed);
        const a = new PacketIdAllocator();
        const flag = new Uint8Array(MAX_PACKET_ID + 1);
        const live: number[] = [];
        const stuck: number[] = [];
        const stuckUntil: number[] = [];
        let last = 0;
        const n = 70_000;
        for (let k = 0; k < n; k++) {
          // Random acks, in random order: long-lived ids make the allocator skip at the wrap.
          while (live.length > 0 && (live.length >= window || rnd.below(ackBias + 1) === 0)) {
            if (!ackRandom(rnd, a, live, flag)) return false;
          }
          // A few ids stay unacknowledged for a long time (lost PUBACKs, slow broker).
          for (let j = stuck.length - 1; j >= 0; j--) {
            if (stuckUntil[j]! <= k) {
              flag[stuck[j]!] = 0;
              if (!a.release(stuck[j]!)) return false;
              stuck.splice(j, 1);
              stuckUntil.splice(j, 1);
            }
          }
          if (live.length > 0 && stuck.length < 64 && rnd.below(2000) === 0) {
            stuck.push(live.pop()!);
            stuckUntil.push(k + rnd.below(150_000));
          }
          const id = a.allocate();
          if (id < 1 || id > MAX_PACKET_ID || flag[id] === 1) return false;
          // Model: the first id after the last one, cyclically, not in flight.
          let expected = last;
          do {
            expected = expected >= MAX_PACKET_ID ? 1 : expected + 1;
            if (flag[expected] === 1) skips++;
          } while (flag[expected] === 1);
          if (id !== expected) return false;
          if (id < last) wraps++;
          last = id;
          flag[id] = 1;
          live.push(id);
          if (a.inFlight !== live.length + stuck.length) return false;
        }
        total += n;
        return true;
      }),
      { numRuns: 3, seed: 419 },
    );
    expect(total).toBeGreaterThanOrEqual(200_000);
    expect(wraps).toBeGreaterThanOrEqual(3);
    expect(skips).toBeGreaterThan(0);
  });
});
