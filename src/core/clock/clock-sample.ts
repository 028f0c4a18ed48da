/**
 * One time measurement against a server, in the local monotonic timescale:
 * the server's UTC minus the monotonic clock, taken at the midpoint of the
 * exchange. With T1/T4 the monotonic send/receive times and T2/T3 the
 * server's receive/transmit UTC:
 *   offsetMs = ((T2 − T1) + (T3 − T4)) / 2
 *   delayMs  = (T4 − T1) − (T3 − T2)
 * If the server is right, the true UTC − monotonic at `monoMs` lies within
 * offsetMs ± (delayMs / 2 + rootDistanceMs): neither one-way trip can be
 * shorter than zero.
 */
export interface ClockSample {
  /** (T1 + T4) / 2 on the monotonic clock. */
  monoMs: number;
  /** UTC − monotonic, ms (a large number: about the Unix time at boot). */
  offsetMs: number;
  /** Round-trip delay, >= 0. */
  delayMs: number;
  /** The server's own distance to UTC: root delay / 2 + root dispersion. */
  rootDistanceMs: number;
  /** Which server (0..30): samples of one server share a path. */
  server: number;
}

export function createClockSample(): ClockSample {
  return { monoMs: 0, offsetMs: 0, delayMs: 0, rootDistanceMs: 0, server: 0 };
}

/** What the discipline did with a sample. */
export const SampleVerdict = Object.freeze({
  /** Taken into the estimate. */
  USED: "used",
  /** Kept for the (re)acquisition that ends the current burst. */
  PENDING: "pending",
  /** Inconsistent with the clock's estimate and its error bound (a falseticker, or the server stepped). */
  OUTLIER: "outlier",
} as const);

export type SampleVerdict = (typeof SampleVerdict)[keyof typeof SampleVerdict];

/** Where the SNTP client delivers samples; the disciplined clock implements it. */
export interface ClockSampleSink {
  /** Considers a sample (its fields are copied); says what became of it. */
  addSample(sample: Readonly<ClockSample>): SampleVerdict;
  /** True while a burst is wanted: before the first sync and while re-acquiring. */
  wantsBurst(): boolean;
  /** The burst the client ran because of `wantsBurst` is over: every usable server sent its samples or gave up. */
  burstComplete(): void;
  /** Whether any server currently answers with usable samples; false while synced means holdover. */
  setReachable(reachable: boolean): void;
  /** Best UTC estimate at a monotonic time, NaN before the first sync (used to pick the NTP era). */
  utcEstimate(monoMs: number): number;
}
