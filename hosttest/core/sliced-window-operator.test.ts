import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { hashString } from "../../src/core/lib/string-hash";
import { SlicedWindowOperator, STATE_FULL, type WindowQuery } from "../../src/core/stream/sliced-window-operator";
import { BoundedOutOfOrdernessWatermark } from "../../src/core/stream/watermark";
import type { WindowResult } from "../../src/core/stream/window-result";
import { firingKey, ReferenceWindows, type RefFiring } from "../support/reference-windows";

interface OpOptions { size: number; slide: number; offset: number; allowedLateness: number; maxKeys: number; keyTtlMs: number; maxSlices: number }

/** A watermark the tests set by hand. */
class ManualWatermark {
  current = -Infinity;
}

type TestOp = SlicedWindowOperator & { wm: ManualWatermark; advanceWatermark(w: number): void };

/** One query ("w") on one operator; tumbling 10 s by default; `advanceWatermark` sets the watermark and catches up. */
function makeOp(o: Partial<OpOptions> = {}): TestOp {
  const x = { size: 10_000, slide: 10_000, offset: 0, allowedLateness: 0, maxKeys: 64, keyTtlMs: 1e15, maxSlices: 20_000, ...o };
  const wm = new ManualWatermark();
  const op = new SlicedWindowOperator({
    keyField: "card_hash", smallAmountCents: 500, maxKeys: x.maxKeys, keyTtlMs: x.keyTtlMs, maxSlices: x.maxSlices,
    windows: [{ name: "w", size: x.size, slide: x.slide, offset: x.offset, allowedLateness: x.allowedLateness }],
  }, wm) as TestOp;
  op.wm = wm;
  op.advanceWatermark = (w: number) => {
    if (w > wm.current) wm.current = w;
    op.catchUp();
  };
  return op;
}

const LATE_FOR_W = 1;

interface Ev { key: string; ts: number; amount: number }

/** Feeds events like the pipeline does: add under the current watermark, then advance it. */
function drive(op: TestOp, delay: number, events: Ev[], finish = true) {
  const firings: RefFiring[] = [];
  const flags: WindowResult[] = [];
  const late: { key: string; ts: number }[] = [];
  op.onWindow((r) => {
    firings.push({ key: r.key, start: r.start, end: r.end, count: r.count, sum: r.sum, min: r.min, max: r.max, small: r.small, update: r.update });
    flags.push({ ...r });
  });
  const wm = new BoundedOutOfOrdernessWatermark(delay);
  for (const e of events) {
    const o = op.add(e.key, hashString(e.key), e.ts, e.amount);
    if (o === LATE_FOR_W) late.push({ key: e.key, ts: e.ts });
    if (wm.observe(e.ts)) op.advanceWatermark(wm.current);
  }
  if (finish) op.advanceWatermark(Infinity);
  return { firings, late, flags };
}

/**
 * Random out-of-order swipes: each event's clock steps forward (often by
 * multiples of 250 ms, so boundary hits are common) and its time lies some
 * way behind the clock. `steps`/`backs` are the largest such multiples,
 * `maxStep`/`maxBack` the largest arbitrary values in ms.
 */
function outOfOrderEvents(key: fc.Arbitrary<string>, o: { steps: number; maxStep: number; backs: number; maxBack: number; maxLength: number }) {
  return fc.array(
    fc.record({
      key,
      step: fc.oneof(fc.integer({ min: 0, max: o.steps }).map((x) => x * 250), fc.integer({ min: 0, max: o.maxStep })),
      back: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: o.backs }).map((x) => x * 250), fc.integer({ min: 0, max: o.maxBack })),
      amount: fc.integer({ min: 1, max: 2_000 }),
    }),
    { maxLength: o.maxLength },
  );
}

/**
 * Runs one query over random events (clock steps, times `back` behind it)
 * through the operator as the pipeline does and through the brute-force
 * model: same firings, same late elements, no state left.
 */
