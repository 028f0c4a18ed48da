/** The disciplined clock's state, as carried by each reading. */
export const ClockState = Object.freeze({
  /** Never synced: `utcMs` is monotonic time plus the configured initial offset; the error bound is infinite. */
  UNSYNCED: "unsynced",
  /** Synced, and at least one server currently answers. */
  SYNCED: "synced",
  /** Synced before, but no server answers now: the last frequency is kept and the error bound grows. */
  HOLDOVER: "holdover",
} as const);

export type ClockState = (typeof ClockState)[keyof typeof ClockState];

/** What every event clock reports of itself (the metrics' `clock_*`); the disciplined clock's own is DisciplinedClockTelemetry. */
export interface ClockTelemetry {
  state: ClockState;
  /** Last measured offset of the local clock from the reference, ms. */
  offsetMs: number;
  /** Frequency correction applied, parts per million. */
  frequencyPpm: number;
  errorBoundMs: number;
}

/**
 * The time of an event. Readings are filled into objects the caller
 * preallocates (or the clock's own, valid until its next call), so reading
 * the clock allocates nothing.
 */
export interface ClockReading {
  /** Unix-epoch milliseconds, fractional. */
  utcMs: number;
  /** |utcMs − true UTC| <= errorBoundMs as long as the servers tell the truth. Infinity while unsynced. */
  errorBoundMs: number;
  state: ClockState;
  /** The monotonic time of the reading: keep it to back-date an unsynced event later (`utcAtMonotonic`). */
  monoMs: number;
}

export function createClockReading(): ClockReading {
  return { utcMs: 0, errorBoundMs: Infinity, state: ClockState.UNSYNCED, monoMs: 0 };
}
