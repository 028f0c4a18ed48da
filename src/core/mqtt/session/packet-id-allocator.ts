/**
 * MQTT packet identifiers for one client session: 1..65535, handed out in
 * increasing order, wrapping from 65535 back to 1 and skipping every id still
 * in flight. State is one preallocated bitmap (8 KiB); nothing is allocated
 * after construction.
 *
 * `allocate()` returns 0 when all 65535 ids are in flight. Ids are in flight
 * from `allocate()` (or `reserve(id)`) until `release(id)`.
 */
export const MAX_PACKET_ID = 0xffff;

export class PacketIdAllocator {
  /** Bit i set = id i in flight (bit 0 is never set). */
  private readonly bits = new Uint32Array(2048);
  /** The id the last allocate() returned (0 before the first). */
  private last = 0;
  private count = 0;

  /** Ids currently in flight. */
  get inFlight(): number {
    return this.count;
  }

  isInFlight(id: number): boolean {
    if (!(id >= 1 && id <= MAX_PACKET_ID)) return false;
    return (this.bits[id >>> 5]! & (1 << (id & 31))) !== 0;
  }

  /** The next id after the previous one (cyclically, skipping 0 and ids in flight), now in flight; 0 when none is free. */
  allocate(): number {
    if (this.count >= MAX_PACKET_ID) return 0;
    let id = this.last;
    for (;;) {
      id = id >= MAX_PACKET_ID ? 1 : id + 1;
      const word = this.bits[id >>> 5]!;
      if (word === 0xffffffff) {
        // Whole word in flight: jump to the last id of this word.
        id |= 31;
        continue;
      }
      if ((word & (1 << (id & 31))) === 0) break;
    }
    this.mark(id);
    this.last = id;
    return id;
  }

  /** Marks a given id in flight (e.g. restored from storage); false if out of range or already in flight. */
  reserve(id: number): boolean {
    if (!Number.isInteger(id) || id < 1 || id > MAX_PACKET_ID || this.isInFlight(id)) return false;
    this.mark(id);
    return true;
  }

  /** Frees `id`; false if it was not in flight. */
  release(id: number): boolean {
    if (!this.isInFlight(id)) return false;
    this.bits[id >>> 5] = this.bits[id >>> 5]! & ~(1 << (id & 31));
    this.count--;
    return true;
  }

  /** Frees every id; the sequence continues after the last id handed out. */
  releaseAll(): void {
    this.bits.fill(0);
    this.count = 0;
  }

  private mark(id: number): void {
    this.bits[id >>> 5] = this.bits[id >>> 5]! | (1 << (id & 31));
    this.count++;
  }
}
