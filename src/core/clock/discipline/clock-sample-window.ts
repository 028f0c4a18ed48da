import type { ClockSample } from "../clock-sample";

/** Server indexes run 0..SAMPLE_SERVER_LIMIT−1 (server masks are 31-bit integers). */
export const SAMPLE_SERVER_LIMIT = 31;

/**
 * The last `capacity` samples, oldest first, in preallocated typed arrays:
 * pushing, dropping and reading allocate nothing. When full, a push drops
 * the oldest sample.
 */
export class ClockSampleWindow {
  readonly capacity: number;
  private readonly mono: Float64Array;
  private readonly offset: Float64Array;
  private readonly delay: Float64Array;
  private readonly rootDistance: Float64Array;
  private readonly serverIndex: Uint8Array;
  /** Physical index of the oldest sample. */
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 4096) throw new RangeError(`sample window capacity must be an integer in 1..4096, got ${capacity}`);
    this.capacity = capacity;
    this.mono = new Float64Array(capacity);
    this.offset = new Float64Array(capacity);
    this.delay = new Float64Array(capacity);
    this.rootDistance = new Float64Array(capacity);
    this.serverIndex = new Uint8Array(capacity);
  }

  get count(): number {
    return this.size;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  push(s: Readonly<ClockSample>): void {
    this.pushValues(s.monoMs, s.offsetMs, s.delayMs, s.rootDistanceMs, s.server);
  }

  private pushValues(mono: number, offset: number, delay: number, rootDistance: number, server: number): void {
    let at: number;
    if (this.size < this.capacity) {
      at = this.head + this.size;
      if (at >= this.capacity) at -= this.capacity;
      this.size++;
    } else {
      at = this.head;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    this.mono[at] = mono;
    this.offset[at] = offset;
    this.delay[at] = delay;
    this.rootDistance[at] = rootDistance;
    this.serverIndex[at] = server;
  }

  private physical(i: number): number {
    const p = this.head + i;
    return p >= this.capacity ? p - this.capacity : p;
  }

  /** Sample i, 0 = oldest. */
  monoAt(i: number): number {
    return this.mono[this.physical(i)]!;
  }
  offsetAt(i: number): number {
    return this.offset[this.physical(i)]!;
  }
  delayAt(i: number): number {
    return this.delay[this.physical(i)]!;
  }
  rootDistanceAt(i: number): number {
    return this.rootDistance[this.physical(i)]!;
  }
  serverAt(i: number): number {
    return this.serverIndex[this.physical(i)]!;
  }

  /** Drops the oldest samples taken before `minMonoMs`, but keeps at least `keep` samples. */
  dropOlderThan(minMonoMs: number, keep: number): void {
    while (this.size > keep && this.mono[this.head]! < minMonoMs) {
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.size--;
    }
  }

  /** Bit s set when server s has a sample here. */
  serverMask(): number {
    let mask = 0;
    for (let i = 0; i < this.size; i++) mask |= 1 << this.serverAt(i);
    return mask;
  }

  /** Appends the samples of `from` whose server's bit is set in `serverMask`, oldest first. */
  copyFrom(from: ClockSampleWindow, serverMask: number): void {
    for (let i = 0; i < from.size; i++) {
      const p = from.physical(i);
      if ((serverMask & (1 << from.serverIndex[p]!)) === 0) continue;
      this.pushValues(from.mono[p]!, from.offset[p]!, from.delay[p]!, from.rootDistance[p]!, from.serverIndex[p]!);
    }
  }
}

/** Number of bits set in a 32-bit mask. */
export function bitCount(mask: number): number {
  let m = mask >>> 0;
  let n = 0;
  while (m !== 0) {
    m &= m - 1;
    n++;
  }
  return n;
}
