import { KeySlotTable, type SlotRemoval } from "./key-slot-table";
import { createWindowResult, type WindowListener, type WindowResult } from "./window-result";
import type { WatermarkView } from "./watermark";
import { checkWindowSpec, floorMod, gcd, windowStartFor, type WindowSpec } from "./window-math";

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
  /** Slice records shared by all keys. */
  maxPanes: number;
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/** `add` returned this: no key slot or slice could be had for the element. */
export const STATE_FULL = -1;

/** Entries of the newest-slice cache (a power of two), and the mask that picks one from a key hash. */
const TAIL_CACHE = 8;
const TAIL_MASK = TAIL_CACHE - 1;

/** Per-query bookkeeping (a handful per operator). */
class QueryState {
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
  readonly lateness: number;
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
  /** Its windows are never fired (WindowQuery.silent). */
  readonly silent: boolean;
  /** WindowQuery.minCount. */
  readonly minCount: number;

  constructor(readonly q: WindowQuery, keyField: string, index: number) {
    this.size = q.size;
    this.slide = q.slide;
    this.offset = q.offset;
    this.lateness = q.allowedLateness;
    this.silent = q.silent === true;
    this.minCount = q.minCount ?? 0;
    this.result = createWindowResult(q.name, keyField, index);
  }

  /** Smallest end on this query's window grid that is > t (ends are starts + size). */
  endAfter(t: number): number {
    return this.startAfter(t - this.size) + this.size;
  }

  /** Smallest start on this query's window grid that is > t. */
  startAfter(t: number): number {
    const r = (t - this.offset) % this.slide;
    return t - (r < 0 ? r + this.slide : r) + this.slide;
  }

  /** End of the last window of this query that contains time `t`. */
  lastEndContaining(t: number): number {
    return windowStartFor(t, this.offset, this.slide) + this.size;
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
  /** During a catch-up: indices in bySize of the queries that lead a shared walk (see fireGroup). */
  private readonly leaders: Int32Array;
  /** During fireGroup: indices in bySize of the group's queries. */
  private readonly members: Int32Array;
  /** Slices starting before this have been freed (see catchUp). */
  private keptFrom = -Infinity;
  private readonly smallAmount: number;

  // Slice pool (struct of arrays); `sliceNext` doubles as the free list.
  private readonly sliceStart: Float64Array;
  private readonly sliceCount: Int32Array;
  private readonly sliceSum: Float64Array;
  private readonly sliceMin: Int32Array;
  private readonly sliceMax: Int32Array;
  private readonly sliceSmall: Int32Array;
  private readonly sliceNext: Int32Array;
  private readonly slicePrev: Int32Array;
  private freeSlice: number;
  private slicesInUse = 0;

  // Per key slot: its slices, oldest first.
  private readonly keyHead: Int32Array;
  private readonly keyTail: Int32Array;
  // A direct-mapped cache of recent keys' newest slices, by the low bits of
  // the key's hash: when tailKey[c] === key and tailFrom[c] <= ts < tailTo[c],
  // an element at ts goes to slice tailSlice[c] of slot tailSlot[c]. Entries
  // follow setTail, so a valid one (tailKey[c] !== null) is never stale.
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
    let slice = 0;
    for (const q of o.windows) {
      checkWindowSpec(q.name, q);
      slice = gcd(gcd(gcd(slice, q.size), q.slide), q.offset);
    }
    if (!Number.isInteger(o.maxPanes) || o.maxPanes < 1) throw new RangeError(`key ${o.keyField}: maxPanes must be a positive integer`);
    this.keyField = o.keyField;
    this.watermark = watermark;
    this.queries = o.windows;
    this.qs = o.windows.map((q, i) => new QueryState(q, o.keyField, i));
    this.bySize = this.qs.slice().sort((a, b) => a.size - b.size);
    this.leaders = new Int32Array(this.qs.length);
    this.members = new Int32Array(this.qs.length);
    this.sliceLength = slice;
    this.smallAmount = o.smallAmountCents;
    this.keys = new KeySlotTable(o.maxKeys, o.keyTtlMs);
    this.keys.onRemove = (slot, why) => this.flushKey(slot, why);
    this.lastSeen = this.keys.lastSeen;
    this.keys.onListed = () => {
      this.keysListed = true;
    };

    const n = o.maxPanes;
    this.sliceStart = new Float64Array(n);
    this.sliceCount = new Int32Array(n);
    this.sliceSum = new Float64Array(n);
    this.sliceMin = new Int32Array(n);
    this.sliceMax = new Int32Array(n);
    this.sliceSmall = new Int32Array(n);
    this.sliceNext = new Int32Array(n);
    this.slicePrev = new Int32Array(n);
    for (let i = 0; i < n; i++) this.sliceNext[i] = i + 1 < n ? i + 1 : -1;
    this.freeSlice = 0;
    this.keyHead = new Int32Array(o.maxKeys).fill(-1);
    this.keyTail = new Int32Array(o.maxKeys).fill(-1);
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
    return this.slicesInUse;
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
    if (ts <= wm) return this.addBehindWatermark(key, keyHash, ts, amount, wm);
    // The path of almost every swipe, inlined on purpose (on XS a call costs
    // about as much as the update itself): a recent key whose newest slice
    // holds ts.
    const c = keyHash & TAIL_MASK;
    if (this.tailKey[c] !== key || ts < this.tailFrom[c] || ts >= this.tailTo[c]) return this.addAhead(key, keyHash, ts, amount, c);
    const slice = this.tailSlice[c];
    if (this.keysListed) this.keys.touch(this.tailSlot[c]);
    else this.lastSeen[this.tailSlot[c]] = this.now;
    this.sliceCount[slice]++;
    this.sliceSum[slice] += amount;
    if (amount < this.sliceMin[slice]) this.sliceMin[slice] = amount;
    if (amount > this.sliceMax[slice]) this.sliceMax[slice] = amount;
    if (amount < this.smallAmount) this.sliceSmall[slice]++;
    return 0;
  }

