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
 * Recency is a timestamp per slot, not a linked list: a use is one store, and
 * the O(n) searches happen only when the table is full (eviction) or when
 * some key has really been idle for the TTL (expiry). The key index is a
 * preallocated StringSlotIndex, so keys coming and going never allocate.
 *
 * Processing time is the table's `clock`, which the owner advances
 * (`advanceClock` or `expireIdle`) once per element, before it acquires
 * slots: a use is stamped with the clock, so a hot path need not carry the
 * time through every call.
 */
import { hashString } from "../lib/string-hash";
import { StringSlotIndex } from "../lib/string-slot-index";

export type SlotRemoval = "evicted" | "expired";

const RECENT = 8; // entries of the lookup cache (a power of two)
const RECENT_MASK = RECENT - 1;

export class KeySlotTable {
  readonly capacity: number;
  readonly ttlMs: number;
  /** Key held by each slot ("" when free). */
  readonly keys: string[];
  /** hashString of the key held by each slot (read-only). */
  readonly hashes: Uint32Array;
  private readonly index: StringSlotIndex;
  /** Processing time of each slot's last use. An owner that knows a key's slot may stamp a use itself: `lastSeen[slot] = clock`. */
  readonly lastSeen: Float64Array;
  private count = 0;
  /**
   * The used slots, densely in their first `size` entries (read-only for
   * owners; slotAt(i) is used[i]). Releasing used[i] only moves entries from
   * beyond i, so iterate from size - 1 down when releasing.
   */
  readonly used: Int32Array;
  // Each used slot's place in `used`.
  private readonly place: Int32Array;
  private readonly freeSlots: Int32Array;
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

  constructor(capacity: number, ttlMs: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`key capacity must be a positive integer, got ${capacity}`);
    if (!(ttlMs > 0)) throw new RangeError(`key TTL must be positive ms, got ${ttlMs}`);
    this.capacity = capacity;
    this.ttlMs = ttlMs;
    this.index = new StringSlotIndex(capacity);
    this.keys = this.index.keys;
    this.hashes = this.index.hashes;
    this.lastSeen = new Float64Array(capacity);
    this.used = new Int32Array(capacity);
    this.place = new Int32Array(capacity).fill(-1);
    this.freeSlots = new Int32Array(capacity);
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
        if (this.clock + this.ttlMs < this.nextExpiry) this.nextExpiry = this.clock + this.ttlMs;
      }
      this.recentKey[c] = key;
      this.recentSlot[c] = slot;
    }
    this.lastSeen[slot] = this.clock;
    return slot;
  }

  /** The least recently used slot other than `keep`, or -1. O(n). */
  leastRecentlyUsed(keep = -1): number {
    let best = -1;
    let bestSeen = Infinity;
    for (let i = 0; i < this.count; i++) {
      const s = this.used[i];
      if (s !== keep && this.lastSeen[s] < bestSeen) {
        bestSeen = this.lastSeen[s];
        best = s;
      }
    }
    return best;
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

  /** Expires keys idle for at least the TTL at processing time `now`. O(1) unless one is due. */
  expireIdle(now: number): void {
    if (now > this.clock) this.clock = now;
    if (this.clock < this.nextExpiry) return;
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
    this.nextExpiry = earliest + this.ttlMs;
  }

  private drop(slot: number): void {
    const c = this.hashes[slot] & RECENT_MASK;
    if (this.recentSlot[c] === slot) {
      this.recentKey[c] = null;
      this.recentSlot[c] = -1;
    }
    this.index.remove(slot);
    const i = this.place[slot];
    const moved = this.used[--this.count];
    this.used[i] = moved;
    this.place[moved] = i;
    this.place[slot] = -1;
    this.freeSlots[this.freeCount++] = slot;
  }
}
