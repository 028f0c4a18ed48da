// Engine-neutral tests of the clock discipline: the sample window, the fit
// (offset, frequency, error bound), majority selection, the slewed/stepped
// correction, and the DisciplinedClock's readings (strictly increasing,
// unsynced/synced/holdover, back-dating).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ClockCorrection } from "../../src/core/clock/discipline/clock-correction";
import { resolveClockDisciplineOptions } from "../../src/core/clock/discipline/clock-discipline-options";
import { ClockModel } from "../../src/core/clock/discipline/clock-model";
import { createFitScratch, fitClockModel } from "../../src/core/clock/discipline/clock-model-fit";
import { ClockState, createClockReading } from "../../src/core/clock/clock-reading";
import type { ClockSample } from "../../src/core/clock/clock-sample";
import { SampleVerdict } from "../../src/core/clock/clock-sample";
import { bitCount, ClockSampleWindow } from "../../src/core/clock/discipline/clock-sample-window";
import { DisciplinedClock, MIN_READING_STEP_MS } from "../../src/core/clock/discipline/disciplined-clock";
import { createSelectionScratch, selectTruechimers } from "../../src/core/clock/discipline/server-selection";
import { SeededRandom } from "../../src/sim/seeded-random";

const BOOT_UTC = 1772323200000;

class FakeMono {
  t = 1000;
  nowMs(): number {
    return this.t;
  }
}

function sample(monoMs: number, offsetMs: number, delayMs: number, server = 0, rootDistanceMs = 0): ClockSample {
  return { monoMs, offsetMs, delayMs, rootDistanceMs, server };
}

/**
 * A measurement of true offset `trueOffset(m)` through a path with one-way
 * delays `out` and `back`: offset error (out − back)/2, delay out + back.
 */
function measured(m: number, trueOffset: number, out: number, back: number, server = 0): ClockSample {
  return sample(m, trueOffset + (out - back) / 2, out + back, server);
}

describe("ClockSampleWindow", () => {
  it("keeps the newest `capacity` samples, oldest first", () => {
    const w = new ClockSampleWindow(3);
    for (let i = 0; i < 5; i++) w.push(sample(i, 10 * i, 1, i % 2));
    expect(w.count).toBe(3);
    expect(w.monoAt(0)).toBe(2);
    expect(w.monoAt(2)).toBe(4);
    expect(w.offsetAt(1)).toBe(30);
    expect(w.serverMask()).toBe(0b11);
  });

  it("wraps around its storage when it refills after dropping, oldest first still; takes 1 to 4096 samples", () => {
    const w = new ClockSampleWindow(4);
    for (let i = 0; i < 4; i++) w.push(sample(i * 1000, i, 1, i));
    w.dropOlderThan(2000, 1); // 0 and 1000 go
    w.push(sample(4000, 4, 1, 4));
    w.push(sample(5000, 5, 1, 5));
    expect([w.count, [0, 1, 2, 3].map((i) => w.monoAt(i)), [0, 1, 2, 3].map((i) => w.serverAt(i))]).toEqual([4, [2000, 3000, 4000, 5000], [2, 3, 4, 5]]);
    expect(w.serverMask()).toBe(0b111100);
    expect(new ClockSampleWindow(1).count).toBe(0);
    expect(new ClockSampleWindow(4096).count).toBe(0);
    for (const bad of [0, 4097, 2.5]) expect(() => new ClockSampleWindow(bad)).toThrow(`sample window capacity must be an integer in 1..4096, got ${bad}`);
  });

  it("drops old samples but keeps a minimum", () => {
    const w = new ClockSampleWindow(8);
    for (let i = 0; i < 8; i++) w.push(sample(i * 1000, 0, 1));
    w.dropOlderThan(5000, 2);
    expect(w.count).toBe(3);
    expect(w.monoAt(0)).toBe(5000);
    w.dropOlderThan(1e9, 2);
    expect(w.count).toBe(2);
  });

  it("copies the samples of chosen servers", () => {
    const a = new ClockSampleWindow(8);
    for (let i = 0; i < 6; i++) a.push(sample(i, i, 1, i % 3));
    const b = new ClockSampleWindow(8);
    b.copyFrom(a, (1 << 0) | (1 << 2));
    expect(b.count).toBe(4);
    expect(b.serverMask()).toBe(0b101);
    expect(bitCount(0b1011)).toBe(3);
    expect(() => new ClockSampleWindow(0)).toThrow("capacity");
  });
});

