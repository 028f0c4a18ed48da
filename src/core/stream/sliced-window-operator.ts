import { KeySlotTable, type SlotRemoval } from "./key-slot-table";
import { SlicePool } from "./slice-pool";
import { createWindowResult, type WindowListener, type WindowResult } from "./window-result";
import type { WatermarkView } from "./watermark";
import { sliceLengthOf, WindowGrid } from "./window-grid";
import { floorMod, type WindowSpec } from "./window-math";

/** One window definition evaluated by an operator. */
export interface WindowQuery extends WindowSpec {
  name: string;
  /**
   * Nothing reads this query's windows (no subscriber, no detector): they are never assembled
   * nor fired, though its elements still count as late or not for it. Default false.
   */
  silent?: boolean;
  /**
   * Its windows holding fewer elements are fired only for keys the operator's `keepLowCounts`
   * hook names (a trigger for a reader that ignores small windows but for some keys: the burst
   * detector, for cards with an open incident). Default 0: every window fires.
   */
  minCount?: number;
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
  /** Slices shared by all keys. */
  maxSlices: number;
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/** `add` returned this: no key slot or slice could be had for the element. */
export const STATE_FULL = -1;

/** Entries of the newest-slice cache (a power of two), and the mask that picks one from a key hash. */
const TAIL_CACHE = 8;
const TAIL_MASK = TAIL_CACHE - 1;

/** One query's grid, its result record, counters and what the last catch-up found due. */
class QueryState extends WindowGrid {
  readonly result: WindowResult;
  fired = 0;
  updated = 0;
  flushed = 0;
  late = 0;
  /** The first window end not fired yet, the same for every key: endAfter(watermark + 1) as of the last catch-up; -Infinity before the first ("from the key's oldest slice"). */
  nextEnd = -Infinity;
  /** Set by each catch-up that crosses a boundary: the first window end due. */
  firstDue = 0;
  /** Set with firstDue: exactly one window of this query is due. */
  oneDue = false;
  /** Set with oneDue: the smallest query with this window end, whose walk fires the group (fireGroup). */
  leads = false;
  /** During fireGroup: the next larger query in the group, or null. */
  groupNext: QueryState | null = null;
  /** Its windows are never fired (WindowQuery.silent). */
  readonly silent: boolean;
  /** WindowQuery.minCount. */
  readonly minCount: number;

  constructor(q: WindowQuery, keyField: string, index: number) {
    super(q.name, q);
    this.silent = q.silent === true;
    this.minCount = q.minCount ?? 0;
    this.result = createWindowResult(q.name, keyField, index);
  }
}

/**
 * Keyed event-time sliding and tumbling windows with Flink's semantics,
 * computed on slices shared by every window of every query on the key (the
 * general stream slicing idea): slice length is the gcd of all sizes, slides
 * and offsets, each event updates exactly one slice, and a window's result is
 * combined from its slices when it fires. The slices are a SlicePool's
 * (preallocated, linked per key in start order: nothing is allocated per
 * event); where each query's windows lie and when they fire is its
 * WindowGrid's; this class assigns elements, decides what fires and emits.
 *
 * An element ahead of the watermark whose key's newest slice holds it (the
 * usual case) is found through a small cache and costs a handful of typed
 * array updates; windows due are worked out once per boundary for all keys,
 * and nested windows with one end are combined on one walk. A catch-up left
 * pending by the caller is done before anything that depends on it (late
 * elements, new slices or keys, expiry).
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
  readonly sliceLength: number;
  readonly keys: KeySlotTable;
  readonly queries: readonly WindowQuery[];
  private readonly qs: QueryState[];
  /** The same, smallest size first (windows with one end are nested). */
  private readonly bySize: QueryState[];
  /** Slices starting before this have been freed (see catchUp). */
  private keptFrom = -Infinity;
  private readonly smallAmount: number;

  private readonly slices: SlicePool;
  // The pool's aggregate arrays, for add's fast path.
  private readonly counts: Int32Array;
  private readonly sums: Float64Array;
  private readonly mins: Int32Array;
  private readonly maxs: Int32Array;
  private readonly smalls: Int32Array;

