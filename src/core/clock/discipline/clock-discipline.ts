import type { ResolvedClockDisciplineOptions } from "./clock-discipline-options";
import { ClockCorrection } from "./clock-correction";
import type { FrequencyPrior } from "./clock-model";
import { ClockModel } from "./clock-model";
import type { ClockFitSettings } from "./clock-model-fit";
import type { FitScratch } from "./clock-model-fit";
import { createFitScratch, fitClockModel } from "./clock-model-fit";
import type { ClockSample } from "../clock-sample";
import { SampleVerdict } from "../clock-sample";
import { bitCount, ClockSampleWindow, SAMPLE_SERVER_LIMIT } from "./clock-sample-window";
import { createSelectionScratch, selectTruechimers } from "./server-selection";

const PPM = 1e-6;

export interface ClockDisciplineCounters {
  /** Samples taken into the estimate while tracking. */
  used: number;
  /** Samples collected for an acquisition. */
  collected: number;
  /** Samples refused as inconsistent with the estimate and its bound. */
  outliers: number;
  /** Servers left out of an acquisition by the majority selection. */
  falsetickers: number;
  /** Acquisitions that found no majority, or no sample. */
  failedAcquisitions: number;
  /** Re-acquisitions started because outliers persisted. */
  reacquisitions: number;
  /** Steps of the output (the first sync is one). */
  steps: number;
  /** Backward steps (the readings then hold still until the estimate catches up). */
  backwardSteps: number;
  /** Fits whose sample intervals did not intersect. */
  boundConflicts: number;
}

/**
 * Turns samples into an estimate of UTC − monotonic (a `ClockModel`) and a
 * continuous correction the clock applies (`ClockCorrection`).
 *
 * Acquisition (boot, and re-acquisition): samples are collected while the
 * SNTP client runs a burst; at its end a majority of servers is selected
 * (`selectTruechimers`), the estimate is fitted on their samples and the
 * output is stepped to it (first sync, or a correction beyond the step
 * threshold) or slewed.
 *
 * Tracking: a sample whose offset disagrees with the estimate by more than
 * both error bounds together (the sample's delay/2 + root distance, the
 * estimate's bound at the sample's time) cannot be right if the estimate is:
 * it is an outlier and left out. Others enter the window; the estimate is
 * refitted (`fitClockModel`) and the output slews towards it at the slew
 * rate, or steps if it is farther than the step threshold. When
 * `reacquireAfterOutliers` outliers in a row come from at least two servers
 * (or from the only server heard), the estimate is the one that is wrong: a
 * re-acquisition starts, with the current frequency as prior.
 */
export class ClockDiscipline {
  readonly counters: ClockDisciplineCounters = {
    used: 0,
    collected: 0,
    outliers: 0,
    falsetickers: 0,
    failedAcquisitions: 0,
    reacquisitions: 0,
    steps: 0,
    backwardSteps: 0,
    boundConflicts: 0,
  };
  readonly model = new ClockModel();
  readonly correction: ClockCorrection;
  /** Server offset minus the output clock's at the last sample (ms): what the last measurement said the clock was off by. */
  lastOffsetMs = 0;
  /** Monotonic time of the last sample used or collected, -Infinity before. */
  lastSampleMonoMs = -Infinity;

  private readonly o: ResolvedClockDisciplineOptions;
  private readonly window: ClockSampleWindow;
  private readonly candidates: ClockSampleWindow;
  private readonly fitScratch: FitScratch;
  private readonly selectionScratch = createSelectionScratch();
  private readonly fit: ClockFitSettings;
  /** Prior for the fits since the last acquisition. */
  private readonly prior: FrequencyPrior;
  private readonly acquisitionPrior: FrequencyPrior = { freq: 0, sigma: 0 };
  private isSynced = false;
  private isAcquiring = false;
  private outliersInRow = 0;
  private outlierServers = 0;

