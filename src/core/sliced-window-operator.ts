import { KeySlotTable, type SlotRemoval } from "./key-slot-table";
import { createWindowResult, type WindowListener, type WindowResult } from "./window-result";
import { checkWindowSpec, floorMod, gcd, windowStartFor, type WindowSpec } from "./window-math";

export interface SlicedWindowOptions extends WindowSpec {
  name: string;
  keyField: string;
  /** Amounts below this many cents count as "small". */
  smallAmountCents: number;
  /** Most keys with live state. */
  maxKeys: number;
  /** Keys idle this long in processing time are flushed and freed. */
  keyTtlMs: number;
  /** Pane records shared by all keys. */
  maxPanes: number;
}

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/** Outcome of `add`. */
export const AddOutcome = {
  ACCEPTED: 0,
  /** Every window of the element is past watermark + allowed lateness. */
  LATE: 1,
  /** No key slot or pane could be freed for it (capacity 1 and in use). */
  STATE_FULL: 2,
} as const;
export type AddOutcome = (typeof AddOutcome)[keyof typeof AddOutcome];

/**
 * Keyed event-time sliding (or tumbling) windows with Flink's semantics,
 * computed on shared panes ("slices") of length gcd(size, slide): each event
 * updates exactly one pane, and a window's result is combined from its panes
 * when it fires. State is a preallocated pool of panes linked per key in
 * start order; nothing is allocated per event.
 *
 * - A window [start, end) fires once the watermark reaches end - 1.
 * - A late element whose window is still within allowed lateness re-fires
 *   that window at once, flagged `update` (same start/end identity).
 * - Pane state is purged once the watermark reaches end - 1 + lateness of the
 *   last window that contains the pane.
 * - An element all of whose windows are purged is refused as LATE, for the
 *   caller to send to the late side output.
 */
export class SlicedWindowOperator {
  readonly name: string;
  readonly keyField: string;
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
  readonly lateness: number;
  readonly paneLength: number;
  readonly keys: KeySlotTable;
  private readonly smallAmount: number;
  private readonly endGridOffset: number;

  // Pane pool (struct of arrays); `paneNext` doubles as the free list.
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

  // Per key slot: its panes, oldest first.
  private readonly keyHead: Int32Array;
  private readonly keyTail: Int32Array;

  private watermark = -Infinity;
  private nextFirePoint = -Infinity;
  private nextPurgePoint = -Infinity;
  private readonly result: WindowResult;
  private listener: WindowListener = () => {};

  windowsFired = 0;
  windowsUpdated = 0;
  windowsFlushed = 0;
  lateElements = 0;
  stateFull = 0;

