import { KeySlotTable } from "../../core/stream/key-slot-table";
import { createWindowResult, type WindowListener, type WindowResult } from "../../core/stream/window-result";
import { floorMod, windowStartFor } from "../../core/stream/window-math";
import type { WatermarkView } from "../../core/stream/watermark";
import type { BaselineOptions, BenchWindowOperator } from "./window-operator";

/**
 * Baseline "buckets": one incremental accumulator per (key, window), the way
 * Flink's WindowOperator keeps per-window state with an AggregateFunction.
 * Every event updates each of the size/slide windows that contain it.
 * Accumulators live in a preallocated ring per key, indexed by window number,
 * so the comparison with slicing is about work per event, not allocation.
 * In-order and late-within-lateness data are handled; the bench stream has
 * out-of-orderness below the watermark delay, so nothing is late.
 */
export class BucketWindowOperator implements BenchWindowOperator {
  private readonly o: BaselineOptions;
  private readonly keys: KeySlotTable;
  private readonly ring: number; // accumulators per key
  private readonly accStart: Float64Array;
  private readonly accCount: Int32Array;
  private readonly accSum: Float64Array;
  private readonly accMin: Int32Array;
  private readonly accMax: Int32Array;
  private readonly accSmall: Int32Array;
  private readonly live: Int32Array; // live accumulators per key
  private readonly wmView: WatermarkView;
  private watermark = -Infinity;
  /** Watermark from which there are windows to fire or state to purge. */
  dueAt = -Infinity;
  private readonly endGridOffset: number;
  private readonly result: WindowResult;
  private listener: WindowListener = () => {};

  constructor(o: BaselineOptions, horizonMs: number, watermark: WatermarkView) {
    this.o = o;
    this.wmView = watermark;
    this.keys = new KeySlotTable(o.maxKeys, o.keyTtlMs);
    this.keys.onRemove = () => {
      throw new Error("bucket baseline: key capacity too small for the bench stream");
    };
    this.ring = Math.ceil((o.size + o.allowedLateness + horizonMs) / o.slide) + 2;
    const n = o.maxKeys * this.ring;
    this.accStart = new Float64Array(n).fill(NaN);
    this.accCount = new Int32Array(n);
    this.accSum = new Float64Array(n);
    this.accMin = new Int32Array(n);
    this.accMax = new Int32Array(n);
    this.accSmall = new Int32Array(n);
    this.live = new Int32Array(o.maxKeys);
    this.endGridOffset = floorMod(o.offset + o.size, o.slide);
    this.result = createWindowResult(o.name, o.keyField);
  }

  onWindow(listener: WindowListener): void {
    this.listener = listener;
  }

  add(key: string, keyHash: number, ts: number, amount: number): number {
    const o = this.o;
    const wm = this.wmView.current;
    let start = windowStartFor(ts, o.offset, o.slide);
    if (start + o.size - 1 + o.allowedLateness <= wm) return 1;
    const slot = this.keys.acquire(key, keyHash);
    const base = slot * this.ring;
    // Ring position of the latest window, then one step back per earlier window.
    let pos = floorMod(Math.round((start - o.offset) / o.slide), this.ring);
    for (; start > ts - o.size; start -= o.slide) {
      const end = start + o.size;
      if (end - 1 + o.allowedLateness <= wm) break;
      const i = base + pos;
      pos = pos === 0 ? this.ring - 1 : pos - 1;
      if (this.accStart[i] !== start) {
        if (this.accCount[i] > 0) throw new Error("bucket baseline: ring too small for the bench stream");
        this.accStart[i] = start;
        this.accCount[i] = 0;
        this.accSum[i] = 0;
        this.accMin[i] = 0x7fffffff;
        this.accMax[i] = -0x80000000;
        this.accSmall[i] = 0;
        this.live[slot]++;
      }
      this.accCount[i]++;
      this.accSum[i] += amount;
      if (amount < this.accMin[i]) this.accMin[i] = amount;
      if (amount > this.accMax[i]) this.accMax[i] = amount;
      if (amount < o.smallAmountCents) this.accSmall[i]++;
      if (end - 1 <= wm) this.emit(slot, i, this.accCount[i] > 1);
    }
    return 0;
  }

  catchUp(): void {
    const wm = this.wmView.current;
    if (!(wm > this.watermark)) return;
    const prev = this.watermark;
    this.watermark = wm;
    if (wm < this.dueAt) return;
    const o = this.o;
    for (let k = this.keys.size - 1; k >= 0; k--) {
      const slot = this.keys.slotAt(k);
      const base = slot * this.ring;
      for (let i = base; i < base + this.ring; i++) {
        if (this.accCount[i] === 0) continue;
        const end = this.accStart[i] + o.size;
        if (end - 1 > prev && end - 1 <= wm) this.emit(slot, i, false);
        if (end - 1 + o.allowedLateness <= wm) {
          this.accCount[i] = 0;
          this.accStart[i] = NaN;
          this.live[slot]--;
        }
      }
      if (this.live[slot] === 0) this.keys.release(slot);
    }
    // Windows end on one grid; fire and purge points are that grid shifted by -1 and lateness - 1.
    const nextEnd = (t: number) => t - floorMod(t - this.endGridOffset, o.slide) + o.slide;
    this.dueAt = Math.min(nextEnd(wm + 1) - 1, nextEnd(wm + 1 - o.allowedLateness) - 1 + o.allowedLateness);
  }

  private emit(slot: number, i: number, update: boolean): void {
    const r = this.result;
    r.key = this.keys.keys[slot];
    r.start = this.accStart[i];
    r.end = this.accStart[i] + this.o.size;
    r.count = this.accCount[i];
    r.sum = this.accSum[i];
    r.min = this.accMin[i];
    r.max = this.accMax[i];
    r.small = this.accSmall[i];
    r.update = update;
    r.evicted = false;
    this.listener(r);
  }
}