function expectSameAsReference(w: { size: number; slide: number; offset: number; allowedLateness: number }, delay: number, evs: { key: string; step: number; back: number; amount: number }[]): void {
  const ref = new ReferenceWindows({ size: w.size, slide: w.slide, offset: w.offset, lateness: w.allowedLateness, delay, small: 500 });
  const op = makeOp(w);
  let clock = 1_000_000;
  const stream: Ev[] = evs.map((e) => {
    clock += e.step;
    return { key: e.key, ts: clock - e.back, amount: e.amount };
  });
  for (const e of stream) ref.add(e.key, e.ts, e.amount);
  ref.advance(Infinity);
  const got = drive(op, delay, stream);
  expect(got.firings.map(firingKey).sort()).toEqual(ref.firings.map(firingKey).sort());
  expect(got.late).toEqual(ref.late);
  expect(op.liveSlices).toBe(0);
}

/**
 * Several queries on one operator (one key field) over random events, each against its own
 * brute-force model: the firings a query should make (none when silent; below minCount only for
 * the `kept` keys, every key when `kept` is absent), the same late elements, no state left.
 * `skipCatchUp(amount)` skips some catch-ups the way the pipeline may: add() must catch up itself.
 */
function expectQueriesSameAsReference(
  windows: WindowQuery[],
  delay: number,
  evs: { key: string; step: number; back: number; amount: number }[],
  o: { kept?: readonly string[]; skipCatchUp?: (amount: number) => boolean } = {},
): void {
  const wm = new BoundedOutOfOrdernessWatermark(delay);
  const op = new SlicedWindowOperator({ keyField: "card_hash", windows, smallAmountCents: 500, maxKeys: 64, keyTtlMs: 1e15, maxSlices: 20_000 }, wm);
  const kept = o.kept;
  if (kept !== undefined) op.keepLowCounts((key) => kept.includes(key));
  const refs = windows.map((w) => new ReferenceWindows({ size: w.size, slide: w.slide, offset: w.offset, lateness: w.allowedLateness, delay, small: 500 }));
  const got = windows.map(() => [] as string[]);
  const gotLate = windows.map(() => [] as string[]);
  op.onWindow((r) => got[Number(r.window.slice(1))].push(firingKey({ ...r })));
  let clock = 1_000_000;
  for (const e of evs) {
    clock += e.step;
    const ts = clock - e.back;
    for (const ref of refs) ref.add(e.key, ts, e.amount);
    const mask = op.add(e.key, hashString(e.key), ts, e.amount);
    windows.forEach((_, i) => {
      if (mask & (1 << i)) gotLate[i].push(e.key + "@" + ts);
    });
    if (wm.observe(ts) && wm.current >= op.dueAt && !(o.skipCatchUp?.(e.amount) ?? false)) op.catchUp();
  }
  wm.finish();
  op.catchUp();
  refs.forEach((ref, i) => {
    ref.advance(Infinity);
    const q = windows[i]!;
    const expected = q.silent === true ? [] : ref.firings.filter((f) => f.count >= (q.minCount ?? 0) || kept === undefined || kept.includes(f.key));
    expect(got[i].sort()).toEqual(expected.map(firingKey).sort());
    expect(gotLate[i]).toEqual(ref.late.map((l) => l.key + "@" + l.ts));
  });
  expect(op.liveSlices).toBe(0);
}

