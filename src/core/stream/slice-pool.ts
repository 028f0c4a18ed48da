import type { WindowAggregate } from "./window-result";

const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

/**
 * A preallocated pool of slices (struct of arrays) and, per key slot, the list of the key's
 * slices in start order. A slice holds the aggregate of the elements of one key in
 * [start, start + slice length): count, sum, min, max and how many were small. Nothing is
 * allocated after construction; `next` doubles as the free list.
 *
 * Walks end at -1 without a test of their own: `start[-1]` is undefined, and undefined compares
 * false with every number (one XS step in seven of a walk).
 *
 * The arrays are public for the owner's two hot loops, which fold (`add`) and combine
 * (`combine`) in line where a call would cost as much as the work.
 */
export class SlicePool {
  readonly start: Float64Array;
  readonly count: Int32Array;
  readonly sum: Float64Array;
  readonly min: Int32Array;
  readonly max: Int32Array;
  readonly small: Int32Array;
  /** Per slice, its newer and older neighbour in its key's list (-1 at the ends). */
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Per key slot, its oldest and newest slice (-1: none). */
  readonly head: Int32Array;
  readonly tail: Int32Array;
  private free: number;
  private inUse = 0;

  /** Elements below this amount count as small. */
  readonly smallAmount: number;

  constructor(capacity: number, keySlots: number, smallAmount: number) {
    this.smallAmount = smallAmount;
    this.start = new Float64Array(capacity);
    this.count = new Int32Array(capacity);
    this.sum = new Float64Array(capacity);
    this.min = new Int32Array(capacity);
    this.max = new Int32Array(capacity);
    this.small = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    // Stryker disable next-line EqualityOperator: i <= capacity only adds a write past the end of a typed array, which is ignored
    for (let i = 0; i < capacity; i++) this.next[i] = i + 1 < capacity ? i + 1 : -1;
    this.free = 0;
    this.head = new Int32Array(keySlots).fill(-1);
    this.tail = new Int32Array(keySlots).fill(-1);
  }

  /** Slices in use. */
  get size(): number {
    return this.inUse;
  }

  /**
   * A new slice starting at `start` holding one element of `amount` (a slice is never empty),
   * linked into `slot`'s list after slice `after` (first when after < 0), which must keep the
   * list in start order; -1 when the pool is exhausted.
   */
  take(slot: number, after: number, start: number, amount: number): number {
    const s = this.free;
    if (s < 0) return -1;
    this.free = this.next[s];
    this.inUse++;
    this.start[s] = start;
    this.count[s] = 1;
    this.sum[s] = amount;
    this.min[s] = amount;
    this.max[s] = amount;
    this.small[s] = amount < this.smallAmount ? 1 : 0;
    const newer = after >= 0 ? this.next[after] : this.head[slot];
    this.prev[s] = after;
    this.next[s] = newer;
    if (after >= 0) this.next[after] = s;
    else this.head[slot] = s;
    if (newer >= 0) this.prev[newer] = s;
    else this.tail[slot] = s;
    return s;
  }

  /** Folds an element of `amount` into slice `s`. */
  add(s: number, amount: number): void {
    this.count[s]++;
    this.sum[s] += amount;
    // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
    if (amount < this.min[s]) this.min[s] = amount;
    // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
    if (amount > this.max[s]) this.max[s] = amount;
    if (amount < this.smallAmount) this.small[s]++;
  }

  /** The newest slice of `slot` that starts before `t`, or -1 (none so old). */
  newestBefore(slot: number, t: number): number {
    let s = this.tail[slot];
    while (this.start[s] >= t) s = this.prev[s];
    return s;
  }

  /** The newest slice in `s`'s list from `s` on that starts before `t` (s itself when its next does not). */
  lastBefore(s: number, t: number): number {
    for (let n = this.next[s]; this.start[n] < t; n = this.next[n]) s = n;
    return s;
  }

  /**
   * Combines into `into` the slices from `s` back through older ones that start at or after
   * `from` (a window's, when `s` is its newest slice); returns the first slice not combined (-1
   * at the list's start).
   */
  combine(s: number, from: number, into: WindowAggregate): number {
    let count = 0;
    let sum = 0;
    let min = INT32_MAX;
    let max = INT32_MIN;
    let small = 0;
    for (; this.start[s] >= from; s = this.prev[s]) {
      count += this.count[s];
      sum += this.sum[s];
      // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
      if (this.min[s] < min) min = this.min[s];
      // Stryker disable next-line EqualityOperator: on equal values <= or >= writes the same value again
      if (this.max[s] > max) max = this.max[s];
      small += this.small[s];
    }
    into.count = count;
    into.sum = sum;
    into.min = min;
    into.max = max;
    into.small = small;
    return s;
  }

  /** Frees `slot`'s oldest slices, those starting before `t` (all, for Infinity); true when the list is left empty. */
  releaseBefore(slot: number, t: number): boolean {
    let s = this.head[slot];
    while (this.start[s] < t) {
      const older = s;
      s = this.next[s];
      this.next[older] = this.free;
      this.free = older;
      this.inUse--;
    }
    this.head[slot] = s;
    if (s >= 0) {
      this.prev[s] = -1;
      return false;
    }
    this.tail[slot] = -1;
    return true;
  }
}
