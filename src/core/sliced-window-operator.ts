import { KeySlotTable, type SlotRemoval } from "./key-slot-table";
import { createWindowResult, type WindowListener, type WindowResult } from "./window-result";
import type { WatermarkView } from "./watermark";
import { checkWindowSpec, floorMod, gcd, windowStartFor, type WindowSpec } from "./window-math";

/** One window definition evaluated by an operator. */
export interface WindowQuery extends WindowSpec {
  name: string;
}

export interface SlicedWindowOptions {
  keyField: string;
  /** Every window query over this key; they share one set of slices. */
  windows: WindowQuery[];
  /** Amounts below this many cents count as "small". */
  smallAmountCents: number;
  /** Most keys with live state. */
  maxKeys: number;
  /** Keys idle this long in processing time are flushed and freed. */
  keyTtlMs: number;
  /** Slice records shared by all keys. */
  maxPanes: number;
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/** `add` returned this: no key slot or slice could be had for the element. */
export const STATE_FULL = -1;

/** Per-query bookkeeping (a handful per operator). */
class QueryState {
  readonly endGridOffset: number;
  readonly result: WindowResult;
  fired = 0;
  updated = 0;
  flushed = 0;
  late = 0;

  constructor(readonly q: WindowQuery, keyField: string) {
    this.endGridOffset = floorMod(q.offset + q.size, q.slide);
    this.result = createWindowResult(q.name, keyField);
  }

  /** Smallest end on this query's window grid that is > t. */
  endAfter(t: number): number {
    return t - floorMod(t - this.endGridOffset, this.q.slide) + this.q.slide;
  }

  /** End of the last window of this query that contains time `t`. */
  lastEndContaining(t: number): number {
    return windowStartFor(t, this.q.offset, this.q.slide) + this.q.size;
  }
}

/**
 * Keyed event-time sliding and tumbling windows with Flink's semantics,
 * computed on slices shared by every window of every query on the key (the
 * general stream slicing idea): slice length is the gcd of all sizes, slides
 * and offsets, each event updates exactly one slice, and a window's result is
 * combined from its slices when it fires. State is a preallocated pool of
 * slices linked per key in start order; nothing is allocated per event.
 *
 * Per query:
 * - a window [start, end) fires once the watermark reaches end - 1;
 * - a late element whose window is still within allowed lateness re-fires
 *   that window at once, flagged `update` (same start/end identity);
 * - an element all of whose windows are past end - 1 + lateness is refused
 *   for that query (bit set in `add`'s result), for the late side output.
 * A slice is freed once no query can fire a window containing it again.
 */
export class SlicedWindowOperator {
  readonly keyField: string;
  readonly paneLength: number;
  readonly keys: KeySlotTable;
  readonly queries: readonly WindowQuery[];
  private readonly qs: QueryState[];
  private readonly smallAmount: number;

  // Slice pool (struct of arrays); `paneNext` doubles as the free list.
  private readonly paneStart: Float64Array;
  private readonly paneCount: Int32Array;
  private readonly paneSum: Float64Array;
  private readonly paneMin: Int32Array;
  private readonly paneMax: Int32Array;
  private readonly paneSmall: Int32Array;
  private readonly paneNext: Int32Array;
  private readonly panePrev: Int32Array;
  private freePane: number;
  private panesInUse = 0;

  // Per key slot: its slices, oldest first.
  private readonly keyHead: Int32Array;
  private readonly keyTail: Int32Array;

  private readonly watermark: WatermarkView;
  /** Watermark up to which windows have fired and slices been purged. */
  private firedTo = -Infinity;
  /**
   * Watermark at which some query next fires a window or frees slices: the
   * caller may skip `catchUp` while watermark.current < dueAt. (A field,
   * not a getter: it is read on every event.)
   */
  dueAt = -Number.MAX_VALUE;
  private listener: WindowListener = () => {};

  stateFull = 0;