  constructor(o: SlicedWindowOptions) {
    checkWindowSpec(o.name, o);
    if (!Number.isInteger(o.maxPanes) || o.maxPanes < 1) throw new RangeError(`window ${o.name}: maxPanes must be a positive integer`);
    this.name = o.name;
    this.keyField = o.keyField;
    this.size = o.size;
    this.slide = o.slide;
    this.offset = o.offset;
    this.lateness = o.allowedLateness;
    this.smallAmount = o.smallAmountCents;
    this.paneLength = gcd(o.size, o.slide);
    this.endGridOffset = floorMod(o.offset + o.size, o.slide);
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
    this.result = createWindowResult(o.name, o.keyField);
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

  /** Smallest end on this definition's window grid that is > t. */
  private endAfter(t: number): number {
    return t - floorMod(t - this.endGridOffset, this.slide) + this.slide;
  }

  /** End of the last window that contains pane (or time) `ps`. */
  private lastEndContaining(ps: number): number {
    return windowStartFor(ps, this.offset, this.slide) + this.size;
  }

  /**
   * Adds one element at event time `ts` under the current watermark.
   * `now` is processing time, for LRU and TTL. `amount` must be an int32
   * (amounts are whole cents below the validation limit).
   */
  add(key: string, ts: number, amount: number, now: number): AddOutcome {
    const wm = this.watermark;
    const lastEnd = this.lastEndContaining(ts);
    if (lastEnd - 1 + this.lateness <= wm) {
      this.lateElements++;
      return AddOutcome.LATE;
    }
    const slot = this.keys.acquire(key, now);
    if (slot < 0) {
      this.stateFull++;
      return AddOutcome.STATE_FULL;
    }
    const ps = ts - floorMod(ts - this.offset, this.paneLength);
    const pane = this.paneFor(slot, ps);
    if (pane < 0) {
      this.stateFull++;
      if (this.keyHead[slot] < 0) this.keys.release(slot);
      return AddOutcome.STATE_FULL;
    }
    this.paneCount[pane]++;
    this.paneSum[pane] += amount;
    if (amount < this.paneMin[pane]) this.paneMin[pane] = amount;
    if (amount > this.paneMax[pane]) this.paneMax[pane] = amount;
    if (amount < this.smallAmount) this.paneSmall[pane]++;

    // Late but within allowed lateness: re-fire every window of this element
    // whose end has passed and that is not purged yet.
    if (ts <= wm) {
      for (let end = lastEnd; end > ts; end -= this.slide) {
        if (end - 1 > wm) continue;
        if (end - 1 + this.lateness <= wm) break;
        this.emit(slot, end, true, false);
      }
    }
    return AddOutcome.ACCEPTED;
  }

  /** The pane of `slot` starting at `ps`, created in order if missing; -1 when none can be had. */
  private paneFor(slot: number, ps: number): number {
    let p = this.keyTail[slot];
    while (p >= 0 && this.paneStart[p] > ps) p = this.panePrev[p];
    if (p >= 0 && this.paneStart[p] === ps) return p;
    // Need a new pane after `p` (or at the head when p < 0).
    if (this.freePane < 0) {
      this.reclaimPaneFor(slot);
      if (this.freePane < 0) return -1;
      // Our own list did not change (we never evict `slot`), so `p` is still valid.
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

  /** Pane pool exhausted: evict least recently used keys other than `keep`. */
  private reclaimPaneFor(keep: number): void {
    while (this.freePane < 0) {
      const victim = this.keys.leastRecentlyUsed(keep);
      if (victim < 0) return;
      this.keys.evict(victim);
    }
  }

  /**
   * The watermark moved to `wm`: fire every window whose end - 1 is now
   * reached and purge state past its lateness. O(1) unless a window boundary
   * or purge boundary was crossed.
   */
  advanceWatermark(wm: number): void {
    if (!(wm > this.watermark)) return;
    const prev = this.watermark;
    this.watermark = wm;
    if (wm < this.nextFirePoint && wm < this.nextPurgePoint) return;
    let slot = this.keys.first();
    while (slot >= 0) {
      const following = this.keys.after(slot);
      this.fireDue(slot, prev, wm);
      this.purge(slot, wm);
      if (this.keyHead[slot] < 0) this.keys.release(slot);
      slot = following;
    }
    // Next boundaries strictly after wm where something can happen.
    if (wm === Infinity) {
      this.nextFirePoint = Infinity;
      this.nextPurgePoint = Infinity;
    } else {
      this.nextFirePoint = this.endAfter(wm + 1) - 1;
      this.nextPurgePoint = this.endAfter(wm + 1 - this.lateness) - 1 + this.lateness;
    }
  }

  /** Fires windows of `slot` with prev < end - 1 <= wm that hold at least one element. */
  private fireDue(slot: number, prev: number, wm: number): void {
    let head = this.keyHead[slot];
    if (head < 0) return;
    let end = prev === -Infinity ? this.endAfter(this.paneStart[head]) : this.endAfter(prev + 1);
    while (end - 1 <= wm) {
      // Skip to the first pane that can fall in [end - size, end).
      while (head >= 0 && this.paneStart[head] < end - this.size) head = this.paneNext[head];
      if (head < 0) return;
      if (this.paneStart[head] >= end) {
        end = this.endAfter(this.paneStart[head]);
        continue;
      }
      this.emitFrom(slot, head, end, false, false);
      end += this.slide;
    }
  }

  private purge(slot: number, wm: number): void {
    let p = this.keyHead[slot];
    while (p >= 0 && this.lastEndContaining(this.paneStart[p]) - 1 + this.lateness <= wm) {
      const n = this.paneNext[p];
      this.freePaneRecord(p);
      p = n;
    }
    this.keyHead[slot] = p;
    if (p >= 0) this.panePrev[p] = -1;
    else this.keyTail[slot] = -1;
  }

  private freePaneRecord(p: number): void {
    this.paneNext[p] = this.freePane;
    this.freePane = p;
    this.panesInUse--;
  }

  /**
   * A key is being evicted or expired: windows that hold elements and have not
   * fired yet fire now, flagged `evicted`; then its panes are freed.
   */
  private flushKey(slot: number, _why: SlotRemoval): void {
    let head = this.keyHead[slot];
    if (head >= 0) {
      const wm = this.watermark;
      let end = wm === -Infinity ? this.endAfter(this.paneStart[head]) : Math.max(this.endAfter(wm + 1), this.endAfter(this.paneStart[head]));
      for (;;) {
        while (head >= 0 && this.paneStart[head] < end - this.size) head = this.paneNext[head];
        if (head < 0) break;
        if (this.paneStart[head] >= end) {
          end = this.endAfter(this.paneStart[head]);
          continue;
        }
        this.emitFrom(slot, head, end, false, true);
        this.windowsFlushed++;
        end += this.slide;
      }
    }
    let p = this.keyHead[slot];
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

  private emit(slot: number, end: number, update: boolean, evicted: boolean): void {
    let p = this.keyHead[slot];
    while (p >= 0 && this.paneStart[p] < end - this.size) p = this.paneNext[p];
    if (p >= 0) this.emitFrom(slot, p, end, update, evicted);
  }

  /** Combines the panes of window [end - size, end) starting at pane `first` and emits it. */
  private emitFrom(slot: number, first: number, end: number, lateFire: boolean, evicted: boolean): void {
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    let small = 0;
    for (let p = first; p >= 0 && this.paneStart[p] < end; p = this.paneNext[p]) {
      count += this.paneCount[p];
      sum += this.paneSum[p];
      if (this.paneMin[p] < min) min = this.paneMin[p];
      if (this.paneMax[p] > max) max = this.paneMax[p];
      small += this.paneSmall[p];
    }
    if (count === 0) return;
    const r = this.result;
    r.key = this.keys.keys[slot];
    r.start = end - this.size;
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
    if (r.update) this.windowsUpdated++;
    else this.windowsFired++;
    this.listener(r);
  }
}
