import { hashString } from "./string-hash";
import { slotArray, type SlotArray } from "./slot-array";

// A key's bucket is Fibonacci hashing, `Math.imul(hash, 0x9e3779b1) >>> shift`: the top bits of
// hash × 2^32/φ, so that keys that differ only in their last characters do not land in
// neighbouring buckets. Written out where it is used: on XS a call costs more than the product.

/**
 * A fixed-capacity map from string keys to small integer slots (0..capacity-1)
 * chosen by the owner, in preallocated typed arrays: open addressing with
 * linear probing and backward-shift deletion (no tombstones). Nothing is
 * allocated by find, insert or remove, so keyed state never grows the heap.
 * Keys come with their hash (see string-hash.ts), which the validator has
 * already computed while scanning them.
 */
export class StringSlotIndex {
  readonly capacity: number;
  /** Key held by each slot ("" when free). */
  readonly keys: string[];
  /** hashString of the key held by each slot (read-only for owners). */
  readonly hashes: Uint32Array;
  /** slot + 1 per bucket, or 0 for an empty bucket */
  private readonly table: SlotArray;
  private readonly mask: number;
  private readonly shift: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.keys = new Array<string>(capacity).fill("");
    this.hashes = new Uint32Array(capacity);
    let bits = 2;
    while (1 << bits < capacity * 2) bits++;
    this.table = slotArray(1 << bits, capacity);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  /** Slot of `key`, or -1. */
  find(key: string, hash = hashString(key)): number {
    const h = hash >>> 0;
    const table = this.table;
    for (let b = Math.imul(h, 0x9e3779b1) >>> this.shift; ; b = (b + 1) & this.mask) {
      const e = table[b];
      if (e === 0) return -1;
      if (this.hashes[e - 1] === h && this.keys[e - 1] === key) return e - 1;
    }
  }

  /** Maps `key` to the free `slot`; the key must not be present. */
  insert(key: string, hash: number, slot: number): void {
    const h = hash >>> 0;
    this.keys[slot] = key;
    this.hashes[slot] = h;
    const table = this.table;
    const mask = this.mask;
    let b = Math.imul(h, 0x9e3779b1) >>> this.shift;
    while (table[b] !== 0) b = (b + 1) & mask;
    table[b] = slot + 1;
  }

  /** Frees `slot`, shifting later entries of its probe run back. */
  remove(slot: number): void {
    const table = this.table;
    const hashes = this.hashes;
    const mask = this.mask;
    const shift = this.shift;
    let hole = Math.imul(hashes[slot], 0x9e3779b1) >>> shift;
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const e = table[j];
      if (e === 0) break;
      const home = Math.imul(hashes[e - 1], 0x9e3779b1) >>> shift;
      // Entry j may move into the hole unless its home bucket lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!stays) {
        table[hole] = e;
        hole = j;
      }
    }
    table[hole] = 0;
    this.keys[slot] = "";
  }
}