  /**
   * An element ahead of the watermark that missed the newest-slice cache;
   * afterwards the cache entry is its key's.
   */
  private addAhead(key: string, keyHash: number, ts: number, amount: number, c: number): number {
    // Slices or keys may be needed: free what a pending catch-up would before
    // evicting anything (and evict with every due window fired).
    if (this.watermark.current >= this.dueAt) this.catchUp();
    if (this.tailKey[c] === key) {
      // The key's newest slice is cached but does not hold ts: the element is
      // the first of a new slice, or out of order.
      const slot = this.tailSlot[c];
      this.keys.touch(slot);
      if (ts >= this.tailTo[c]) return this.insertSlice(slot, this.tailSlice[c], ts - floorMod(ts, this.sliceLength), amount) < 0 ? STATE_FULL : 0;
      // Most often into the slice just before the newest.
      const before = this.slicePrev[this.tailSlice[c]];
      if (before >= 0 && ts >= this.sliceStart[before] && ts - this.sliceStart[before] < this.sliceLength) {
        this.aggregate(before, amount);
        return 0;
      }
      return this.addTo(slot, ts, amount) < 0 ? STATE_FULL : 0;
    }
    const slot = this.keys.acquire(key, keyHash);
    if (this.addTo(slot, ts, amount) < 0) return STATE_FULL;
    // The entry goes to this key (setTail keeps it true from now on).
    const tail = this.keyTail[slot];
    this.tailKey[c] = key;
    this.tailSlot[c] = slot;
    this.tailSlice[c] = tail;
    this.tailFrom[c] = this.sliceStart[tail];
    this.tailTo[c] = this.sliceStart[tail] + this.sliceLength;
    return 0;
  }

