/**
 * A brute-force model of Flink's keyed event-time window operator, written
 * for clarity, not speed: every element is kept, every window is recomputed
 * from its elements on every firing. The property tests compare the sliced
 * operator against it.
 */
import { windowStartFor } from "../../src/core/stream/window-math";

export interface RefSpec { size: number; slide: number; offset: number; lateness: number; delay: number; small: number }
export interface RefFiring { key: string; start: number; end: number; count: number; sum: number; min: number; max: number; small: number; update: boolean }
export interface RefLate { key: string; ts: number }

interface RefWindow { key: string; start: number; amounts: number[]; fired: boolean }

export class ReferenceWindows {
  wm = -Infinity;
  private maxTs = -Infinity;
  private readonly windows = new Map<string, RefWindow>();
  readonly firings: RefFiring[] = [];
  readonly late: RefLate[] = [];

  constructor(private readonly s: RefSpec) {}

  private fire(w: RefWindow, update: boolean): void {
    const a = w.amounts;
    this.firings.push({
      key: w.key, start: w.start, end: w.start + this.s.size, count: a.length,
      sum: a.reduce((x, y) => x + y, 0), min: Math.min(...a), max: Math.max(...a),
      small: a.filter((x) => x < this.s.small).length, update,
    });
    w.fired = true;
  }

  add(key: string, ts: number, amount: number): void {
    const { size, slide, offset, lateness } = this.s;
    let skipped = true;
    for (let start = windowStartFor(ts, offset, slide); start > ts - size; start -= slide) {
      const end = start + size;
      if (end - 1 + lateness <= this.wm) continue; // this window is purged
      skipped = false;
      const id = key + "|" + start;
      let w = this.windows.get(id);
      if (!w) {
        w = { key, start, amounts: [], fired: false };
        this.windows.set(id, w);
      }
      w.amounts.push(amount);
      if (end - 1 <= this.wm) this.fire(w, w.fired);
    }
    if (skipped) this.late.push({ key, ts });
    if (ts > this.maxTs) {
      this.maxTs = ts;
      this.advance(ts - this.s.delay - 1);
    }
  }

  advance(newWm: number): void {
    if (!(newWm > this.wm)) return;
    const old = this.wm;
    this.wm = newWm;
    for (const [id, w] of this.windows) {
      const end = w.start + this.s.size;
      if (end - 1 > old && end - 1 <= newWm) this.fire(w, false);
      if (end - 1 + this.s.lateness <= newWm) this.windows.delete(id);
    }
  }
}

export function firingKey(f: RefFiring): string {
  return [f.key, f.start, f.end, f.count, f.sum, f.min, f.max, f.small, f.update].join(",");
}
