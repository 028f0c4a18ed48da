/**
 * Window assignment arithmetic with Flink's semantics, exact for any integer
 * times (including negative ones, where Flink's `%` would be wrong).
 */

/** Floored modulo: the result has the sign of `m` (and is never -0). */
export function floorMod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r + 0;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Start of the latest window (of the given slide and offset) that contains `ts`:
 *  start = ts - ((ts - offset) floorMod slide). Flink adds `slide` inside the `%` to keep it
 *  non-negative for non-negative times; floorMod is non-negative for every time. */
export function windowStartFor(ts: number, offset: number, slide: number): number {
  return ts - floorMod(ts - offset, slide);
}

export interface WindowSpec {
  /** Window length in ms. */
  size: number;
  /** Distance between window starts in ms; equal to size for tumbling windows. */
  slide: number;
  /** Shift of the window grid from the epoch in ms (0 ≤ offset < slide). */
  offset: number;
  /** How long after a window fires late elements still update it, in ms. */
  allowedLateness: number;
}

/** Throws a RangeError naming the bad parameter; used when a config is loaded. */
export function checkWindowSpec(name: string, spec: WindowSpec): void {
  const { size, slide, offset, allowedLateness } = spec;
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`window ${name}: size must be a positive integer of ms, got ${size}`);
  if (!Number.isInteger(slide) || slide <= 0) throw new RangeError(`window ${name}: slide must be a positive integer of ms, got ${slide}`);
  if (slide > size) throw new RangeError(`window ${name}: slide ${slide} is larger than size ${size} (gaps between windows)`);
  if (!Number.isInteger(offset) || offset < 0 || offset >= slide) {
    throw new RangeError(`window ${name}: offset must be an integer in 0..slide-1, got ${offset}`);
  }
  if (!Number.isInteger(allowedLateness) || allowedLateness < 0) {
    throw new RangeError(`window ${name}: allowedLateness must be a non-negative integer of ms, got ${allowedLateness}`);
  }
}
