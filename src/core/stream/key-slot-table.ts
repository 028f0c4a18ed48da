import { hashString } from "../lib/string-hash";
import { StringSlotIndex } from "../lib/string-slot-index";
import { slotArray, type SlotArray } from "../lib/slot-array";

export type SlotRemoval = "evicted" | "expired";

const RECENT = 8; // entries of the lookup cache (a power of two)
const NO_LINKS = new Int16Array(0);
const RECENT_MASK = RECENT - 1;

/**
 * Fixed-capacity keyed state index: maps a key (card hash, merchant id) to a
 * small integer slot that owners use to index their own preallocated arrays.
 *
 * - At most `capacity` keys; a new key when full evicts the least recently
 *   used one (counted).
 * - Keys idle for the TTL (processing time) are expired (counted).
 * - Owners release a slot themselves when its state is empty (counted apart).
 *
 * Before a slot is taken away by eviction or expiry, `onRemove` lets the owner
 * flush what the slot holds, so nothing is dropped unseen.
 *
 * Recency is a timestamp per slot and, once the table has been full, a
 * doubly linked list through a typed array, least recently used first. Until
 * then a use is one store (`lastSeen[slot] = clock`) and the O(n) search
 * happens only when some key has really been idle for the TTL (expiry). The
 * first eviction sorts the keys into the list (once); from then on a use
 * moves its slot to the list's end (`touch`), eviction takes the list's head
 * and expiry walks from it over the keys it expires. (Searching at each
 * eviction cost a terminal, where each new card evicts one, ~1 300 XS steps a
 * swipe; keeping the list from the start slows the tables that never fill,
 * a terminal's merchants, by more than their window updates cost.) The key
 * index is a preallocated StringSlotIndex, so keys coming and going never
 * allocate.
 *
 * Processing time is the table's `clock`, which the owner advances
 * (`advanceClock` or `expireIdle`) once per element, before it acquires
 * slots: a use is stamped with the clock, so a hot path need not carry the
 * time through every call. Since the clock never goes backwards, the list is
 * in `lastSeen` order too.
 */
export class KeySlotTable {
  readonly capacity: number;
  readonly ttlMs: number;
  /** Key held by each slot ("" when free). */
  readonly keys: string[];
  /** hashString of the key held by each slot (read-only). */
  readonly hashes: Uint32Array;
  private readonly index: StringSlotIndex;
  /**
   * Processing time of each slot's last use (read-only). An owner that knows a key's slot marks a
   * use with `touch(slot)`, or, while `listed` is false, may store `lastSeen[slot] = clock` itself.
   */
  readonly lastSeen: Float64Array;
  /** The recency list is kept (since the first eviction): uses must go through `touch`. */
  listed = false;
  // The recency list, least recently used first, -1 ends it: slot s's older neighbour at
  // links[2s], its newer one at links[2s + 1]. Made when the list starts (a table that never
  // fills never needs it).
  private links: SlotArray = NO_LINKS;
  private oldest = -1;
  private newest = -1;
  private count = 0;
  /**
   * The used slots, densely in their first `size` entries (read-only for
   * owners; slotAt(i) is used[i]). Releasing used[i] only moves entries from
   * beyond i, so iterate from size - 1 down when releasing.
   */
  readonly used: SlotArray;
  // Each used slot's place in `used`.
  private readonly place: SlotArray;
  private readonly freeSlots: SlotArray;
  private freeCount: number;
  /** Processing time: the latest value given to advanceClock or expireIdle (never goes backwards). Read-only for owners. */
  clock = -Infinity;
  /** No key can expire before this processing time. */
  private nextExpiry = Infinity;
  // A small direct-mapped cache in front of the index, by the low hash bits:
  // a terminal's few merchants, or a card's run of swipes, skip the probe.
  private readonly recentKey: (string | null)[] = new Array<string | null>(RECENT).fill(null);
  private readonly recentSlot = new Int32Array(RECENT).fill(-1);

