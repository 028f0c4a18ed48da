import { checkWindowSpec, gcd, windowStartFor, type WindowSpec } from "./window-math";

/**
 * Where one window definition's windows lie and when they fire, with Flink's semantics: windows
 * [start, start + size) start on offset + k·slide; a window fires once the watermark reaches
 * its end - 1, and late elements update it until the watermark passes end - 1 + lateness.
 */
export class WindowGrid {
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
  readonly lateness: number;

  constructor(name: string, spec: WindowSpec) {
    checkWindowSpec(name, spec);
    this.size = spec.size;
    this.slide = spec.slide;
    this.offset = spec.offset;
    this.lateness = spec.allowedLateness;
  }

  /** Smallest window start that is > t. */
  startAfter(t: number): number {
    const r = (t - this.offset) % this.slide;
    return t - (r < 0 ? r + this.slide : r) + this.slide;
  }

  /** Smallest window end that is > t. */
  endAfter(t: number): number {
    return this.startAfter(t - this.size) + this.size;
  }

  /** End of the last window that holds time `t`. */
  lastEndContaining(t: number): number {
    return windowStartFor(t, this.offset, this.slide) + this.size;
  }

  /** Every window holding `t` is past its lateness at watermark `wm`: an element at t is refused. */
  isLate(t: number, wm: number): boolean {
    return this.lastEndContaining(t) - 1 + this.lateness <= wm;
  }

  /** Start of the first window that can still fire (or update) at watermark `wm`. */
  firstLiveStart(wm: number): number {
    return this.startAfter(wm + 1 - this.lateness - this.size);
  }
}

/** The longest slice every window of every grid is made of: the gcd of their sizes, slides and offsets. */
export function sliceLengthOf(grids: readonly WindowGrid[]): number {
  let length = 0;
  for (const g of grids) length = gcd(gcd(gcd(length, g.size), g.slide), g.offset);
  return length;
}