  /** An element at or behind the watermark: late for some queries, maybe re-firing windows of others. */
  private addBehindWatermark(key: string, keyHash: number, ts: number, amount: number, wm: number): number {
    // Windows due at a watermark this operator has not caught up with would
    // fire out of order with this element's late firings: catch up first.
    if (wm >= this.dueAt) this.catchUp();
    let lateMask = 0;
    for (let i = 0; i < this.qs.length; i++) {
      const q = this.qs[i];
      if (q.lastEndContaining(ts) - 1 + q.lateness <= wm) {
        lateMask |= 1 << i;
        q.late++;
      }
    }
    if (lateMask === (1 << this.qs.length) - 1) return lateMask;
    const slot = this.keys.acquire(key, keyHash);
    if (this.addTo(slot, ts, amount) < 0) return STATE_FULL;
    // Late but within allowed lateness: re-fire every window of this element
    // whose end has passed and that is not purged yet.
    this.fireLate(slot, ts, wm, lateMask);
    return lateMask;
  }

  /**
   * Adds the element to the slice of `slot` that holds time `ts` (the key's
   * newest one, usually), or to a new slice made for it; that slice, or -1
   * when none can be had.
   */
  private addTo(slot: number, ts: number, amount: number): number {
    let p = this.keyTail[slot];
    if (p >= 0 && ts >= this.sliceStart[p] && ts - this.sliceStart[p] < this.sliceLength) {
      this.aggregate(p, amount);
      return p;
    }
    const ps = ts - floorMod(ts, this.sliceLength);
    while (p >= 0 && this.sliceStart[p] > ps) p = this.slicePrev[p];
    if (p >= 0 && this.sliceStart[p] === ps) {
      this.aggregate(p, amount);
      return p;
    }
    return this.insertSlice(slot, p, ps, amount);
  }

  private aggregate(slice: number, amount: number): void {
    this.sliceCount[slice]++;
    this.sliceSum[slice] += amount;
    if (amount < this.sliceMin[slice]) this.sliceMin[slice] = amount;
    if (amount > this.sliceMax[slice]) this.sliceMax[slice] = amount;
    if (amount < this.smallAmount) this.sliceSmall[slice]++;
  }

  private fireLate(slot: number, ts: number, wm: number, lateMask: number): void {
    for (let i = 0; i < this.qs.length; i++) {
      if (lateMask & (1 << i)) continue;
      const q = this.qs[i];
      if (q.silent) continue;
      for (let end = q.lastEndContaining(ts); end > ts; end -= q.slide) {
        if (end - 1 > wm) continue;
        if (end - 1 + q.lateness <= wm) break;
        this.emit(slot, q, end, true);
      }
    }
  }

  /**
   * A new slice of `slot` starting at `ps`, holding the one element
   * `amount`, linked after slice `p` (at the head when p < 0), which must
   * keep the key's slices in start order. -1 when none can be had (counted;
   * a key left without slices is freed).
   */
  private insertSlice(slot: number, p: number, ps: number, amount: number): number {
    // Pool exhausted: evict least recently used keys other than this one.
    // Our own list does not change, so `p` stays valid.
    while (this.freeSlice < 0) {
      const victim = this.keys.leastRecentlyUsed(slot);
      if (victim < 0) {
        this.stateFull++;
        if (this.keyHead[slot] < 0) this.keys.release(slot);
        return -1;
      }
      this.keys.evict(victim);
    }
    const q = this.freeSlice;
    this.freeSlice = this.sliceNext[q];
    this.slicesInUse++;
    this.sliceStart[q] = ps;
    this.sliceCount[q] = 1;
    this.sliceSum[q] = amount;
    this.sliceMin[q] = amount;
    this.sliceMax[q] = amount;
    this.sliceSmall[q] = amount < this.smallAmount ? 1 : 0;
    const after = p >= 0 ? this.sliceNext[p] : this.keyHead[slot];
    this.slicePrev[q] = p;
    this.sliceNext[q] = after;
    if (p >= 0) this.sliceNext[p] = q;
    else this.keyHead[slot] = q;
    if (after >= 0) this.slicePrev[after] = q;
    else this.setTail(slot, q);
    return q;
  }