  constructor(options: ResolvedClockDisciplineOptions) {
    this.o = options;
    this.window = new ClockSampleWindow(options.windowSize);
    // A burst brings burstSamples (<= 8) per server.
    this.candidates = new ClockSampleWindow(Math.min(options.windowSize, 64));
    this.fitScratch = createFitScratch(options.windowSize);
    this.correction = new ClockCorrection(options.maxSlewPpm * PPM);
    this.fit = { noiseMs: options.timestampNoiseMs, wander: options.wanderPpm * PPM };
    this.prior = { freq: options.initialFrequencyPpm * PPM, sigma: (options.maxFrequencyPpm * PPM) / 3 };
    this.correction.step(0, options.initialUtcOffsetMs, 0);
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** True before the first sync and while re-acquiring. */
  get acquiring(): boolean {
    return !this.isSynced || this.isAcquiring;
  }

  /** Samples in the tracking window. */
  get windowCount(): number {
    return this.window.count;
  }

  addSample(s: Readonly<ClockSample>, nowMono: number): SampleVerdict {
    if (!(s.server >= 0 && s.server < SAMPLE_SERVER_LIMIT) || !Number.isFinite(s.offsetMs) || !Number.isFinite(s.monoMs) || !(s.delayMs >= 0)) {
      this.counters.outliers++;
      return SampleVerdict.OUTLIER;
    }
    this.lastOffsetMs = s.offsetMs - this.correction.offsetAt(s.monoMs);
    if (this.acquiring) {
      this.candidates.push(s);
      this.counters.collected++;
      this.lastSampleMonoMs = s.monoMs;
      if (this.candidates.count === this.candidates.capacity) this.acquire(nowMono);
      return SampleVerdict.PENDING;
    }
    const m = this.model;
    const residual = s.offsetMs - m.offsetAt(s.monoMs);
    const limit = s.delayMs / 2 + s.rootDistanceMs + this.o.timestampNoiseMs + m.boundAt(s.monoMs);
    if (residual > limit || residual < -limit) {
      this.counters.outliers++;
      this.outliersInRow++;
      this.outlierServers |= 1 << s.server;
      const heard = bitCount(this.window.serverMask() | this.outlierServers);
      const needed = heard < 2 ? 1 : 2;
      if (this.outliersInRow >= this.o.reacquireAfterOutliers && bitCount(this.outlierServers) >= needed) {
        this.counters.reacquisitions++;
        this.startReacquisition();
      }
      return SampleVerdict.OUTLIER;
    }
    this.outliersInRow = 0;
    this.outlierServers = 0;
    this.counters.used++;
    this.lastSampleMonoMs = s.monoMs;
    this.window.push(s);
    this.window.dropOlderThan(nowMono - this.o.maxSampleAgeMs, this.o.minSamplesKept);
    if (fitClockModel(this.window, nowMono, this.prior, this.fit, this.fitScratch, m)) {
      if (m.conflict) this.counters.boundConflicts++;
      this.apply(nowMono, false);
    }
    return SampleVerdict.USED;
  }

  /** The burst is over: acquire from what was collected. */
  burstComplete(nowMono: number): void {
    if (this.acquiring) this.acquire(nowMono);
  }

  private startReacquisition(): void {
    this.isAcquiring = true;
    this.candidates.clear();
    this.outliersInRow = 0;
    this.outlierServers = 0;
  }

  private acquire(nowMono: number): void {
    const c = this.candidates;
    if (c.count === 0) {
      this.counters.failedAcquisitions++;
      return;
    }
    const prior = this.acquisitionPrior;
    if (this.isSynced) {
      prior.freq = this.model.freq;
      prior.sigma = this.model.freqBound / 3;
    } else {
      prior.freq = this.o.initialFrequencyPpm * PPM;
      prior.sigma = (this.o.maxFrequencyPpm * PPM) / 3;
    }
    const mask = selectTruechimers(c, nowMono, prior, this.o.timestampNoiseMs, this.selectionScratch);
    if (mask === 0) {
      this.counters.failedAcquisitions++;
      c.clear();
      return;
    }
    this.counters.falsetickers += bitCount(c.serverMask() & ~mask);
    this.window.clear();
    this.window.copyFrom(c, mask);
    c.clear();
    this.prior.freq = prior.freq;
    this.prior.sigma = prior.sigma;
    if (!fitClockModel(this.window, nowMono, this.prior, this.fit, this.fitScratch, this.model)) return;
    if (this.model.conflict) this.counters.boundConflicts++;
    const first = !this.isSynced;
    this.isSynced = true;
    this.isAcquiring = false;
    this.outliersInRow = 0;
    this.outlierServers = 0;
    this.apply(nowMono, first);
  }

  /** Moves the output towards the model: a step at the first sync or beyond the threshold, else a slew. */
  private apply(nowMono: number, first: boolean): void {
    const m = this.model;
    const target = m.offsetAt(nowMono);
    const delta = target - this.correction.offsetAt(nowMono);
    if (first || delta > this.o.stepThresholdMs || delta < -this.o.stepThresholdMs) {
      this.counters.steps++;
      if (delta < 0) this.counters.backwardSteps++;
      this.correction.step(nowMono, target, m.freq);
    } else {
      this.correction.slewTo(nowMono, target, m.freq);
    }
  }
}
