import { KeySlotTable } from "../../core/stream/key-slot-table";
import { createWindowResult, type WindowListener, type WindowResult } from "../../core/stream/window-result";
import { floorMod, windowStartFor } from "../../core/stream/window-math";
import type { WatermarkView } from "../../core/stream/watermark";
import type { BaselineOptions, BenchWindowOperator } from "./window-operator";

/**
 * Baseline "naive": buffers each key's events and, when a window fires,
 * re-aggregates it from the buffered events, as a Flink `apply` (a
 * ProcessWindowFunction over the window's contents) does. Events sit in a
 * preallocated ring per key and are dropped once every window that contains
 * them is purged.
 */
export class NaiveWindowOperator implements BenchWindowOperator {
  private readonly o: BaselineOptions;
  private readonly keys: KeySlotTable;
  private readonly cap: number;
  private readonly evTs: Float64Array;
  private readonly evAmount: Int32Array;
  private readonly head: Int32Array;
  private readonly count: Int32Array;
  private readonly wmView: WatermarkView;
  private watermark = -Infinity;
  /** Watermark from which there are windows to fire or state to purge. */
  dueAt = -Infinity;
  private readonly endGridOffset: number;
  private readonly result: WindowResult;
  private listener: WindowListener = () => {};

  constructor(o: BaselineOptions, eventsPerKey: number, watermark: WatermarkView) {
    this.o = o;
    this.wmView = watermark;
    this.keys = new KeySlotTable(o.maxKeys, o.keyTtlMs);
    this.keys.onRemove = () => {
      throw new Error("naive baseline: key capacity too small for the bench stream");
    };
    this.cap = eventsPerKey;
    this.evTs = new Float64Array(o.maxKeys * eventsPerKey);
    this.evAmount = new Int32Array(o.maxKeys * eventsPerKey);
    this.head = new Int32Array(o.maxKeys);
    this.count = new Int32Array(o.maxKeys);
    this.endGridOffset = floorMod(o.offset + o.size, o.slide);
    this.result = createWindowResult(o.name, o.keyField);
  }

  onWindow(listener: WindowListener): void {
    this.listener = listener;
  }

  add(key: string, keyHash: number, ts: number, amount: number): number {
    const o = this.o;
    const wm = this.wmView.current;
    const lastStart = windowStartFor(ts, o.offset, o.slide);
    if (lastStart + o.size - 1 + o.allowedLateness <= wm) return 1;
    const slot = this.keys.acquire(key, keyHash);
    if (this.count[slot] === this.cap) throw new Error("naive baseline: event buffer too small for the bench stream");
    const i = slot * this.cap + ((this.head[slot] + this.count[slot]) % this.cap);
    this.evTs[i] = ts;
    this.evAmount[i] = amount;
    this.count[slot]++;
    if (ts <= wm) {
      for (let start = lastStart; start > ts - o.size; start -= o.slide) {
        const end = start + o.size;
        if (end - 1 > wm) continue;
        if (end - 1 + o.allowedLateness <= wm) break;
        this.fire(slot, start, true);
      }
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
    const nextEnd = (t: number) => t - floorMod(t - this.endGridOffset, o.slide) + o.slide;
    for (let k = this.keys.size - 1; k >= 0; k--) {
      const slot = this.keys.slotAt(k);
      // Windows due now: ends in (prev + 1, wm + 1]. The first time, start
      // from the oldest buffered event's first window.
      const base = slot * this.cap;
      let end: number;
      if (prev === -Infinity) {
        let oldest = Infinity;
        for (let k = 0; k < this.count[slot]; k++) {
          const t = this.evTs[base + ((this.head[slot] + k) % this.cap)];
          if (t < oldest) oldest = t;
        }
        end = nextEnd(oldest);
      } else {
        end = nextEnd(prev + 1);
      }
      for (; end - 1 <= wm; end += o.slide) this.fire(slot, end - o.size, false);
      // Drop events whose last window is purged.
      while (this.count[slot] > 0) {
        const t = this.evTs[base + this.head[slot]];
        if (windowStartFor(t, o.offset, o.slide) + o.size - 1 + o.allowedLateness > wm) break;
        this.head[slot] = (this.head[slot] + 1) % this.cap;
        this.count[slot]--;
      }
      if (this.count[slot] === 0) {
        this.head[slot] = 0;
        this.keys.release(slot);
      }
    }
    this.dueAt = Math.min(nextEnd(wm + 1) - 1, nextEnd(wm + 1 - o.allowedLateness) - 1 + o.allowedLateness);
  }

  /** Re-aggregates window [start, start + size) from the key's buffered events. */
  private fire(slot: number, start: number, lateFire: boolean): void {
    const end = start + this.o.size;
    const base = slot * this.cap;
    let count = 0;
    let sum = 0;
    let min = 0x7fffffff;
    let max = -0x80000000;
    let small = 0;
    for (let k = 0; k < this.count[slot]; k++) {
      const i = base + ((this.head[slot] + k) % this.cap);
      const t = this.evTs[i];
      if (t < start || t >= end) continue;
      const a = this.evAmount[i];
      count++;
      sum += a;
      if (a < min) min = a;
      if (a > max) max = a;
      if (a < this.o.smallAmountCents) small++;
    }
    if (count === 0) return;
    const r = this.result;
    r.key = this.keys.keys[slot];
    r.start = start;
    r.end = end;
    r.count = count;
    r.sum = sum;
    r.min = min;
    r.max = max;
    r.small = small;
    r.update = lateFire && count > 1;
    r.evicted = false;
    this.listener(r);
  }
}
