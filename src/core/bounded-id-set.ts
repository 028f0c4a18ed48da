/**
 * Remembers the last `capacity` ids (first in, first out) for deduplication:
 * alert ids, transaction ids. Memory is fixed: a ring of ids plus an index.
 */
export class BoundedIdSet {
  readonly capacity: number;
  private readonly ring: string[];
  private readonly index = new Map<string, true>();
  private next = 0;
  private count = 0;
  /** Ids forgotten to make room. */
  forgotten = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`id set capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.ring = new Array<string>(capacity).fill("");
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** Adds `id`; returns false (and changes nothing) when it is already present. */
  add(id: string): boolean {
    if (this.index.has(id)) return false;
    if (this.count === this.capacity) {
      this.index.delete(this.ring[this.next]);
      this.forgotten++;
    } else {
      this.count++;
    }
    this.ring[this.next] = id;
    this.index.set(id, true);
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    return true;
  }
}