  // A direct-mapped cache of recent keys' newest slices, by the low bits of
  // the key's hash: when tailKey[c] === key and tailFrom[c] <= ts < tailTo[c],
  // an element at ts goes to slice tailSlice[c] of slot tailSlot[c]. Wherever
  // a key's newest slice changes, its entry follows (addAhead, cacheTail), so
  // a valid one (tailKey[c] !== null) is never stale.
  private readonly tailKey: (string | null)[] = new Array<string | null>(TAIL_CACHE).fill(null);
  private readonly tailSlot = new Int32Array(TAIL_CACHE);
  private readonly tailSlice = new Int32Array(TAIL_CACHE);
  private readonly tailFrom = new Float64Array(TAIL_CACHE);
  private readonly tailTo = new Float64Array(TAIL_CACHE);

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
  /** Keys whose small windows fire anyway (see WindowQuery.minCount). */
  private keepLow: (key: string) => boolean = () => true;

  stateFull = 0;
  /**
   * The key table's lastSeen and processing time (its clock, as of expireIdle): a use of a key is
   * `lastSeen[slot] = now` until the table keeps a recency list (keysListed), then `keys.touch`.
   */
  private readonly lastSeen: Float64Array;
  private now = -Infinity;
  private keysListed = false;

  constructor(o: SlicedWindowOptions, watermark: WatermarkView) {
    if (o.windows.length === 0 || o.windows.length > 30) throw new RangeError(`key ${o.keyField}: between 1 and 30 window queries, got ${o.windows.length}`);
    if (!Number.isInteger(o.maxSlices) || o.maxSlices < 1) throw new RangeError(`key ${o.keyField}: maxSlices must be a positive integer`);
    this.keyField = o.keyField;
    this.watermark = watermark;
    this.queries = o.windows;
    this.qs = o.windows.map((q, i) => new QueryState(q, o.keyField, i));
    this.bySize = this.qs.slice().sort((a, b) => a.size - b.size);
    this.sliceLength = sliceLengthOf(this.qs);
    this.smallAmount = o.smallAmountCents;
    this.keys = new KeySlotTable(o.maxKeys, o.keyTtlMs);
    this.keys.onRemove = (slot, why) => this.flushKey(slot, why);
    this.lastSeen = this.keys.lastSeen;
    this.keys.onListed = () => {
      this.keysListed = true;
    };
    const pool = new SlicePool(o.maxSlices, o.maxKeys, o.smallAmountCents);
    this.slices = pool;
    this.counts = pool.count;
    this.sums = pool.sum;
    this.mins = pool.min;
    this.maxs = pool.max;
    this.smalls = pool.small;
  }

  onWindow(listener: WindowListener): void {
    this.listener = listener;
  }

  /** Names the keys whose windows below a query's minCount fire anyway (default: every key). */
  keepLowCounts(hook: (key: string) => boolean): void {
    this.keepLow = hook;
  }

  /** Whether the key in `slot` has its windows below a query's minCount skipped (not kept by the hook). */
  private skipsLow(slot: number): boolean {
    return !this.keepLow(this.keys.keys[slot]!);
  }

