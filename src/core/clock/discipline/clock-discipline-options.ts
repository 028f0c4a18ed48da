/** Tuning of the clock discipline; every field has a default. */
export interface ClockDisciplineOptions {
  /** Corrections larger than this (after the first sync) are stepped, smaller ones slewed. Default 1000 ms. */
  stepThresholdMs?: number;
  /** Slew rate, 1..500 ppm. Default 500. */
  maxSlewPpm?: number;
  /**
   * How far the oscillator may be off nominal at boot: a hard limit (the
   * frequency prior is 0 ± this/3 as one standard deviation). Default 500 ppm,
   * above any crystal; a tighter value shrinks early estimates towards
   * initialFrequencyPpm and slows the first minutes when the truth is far off.
   */
  maxFrequencyPpm?: number;
  /** Frequency expected at boot, e.g. the last estimate kept in NVS. Default 0 ppm. */
  initialFrequencyPpm?: number;
  /** Frequency change allowed between fits (temperature), added to every error-bound growth rate. Default 10 ppm. */
  wanderPpm?: number;
  /** Timestamping noise floor: clock read latency and resolution, server precision. Default 0.5 ms. */
  timestampNoiseMs?: number;
  /** Samples the estimate is fitted over, 4..256 (33 bytes each). Default 128. */
  windowSize?: number;
  /** Samples older than this leave the window ... Default 1 h (a linear fit over longer spans suffers from oscillator wander). */
  maxSampleAgeMs?: number;
  /** ... unless fewer than this many would remain (keeps the frequency across an outage). Default 8, or windowSize if smaller. */
  minSamplesKept?: number;
  /** Consecutive outliers from at least two servers (or from the only one) that start a re-acquisition. Default 4. */
  reacquireAfterOutliers?: number;
  /** Before the first sync, utcMs = monotonic ms + this (e.g. from an RTC). Default 0. */
  initialUtcOffsetMs?: number;
}

export interface ResolvedClockDisciplineOptions {
  stepThresholdMs: number;
  maxSlewPpm: number;
  maxFrequencyPpm: number;
  initialFrequencyPpm: number;
  wanderPpm: number;
  timestampNoiseMs: number;
  windowSize: number;
  maxSampleAgeMs: number;
  minSamplesKept: number;
  reacquireAfterOutliers: number;
  initialUtcOffsetMs: number;
}

function num(v: number | undefined, dflt: number, min: number, max: number, what: string, integer = false): number {
  const x = v === undefined ? dflt : v;
  // Number.isFinite and Number.isInteger are false for anything but a number.
  if (!Number.isFinite(x) || x < min || x > max || (integer && !Number.isInteger(x))) {
    throw new RangeError(`${what} must be ${integer ? "an integer" : "a number"} in ${min}..${max}, got ${String(v)}`);
  }
  return x;
}

/** Fills in defaults; throws RangeError for values that can never work. */
export function resolveClockDisciplineOptions(o: ClockDisciplineOptions = {}): ResolvedClockDisciplineOptions {
  const windowSize = num(o.windowSize, 128, 4, 256, "windowSize", true);
  return {
    stepThresholdMs: num(o.stepThresholdMs, 1000, 0, 1e9, "stepThresholdMs"),
    maxSlewPpm: num(o.maxSlewPpm, 500, 1, 500, "maxSlewPpm"),
    maxFrequencyPpm: num(o.maxFrequencyPpm, 500, 1, 10000, "maxFrequencyPpm"),
    initialFrequencyPpm: num(o.initialFrequencyPpm, 0, -10000, 10000, "initialFrequencyPpm"),
    wanderPpm: num(o.wanderPpm, 10, 0, 10000, "wanderPpm"),
    timestampNoiseMs: num(o.timestampNoiseMs, 0.5, 0.001, 1000, "timestampNoiseMs"),
    windowSize,
    maxSampleAgeMs: num(o.maxSampleAgeMs, 3600_000, 1000, 1e12, "maxSampleAgeMs"),
    // Its default follows a smaller window (a window of 4 keeps at most 4).
    minSamplesKept: num(o.minSamplesKept, Math.min(8, windowSize), 1, windowSize, "minSamplesKept", true),
    reacquireAfterOutliers: num(o.reacquireAfterOutliers, 4, 1, 1000, "reacquireAfterOutliers", true),
    initialUtcOffsetMs: num(o.initialUtcOffsetMs, 0, -1e15, 1e15, "initialUtcOffsetMs"),
  };
}