describe("sliced window operator", () => {
  it("a tumbling window fires exactly when the watermark reaches end - 1", () => {
    const op = makeOp();
    const seen: number[] = [];
    op.onWindow((r) => seen.push(r.count));
    op.add("a", hashString("a"), 1_000, 100);
    op.add("a", hashString("a"), 9_999, 300);
    op.advanceWatermark(9_998);
    expect(seen).toEqual([]);
    op.advanceWatermark(9_999);
    expect(seen).toEqual([2]);
    expect(op.liveSlices).toBe(0); // no lateness: purged at the same watermark
    expect(op.liveKeys).toBe(0);
  });

  it("sliding windows: each event lands in size/slide windows, combined from shared slices", () => {
    const op = makeOp({ size: 120_000, slide: 15_000 });
    expect(op.sliceLength).toBe(15_000);
    expect(makeOp({ size: 300_000, slide: 45_000 }).sliceLength).toBe(15_000);
    const { firings } = drive(op, 0, [{ key: "c", ts: 20_000, amount: 250 }]);
    expect(firings.map((f) => f.start)).toEqual([-90_000, -75_000, -60_000, -45_000, -30_000, -15_000, 0, 15_000]);
    for (const f of firings) {
      expect(f.end - f.start).toBe(120_000);
      expect(f.count).toBe(1);
      expect(f.small).toBe(1);
    }
  });

  it("window boundaries follow the offset", () => {
    const op = makeOp({ size: 60_000, slide: 60_000, offset: 5_000 });
    const { firings } = drive(op, 0, [{ key: "m", ts: 4_000, amount: 1 }, { key: "m", ts: 5_000, amount: 2 }]);
    expect(firings.map((f) => [f.start, f.count])).toEqual([[-55_000, 1], [5_000, 1]]);
  });

  it("aggregates count, sum, min, max and small amounts", () => {
    const op = makeOp();
    const { firings } = drive(op, 0, [
      { key: "a", ts: 100, amount: 450 }, { key: "a", ts: 200, amount: 2_000 }, { key: "a", ts: 300, amount: 99 },
    ]);
    expect(firings).toEqual([{ key: "a", start: 0, end: 10_000, count: 3, sum: 2_549, min: 99, max: 2_000, small: 2, update: false }]);
  });

  it("a small amount is one below smallAmountCents: 499 counts, 500 does not, in the newest slice and in an older one", () => {
    const op = makeOp({ size: 20_000, slide: 10_000 });
    const { firings } = drive(op, 15_000, [
      { key: "a", ts: 12_000, amount: 500 },
      { key: "a", ts: 13_000, amount: 499 },
      { key: "a", ts: 1_000, amount: 500 }, // an older slice than the newest
      { key: "a", ts: 2_000, amount: 499 },
    ]);
    expect(firings.map((f) => [f.start, f.end, f.count, f.small])).toEqual([
      [-10_000, 10_000, 2, 1],
      [0, 20_000, 4, 2],
      [10_000, 30_000, 2, 1],
    ]);
  });

  it("refuses a key with no window, more than 30, or no slices", () => {
    const wm = new ManualWatermark();
    const w = { name: "w", size: 10_000, slide: 10_000, offset: 0, allowedLateness: 0 };
    const make = (windows: (typeof w)[], maxSlices = 10) =>
      () => new SlicedWindowOperator({ keyField: "card_hash", smallAmountCents: 500, maxKeys: 4, keyTtlMs: 1e9, maxSlices, windows }, wm);
    expect(make([])).toThrow("key card_hash: between 1 and 30 window queries, got 0");
    expect(make(Array.from({ length: 31 }, (_, i) => ({ ...w, name: "w" + i })))).toThrow("key card_hash: between 1 and 30 window queries, got 31");
    expect(make(Array.from({ length: 30 }, (_, i) => ({ ...w, name: "w" + i })))).not.toThrow();
    expect(make([w], 0)).toThrow("key card_hash: maxSlices must be a positive integer");
    expect(make([w], 1.5)).toThrow("key card_hash: maxSlices must be a positive integer");
    expect(make([w], 1)).not.toThrow();
  });

  it("a late element within allowed lateness re-fires its window as an update", () => {
    const op = makeOp({ allowedLateness: 5_000 });
    const { firings, late } = drive(op, 0, [
      { key: "a", ts: 1_000, amount: 10 },
      { key: "a", ts: 12_000, amount: 10 }, // watermark 11_999: [0,10000) fires
      { key: "a", ts: 5_000, amount: 20 }, // late but within lateness
    ], false);
    expect(late).toEqual([]);
    expect(firings.map((f) => [f.start, f.count, f.sum, f.update])).toEqual([[0, 1, 10, false], [0, 2, 30, true]]);
  });

  it("a late element that is the first of its window fires it, not flagged as an update", () => {
    const op = makeOp({ allowedLateness: 5_000 });
    const { firings } = drive(op, 0, [{ key: "a", ts: 12_000, amount: 10 }, { key: "b", ts: 5_000, amount: 20 }], false);
    expect(firings).toEqual([{ key: "b", start: 0, end: 10_000, count: 1, sum: 20, min: 20, max: 20, small: 1, update: false }]);
  });

  it("beyond allowed lateness the element is refused as LATE and the window state is gone", () => {
    const op = makeOp({ allowedLateness: 5_000 });
    const { firings, late } = drive(op, 0, [
      { key: "a", ts: 1_000, amount: 10 },
      { key: "a", ts: 15_000, amount: 10 }, // wm 14_999 = 9_999 + 5_000: [0,10000) purged
      { key: "a", ts: 2_000, amount: 99 },
    ], false);
    expect(late).toEqual([{ key: "a", ts: 2_000 }]);
    expect(firings.map((f) => f.count)).toEqual([1]);
    expect(op.counters(0).late).toBe(1);
  });

  it("a window exactly at watermark = end - 1 + lateness is purged: a late element skips it", () => {
    const op = makeOp({ size: 20_000, slide: 10_000, allowedLateness: 5_000 });
    const seen: number[][] = [];
    op.onWindow((r) => seen.push([r.start, r.count]));
    op.add("a", hashString("a"), 5_000, 1);
    op.advanceWatermark(14_999); // [-10000, 10000) fired at 9_999 and purged now
    expect(seen).toEqual([[-10_000, 1]]);
    expect(op.add("a", hashString("a"), 6_000, 1)).toBe(0); // [0, 20000) still open
    expect(seen).toEqual([[-10_000, 1]]);
    op.advanceWatermark(19_999);
    expect(seen).toEqual([[-10_000, 1], [0, 2]]);
  });

  it("state stays bounded: slices and keys are freed after purge", () => {
    const op = makeOp({ size: 120_000, slide: 15_000, allowedLateness: 60_000 });
    const events: Ev[] = [];
    for (let i = 0; i < 2_000; i++) events.push({ key: "k" + (i % 37), ts: i * 1_000, amount: 100 + (i % 50) });
    drive(op, 30_000, events, false);
    // Live slices are bounded by the horizon (size + lateness + delay) / slice per key.
    expect(op.liveSlices).toBeLessThanOrEqual(37 * ((120_000 + 60_000 + 30_000) / 15_000 + 1));
    op.advanceWatermark(Infinity);
    expect(op.liveSlices).toBe(0);
    expect(op.liveKeys).toBe(0);
  });

  it("evicting the least recently used key fires its pending windows early, flagged", () => {
    const op = makeOp({ maxKeys: 2 });
    const { flags } = drive(op, 0, [
      { key: "a", ts: 1_000, amount: 1 }, { key: "b", ts: 1_001, amount: 1 }, { key: "c", ts: 1_002, amount: 1 },
    ], false);
    expect(flags.map((r) => [r.key, r.evicted])).toEqual([["a", true]]);
    expect(op.keys.evictions).toBe(1);
    expect(op.counters(0).flushed).toBe(1);
  });

  it("an exhausted slice pool evicts other keys, never the one being added", () => {
    const op = makeOp({ maxSlices: 2, maxKeys: 8 });
    const { flags } = drive(op, 0, [
      { key: "a", ts: 1_000, amount: 1 }, { key: "b", ts: 1_000, amount: 1 }, { key: "c", ts: 1_000, amount: 1 },
    ], false);
    expect(flags.map((r) => r.key)).toEqual(["a"]);
    expect(op.liveSlices).toBe(2);
    // One key cannot hold more slices than the pool: the element is refused, counted.
    const single = makeOp({ maxSlices: 1, maxKeys: 8 });
    expect(single.add("x", hashString("x"), 1_000, 1)).toBe(0);
    expect(single.add("x", hashString("x"), 20_000, 1)).toBe(STATE_FULL);
    expect(single.stateFull).toBe(1);
  });

  it("keys idle past the TTL (processing time) are flushed and freed", () => {
    const op = makeOp({ keyTtlMs: 60_000 });
    const out: WindowResult[] = [];
    op.onWindow((r) => out.push({ ...r }));
    op.expireIdle(0); // processing time of the add below
    op.add("a", hashString("a"), 1_000, 5);
    op.expireIdle(59_999);
    expect(op.liveKeys).toBe(1);
    op.expireIdle(60_000);
    expect(op.liveKeys).toBe(0);
    expect(op.keys.expirations).toBe(1);
    expect(out.map((r) => [r.key, r.count, r.evicted])).toEqual([["a", 1, true]]);
  });

  it("a key expiring while a catch-up is pending fires its due windows as usual, not flagged", () => {
    const op = makeOp({ keyTtlMs: 60_000 });
    const out: WindowResult[] = [];
    op.onWindow((r) => out.push({ ...r }));
    op.expireIdle(0);
    op.add("a", hashString("a"), 1_000, 5);
    op.wm.current = 9_999; // [0, 10000) is due, but nobody caught up
    op.expireIdle(60_000);
    expect(out.map((r) => [r.key, r.start, r.count, r.evicted])).toEqual([["a", 0, 1, false]]);
    expect(op.liveKeys).toBe(0);
    expect(op.keys.expirations).toBe(0); // freed by its purge, before it could expire
  });

  it("a full slice pool is relieved by a pending catch-up before any key is evicted", () => {
    const op = makeOp({ maxSlices: 1 });
    const out: WindowResult[] = [];
    op.onWindow((r) => out.push({ ...r }));
    expect(op.add("a", hashString("a"), 1_000, 5)).toBe(0);
    op.wm.current = 10_000; // [0, 10000) is due and past its lateness, but nobody caught up
    expect(op.add("a", hashString("a"), 10_500, 7)).toBe(0); // needs a new slice: the catch-up frees one
    expect(out.map((r) => [r.start, r.count, r.evicted])).toEqual([[0, 1, false]]);
    expect(op.stateFull).toBe(0);
    expect(op.keys.evictions).toBe(0);
  });

  it("keys that share entries of the newest-slice cache keep their own slices (brute-force model)", () => {
    const events = outOfOrderEvents(fc.integer({ min: 0, max: 40 }).map((k) => "m" + k), { steps: 12, maxStep: 3_000, backs: 40, maxBack: 20_000, maxLength: 200 });
    fc.assert(
      fc.property(events, fc.integer({ min: 0, max: 20 }).map((x) => x * 250), (evs, delay) => {
        const size = 6_000;
        const slide = 2_000;
        expectSameAsReference({ size, slide, offset: 0, allowedLateness: 3_000 }, delay, evs);
      }),
      { numRuns: 200 },
    );
  });

  it("matches a brute-force Flink model on random out-of-order streams with late data", () => {
    const spec = fc.record({
      slideUnits: fc.integer({ min: 1, max: 8 }),
      extraUnits: fc.integer({ min: 0, max: 12 }),
      offsetUnits: fc.nat(),
      // Multiples of 250 ms make exact boundary hits (end - 1 == watermark,
      // end - 1 + lateness == watermark) common rather than rare.
      lateness: fc.integer({ min: 0, max: 160 }).map((x) => x * 250),
      delay: fc.integer({ min: 0, max: 80 }).map((x) => x * 250),
    });
    const events = outOfOrderEvents(fc.constantFrom("a", "b", "c", "d"), { steps: 24, maxStep: 6_000, backs: 360, maxBack: 90_000, maxLength: 120 });
    fc.assert(
      fc.property(spec, events, (sp, evs) => {
        const slide = sp.slideUnits * 1_000;
        const size = slide + sp.extraUnits * 1_000;
        const offset = (sp.offsetUnits % sp.slideUnits) * 1_000;
        expectSameAsReference({ size, slide, offset, allowedLateness: sp.lateness }, sp.delay, evs);
      }),
      { numRuns: 300 },
    );
  });

  it("several queries on one key share slices and each matches its own brute-force model", () => {
    const query = fc.record({
      slideUnits: fc.integer({ min: 1, max: 6 }),
      extraUnits: fc.integer({ min: 0, max: 10 }),
      offsetUnits: fc.nat(),
      lateness: fc.integer({ min: 0, max: 120 }).map((x) => x * 250),
    });
    const events = outOfOrderEvents(fc.constantFrom("a", "b", "c"), { steps: 24, maxStep: 6_000, backs: 200, maxBack: 60_000, maxLength: 100 });
    fc.assert(
      fc.property(fc.array(query, { minLength: 2, maxLength: 3 }), fc.integer({ min: 0, max: 40 }).map((x) => x * 250), events, (qs, delay, evs) => {
        const windows: WindowQuery[] = qs.map((q, i) => {
          const slide = q.slideUnits * 1_000;
          return { name: "q" + i, size: slide + q.extraUnits * 1_000, slide, offset: (q.offsetUnits % q.slideUnits) * 1_000, allowedLateness: q.lateness };
        });
        // Skip catch-ups the way the pipeline does; add() must catch up by itself when needed.
        expectQueriesSameAsReference(windows, delay, evs, { skipCatchUp: (amount) => amount % 3 === 0 });
      }),
      { numRuns: 200 },
    );
  });

  it("silent queries fire nothing but still report late data; below minCount only the keys keepLowCounts names fire (brute-force model)", () => {
    const query = fc.record({
      slideUnits: fc.integer({ min: 1, max: 4 }),
      extraUnits: fc.integer({ min: 0, max: 8 }),
      lateness: fc.integer({ min: 0, max: 40 }).map((x) => x * 250),
      silent: fc.boolean(),
      minCount: fc.integer({ min: 0, max: 5 }),
    });
    const events = outOfOrderEvents(fc.constantFrom("a", "b", "c"), { steps: 16, maxStep: 4_000, backs: 120, maxBack: 30_000, maxLength: 80 });
    fc.assert(
      fc.property(fc.array(query, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 20 }).map((x) => x * 250), fc.subarray(["a", "b", "c"]), events, (qs, delay, kept, evs) => {
        const windows: WindowQuery[] = qs.map((q, i) => {
          const slide = q.slideUnits * 1_000;
          return { name: "q" + i, size: slide + q.extraUnits * 1_000, slide, offset: 0, allowedLateness: q.lateness, silent: q.silent, minCount: q.minCount };
        });
        expectQueriesSameAsReference(windows, delay, evs, { kept });
      }),
      { numRuns: 200 },
    );
  });
});