  evictions = 0;
  expirations = 0;
  releases = 0;
  onRemove: (slot: number, why: SlotRemoval) => void = () => {};
  /** Called once, when the recency list starts (`listed` turns true): from then on uses go through `touch`. */
  onListed: () => void = () => {};

  constructor(capacity: number, ttlMs: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`key capacity must be a positive integer, got ${capacity}`);
    if (!(ttlMs > 0)) throw new RangeError(`key TTL must be positive ms, got ${ttlMs}`);
    this.capacity = capacity;
    this.ttlMs = ttlMs;
    this.index = new StringSlotIndex(capacity);
    this.keys = this.index.keys;
    this.hashes = this.index.hashes;
    this.lastSeen = new Float64Array(capacity);
    this.used = slotArray(capacity, capacity);
    this.place = slotArray(capacity, capacity).fill(-1);
    this.freeSlots = slotArray(capacity, capacity);
    for (let i = 0; i < capacity; i++) this.freeSlots[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  /** Keys held. */
  get size(): number {
    return this.count;
  }

  /** The i-th used slot (0 <= i < size). Releasing slotAt(i) only moves
   *  entries from beyond i, so iterate from size - 1 down when releasing. */
  slotAt(i: number): number {
    return this.used[i];
  }

  /** Slot of `key`, or -1. Does not count as a use. */
  find(key: string, hash = hashString(key)): number {
    return this.index.find(key, hash);
  }

  /** Advances processing time to `now`; earlier values are ignored (the clock never goes backwards). */
  advanceClock(now: number): void {
    if (now > this.clock) this.clock = now;
  }

  /**
   * Slot for `key`, creating it if needed, and marks it used at the current
   * processing time (`clock`). `hash` is hashString(key) when the caller has it.
   */
  acquire(key: string, hash = hashString(key)): number {
    const c = hash & RECENT_MASK;
    let slot = this.recentSlot[c];
    if (this.recentKey[c] !== key) {
      slot = this.index.find(key, hash);
      if (slot < 0) {
        if (this.freeCount === 0) this.evict(this.leastRecentlyUsed());
        slot = this.freeSlots[--this.freeCount];
        this.index.insert(key, hash, slot);
        this.place[slot] = this.count;
        this.used[this.count++] = slot;
        // Stryker disable next-line EqualityOperator,ArithmeticOperator: nextExpiry only lets expireIdle skip work; an earlier one scans sooner and finds the same keys
        if (this.clock + this.ttlMs < this.nextExpiry) this.nextExpiry = this.clock + this.ttlMs;
        this.lastSeen[slot] = this.clock;
        if (this.listed) this.link(slot);
        this.recentKey[c] = key;
        this.recentSlot[c] = slot;
        return slot;
      }
      this.recentKey[c] = key;
      this.recentSlot[c] = slot;
    }
    this.touch(slot);
    return slot;
  }

  /** A use of the key in `slot` (held) at the current processing time: it becomes the most recently used. */
  touch(slot: number): void {
    this.lastSeen[slot] = this.clock;
    if (!this.listed || slot === this.newest) return;
    this.unlink(slot);
    this.link(slot);
  }

  /** The least recently used slot other than `keep`, or -1. O(1) (the first call sorts the keys into the list). */
  leastRecentlyUsed(keep = -1): number {
    if (!this.listed) this.list();
    const s = this.oldest;
    return s >= 0 && s === keep ? this.links[2 * s + 1] : s;
  }

  /**
   * Starts the recency list: the held slots by their last use (ties in `used` order). Once.
   * Allocation-free (it runs when memory may be tightest): the held slots are sorted where the
   * free list has room for exactly them, freeSlots[freeCount..capacity), by a heap sort.
   */
  private list(): void {
    this.links = slotArray(2 * this.capacity, this.capacity);
    const a = this.freeSlots;
    const base = this.freeCount;
    const n = this.count;
    for (let i = 0; i < n; i++) a[base + i] = this.used[i];
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(a, base, i, n);
    for (let end = n - 1; end > 0; end--) {
      const t = a[base];
      a[base] = a[base + end];
      a[base + end] = t;
      this.siftDown(a, base, 0, end);
    }
    for (let i = 0; i < n; i++) this.link(a[base + i]);
    this.listed = true;
    this.onListed();
  }

  /** Heap sort's step over a[base..base+n), largest (latest use, then latest in `used`) at the top. */
  private siftDown(a: SlotArray, base: number, i: number, n: number): void {
    const seen = this.lastSeen;
    const place = this.place;
    for (;;) {
      let top = i;
      for (let c = 2 * i + 1; c <= 2 * i + 2 && c < n; c++) {
        const x = a[base + c];
        const y = a[base + top];
        if (seen[x] > seen[y] || (seen[x] === seen[y] && place[x] > place[y])) top = c;
      }
      if (top === i) return;
      const t = a[base + i];
      a[base + i] = a[base + top];
      a[base + top] = t;
      i = top;
    }
  }

  /** Takes `slot` out of the list. */
  private unlink(slot: number): void {
    const links = this.links;
    const o = links[2 * slot];
    const n = links[2 * slot + 1];
    if (o >= 0) links[2 * o + 1] = n;
    else this.oldest = n;
    if (n >= 0) links[2 * n] = o;
    else this.newest = o;
  }

  /** Puts `slot` (not in the list) at the list's end. */
  private link(slot: number): void {
    const links = this.links;
    links[2 * slot] = this.newest;
    links[2 * slot + 1] = -1;
    if (this.newest >= 0) links[2 * this.newest + 1] = slot;
    else this.oldest = slot;
    this.newest = slot;
  }

  /** Evicts `slot` (flushing through onRemove) to make room elsewhere. */
  evict(slot: number): void {
    this.evictions++;
    this.onRemove(slot, "evicted");
    this.drop(slot);
  }

  /** The owner's state for `slot` is empty: free it. */
  release(slot: number): void {
    this.releases++;
    this.drop(slot);
  }

  /** Expires keys idle for at least the TTL at processing time `now`. O(1) unless one is due, then O(expired). */
  expireIdle(now: number): void {
    if (now > this.clock) this.clock = now;
    if (this.clock < this.nextExpiry) return;
    if (this.listed) {
      for (let s = this.oldest; s >= 0 && this.clock - this.lastSeen[s] >= this.ttlMs; s = this.oldest) {
        this.expirations++;
        this.onRemove(s, "expired");
        this.drop(s);
      }
      // Stryker disable next-line ArithmeticOperator: nextExpiry only lets expireIdle skip work; an earlier one scans sooner and finds the same keys
      this.nextExpiry = this.oldest >= 0 ? this.lastSeen[this.oldest] + this.ttlMs : Infinity;
      return;
    }
    let earliest = Infinity;
    for (let i = this.count - 1; i >= 0; i--) {
      const s = this.used[i];
      if (this.clock - this.lastSeen[s] >= this.ttlMs) {
        this.expirations++;
        this.onRemove(s, "expired");
        this.drop(s);
      } else if (this.lastSeen[s] < earliest) {
        earliest = this.lastSeen[s];
      }
    }
    // Stryker disable next-line ArithmeticOperator: nextExpiry only lets expireIdle skip work; an earlier one scans sooner and finds the same keys
    this.nextExpiry = earliest + this.ttlMs;
  }

  private drop(slot: number): void {
    const c = this.hashes[slot] & RECENT_MASK;
    if (this.recentSlot[c] === slot) {
      this.recentKey[c] = null;
      this.recentSlot[c] = -1;
    }
    this.index.remove(slot);
    if (this.listed) this.unlink(slot);
    const i = this.place[slot];
    const moved = this.used[--this.count];
    this.used[i] = moved;
    this.place[moved] = i;
    this.place[slot] = -1;
    this.freeSlots[this.freeCount++] = slot;
  }
}