  constructor(o: SlicedWindowOptions, watermark: WatermarkView) {
    if (o.windows.length === 0 || o.windows.length > 30) throw new RangeError(`key ${o.keyField}: between 1 and 30 window queries, got ${o.windows.length}`);
    let pane = 0;
    for (const q of o.windows) {
      checkWindowSpec(q.name, q);
      pane = gcd(gcd(gcd(pane, q.size), q.slide), q.offset);
    }
    if (!Number.isInteger(o.maxPanes) || o.maxPanes < 1) throw new RangeError(`key ${o.keyField}: maxPanes must be a positive integer`);
    this.keyField = o.keyField;
    this.watermark = watermark;
    this.queries = o.windows;
    this.qs = o.windows.map((q) => new QueryState(q, o.keyField));
    this.paneLength = pane;
    this.smallAmount = o.smallAmountCents;
    this.keys = new KeySlotTable(o.maxKeys, o.keyTtlMs);
    this.keys.onRemove = (slot, why) => this.flushKey(slot, why);

    const n = o.maxPanes;
    this.paneStart = new Float64Array(n);
    this.paneCount = new Int32Array(n);
    this.paneSum = new Float64Array(n);
    this.paneMin = new Int32Array(n);
    this.paneMax = new Int32Array(n);
    this.paneSmall = new Int32Array(n);
    this.paneNext = new Int32Array(n);
    this.panePrev = new Int32Array(n);
    for (let i = 0; i < n; i++) this.paneNext[i] = i + 1 < n ? i + 1 : -1;
    this.freePane = 0;
    this.keyHead = new Int32Array(o.maxKeys).fill(-1);
    this.keyTail = new Int32Array(o.maxKeys).fill(-1);
  }

  onWindow(listener: WindowListener): void {
    this.listener = listener;
  }

  get livePanes(): number {
    return this.panesInUse;
  }

  get liveKeys(): number {
    return this.keys.size;
  }

  /** Counters of query `i`. */
  counters(i: number): { fired: number; updated: number; flushed: number; late: number } {
    const q = this.qs[i];
    return { fired: q.fired, updated: q.updated, flushed: q.flushed, late: q.late };
  }

  /**
   * Adds one element at event time `ts` under the current watermark. `now` is
   * processing time, for LRU and TTL; `amount` is an int32 (whole cents);
   * `keyHash` is hashString(key) when the caller has it.
   * Returns 0 when every query took it, a bit mask of the queries for which
   * it was too late (bit i for query i), or STATE_FULL when the slice pool
   * is exhausted by this key alone.
   */
  add(key: string, ts: number, amount: number, now: number, keyHash = -1): number {
    const wm = this.watermark.current;
    // Windows due at a watermark this operator has not caught up with would
    // fire out of order with this element's late firings: catch up first.
    // (After a catch-up dueAt lies beyond the watermark, so one test does.)
    if (wm >= this.dueAt) this.catchUp();
    // An element ahead of the watermark cannot be late: its last window ends after it.
    if (ts <= wm) return this.addBehindWatermark(key, ts, amount, now, keyHash, wm);
    const slot = this.keys.acquire(key, now, keyHash);
    // Slice lookup and aggregate() inline on purpose: on XS the calls cost as
    // much as the update itself, and this is the path of almost every swipe.
    let pane = this.keyTail[slot];
    const starts = this.paneStart;
    if (pane < 0 || ts < starts[pane] || ts - starts[pane] >= this.paneLength) {
      pane = this.paneOf(slot, ts);
      if (pane < 0) return STATE_FULL;
    }
    this.paneCount[pane]++;
    this.paneSum[pane] += amount;
    const min = this.paneMin;
    if (amount < min[pane]) min[pane] = amount;
    const max = this.paneMax;
    if (amount > max[pane]) max[pane] = amount;
    if (amount < this.smallAmount) this.paneSmall[pane]++;
    return 0;
  }

  /** An element at or behind the watermark: late for some queries, maybe re-firing windows of others. */
  private addBehindWatermark(key: string, ts: number, amount: number, now: number, keyHash: number, wm: number): number {
    let lateMask = 0;
    for (let i = 0; i < this.qs.length; i++) {
      const q = this.qs[i];
      if (q.lastEndContaining(ts) - 1 + q.q.allowedLateness <= wm) {
        lateMask |= 1 << i;
        q.late++;
      }
    }
    if (lateMask === (1 << this.qs.length) - 1) return lateMask;
    const slot = this.keys.acquire(key, now, keyHash);
    const pane = this.paneOf(slot, ts);
    if (pane < 0) return STATE_FULL;
    this.aggregate(pane, amount);
    // Late but within allowed lateness: re-fire every window of this element
    // whose end has passed and that is not purged yet.
    this.fireLate(slot, ts, wm, lateMask);
    return lateMask;
  }

