/**
 * The estimated relation between the monotonic clock and UTC, as a line
 * through a reference point: UTC − mono = offsetMs + freq · (m − refMonoMs).
 * `boundMs` bounds the offset's error at the reference point; it widens by
 * `freqBound` per millisecond away from it (the frequency may be off by that
 * much).
 */
export class ClockModel {
  /** Monotonic time the fit refers to (when it was made). */
  refMonoMs = 0;
  /** UTC − mono at refMonoMs. */
  offsetMs = 0;
  /** Rate of the monotonic clock relative to UTC, minus 1 (0.0001 = the monotonic clock runs 100 ppm slow). */
  freq = 0;
  /** Standard error of freq. */
  freqSigma = 0;
  /** Bound on |true frequency − freq| used to widen error bounds (hard bound + wander, see fitClockModel). */
  freqBound = 0;
  /** Bound on |true offset − offsetMs| at refMonoMs. */
  boundMs = Infinity;
  /** Samples the fit used. */
  samples = 0;
  /** The samples' error intervals did not intersect (a server lied, or the oscillator wandered beyond wanderPpm). */
  conflict = false;

  offsetAt(monoMs: number): number {
    return this.offsetMs + this.freq * (monoMs - this.refMonoMs);
  }

  boundAt(monoMs: number): number {
    const dt = monoMs - this.refMonoMs;
    return this.boundMs + this.freqBound * (dt < 0 ? -dt : dt);
  }
}

/** What the frequency is believed to be before the samples say: freq ± sigma (standard deviation). */
export interface FrequencyPrior {
  freq: number;
  sigma: number;
}