describe("fitClockModel", () => {
  const settings = { noiseMs: 0.5, wander: 10e-6 };
  const prior = { freq: 0, sigma: 500e-6 / 3 };

  it("recovers offset and frequency from exact samples", () => {
    const w = new ClockSampleWindow(64);
    const f = -80e-6;
    for (let i = 0; i < 40; i++) {
      const m = i * 30_000;
      w.push(measured(m, BOOT_UTC + f * m, 5, 5));
    }
    const model = new ClockModel();
    const at = 40 * 30_000;
    expect(fitClockModel(w, at, prior, settings, createFitScratch(64), model)).toBe(true);
    expect(model.freq * 1e6).toBeCloseTo(-80, 1);
    expect(Math.abs(model.offsetAt(at) - (BOOT_UTC + f * at))).toBeLessThan(0.01);
    expect(model.boundMs).toBeGreaterThan(0);
    expect(model.boundMs).toBeLessThan(7);
    expect(model.conflict).toBe(false);
    expect(fitClockModel(new ClockSampleWindow(4), at, prior, settings, createFitScratch(4), model)).toBe(false);
    expect(model.freq * 1e6).toBeCloseTo(-80, 1); // left alone
  });

  it("keeps the shortest trip of each direction: the estimate beats any single sample", () => {
    const w = new ClockSampleWindow(8);
    // Truth 0 (relative to BOOT_UTC); one sample with a quick way out, one with a quick way back.
    w.push(measured(0, BOOT_UTC, 1, 40));
    w.push(measured(100, BOOT_UTC, 40, 1));
    const model = new ClockModel();
    fitClockModel(w, 100, prior, settings, createFitScratch(8), model);
    expect(Math.abs(model.offsetAt(100) - BOOT_UTC)).toBeLessThan(1);
    // Each sample alone is 19.5 ms off.
    expect(Math.abs(w.offsetAt(0) - BOOT_UTC)).toBeCloseTo(19.5, 5);
  });

  it("bounds the true offset for any asymmetric, jittery path (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: -150, max: 150, noNaN: true }),
        fc.integer({ min: 2, max: 40 }),
        (seed, ppm, n) => {
          const r = new SeededRandom(seed);
          const f = ppm * 1e-6;
          const w = new ClockSampleWindow(64);
          const outBase = 2 + 20 * r.next();
          const backBase = 2 + 20 * r.next();
          let m = 0;
          for (let i = 0; i < n; i++) {
            m += 5000 + 60_000 * r.next();
            w.push(measured(m, BOOT_UTC + f * m, outBase + 50 * r.next(), backBase + 50 * r.next(), i % 3));
          }
          const model = new ClockModel();
          const at = m + 30_000 * r.next();
          fitClockModel(w, at, prior, settings, createFitScratch(64), model);
          const err = Math.abs(model.offsetAt(at) - (BOOT_UTC + f * at));
          return err <= model.boundMs && model.freqBound > 0;
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("selectTruechimers", () => {
  const prior = { freq: 0, sigma: 500e-6 / 3 };

  it("outvotes a lying server", () => {
    const w = new ClockSampleWindow(16);
    for (let i = 0; i < 4; i++) {
      w.push(measured(i * 2000, BOOT_UTC, 5, 6, 0));
      w.push(measured(i * 2000, BOOT_UTC, 9, 7, 1));
      w.push(measured(i * 2000, BOOT_UTC + 3000, 8, 8, 2));
    }
    expect(selectTruechimers(w, 8000, prior, 0.5, createSelectionScratch())).toBe(0b011);
  });

  it("accepts a single server, refuses two that disagree", () => {
    const scratch = createSelectionScratch();
    const one = new ClockSampleWindow(4);
    one.push(measured(0, BOOT_UTC, 5, 5, 3));
    expect(selectTruechimers(one, 0, prior, 0.5, scratch)).toBe(1 << 3);
    const two = new ClockSampleWindow(4);
    two.push(measured(0, BOOT_UTC, 5, 5, 0));
    two.push(measured(0, BOOT_UTC + 500, 5, 5, 1));
    expect(selectTruechimers(two, 0, prior, 0.5, scratch)).toBe(0);
    expect(selectTruechimers(new ClockSampleWindow(4), 0, prior, 0.5, scratch)).toBe(0);
  });
});

describe("ClockCorrection", () => {
  it("slews at the set rate, continuously, and stops when done", () => {
    const c = new ClockCorrection(500e-6);
    c.step(0, 100, 0);
    c.slewTo(0, 110, 0);
    expect(c.offsetAt(0)).toBe(100);
    expect(c.offsetAt(10_000)).toBeCloseTo(105, 9);
    expect(c.slewRemainingAt(10_000)).toBeCloseTo(5, 9);
    expect(c.offsetAt(20_000)).toBeCloseTo(110, 9);
    expect(c.offsetAt(1e6)).toBeCloseTo(110, 9);
    expect(c.slewRemainingAt(1e6)).toBe(0);
    // Backwards too, and re-anchoring mid-slew stays continuous.
    c.slewTo(30_000, 100, 0);
    const before = c.offsetAt(40_000);
    c.slewTo(40_000, 100, 1e-4);
    expect(c.offsetAt(40_000)).toBeCloseTo(before, 9);
    expect(c.slewRemainingAt(40_000)).toBeCloseTo(100 - before, 9);
  });

  it("never changes the offset faster than the slew rate plus the frequency (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: -5000, max: 5000, noNaN: true }), fc.double({ min: -2e-4, max: 2e-4, noNaN: true }), fc.double({ min: 1, max: 1e7, noNaN: true }), (target, f, dt) => {
        const c = new ClockCorrection(500e-6);
        c.step(0, 0, 0);
        c.slewTo(0, target, f);
        const change = c.offsetAt(dt) - c.offsetAt(0) - f * dt;
        return Math.abs(change) <= 500e-6 * dt + 1e-9 && Math.abs(change) <= Math.abs(target) + 1e-9;
      }),
      { numRuns: 200 },
    );
  });
});

