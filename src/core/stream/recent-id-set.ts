import { hashString } from "../lib/string-hash";
import { StringSlotIndex } from "../lib/string-slot-index";

/**
 * Remembers the last `capacity` ids (first in, first out) for deduplication
 * of transaction ids and alert ids: a ring of slots indexed by a
 * StringSlotIndex. Fixed memory; adding and looking up allocate nothing.
 * Callers that already hashed the id (the validator does, while scanning it)
 * pass the hash in.
 */
export class RecentIdSet {
  readonly capacity: number;
  private readonly index: StringSlotIndex;
  private next = 0;
  private count = 0;
  /** Ids forgotten to make room. */
  forgotten = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`id set capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.index = new StringSlotIndex(capacity);
  }

  get size(): number {
    return this.count;
  }

  has(id: string, hash = hashString(id)): boolean {
    return this.index.find(id, hash) >= 0;
  }

  /** Adds `id`; returns false (and changes nothing) when it is already present. */
  add(id: string, hash = hashString(id)): boolean {
    if (this.index.find(id, hash) >= 0) return false;
    const slot = this.next;
    if (this.count === this.capacity) {
      this.index.remove(slot);
      this.forgotten++;
    } else {
      this.count++;
    }
    this.index.insert(id, hash, slot);
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    return true;
  }
}
