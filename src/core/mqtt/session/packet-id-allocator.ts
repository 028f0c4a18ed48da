/** The largest packet identifier: two bytes [MQTT-2.3.1-1]. */
export const MAX_PACKET_ID = 0xffff;

/**
 * MQTT packet identifiers for one client session: 1..65535 (0 is not a
 * valid identifier, [MQTT-2.3.1-1]), handed out in increasing order, wrapping
 * from 65535 back to 1 and skipping every id still in flight.
 *
 * At most `capacity` ids are in flight at once: a session needs its in-flight
 * window plus one for each SUBSCRIBE awaiting its SUBACK (MqttSession's
 * maxSubscriptions, default 4), and a terminal's window is 8. The
 * ids in flight are an open-addressed set (linear probing, deletion by
 * backward shift) in one preallocated Uint16Array of twice the capacity
 * rounded up to a power of two: 64 B for a terminal's session, where a bitmap
 * of every id would take 8 KB of the ESP32's 48 KB of chunks. Nothing is
 * allocated after construction.
 *
 * `allocate()` returns 0 when `capacity` ids are in flight. Ids are in flight
 * from `allocate()` (or `reserve(id)`) until `release(id)`.
 */
export class PacketIdAllocator {
  /** Slots of the set: an id in flight, or 0 (empty). */
  private readonly table: Uint16Array;
  private readonly mask: number;
  readonly capacity: number;
  /** The id the last allocate() returned (0 before the first). */
  private last = 0;
  private count = 0;

  constructor(capacity = MAX_PACKET_ID) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_PACKET_ID) {
      throw new RangeError(`capacity must be an integer in [1, ${MAX_PACKET_ID}], got ${String(capacity)}`);
    }
    let size = 4;
    while (size < 2 * capacity) size *= 2;
    this.table = new Uint16Array(size);
    this.mask = size - 1;
    this.capacity = capacity;
  }

  /** Ids currently in flight. */
  get inFlight(): number {
    return this.count;
  }

  isInFlight(id: number): boolean {
    if (!(id >= 1 && id <= MAX_PACKET_ID)) return false;
    return this.table[this.slotOf(id)] === id;
  }

  /** The next id after the previous one (cyclically, skipping 0 and ids in flight), now in flight; 0 when `capacity` are. */
  allocate(): number {
    if (this.count >= this.capacity) return 0;
    // Fewer than 65535 ids are in flight, so a free one comes within count + 1 steps.
    let id = this.last;
    do id = id >= MAX_PACKET_ID ? 1 : id + 1;
    while (this.table[this.slotOf(id)] === id);
    this.insert(id);
    this.last = id;
    return id;
  }

  /** Marks a given id in flight (e.g. restored from storage); false if out of range, already in flight or at capacity. */
  reserve(id: number): boolean {
    if (!Number.isInteger(id) || id < 1 || id > MAX_PACKET_ID || this.count >= this.capacity || this.isInFlight(id)) return false;
    this.insert(id);
    return true;
  }

  /** Frees `id`; false if it was not in flight. */
  release(id: number): boolean {
    if (!(id >= 1 && id <= MAX_PACKET_ID)) return false;
    const t = this.table;
    const mask = this.mask;
    let hole = this.slotOf(id);
    if (t[hole] !== id) return false;
    // Backward shift: move each later entry of the probe run into the hole if its home allows it.
    let i = hole;
    for (;;) {
      i = (i + 1) & mask;
      const e = t[i]!;
      if (e === 0) break;
      const home = e & mask;
      // e may fill the hole when the hole lies cyclically in [home, i).
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        t[hole] = e;
        hole = i;
      }
    }
    t[hole] = 0;
    this.count--;
    return true;
  }

  /** Frees every id; the sequence continues after the last id handed out. */
  releaseAll(): void {
    this.table.fill(0);
    this.count = 0;
  }

  /** Where `id` is, or the empty slot where it would go. */
  private slotOf(id: number): number {
    const t = this.table;
    const mask = this.mask;
    let i = id & mask;
    for (;;) {
      const e = t[i]!;
      if (e === id || e === 0) return i;
      i = (i + 1) & mask;
    }
  }

  private insert(id: number): void {
    this.table[this.slotOf(id)] = id;
    this.count++;
  }
}
