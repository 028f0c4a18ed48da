import { ClockDiscipline, type ClockDisciplineCounters } from "./clock-discipline";
import type { ClockDisciplineOptions, ResolvedClockDisciplineOptions } from "./clock-discipline-options";
import { resolveClockDisciplineOptions } from "./clock-discipline-options";
import type { MonotonicClockPort } from "../clock-ports";
import type { ClockReading } from "../clock-reading";
import { ClockState, type ClockTelemetry, createClockReading } from "../clock-reading";
import type { ClockSample, ClockSampleSink, SampleVerdict } from "../clock-sample";

/** Smallest step between two readings: successive `now()` values strictly increase. */
export const MIN_READING_STEP_MS = 0.001;

/**
 * Plain numbers for telemetry (see `DisciplinedClock.telemetry`): what every clock reports
 * (`offsetMs`: the last sample's offset from the output clock, server − us; `frequencyPpm`: the
 * monotonic clock's estimated rate error, positive when it runs slow and is sped up;
 * `errorBoundMs`: of a reading taken now, Infinity while unsynced), the discipline's counters and:
 */
export interface DisciplinedClockTelemetry extends ClockTelemetry, ClockDisciplineCounters {
  /** Frequency uncertainty used for the bound (hard bound + wander), ppm. */
  frequencyBoundPpm: number;
  /** Correction still being slewed in, ms. */
  slewRemainingMs: number;
  /** Milliseconds since the last sample used (Infinity if none). */
  sinceLastSampleMs: number;
  samplesInWindow: number;
  /** Readings raised to stay strictly increasing. */
  clampedReadings: number;
}

/**
 * The terminal's time of day: monotonic time corrected by an NTP-disciplined
 * estimate. Feed it with an `SntpClient` (it is the client's sample sink);
 * read it with `now()`.
 *
 * Readings are strictly increasing: each is at least MIN_READING_STEP_MS
 * above the previous one, even across a backward step (the readings then
 * advance by that minimum until the estimate catches up) or when the
 * monotonic clock did not advance between two reads. Such a raised reading
 * carries the excess in its error bound, so the bound stays honest.
 *
 * Error bound of a synced reading at monotonic time t:
 *   B(t) = B_fit + F·|t − t_fit| + |slew remaining at t| + clamp excess
 * where B_fit is the fit's bound (intersection of the samples' delay/2 +
 * root-distance intervals), F the frequency uncertainty (a hard bound from
 * the samples or the prior, plus wanderPpm; see fitClockModel).
 * In holdover nothing else changes: the last frequency stays applied and the
 * bound keeps growing by F per millisecond.
 *
 * Back-dating: an event read while unsynced keeps its `monoMs`; once
 * `isSynced`, `utcAtMonotonic(monoMs)` gives its UTC and bound from the
 * current estimate, so the app can fix the time before publishing and flag it.
 */
export class DisciplinedClock implements ClockSampleSink {
  readonly options: ResolvedClockDisciplineOptions;
  private readonly clock: MonotonicClockPort;
  private readonly discipline: ClockDiscipline;
  private readonly own: ClockReading = createClockReading();
  private readonly ownTelemetry: DisciplinedClockTelemetry;
  private lastUtcMs = -Infinity;
  private reachable = true;
  private clamped = 0;

  constructor(clock: MonotonicClockPort, options: ClockDisciplineOptions = {}) {
    if (typeof clock?.nowMs !== "function") throw new RangeError("clock must be a MonotonicClockPort");
    this.clock = clock;
    this.options = resolveClockDisciplineOptions(options);
    this.discipline = new ClockDiscipline(this.options);
    this.ownTelemetry = {
      state: ClockState.UNSYNCED, offsetMs: 0, frequencyPpm: 0, frequencyBoundPpm: 0, errorBoundMs: Infinity,
      slewRemainingMs: 0, sinceLastSampleMs: Infinity, samplesInWindow: 0, used: 0, collected: 0, outliers: 0,
      falsetickers: 0, failedAcquisitions: 0, reacquisitions: 0, steps: 0, backwardSteps: 0, boundConflicts: 0,
      clampedReadings: 0,
    };
  }