  /** The slice of `slot` that holds time `ts` (the key's newest one, usually); -1 when none can be had. */
  private paneOf(slot: number, ts: number): number {
    const pane = this.keyTail[slot];
    if (pane >= 0) {
      const d = ts - this.paneStart[pane];
      if (d >= 0 && d < this.paneLength) return pane;
    }
    const paneLength = this.paneLength;
    let r = ts % paneLength;
    if (r < 0) r += paneLength;
    const p = this.paneFor(slot, ts - r);
    if (p < 0) {
      this.stateFull++;
      if (this.keyHead[slot] < 0) this.keys.release(slot);
    }
    return p;
  }

  private aggregate(pane: number, amount: number): void {
    this.paneCount[pane]++;
    this.paneSum[pane] += amount;
    const min = this.paneMin;
    if (amount < min[pane]) min[pane] = amount;
    const max = this.paneMax;
    if (amount > max[pane]) max[pane] = amount;
    if (amount < this.smallAmount) this.paneSmall[pane]++;
  }

  private fireLate(slot: number, ts: number, wm: number, lateMask: number): void {
    for (let i = 0; i < this.qs.length; i++) {
      if (lateMask & (1 << i)) continue;
      const q = this.qs[i];
      for (let end = q.lastEndContaining(ts); end > ts; end -= q.q.slide) {
        if (end - 1 > wm) continue;
        if (end - 1 + q.q.allowedLateness <= wm) break;
        this.emit(slot, q, end, true);
      }
    }
  }

  /** The slice of `slot` starting at `ps`, created in order if missing; -1 when none can be had. */
  private paneFor(slot: number, ps: number): number {
    let p = this.keyTail[slot];
    while (p >= 0 && this.paneStart[p] > ps) p = this.panePrev[p];
    if (p >= 0 && this.paneStart[p] === ps) return p;
    // Need a new slice after `p` (or at the head when p < 0).
    if (this.freePane < 0) {
      // Pool exhausted: evict least recently used keys other than this one.
      // Our own list does not change, so `p` stays valid.
      while (this.freePane < 0) {
        const victim = this.keys.leastRecentlyUsed(slot);
        if (victim < 0) return -1;
        this.keys.evict(victim);
      }
    }
    const q = this.freePane;
    this.freePane = this.paneNext[q];
    this.panesInUse++;
    this.paneStart[q] = ps;
    this.paneCount[q] = 0;
    this.paneSum[q] = 0;
    this.paneMin[q] = INT32_MAX;
    this.paneMax[q] = INT32_MIN;
    this.paneSmall[q] = 0;
    const after = p >= 0 ? this.paneNext[p] : this.keyHead[slot];
    this.panePrev[q] = p;
    this.paneNext[q] = after;
    if (p >= 0) this.paneNext[p] = q;
    else this.keyHead[slot] = q;
    if (after >= 0) this.panePrev[after] = q;
    else this.keyTail[slot] = q;
    return q;
  }

  /**
   * Fires every window whose end - 1 the watermark has reached since the last
   * call and frees slices past every query's lateness. O(1) unless a window or
   * purge boundary of some query was crossed (watermark.current >= dueAt).
   */
  catchUp(): void {
    const wm = this.watermark.current;
    if (!(wm > this.firedTo)) return;
    const prev = this.firedTo;
    this.firedTo = wm;
    if (wm < this.dueAt) return;
    // A boundary was crossed: visit every key. At a terminal's rates the live
    // keys are few; each visit is O(its slices).
    for (let k = this.keys.size - 1; k >= 0; k--) {
      const slot = this.keys.slotAt(k);
      for (let i = 0; i < this.qs.length; i++) this.fireDue(slot, this.qs[i], prev, wm);
      this.purge(slot, wm);
      if (this.keyHead[slot] < 0) this.keys.release(slot);
    }
    let next = Infinity;
    if (wm !== Infinity) {
      for (let i = 0; i < this.qs.length; i++) {
        const q = this.qs[i];
        // Next points strictly after wm where this query fires or purges.
        const fire = q.endAfter(wm + 1) - 1;
        const purge = q.endAfter(wm + 1 - q.q.allowedLateness) - 1 + q.q.allowedLateness;
        if (fire < next) next = fire;
        if (purge < next) next = purge;
      }
    }
    this.dueAt = next;
  }