describe("SlicedWindowOperator, one watermark at a time", () => {
  /** An operator of sliding 10 s windows every 5 s, and what it fires, as "start-end:count[u]". */
  function stepped(allowedLateness = 0) {
    const op = makeOp({ size: 10_000, slide: 5_000, allowedLateness });
    const fired: string[] = [];
    op.onWindow((r) => fired.push(`${r.start}-${r.end}:${r.count}${r.update ? "u" : ""}`));
    const add = (ts: number, amount = 100) => op.add("a", hashString("a"), ts, amount);
    const at = (wm: number) => {
      op.advanceWatermark(wm);
      return fired.splice(0);
    };
    return { op, add, at };
  }

  it("fires each window when the watermark reaches its end − 1, not before", () => {
    const { add, at } = stepped();
    expect([add(1000), add(6000)]).toEqual([0, 0]);
    expect(at(4998)).toEqual([]);
    expect(at(4999)).toEqual(["-5000-5000:1"]);
    expect(at(9998)).toEqual([]);
    expect(at(9999)).toEqual(["0-10000:2"]);
    expect(at(14_998)).toEqual([]);
    expect(at(14_999)).toEqual(["5000-15000:1"]);
    expect(at(100_000)).toEqual([]);
  });

  it("a window that became due without a catch-up fires at the next element added", () => {
    const { op, add } = stepped();
    const fired: number[] = [];
    op.onWindow((r) => fired.push(r.end));
    add(1000);
    op.wm.current = 9999; // moved by hand, no catchUp()
    expect(fired).toEqual([]);
    expect(add(20_000)).toBe(0);
    expect(fired).toEqual([5000, 10_000]);
  });

  it("within the allowed lateness a late element updates its fired window; at end − 1 + lateness the window's state is gone", () => {
    const { add, at } = stepped(2000);
    add(1000);
    expect(at(9999)).toEqual(["-5000-5000:1", "0-10000:1"]);
    // At 11 998 the window [0, 10 000) still has its state: an element at 9 000 updates it (and joins [5 000, 15 000)).
    expect(at(11_998)).toEqual([]);
    expect(add(9000)).toBe(0);
    expect(at(11_998)).toEqual(["0-10000:2u"]);
    // At 11 999 it is purged: an element at 9 500 is too late for it, not for [5 000, 15 000).
    expect(at(11_999)).toEqual([]);
    expect(add(9500)).toBe(0);
    expect(at(14_999)).toEqual(["5000-15000:2"]);
    // Past every window that could hold it: late.
    expect(at(17_000)).toEqual([]);
    expect(add(9700)).toBe(LATE_FOR_W);
  });
});