  get isSynced(): boolean {
    return this.discipline.synced;
  }

  get state(): ClockState {
    if (!this.discipline.synced) return ClockState.UNSYNCED;
    return this.reachable ? ClockState.SYNCED : ClockState.HOLDOVER;
  }

  /** The monotonic clock, for callers that stamp events themselves. */
  monotonicNow(): number {
    return this.clock.nowMs();
  }

  /**
   * The time now, filled into `out` (or into the clock's own reading object,
   * valid until the next call without `out`). Allocates nothing.
   */
  now(out: ClockReading = this.own): ClockReading {
    const mono = this.clock.nowMs();
    const d = this.discipline;
    let utc = mono + d.correction.offsetAt(mono);
    let bound: number;
    if (d.synced) {
      const slew = d.correction.slewRemainingAt(mono);
      bound = d.model.boundAt(mono) + (slew < 0 ? -slew : slew);
    } else {
      bound = Infinity;
    }
    if (!(utc > this.lastUtcMs)) {
      const raised = this.lastUtcMs + MIN_READING_STEP_MS;
      bound += raised - utc;
      utc = raised;
      this.clamped++;
    }
    this.lastUtcMs = utc;
    out.utcMs = utc;
    out.errorBoundMs = bound;
    out.state = this.state;
    out.monoMs = mono;
    return out;
  }

  /**
   * UTC at an earlier (or later) monotonic time from the current estimate,
   * for back-dating events read before the first sync. Null while unsynced.
   * Not subject to the strict-increase rule of `now()`.
   */
  utcAtMonotonic(monoMs: number, out: ClockReading = this.own): ClockReading | null {
    const d = this.discipline;
    if (!d.synced || !Number.isFinite(monoMs)) return null;
    out.utcMs = monoMs + d.model.offsetAt(monoMs);
    out.errorBoundMs = d.model.boundAt(monoMs);
    out.state = this.state;
    out.monoMs = monoMs;
    return out;
  }

  /** Plain numbers for telemetry, filled into `out` or the clock's own object. */
  telemetry(out: DisciplinedClockTelemetry = this.ownTelemetry): DisciplinedClockTelemetry {
    const mono = this.clock.nowMs();
    const d = this.discipline;
    const c = d.counters;
    const slew = d.correction.slewRemainingAt(mono);
    out.state = this.state;
    out.offsetMs = d.lastOffsetMs;
    out.frequencyPpm = d.synced ? d.model.freq * 1e6 : 0;
    out.frequencyBoundPpm = d.synced ? d.model.freqBound * 1e6 : 0;
    out.errorBoundMs = d.synced ? d.model.boundAt(mono) + (slew < 0 ? -slew : slew) : Infinity;
    out.slewRemainingMs = slew;
    out.sinceLastSampleMs = mono - d.lastSampleMonoMs;
    out.samplesInWindow = d.windowCount;
    out.used = c.used;
    out.collected = c.collected;
    out.outliers = c.outliers;
    out.falsetickers = c.falsetickers;
    out.failedAcquisitions = c.failedAcquisitions;
    out.reacquisitions = c.reacquisitions;
    out.steps = c.steps;
    out.backwardSteps = c.backwardSteps;
    out.boundConflicts = c.boundConflicts;
    out.clampedReadings = this.clamped;
    return out;
  }

  // ------------------------------------------------------------ ClockSampleSink

  addSample(sample: Readonly<ClockSample>): SampleVerdict {
    return this.discipline.addSample(sample, this.clock.nowMs());
  }

  wantsBurst(): boolean {
    return this.discipline.acquiring;
  }

  burstComplete(): void {
    this.discipline.burstComplete(this.clock.nowMs());
  }

  setReachable(reachable: boolean): void {
    this.reachable = reachable;
  }

  utcEstimate(monoMs: number): number {
    const d = this.discipline;
    return d.synced ? monoMs + d.model.offsetAt(monoMs) : NaN;
  }
}