  /** Makes `slice` (or none, -1) the newest slice of `slot`, and keeps the newest-slice cache true. */
  private setTail(slot: number, slice: number): void {
    this.keyTail[slot] = slice;
    const c = this.keys.hashes[slot] & TAIL_MASK;
    if (this.tailSlot[c] !== slot || this.tailKey[c] === null) return;
    if (slice < 0) {
      this.tailKey[c] = null;
    } else {
      this.tailSlice[c] = slice;
      this.tailFrom[c] = this.sliceStart[slice];
      this.tailTo[c] = this.sliceStart[slice] + this.sliceLength;
    }
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
    const leaders = this.leaders;
    let nLead = 0;
    let general = false;
    let keepFrom = Infinity;
    let next = Infinity;
    for (let i = 0; i < nq; i++) {
      const q = qs[i];
      const first = q.nextEnd;
      q.firstDue = first;
      q.oneDue = first !== -Infinity && first - 1 <= wm && first + q.slide - 1 > wm;
      if (q.oneDue) {
        let leads = true;
        for (let g = 0; g < nLead; g++) if (qs[leaders[g]].firstDue === first) leads = false;
        if (leads) leaders[nLead++] = i;
      } else if (first - 1 <= wm) {
        general = true;
      }
      if (wm === Infinity) {
        q.nextEnd = Infinity;
      } else {
        // The first window that may still fire starts at k (its end - 1 +
        // lateness > wm); the next points after wm where this query fires or
        // frees slices: the end of the next window - 1, and that of window k
        // - 1 + lateness.
        const k = q.startAfter(wm + 1 - q.lateness - q.size);
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
    for (let g = 0; g < nLead; g++) this.fireGroup(leaders[g]);
    if (general || purge) {
      // At a terminal's rates the live keys are few; each visit is O(the
      // slices of the windows due), plus the general path's walk.
      for (let k = this.keys.size - 1; k >= 0; k--) {
        const slot = this.keys.slotAt(k);
        if (general) {
          for (let i = 0; i < nq; i++) {
            const q = qs[i];
            if (!q.oneDue && q.firstDue - 1 <= wm) this.fireDue(slot, q, wm);
          }
        }
        if (purge) {
          this.purgeBefore(slot, keepFrom);
          if (this.keyHead[slot] < 0) this.keys.release(slot);
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
    const end = qs[i].firstDue;
    // The group, smallest first, and its window starts: the same for every key.
    const members = this.members;
    let nm = 0;
    for (let j = i; j < qs.length; j++) if (qs[j].oneDue && qs[j].firstDue === end) members[nm++] = j;
    const starts = this.sliceStart;
    const prevOf = this.slicePrev;
    const counts = this.sliceCount;
    const sums = this.sliceSum;
    const mins = this.sliceMin;
    const maxs = this.sliceMax;
    const smalls = this.sliceSmall;
    const keys = this.keys;
    const used = keys.used;
    for (let k = keys.size - 1; k >= 0; k--) {
      const slot = used[k];
      let p = this.keyTail[slot];
      while (p >= 0 && starts[p] >= end) p = prevOf[p];
      let count = 0;
      let sum = 0;
      let min = INT32_MAX;
      let max = INT32_MIN;
      let small = 0;
      for (let m = 0; m < nm; m++) {
        const q = qs[members[m]];
        const start = end - q.size;
        for (; p >= 0 && starts[p] >= start; p = prevOf[p]) {
          count += counts[p];
          sum += sums[p];
          if (mins[p] < min) min = mins[p];
          if (maxs[p] > max) max = maxs[p];
          small += smalls[p];
        }
        // A silent or skipped member's slices still count toward the larger members after it.
        if (count === 0 || q.silent || (count < q.minCount && this.skipsLow(slot))) continue;
        // As emitFrom does, inlined: this runs for every key at every boundary.
        const r = q.result;
        r.key = keys.keys[slot];
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
    let head = this.keyHead[slot];
    if (head < 0 || q.silent) return;
    const size = q.size;
    let end = q.firstDue === -Infinity ? q.endAfter(this.sliceStart[head]) : q.firstDue;
    while (end - 1 <= wm) {
      // Skip to the first slice that can fall in [end - size, end).
      while (head >= 0 && this.sliceStart[head] < end - size) head = this.sliceNext[head];
      if (head < 0) return;
      if (this.sliceStart[head] >= end) {
        end = q.endAfter(this.sliceStart[head]);
        continue;
      }
      this.emitFrom(slot, q, head, end, false, false);
      end += q.slide;
    }
  }

  /** Frees the key's oldest slices, those starting before `keepFrom`. */
  private purgeBefore(slot: number, keepFrom: number): void {
    let p = this.keyHead[slot];
    const starts = this.sliceStart;
    if (p < 0 || starts[p] >= keepFrom) return;
    do {
      const n = this.sliceNext[p];
      this.freeSliceRecord(p);
      p = n;
    } while (p >= 0 && starts[p] < keepFrom);
    this.keyHead[slot] = p;
    if (p >= 0) this.slicePrev[p] = -1;
    else this.setTail(slot, -1);
  }

  private freeSliceRecord(p: number): void {
    this.sliceNext[p] = this.freeSlice;
    this.freeSlice = p;
    this.slicesInUse--;
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
      // No window can hold more than the key's elements: a query whose minCount they do not reach
      // (and whose key is not kept) has nothing to fire here.
      let total = -1;
      for (let i = 0; i < this.qs.length; i++) {
        const q = this.qs[i];
        if (q.silent) continue;
        if (q.minCount > 0) {
          if (total < 0) {
            total = 0;
            for (let p = first; p >= 0; p = this.sliceNext[p]) total += this.sliceCount[p];
          }
          if (total < q.minCount && this.skipsLow(slot)) continue;
        }
        let head = first;
        const size = q.size;
        let end = q.endAfter(this.sliceStart[head]);
        if (wm !== -Infinity) end = Math.max(end, q.endAfter(wm + 1));
        for (;;) {
          while (head >= 0 && this.sliceStart[head] < end - size) head = this.sliceNext[head];
          if (head < 0) break;
          if (this.sliceStart[head] >= end) {
            end = q.endAfter(this.sliceStart[head]);
            continue;
          }
          if (this.emitFrom(slot, q, head, end, false, true)) q.flushed++;
          end += q.slide;
        }
      }
    }
    let p = first;
    while (p >= 0) {
      const n = this.sliceNext[p];
      this.freeSliceRecord(p);
      p = n;
    }
    this.keyHead[slot] = -1;
    this.setTail(slot, -1);
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

  private emit(slot: number, q: QueryState, end: number, lateFire: boolean): void {
    let p = this.keyHead[slot];
    const start = end - q.size;
    while (p >= 0 && this.sliceStart[p] < start) p = this.sliceNext[p];
    if (p >= 0) this.emitFrom(slot, q, p, end, lateFire, false);
  }

  /** Combines the slices of window [end - size, end) starting at slice `first` and emits it; false when empty. */
  private emitFrom(slot: number, q: QueryState, first: number, end: number, lateFire: boolean, evicted: boolean): boolean {
    let count = 0;
    let sum = 0;
    let min = INT32_MAX;
    let max = INT32_MIN;
    let small = 0;
    for (let p = first; p >= 0 && this.sliceStart[p] < end; p = this.sliceNext[p]) {
      count += this.sliceCount[p];
      sum += this.sliceSum[p];
      if (this.sliceMin[p] < min) min = this.sliceMin[p];
      if (this.sliceMax[p] > max) max = this.sliceMax[p];
      small += this.sliceSmall[p];
    }
    if (count === 0 || (count < q.minCount && this.skipsLow(slot))) return false;
    const r = q.result;
    r.key = this.keys.keys[slot];
    r.start = end - q.size;
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
