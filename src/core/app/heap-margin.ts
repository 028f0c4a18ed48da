export interface HeapBudget {
  slotBytes: number;
  chunkBytes: number;
  stackBytes: number;
}

export type HeapPart = "slots" | "chunks" | "stack";

/**
 * How close the firmware has come to the end of its XS heap: the most it has
 * kept live (read right after a full collection, so garbage waiting for the
 * collector does not count) and the deepest its stack went, against the fixed
 * creation budget of its build (manifest.json; on the ESP32 48 KB of chunks,
 * 6 144 slots of 16 B, a stack of 768 slots). An installer reads the headroom
 * in `status` and in the metrics; bench:device32 measures the same figures
 * on a 32-bit XS before a board ever runs them.
 *
 * Readings are bytes, as XS's instrumentation gives them. A NaN reading (a
 * build without instrumentation) is ignored: `measured` stays false.
 */
export class HeapMargin {
  readonly budget: Readonly<HeapBudget>;
  /** The highest readings so far, bytes. */
  readonly peaks: HeapBudget = { slotBytes: 0, chunkBytes: 0, stackBytes: 0 };
  private liveReadings = 0;
  private stackReadings = 0;

  constructor(budget: HeapBudget) {
    for (const k of ["slotBytes", "chunkBytes", "stackBytes"] as const) {
      const v = budget[k];
      if (!Number.isInteger(v) || v <= 0) throw new RangeError(`heap budget ${k} must be a positive integer, got ${String(v)}`);
    }
    this.budget = { ...budget };
  }

  /** Both live readings and at least one stack reading have come in. */
  get measured(): boolean {
    return this.liveReadings > 0 && this.stackReadings > 0;
  }

  /** The live heap right after a full collection. */
  noteLive(slotBytes: number, chunkBytes: number): void {
    if (!Number.isFinite(slotBytes) || !Number.isFinite(chunkBytes)) return;
    this.liveReadings++;
    // Stryker disable next-line EqualityOperator: >= only writes the same value again
    if (slotBytes > this.peaks.slotBytes) this.peaks.slotBytes = slotBytes;
    // Stryker disable next-line EqualityOperator: >= only writes the same value again
    if (chunkBytes > this.peaks.chunkBytes) this.peaks.chunkBytes = chunkBytes;
  }

  /** The stack's deepest point since the previous reading (XS resets it at each instrumentation sample). */
  noteStack(stackBytes: number): void {
    if (!Number.isFinite(stackBytes)) return;
    this.stackReadings++;
    // Stryker disable next-line EqualityOperator: >= only writes the same value again
    if (stackBytes > this.peaks.stackBytes) this.peaks.stackBytes = stackBytes;
  }

  /** Percent of `part`'s budget its peak has never touched, one decimal (negative: over budget). */
  headroom(part: HeapPart): number {
    const [peak, budget] =
      part === "slots" ? [this.peaks.slotBytes, this.budget.slotBytes] : part === "chunks" ? [this.peaks.chunkBytes, this.budget.chunkBytes] : [this.peaks.stackBytes, this.budget.stackBytes];
    return Math.round((1 - peak / budget) * 1000) / 10;
  }

  /** The smallest of the three headrooms: the one an installer watches. */
  minHeadroom(): number {
    return Math.min(this.headroom("slots"), this.headroom("chunks"), this.headroom("stack"));
  }

  /** One line for `status`: `slots=30400/98304B chunks=34404/49152B stack=7904/12288B headroom=30.0%`. */
  describe(): string {
    const p = this.peaks;
    const b = this.budget;
    return `slots=${p.slotBytes}/${b.slotBytes}B chunks=${p.chunkBytes}/${b.chunkBytes}B stack=${p.stackBytes}/${b.stackBytes}B headroom=${this.minHeadroom().toFixed(1)}%`;
  }
}