describe("DisciplinedClock", () => {
  /** Feeds `n` exact samples from 3 servers (truth: UTC = BOOT_UTC + mono·(1 + f)) and ends the burst. */
  function syncClock(clock: DisciplinedClock, mono: FakeMono, f = 0, n = 4): void {
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < 3; s++) {
        const v = clock.addSample(measured(mono.t, BOOT_UTC + f * mono.t, 4 + s, 4 + s, s));
        expect(v).toBe(SampleVerdict.PENDING);
      }
      mono.t += 2000;
    }
    clock.burstComplete();
  }

  it("reads monotonic time plus the initial offset before the first sync, with an infinite bound", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono, { initialUtcOffsetMs: 5000 });
    const r = clock.now();
    expect(r.state).toBe(ClockState.UNSYNCED);
    expect(r.utcMs).toBe(6000);
    expect(r.monoMs).toBe(1000);
    expect(r.errorBoundMs).toBe(Infinity);
    expect(clock.isSynced).toBe(false);
    expect(clock.wantsBurst()).toBe(true);
    expect(clock.utcAtMonotonic(1000)).toBeNull();
    expect(Number.isNaN(clock.utcEstimate(1000))).toBe(true);
  });

  it("steps at the first sync and then reads UTC within its bound", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    syncClock(clock, mono);
    expect(clock.isSynced).toBe(true);
    expect(clock.wantsBurst()).toBe(false);
    const r = clock.now(createClockReading());
    expect(r.state).toBe(ClockState.SYNCED);
    expect(Math.abs(r.utcMs - (BOOT_UTC + mono.t))).toBeLessThan(0.01);
    expect(r.errorBoundMs).toBeGreaterThan(0);
    expect(r.errorBoundMs).toBeLessThan(10);
    const t = clock.telemetry();
    expect(t.steps).toBe(1);
    expect(t.state).toBe(ClockState.SYNCED);
    expect(t.samplesInWindow).toBe(12);
  });

  it("makes successive readings strictly increasing, even at the same monotonic time", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    const a = clock.now(createClockReading());
    const b = clock.now(createClockReading());
    expect(b.utcMs - a.utcMs).toBeCloseTo(MIN_READING_STEP_MS, 6);
    syncClock(clock, mono);
    const c = clock.now(createClockReading());
    const d = clock.now(createClockReading());
    expect(d.utcMs).toBeGreaterThan(c.utcMs);
    expect(d.errorBoundMs - c.errorBoundMs).toBeCloseTo(MIN_READING_STEP_MS, 4); // the raise is part of the bound (float resolution at 1.7e12)
    expect(clock.telemetry().clampedReadings).toBe(2);
  });

  it("holds still (by the minimum step) after a backward step and accounts for it in the bound", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono, { reacquireAfterOutliers: 2 });
    syncClock(clock, mono);
    const before = clock.now(createClockReading()).utcMs;
    // Every server now says the clock is 3 s ahead: outliers, then a re-acquisition.
    const shift = -3000;
    let verdicts = "";
    for (let i = 0; i < 2; i++) {
      mono.t += 1000;
      verdicts += clock.addSample(measured(mono.t, BOOT_UTC + shift, 5, 5, i % 3)) + ",";
    }
    expect(verdicts).toBe("outlier,outlier,");
    expect(clock.wantsBurst()).toBe(true);
    expect(clock.isSynced).toBe(true);
    const last = syncClockShifted(clock, mono, shift);
    expect(last).toBeGreaterThan(before);
    const t = clock.telemetry();
    expect(t.reacquisitions).toBe(1);
    expect(t.backwardSteps).toBe(1);
    const r = clock.now(createClockReading());
    expect(r.utcMs).toBeGreaterThan(last);
    expect(r.utcMs - last).toBeLessThan(0.01);
    const estimate = mono.t + BOOT_UTC + shift;
    expect(r.utcMs - estimate).toBeGreaterThan(2000);
    expect(r.errorBoundMs).toBeGreaterThanOrEqual(r.utcMs - estimate);
    // Once the estimate has caught up, readings follow it again.
    mono.t += 4000;
    const later = clock.now(createClockReading());
    expect(Math.abs(later.utcMs - (mono.t + BOOT_UTC + shift))).toBeLessThan(0.01);
  });

  /** Runs a burst at the shifted offset; returns the last reading taken just before it completes. */
  function syncClockShifted(clock: DisciplinedClock, mono: FakeMono, shift: number): number {
    for (let i = 0; i < 4; i++) {
      for (let s = 0; s < 3; s++) clock.addSample(measured(mono.t, BOOT_UTC + shift, 4 + s, 4 + s, s));
      mono.t += 2000;
    }
    const last = clock.now(createClockReading()).utcMs;
    clock.burstComplete();
    return last;
  }

  it("slews small corrections instead of stepping", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    syncClock(clock, mono);
    // The servers now say +5 ms: within the bound (not an outlier), so a slew at 500 ppm.
    for (let i = 0; i < 6; i++) {
      mono.t += 1000;
      expect(clock.addSample(measured(mono.t, BOOT_UTC + 5, 1, 1, i % 3))).toBe(SampleVerdict.USED);
    }
    const t = clock.telemetry();
    expect(t.steps).toBe(1);
    expect(Math.abs(t.slewRemainingMs)).toBeGreaterThan(0);
    const a = clock.now(createClockReading());
    mono.t += 1000;
    const b = clock.now(createClockReading());
    // 1000 ms of monotonic time moved the clock by 1000 ms·(1 + frequency) ± 0.5 ms (500 ppm).
    const f = t.frequencyPpm * 1e-6;
    expect(Math.abs(b.utcMs - a.utcMs - 1000 * (1 + f))).toBeLessThanOrEqual(0.5 + 0.001); // + float resolution at 1.7e12
    expect(Math.abs(b.utcMs - a.utcMs - 1000 * (1 + f))).toBeGreaterThan(0.4);
    // After the slew the readings are the estimate.
    mono.t += 30_000;
    expect(clock.telemetry().slewRemainingMs).toBe(0);
    expect(Math.abs(clock.now().utcMs - clock.utcEstimate(mono.t))).toBeLessThan(0.01);
  });

  it("its bound is the estimate's plus the slew still to come, either way; telemetry says the same", () => {
    for (const shift of [5, -5]) {
      const mono = new FakeMono();
      const clock = new DisciplinedClock(mono);
      syncClock(clock, mono);
      for (let i = 0; i < 3; i++) {
        mono.t += 1000;
        expect(clock.addSample(measured(mono.t, BOOT_UTC + shift, 1, 1, i % 3))).toBe(SampleVerdict.USED);
      }
      mono.t += 1234;
      const t = clock.telemetry();
      expect(t.sinceLastSampleMs).toBe(1234);
      expect(Math.sign(t.slewRemainingMs), String(shift)).toBe(Math.sign(shift));
      const estimate = clock.utcAtMonotonic(mono.t, createClockReading())!.errorBoundMs;
      expect(t.errorBoundMs).toBeCloseTo(estimate + Math.abs(t.slewRemainingMs), 9);
      expect(clock.now(createClockReading()).errorBoundMs).toBeCloseTo(t.errorBoundMs, 9);
      // The estimate's bound grows by the frequency bound per ms.
      const later = clock.utcAtMonotonic(mono.t + 1e6, createClockReading())!.errorBoundMs;
      expect(t.frequencyBoundPpm).toBeCloseTo(((later - estimate) / 1e6) * 1e6, 6);
    }
  });

  it("goes into holdover when no server answers, keeps its frequency and widens the bound", () => {
    const mono = new FakeMono();
    const f = 90e-6;
    const clock = new DisciplinedClock(mono);
    syncClock(clock, mono, f);
    for (let i = 0; i < 40; i++) {
      mono.t += 30_000;
      clock.addSample(measured(mono.t, BOOT_UTC + f * mono.t, 3, 3, i % 3));
    }
    const synced = clock.now(createClockReading());
    clock.setReachable(false);
    expect(clock.state).toBe(ClockState.HOLDOVER);
    mono.t += 3_600_000;
    const r = clock.now(createClockReading());
    expect(r.state).toBe(ClockState.HOLDOVER);
    const err = Math.abs(r.utcMs - (mono.t + BOOT_UTC + f * mono.t));
    expect(err).toBeLessThan(5);
    expect(r.errorBoundMs).toBeGreaterThan(synced.errorBoundMs + 3_600_000 * 10e-6); // at least wanderPpm·elapsed
    expect(err).toBeLessThanOrEqual(r.errorBoundMs);
    expect(clock.telemetry().frequencyPpm).toBeCloseTo(90, 0);
    clock.setReachable(true);
    expect(clock.state).toBe(ClockState.SYNCED);
  });

  it("reads its monotonic clock through; back-dates only a finite time", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    mono.t = 4242;
    expect(clock.monotonicNow()).toBe(4242);
    syncClock(clock, mono);
    expect(clock.utcAtMonotonic(Number.NaN)).toBeNull();
    expect(clock.utcAtMonotonic(Number.POSITIVE_INFINITY)).toBeNull();
    expect(clock.utcAtMonotonic(mono.t)).not.toBeNull();
  });

  it("back-dates an event read before the first sync", () => {
    const mono = new FakeMono();
    const f = -100e-6;
    const clock = new DisciplinedClock(mono);
    const swipe = clock.now(createClockReading());
    expect(swipe.state).toBe(ClockState.UNSYNCED);
    mono.t += 3000;
    syncClock(clock, mono, f);
    const fixed = clock.utcAtMonotonic(swipe.monoMs, createClockReading());
    expect(fixed).not.toBeNull();
    const truth = BOOT_UTC + swipe.monoMs * (1 + f);
    expect(Math.abs(fixed!.utcMs - truth)).toBeLessThanOrEqual(fixed!.errorBoundMs);
    expect(Math.abs(fixed!.utcMs - truth)).toBeLessThan(5);
    expect(fixed!.monoMs).toBe(swipe.monoMs);
  });

  it("counts nonsense samples as outliers instead of throwing", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    expect(clock.addSample(sample(NaN, BOOT_UTC, 1))).toBe(SampleVerdict.OUTLIER);
    expect(clock.addSample(sample(1, BOOT_UTC, -1))).toBe(SampleVerdict.OUTLIER);
    expect(clock.addSample(sample(1, BOOT_UTC, 1, 99))).toBe(SampleVerdict.OUTLIER);
    expect(clock.telemetry().outliers).toBe(3);
  });

  it("stays unsynced when a burst brings no majority", () => {
    const mono = new FakeMono();
    const clock = new DisciplinedClock(mono);
    clock.addSample(measured(mono.t, BOOT_UTC, 5, 5, 0));
    clock.addSample(measured(mono.t, BOOT_UTC + 800, 5, 5, 1));
    clock.burstComplete();
    expect(clock.isSynced).toBe(false);
    expect(clock.wantsBurst()).toBe(true);
    clock.burstComplete(); // nothing collected
    expect(clock.telemetry().failedAcquisitions).toBe(2);
  });

  it("rejects options that can never work", () => {
    expect(() => resolveClockDisciplineOptions({ maxSlewPpm: 501 })).toThrow("maxSlewPpm");
    expect(() => resolveClockDisciplineOptions({ windowSize: 2 })).toThrow("windowSize");
    expect(() => resolveClockDisciplineOptions({ minSamplesKept: 200, windowSize: 100 })).toThrow("minSamplesKept");
    expect(() => new DisciplinedClock({} as never)).toThrow("MonotonicClockPort");
    expect(() => new DisciplinedClock(undefined as never)).toThrow("clock must be a MonotonicClockPort");
    const o = resolveClockDisciplineOptions();
    expect(o.stepThresholdMs).toBe(1000);
    expect(o.maxSlewPpm).toBe(500);
  });
});