  /** Fires windows of query `q` on `slot` with prev < end - 1 <= wm that hold at least one element. */
  private fireDue(slot: number, q: QueryState, prev: number, wm: number): void {
    let head = this.keyHead[slot];
    if (head < 0) return;
    const size = q.q.size;
    let end = prev === -Infinity ? q.endAfter(this.paneStart[head]) : q.endAfter(prev + 1);
    while (end - 1 <= wm) {
      // Skip to the first slice that can fall in [end - size, end).
      while (head >= 0 && this.paneStart[head] < end - size) head = this.paneNext[head];
      if (head < 0) return;
      if (this.paneStart[head] >= end) {
        end = q.endAfter(this.paneStart[head]);
        continue;
      }
      this.emitFrom(slot, q, head, end, false, false);
      end += q.q.slide;
    }
  }

  /** Frees the key's oldest slices that no query can fire a window with again. */
  private purge(slot: number, wm: number): void {
    let p = this.keyHead[slot];
    while (p >= 0 && this.purgeable(this.paneStart[p], wm)) {
      const n = this.paneNext[p];
      this.freePaneRecord(p);
      p = n;
    }
    this.keyHead[slot] = p;
    if (p >= 0) this.panePrev[p] = -1;
    else this.keyTail[slot] = -1;
  }

  private purgeable(ps: number, wm: number): boolean {
    // Index loops, not for-of: on XS an array iterator is an allocation.
    for (let i = 0; i < this.qs.length; i++) {
      const q = this.qs[i];
      if (q.lastEndContaining(ps) - 1 + q.q.allowedLateness > wm) return false;
    }
    return true;
  }

  private freePaneRecord(p: number): void {
    this.paneNext[p] = this.freePane;
    this.freePane = p;
    this.panesInUse--;
  }

  /**
   * A key is being evicted or expired: for each query, windows that hold
   * elements and have not fired yet fire now, flagged `evicted`; then its
   * slices are freed.
   */
  private flushKey(slot: number, _why: SlotRemoval): void {
    const first = this.keyHead[slot];
    const wm = this.firedTo;
    if (first >= 0) {
      for (let i = 0; i < this.qs.length; i++) {
        const q = this.qs[i];
        let head = first;
        const size = q.q.size;
        let end = q.endAfter(this.paneStart[head]);
        if (wm !== -Infinity) end = Math.max(end, q.endAfter(wm + 1));
        for (;;) {
          while (head >= 0 && this.paneStart[head] < end - size) head = this.paneNext[head];
          if (head < 0) break;
          if (this.paneStart[head] >= end) {
            end = q.endAfter(this.paneStart[head]);
            continue;
          }
          if (this.emitFrom(slot, q, head, end, false, true)) q.flushed++;
          end += q.q.slide;
        }
      }
    }
    let p = first;
    while (p >= 0) {
      const n = this.paneNext[p];
      this.freePaneRecord(p);
      p = n;
    }
    this.keyHead[slot] = -1;
    this.keyTail[slot] = -1;
  }

  /** Flushes and frees keys idle past their TTL. */
  expireIdle(now: number): void {
    this.keys.expireIdle(now);
  }

  private emit(slot: number, q: QueryState, end: number, lateFire: boolean): void {
    let p = this.keyHead[slot];
    const start = end - q.q.size;
    while (p >= 0 && this.paneStart[p] < start) p = this.paneNext[p];
    if (p >= 0) this.emitFrom(slot, q, p, end, lateFire, false);
  }

  /** Combines the slices of window [end - size, end) starting at slice `first` and emits it; false when empty. */
  private emitFrom(slot: number, q: QueryState, first: number, end: number, lateFire: boolean, evicted: boolean): boolean {
    let count = 0;
    let sum = 0;
    let min = INT32_MAX;
    let max = INT32_MIN;
    let small = 0;
    for (let p = first; p >= 0 && this.paneStart[p] < end; p = this.paneNext[p]) {
      count += this.paneCount[p];
      sum += this.paneSum[p];
      if (this.paneMin[p] < min) min = this.paneMin[p];
      if (this.paneMax[p] > max) max = this.paneMax[p];
      small += this.paneSmall[p];
    }
    if (count === 0) return false;
    const r = q.result;
    r.key = this.keys.keys[slot];
    r.start = end - q.q.size;
    r.end = end;
    r.count = count;
    r.sum = sum;
    r.min = min;
    r.max = max;
    r.small = small;
    // A late firing is an update when the window already held elements before
    // this one (it then fired when the watermark passed its end).
    r.update = lateFire && count > 1;
    r.evicted = evicted;
    if (r.update) q.updated++;
    else q.fired++;
    this.listener(r);
    return true;
  }
}