  get liveSlices(): number {
    return this.slices.size;
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
   * Adds one element with key `key` (whose hashString is `keyHash`) at event
   * time `ts` under the current watermark; `amount` is an int32 (whole
   * cents). Its use of the key is stamped with the processing time last
   * given to `expireIdle`, for LRU and TTL.
   * Returns 0 when every query took it, a bit mask of the queries for which
   * it was too late (bit i for query i), or STATE_FULL when the slice pool
   * is exhausted by this key alone.
   */
  add(key: string, keyHash: number, ts: number, amount: number): number {
    const wm = this.watermark.current;
    // An element ahead of the watermark cannot be late (its last window ends
    // after it), nor be in a window due at it: the fast path needs no
    // pending catch-up done first (the slow paths do it).
    if (ts <= wm) return this.addLate(key, keyHash, ts, amount, wm);
    // The path of almost every element: a recent key whose newest slice holds ts.
    const c = keyHash & TAIL_MASK;
    if (this.tailKey[c] !== key || ts < this.tailFrom[c] || ts >= this.tailTo[c]) return this.addAhead(key, keyHash, ts, amount, c);
    const s = this.tailSlice[c];
    if (this.keysListed) this.keys.touch(this.tailSlot[c]);
    else this.lastSeen[this.tailSlot[c]] = this.now;
    // SlicePool.add, in line on purpose: the call would cost 22 of this path's ~130 XS steps.
    this.counts[s]++;
    this.sums[s] += amount;
    // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
    if (amount < this.mins[s]) this.mins[s] = amount;
    // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
    if (amount > this.maxs[s]) this.maxs[s] = amount;
    if (amount < this.smallAmount) this.smalls[s]++;
    return 0;
  }

  /** An element ahead of the watermark that missed the newest-slice cache; afterwards the cache entry is its key's. */
  private addAhead(key: string, keyHash: number, ts: number, amount: number, c: number): number {
    const pool = this.slices;
    if (this.tailKey[c] === key && ts < this.tailFrom[c]) {
      // Out of order, most often into the slice just before the key's newest: nothing to make.
      const before = pool.prev[this.tailSlice[c]];
      if (ts >= pool.start[before] && ts - pool.start[before] < this.sliceLength) {
        this.keys.touch(this.tailSlot[c]);
        pool.add(before, amount);
        return 0;
      }
    }
    // Slices or keys may be needed: free what a pending catch-up would before
    // evicting anything (and evict with every due window fired).
    if (this.watermark.current >= this.dueAt) this.catchUp();
    if (this.tailKey[c] === key) {
      // The key's newest slice is cached but does not hold ts: the element is
      // the first of a new slice, or older than the slice before.
      const slot = this.tailSlot[c];
      this.keys.touch(slot);
      if (ts < this.tailFrom[c]) return this.addTo(slot, ts, amount) < 0 ? STATE_FULL : 0;
      const start = ts - floorMod(ts, this.sliceLength);
      let s = pool.take(slot, this.tailSlice[c], start, amount);
      if (s < 0) s = this.evictAndTake(slot, this.tailSlice[c], start, amount);
      if (s < 0) return STATE_FULL;
      this.cacheSlice(c, s); // the key's new newest slice
      return 0;
    }
    const slot = this.keys.acquire(key, keyHash);
    if (this.addTo(slot, ts, amount) < 0) return STATE_FULL;
    // The entry goes to this key.
    this.tailKey[c] = key;
    this.tailSlot[c] = slot;
    this.cacheSlice(c, pool.tail[slot]);
    return 0;
  }

  /** An element at or behind the watermark: late for some queries, maybe re-firing windows of others. */
  private addLate(key: string, keyHash: number, ts: number, amount: number, wm: number): number {
    // Windows due at a watermark this operator has not caught up with would
    // fire out of order with this element's late firings: catch up first.
    if (wm >= this.dueAt) this.catchUp();
    let lateMask = 0;
    for (let i = 0; i < this.qs.length; i++) {
      const q = this.qs[i];
      if (q.isLate(ts, wm)) {
        lateMask |= 1 << i;
        q.late++;
      }
    }
    if (lateMask === (1 << this.qs.length) - 1) return lateMask;
    const slot = this.keys.acquire(key, keyHash);
    const s = this.addTo(slot, ts, amount);
    if (s < 0) return STATE_FULL;
    if (this.slices.next[s] < 0) this.cacheTail(slot, s);
    // Late but within allowed lateness: re-fire every window of this element
    // whose end has passed and that is not purged yet.
    this.fireLate(slot, ts, wm, lateMask);
    return lateMask;
  }

  /**
   * Adds the element to the slice of `slot` that holds time `ts` (the key's newest, usually), or
   * to a new slice made for it; that slice, or STATE_FULL.
   */
  private addTo(slot: number, ts: number, amount: number): number {
    const pool = this.slices;
    const start = ts - floorMod(ts, this.sliceLength);
    let p = pool.tail[slot];
    // Slice starts are multiples of the slice length: the newest before start + length starts at
    // or before start.
    if (pool.start[p] > start) p = pool.newestBefore(slot, start + this.sliceLength);
    if (pool.start[p] === start) {
      pool.add(p, amount);
      return p;
    }
    const s = pool.take(slot, p, start, amount);
    return s >= 0 ? s : this.evictAndTake(slot, p, start, amount);
  }

  /** Re-fires the windows holding ts that have fired and are within lateness, but for the late queries. */
  private fireLate(slot: number, ts: number, wm: number, lateMask: number): void {
    for (let i = 0; i < this.qs.length; i++) {
      if (lateMask & (1 << i)) continue;
      const q = this.qs[i];
      if (q.silent) continue;
      for (let end = q.lastEndContaining(ts); end > ts; end -= q.slide) {
        if (end - 1 > wm) continue;
        if (end - 1 + q.lateness <= wm) break;
        this.slices.combine(this.slices.newestBefore(slot, end), end - q.size, q.result);
        // An update when the window already held elements before this one (it then fired when
        // the watermark passed its end).
        this.emit(slot, q, end, q.result.count > 1, false);
      }
    }
  }

  /**
   * The pool is exhausted: evicts least recently used keys other than `slot` until a slice can be
   * taken as `pool.take(slot, after, start, amount)` would (our own list does not change, so
   * `after` stays valid); STATE_FULL when none can be had (counted; a key left without slices is
   * freed). When the slice is the key's newest, the caller updates the newest-slice cache.
   */
  private evictAndTake(slot: number, after: number, start: number, amount: number): number {
    const pool = this.slices;
    let s = -1;
    while (s < 0) {
      const victim = this.keys.leastRecentlyUsed(slot);
      if (victim < 0) {
        this.stateFull++;
        if (pool.head[slot] < 0) this.keys.release(slot);
        return STATE_FULL;
      }
      this.keys.evict(victim);
      s = pool.take(slot, after, start, amount);
    }
    return s;
  }

  /** `slot`'s newest slice is now `s` (or none, -1): keeps the newest-slice cache true. */
  private cacheTail(slot: number, s: number): void {
    const c = this.keys.hashes[slot] & TAIL_MASK;
    if (this.tailSlot[c] !== slot || this.tailKey[c] === null) return;
    if (s < 0) this.tailKey[c] = null;
    else this.cacheSlice(c, s);
  }

  /** Cache entry `c` now holds slice `s` (its key's newest) and the times it covers. */
  private cacheSlice(c: number, s: number): void {
    const start = this.slices.start[s];
    this.tailSlice[c] = s;
    this.tailFrom[c] = start;
    this.tailTo[c] = start + this.sliceLength;
  }

  /**
   * Fires every window whose end - 1 the watermark has reached since the last
   * call and frees slices past every query's lateness. O(1) unless a window or
   * purge boundary of some query was crossed (watermark.current >= dueAt).
   */
  catchUp(): void {
    const wm = this.watermark.current;
    if (!(wm > this.firedTo)) return;
    this.firedTo = wm;
    if (wm < this.dueAt) return;
    // A boundary was crossed. What is due depends on the watermark alone, so
    // it is worked out once for all keys: per query, the first window end
    // due and whether it is the only one; the queries that lead a shared walk
    // (see fireGroup); and the time before which no query can fire a window
    // again (slices starting before it are freed).
    const qs = this.bySize;
    const nq = qs.length;
    let general = false;
    let keepFrom = Infinity;
    let next = Infinity;
    for (let i = 0; i < nq; i++) {
      const q = qs[i];
      const first = q.nextEnd;
      q.firstDue = first;
      q.oneDue = first !== -Infinity && first - 1 <= wm && first + q.slide - 1 > wm;
      q.leads = q.oneDue;
      if (q.oneDue) {
        for (let j = 0; j < i; j++) if (qs[j].leads && qs[j].firstDue === first) q.leads = false;
      } else if (first - 1 <= wm) {
        general = true;
      }
      if (wm === Infinity) {
        q.nextEnd = Infinity;
      } else {
        // The first window that may still fire starts at k; the next points after wm where this
        // query fires or frees slices: the end of the next window - 1, and that of window k - 1
        // + lateness.
        const k = q.firstLiveStart(wm);
        if (k < keepFrom) keepFrom = k;
        q.nextEnd = q.endAfter(wm + 1);
        if (q.nextEnd - 1 < next) next = q.nextEnd - 1;
        if (k + q.size - 1 + q.lateness < next) next = k + q.size - 1 + q.lateness;
      }
    }
    // No slice can start before the last keepFrom (an element whose windows
    // are all past their lateness is refused): purge only when it moved.
    const purge = keepFrom > this.keptFrom;
    if (purge) this.keptFrom = keepFrom;
    for (let i = 0; i < nq; i++) if (qs[i].leads) this.fireGroup(i);
    if (general || purge) {
      // At a terminal's rates the live keys are few; each visit is O(the
      // slices of the windows due), plus the general path's walk.
      const pool = this.slices;
      const heads = pool.head;
      const starts = pool.start;
      const used = this.keys.used;
      for (let k = this.keys.size - 1; k >= 0; k--) {
        const slot = used[k];
        if (general) {
          for (let i = 0; i < nq; i++) {
            const q = qs[i];
            if (!q.oneDue && q.firstDue - 1 <= wm) this.fireDue(slot, q, wm);
          }
        }
        if (!purge) continue;
        // Most keys have nothing to free: look before calling.
        const head = heads[slot];
        if (starts[head] >= keepFrom) continue;
        if (pool.releaseBefore(slot, keepFrom)) {
          this.cacheTail(slot, -1);
          this.keys.release(slot);
        }
      }
    }
    this.dueAt = next;
  }

  /**
   * The usual firing, for every key: one window due for query bySize[i],
   * ending at its firstDue, near the key's newest slices. Combined walking
   * back from the newest slice; the larger queries with one window due at
   * the same end (nested windows) are combined on the same walk. Each is
   * emitted unless empty.
   */
  private fireGroup(i: number): void {
    const qs = this.bySize;
    const lead = qs[i];
    const end = lead.firstDue;
    // The group, smallest first, chained through groupNext: the same for every key.
    let last = lead;
    for (let j = i + 1; j < qs.length; j++) {
      if (!qs[j].oneDue || qs[j].firstDue !== end) continue;
      last.groupNext = qs[j];
      last = qs[j];
    }
    last.groupNext = null;
    const first = end - last.size;
    const pool = this.slices;
    const starts = pool.start;
    const prev = pool.prev;
    const tails = pool.tail;
    const counts = pool.count;
    const sums = pool.sum;
    const mins = pool.min;
    const maxs = pool.max;
    const smalls = pool.small;
    const keys = this.keys;
    const used = keys.used;
    for (let k = keys.size - 1; k >= 0; k--) {
      const slot = used[k];
      let p = tails[slot];
      while (starts[p] >= end) p = prev[p];
      // Many keys of a busy table (cards) have no element in these windows.
      if (!(starts[p] >= first)) continue;
      // SlicePool.combine in line, on purpose: calling it costs ~160 XS steps a key here, and
      // every key is visited at every boundary.
      let count = 0;
      let sum = 0;
      let min = INT32_MAX;
      let max = INT32_MIN;
      let small = 0;
      for (let q: QueryState | null = lead; q !== null; q = q.groupNext) {
        const start = end - q.size;
        for (; starts[p] >= start; p = prev[p]) {
          count += counts[p];
          sum += sums[p];
          // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
          if (mins[p] < min) min = mins[p];
          // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
          if (maxs[p] > max) max = maxs[p];
          small += smalls[p];
        }
        // A silent or skipped member's slices still count toward the larger members after it.
        if (count === 0 || q.silent || (count < q.minCount && this.skipsLow(slot))) continue;
        // As emit does, in line too.
        const r = q.result;
        r.key = keys.keys[slot]!;
        r.start = start;
        r.end = end;
        r.count = count;
        r.sum = sum;
        r.min = min;
        r.max = max;
        r.small = small;
        r.update = false;
        r.evicted = false;
        q.fired++;
        this.listener(r);
      }
    }
  }

  /** Fires windows of query `q` on `slot` with q.firstDue <= end <= wm + 1 that hold at least one element (walking from the oldest slice). */
  private fireDue(slot: number, q: QueryState, wm: number): void {
    const pool = this.slices;
    const head = pool.head[slot];
    if (head < 0 || q.silent) return;
    this.fireWindows(slot, q, head, q.firstDue === -Infinity ? q.endAfter(pool.start[head]) : q.firstDue, wm, false);
  }

  /**
   * Fires query q's windows of `slot` that hold elements, from the one ending at `end` (or the
   * next that holds any) while end - 1 <= `lastDue`, walking forward from slice `head`, flagged
   * `evicted` when the key is being flushed; how many it emitted.
   */
  private fireWindows(slot: number, q: QueryState, head: number, end: number, lastDue: number, evicted: boolean): number {
    const pool = this.slices;
    const size = q.size;
    let fired = 0;
    while (end - 1 <= lastDue) {
      // Skip to the first slice that can fall in [end - size, end).
      while (pool.start[head] < end - size) head = pool.next[head];
      if (head < 0) break;
      if (pool.start[head] >= end) {
        end = q.endAfter(pool.start[head]);
        continue;
      }
      pool.combine(pool.lastBefore(head, end), end - size, q.result);
      if (this.emit(slot, q, end, false, evicted)) fired++;
      end += q.slide;
    }
    return fired;
  }

  /**
   * A key is being evicted or expired: for each query, windows that hold
   * elements and have not fired yet fire now, flagged `evicted`; then its
   * slices are freed.
   */
  private flushKey(slot: number, _why: SlotRemoval): void {
    const pool = this.slices;
    const first = pool.head[slot];
    const wm = this.firedTo;
    if (first >= 0) {
      // No window can hold more than the key's elements: a query whose minCount they do not reach
      // (and whose key is not kept) has nothing to fire here.
      let total = -1;
      for (let i = 0; i < this.qs.length; i++) {
        const q = this.qs[i];
        if (q.silent) continue;
        if (q.minCount > 0) {
          if (total < 0) {
            total = 0;
            for (let p = first; p >= 0; p = pool.next[p]) total += pool.count[p];
          }
          if (total < q.minCount && this.skipsLow(slot)) continue;
        }
        let end = q.endAfter(pool.start[first]);
        if (wm !== -Infinity) end = Math.max(end, q.endAfter(wm + 1));
        q.flushed += this.fireWindows(slot, q, first, end, Infinity, true);
      }
    }
    pool.releaseBefore(slot, Infinity);
    this.cacheTail(slot, -1);
  }

  /**
   * Processing time has reached `now` (earlier values are ignored): keys idle
   * past their TTL are flushed and freed, and later adds are stamped `now`.
   */
  expireIdle(now: number): void {
    // A key's windows due at the watermark fire as usual, not flagged as
    // flushed with it: do a pending catch-up first.
    if (this.watermark.current >= this.dueAt) this.catchUp();
    this.keys.expireIdle(now);
    this.now = this.keys.clock;
  }

  /** Emits query q's window [end - size, end) of `slot`, combined in its result; false when empty or below minCount for a skipped key. */
  private emit(slot: number, q: QueryState, end: number, update: boolean, evicted: boolean): boolean {
    const r = q.result;
    if (r.count === 0 || (r.count < q.minCount && this.skipsLow(slot))) return false;
    r.key = this.keys.keys[slot]!;
    r.start = end - q.size;
    r.end = end;
    r.update = update;
    r.evicted = evicted;
    if (update) q.updated++;
    else q.fired++;
    this.listener(r);
    return true;
  }
}
