/**
 * Fixed-capacity keyed state index: maps a key (card hash, merchant id) to a
 * small integer slot that owners use to index their own preallocated arrays.
 *
 * - At most `capacity` keys; a new key when full evicts the least recently
 *   used one (counted).
 * - Keys idle longer than the TTL (processing time) are expired (counted).
 * - Owners release a slot themselves when its state is empty (counted apart).
 *
 * Before a slot is taken away by eviction or expiry, `onRemove` lets the owner
 * flush what the slot holds, so nothing is dropped unseen.
 */
export type SlotRemoval = "evicted" | "expired";

export class KeySlotTable {
  readonly capacity: number;
  readonly ttlMs: number;
  /** Key held by each slot ("" when free). */
  readonly keys: string[];
  private readonly index = new Map<string, number>();
  private readonly lastSeen: Float64Array;
  // LRU list over used slots: `lruHead` is least recently used.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private lruHead = -1;
  private lruTail = -1;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  private clock = -Infinity;

  evictions = 0;
  expirations = 0;
  releases = 0;
  onRemove: (slot: number, why: SlotRemoval) => void = () => {};

  constructor(capacity: number, ttlMs: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`key capacity must be a positive integer, got ${capacity}`);
    if (!(ttlMs > 0)) throw new RangeError(`key TTL must be positive ms, got ${ttlMs}`);
    this.capacity = capacity;
    this.ttlMs = ttlMs;
    this.keys = new Array<string>(capacity).fill("");
    this.lastSeen = new Float64Array(capacity);
    this.prev = new Int32Array(capacity).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
    this.freeSlots = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeSlots[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  get size(): number {
    return this.capacity - this.freeCount;
  }

  /** Slot of `key`, or -1. Does not count as a use. */
  find(key: string): number {
    const s = this.index.get(key);
    return s === undefined ? -1 : s;
  }

  /**
   * Slot for `key`, creating it if needed, and marks it used at processing
   * time `now`. `keep` is a slot that must not be evicted to make room (or -1).
   */
  acquire(key: string, now: number, keep = -1): number {
    if (now > this.clock) this.clock = now;
    let slot = this.index.get(key);
    if (slot === undefined) {
      if (this.freeCount === 0) {
        let victim = this.lruHead;
        if (victim === keep) victim = this.next[victim];
        if (victim < 0) return -1;
        this.evictions++;
        this.onRemove(victim, "evicted");
        this.drop(victim);
      }
      slot = this.freeSlots[--this.freeCount];
      this.keys[slot] = key;
      this.index.set(key, slot);
      this.append(slot);
    } else if (slot !== this.lruTail) {
      this.unlink(slot);
      this.append(slot);
    }
    this.lastSeen[slot] = this.clock;
    return slot;
  }

  /** The least recently used slot other than `keep`, or -1. */
  leastRecentlyUsed(keep = -1): number {
    const s = this.lruHead;
    return s === keep ? this.next[s] : s;
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

  /** Expires keys idle for at least the TTL at processing time `now`. O(1) when none is due. */
  expireIdle(now: number): void {
    if (now > this.clock) this.clock = now;
    while (this.lruHead >= 0 && this.clock - this.lastSeen[this.lruHead] >= this.ttlMs) {
      const slot = this.lruHead;
      this.expirations++;
      this.onRemove(slot, "expired");
      this.drop(slot);
    }
  }

  /** First used slot in LRU order (least recent first), or -1. */
  first(): number {
    return this.lruHead;
  }

  /** Used slot after `slot` in LRU order, or -1. */
  after(slot: number): number {
    return this.next[slot];
  }

  private drop(slot: number): void {
    this.index.delete(this.keys[slot]);
    this.keys[slot] = "";
    this.unlink(slot);
    this.freeSlots[this.freeCount++] = slot;
  }

  private append(slot: number): void {
    this.prev[slot] = this.lruTail;
    this.next[slot] = -1;
    if (this.lruTail >= 0) this.next[this.lruTail] = slot;
    else this.lruHead = slot;
    this.lruTail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p >= 0) this.next[p] = n;
    else this.lruHead = n;
    if (n >= 0) this.prev[n] = p;
    else this.lruTail = p;
    this.prev[slot] = -1;
    this.next[slot] = -1;
  }
}
