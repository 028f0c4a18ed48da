import type { FrequencyPrior } from "./clock-model";
import type { ClockSampleWindow } from "./clock-sample-window";
import { SAMPLE_SERVER_LIMIT } from "./clock-sample-window";

/** Scratch for `selectTruechimers`: per-server interval ends. Allocate once. */
export interface SelectionScratch {
  lo: Float64Array;
  hi: Float64Array;
}

export function createSelectionScratch(): SelectionScratch {
  return { lo: new Float64Array(SAMPLE_SERVER_LIMIT), hi: new Float64Array(SAMPLE_SERVER_LIMIT) };
}

/**
 * Majority selection (Marzullo's idea, as NTP uses it) over the servers that
 * have samples in `w`: each server's tightest sample gives an interval that
 * holds the true offset at `atMono` if that server tells the truth; the
 * servers whose intervals share a point with the largest number of others
 * are the truechimers. Returns their bit mask, or 0 when they are not a
 * strict majority of the servers heard (with two servers that disagree
 * nobody can tell which one lies).
 */
export function selectTruechimers(
  w: ClockSampleWindow,
  atMono: number,
  prior: FrequencyPrior,
  noiseMs: number,
  scratch: SelectionScratch,
): number {
  const { lo, hi } = scratch;
  lo.fill(Infinity);
  hi.fill(-Infinity);
  const slack = 3 * prior.sigma;
  for (let i = 0; i < w.count; i++) {
    const s = w.serverAt(i);
    const age = atMono - w.monoAt(i);
    const c = w.offsetAt(i) + prior.freq * age;
    const h = w.delayAt(i) / 2 + w.rootDistanceAt(i) + noiseMs + slack * (age < 0 ? -age : age);
    // Keep the tightest interval per server.
    if (lo[s] === Infinity || 2 * h < hi[s]! - lo[s]!) {
      lo[s] = c - h;
      hi[s] = c + h;
    }
  }
  let heard = 0;
  let bestCount = 0;
  let bestPoint = 0;
  for (let k = 0; k < SAMPLE_SERVER_LIMIT; k++) {
    if (!(lo[k]! <= hi[k]!)) continue;
    heard++;
    const p = lo[k]!;
    let c = 0;
    for (let j = 0; j < SAMPLE_SERVER_LIMIT; j++) if (lo[j]! <= p && p <= hi[j]!) c++;
    if (c > bestCount) {
      bestCount = c;
      bestPoint = p;
    }
  }
  if (heard === 0 || 2 * bestCount <= heard) return 0;
  let mask = 0;
  for (let j = 0; j < SAMPLE_SERVER_LIMIT; j++) if (lo[j]! <= bestPoint && bestPoint <= hi[j]!) mask |= 1 << j;
  return mask;
}
