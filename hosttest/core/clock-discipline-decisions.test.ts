// What the clock discipline decides, sample by sample (src/core/clock/discipline/clock-discipline.ts):
// which samples it refuses outright, when an acquisition happens (a full candidate window, or the
// burst's end), the frequency prior it starts from, when outliers make it re-acquire (two servers,
// or the only one heard), and whether the output steps (forward or back) or slews. Also bundled
// and run inside XS.
import { describe, expect, it } from "vitest";
import type { ClockSample } from "../../src/core/clock/clock-sample";
import { SampleVerdict } from "../../src/core/clock/clock-sample";
import { ClockDiscipline } from "../../src/core/clock/discipline/clock-discipline";
import { type ClockDisciplineOptions, resolveClockDisciplineOptions } from "../../src/core/clock/discipline/clock-discipline-options";

const UTC = 1772323200000;

function discipline(o: ClockDisciplineOptions = {}): ClockDiscipline {
  return new ClockDiscipline(resolveClockDisciplineOptions(o));
}

/** A sample at `mono` saying UTC − mono = UTC + offset, through a 4 ms symmetric path. */
function at(mono: number, offset = 0, server = 0, delayMs = 4): ClockSample {
  return { monoMs: mono, offsetMs: UTC + offset, delayMs, rootDistanceMs: 0, server };
}

/** A burst: 4 samples from each of `servers` servers 2 s apart, then its end. */
function burst(d: ClockDiscipline, start: number, offset = 0, servers = 3): number {
  let t = start;
  for (let i = 0; i < 4; i++, t += 2000) for (let s = 0; s < servers; s++) expect(d.addSample(at(t, offset, s), t)).toBe(SampleVerdict.PENDING);
  d.burstComplete(t);
  return t;
}

describe("ClockDiscipline, sample by sample", () => {
  it("refuses a sample of an unknown server, an unreadable time or a negative delay, and nothing else", () => {
    const d = discipline();
    const bad: ClockSample[] = [at(0, 0, 31), at(0, 0, -1), { ...at(0), offsetMs: Number.NaN }, { ...at(0), monoMs: Number.POSITIVE_INFINITY }, at(0, 0, 0, -0.001)];
    for (const s of bad) expect(d.addSample(s, 0)).toBe(SampleVerdict.OUTLIER);
    expect(d.addSample(at(0, 0, 30), 0)).toBe(SampleVerdict.PENDING);
    expect(d.addSample(at(0, 0, 0, 0), 0)).toBe(SampleVerdict.PENDING);
    expect([d.counters.outliers, d.counters.collected, d.synced]).toEqual([5, 2, false]);
    expect(d.lastSampleMonoMs).toBe(0);
    expect(d.lastOffsetMs).toBe(UTC); // before any sync the correction is initialUtcOffsetMs, 0
  });

  it("acquires when its candidate window is full (windowSize, at most 64), without waiting for the burst's end", () => {
    for (const [windowSize, capacity] of [[4, 4], [70, 64]]) {
      const d = discipline({ windowSize });
      for (let i = 0; i < capacity - 1; i++) d.addSample(at(i * 100, 0, i % 3), i * 100);
      expect(d.synced, String(windowSize)).toBe(false);
      d.addSample(at(capacity * 100, 0, 0), capacity * 100);
      expect([d.synced, d.counters.steps, d.counters.collected], String(windowSize)).toEqual([true, 1, capacity]);
    }
  });

  it("starts from the configured frequency, within ± maxFrequencyPpm (three standard deviations)", () => {
    const d = discipline({ initialFrequencyPpm: 100, maxFrequencyPpm: 1 });
    burst(d, 0);
    // Twelve samples over 6 s say nothing the tight prior does not outweigh.
    expect(d.model.freq).toBeCloseTo(100e-6, 7);
    expect(Math.abs(d.model.freqSigma / (1e-6 / 3) - 1)).toBeLessThan(1e-3);
    expect(d.model.freqBound).toBeGreaterThan(1e-6);
  });

  it("the end of a burst with nothing collected fails the acquisition; once synced, a burst's end changes nothing", () => {
    const d = discipline();
    d.burstComplete(0);
    expect(d.counters.failedAcquisitions).toBe(1);
    const t = burst(d, 0);
    const before = { ...d.counters };
    d.burstComplete(t + 1000);
    expect(d.counters).toEqual(before);
    expect([d.synced, d.acquiring]).toEqual([true, false]);
  });

  it("re-acquires after reacquireAfterOutliers outliers in a row from two servers, or from the only server heard", () => {
    const d = discipline({ reacquireAfterOutliers: 2 });
    let t = burst(d, 0);
    for (let i = 0; i < 5; i++) expect(d.addSample(at((t += 1000), 500, 0), t)).toBe(SampleVerdict.OUTLIER); // one server of three
    expect([d.acquiring, d.counters.reacquisitions]).toEqual([false, 0]);
    expect(d.addSample(at((t += 1000), 500, 1), t)).toBe(SampleVerdict.OUTLIER); // a second one
    expect([d.acquiring, d.counters.reacquisitions]).toEqual([true, 1]);

    const one = discipline({ reacquireAfterOutliers: 2 });
    let u = burst(one, 0, 0, 1);
    expect(one.addSample(at((u += 1000), 500, 0), u)).toBe(SampleVerdict.OUTLIER);
    expect(one.acquiring).toBe(false);
    expect(one.addSample(at((u += 1000), 500, 0), u)).toBe(SampleVerdict.OUTLIER);
    expect(one.acquiring).toBe(true);
  });

  it("a sample that agrees in between starts the count again", () => {
    const d = discipline({ reacquireAfterOutliers: 2 });
    let t = burst(d, 0);
    expect(d.addSample(at((t += 1000), 500, 0), t)).toBe(SampleVerdict.OUTLIER);
    expect(d.addSample(at((t += 1000), 0, 2), t)).toBe(SampleVerdict.USED);
    expect(d.addSample(at((t += 1000), 500, 1), t)).toBe(SampleVerdict.OUTLIER);
    expect([d.acquiring, d.counters.used, d.counters.outliers]).toEqual([false, 1, 2]);
  });

  it("after a re-acquisition the output steps when the new estimate is beyond stepThresholdMs, forward or back, else it slews", () => {
    for (const [shift, threshold, steps, backward] of [[1500, 1000, 2, 0], [-1500, 1000, 2, 1], [900, 1000, 1, 0], [-900, 1000, 1, 0], [1500, 2000, 1, 0]] as const) {
      const name = `${shift} / ${threshold}`;
      const d = discipline({ reacquireAfterOutliers: 2, stepThresholdMs: threshold });
      let t = burst(d, 0);
      d.addSample(at((t += 1000), shift, 0), t);
      d.addSample(at((t += 1000), shift, 1), t);
      expect(d.acquiring, name).toBe(true);
      t = burst(d, t + 1000, shift);
      expect([d.counters.steps, d.counters.backwardSteps], name).toEqual([steps, backward]);
      const stepped = steps === 2;
      expect(d.correction.slewTotalMs === 0, name).toBe(stepped);
      if (!stepped) expect(d.correction.slewTotalMs, name).toBeCloseTo(shift, 0);
    }
  });

  it("a sample is an outlier when its offset is off the estimate by more than its half-width, the noise and the estimate's bound together", () => {
    const verdict = (side: number, margin: number) => {
      const d = discipline();
      const t = burst(d, 0);
      const m = t + 1000;
      // Half-width: delay 6 / 2 + root distance 2, plus noise 0.5, plus the estimate's bound at m.
      const limit = 3 + 2 + 0.5 + d.model.boundAt(m);
      const offset = d.model.offsetAt(m) - UTC + side * (limit + margin);
      return d.addSample({ ...at(m, offset, 0, 6), rootDistanceMs: 2 }, m);
    };
    for (const side of [1, -1]) expect([verdict(side, -0.01), verdict(side, 0.01)], String(side)).toEqual([SampleVerdict.USED, SampleVerdict.OUTLIER]);
  });

  it("a re-acquisition starts from the frequency it had, within a third of its frequency bound (one σ)", () => {
    const d = discipline({ reacquireAfterOutliers: 2, wanderPpm: 0 });
    let t = burst(d, 0);
    // An hour of tracking pins the frequency far tighter than the boot prior (500 ppm).
    for (let i = 0; i < 60; i++) expect(d.addSample(at((t += 60_000), 0, i % 3), t)).toBe(SampleVerdict.USED);
    const before = { freq: d.model.freq, bound: d.model.freqBound };
    expect(before.bound).toBeLessThan(1e-5);
    d.addSample(at((t += 1000), 500, 0), t);
    d.addSample(at((t += 1000), 500, 1), t);
    burst(d, t + 1000, 500);
    // Twelve exact samples over 6 s barely move a prior this tight: σ_f stays at the prior's.
    expect(Math.abs(d.model.freqSigma / (before.bound / 3) - 1)).toBeLessThan(1e-2);
    expect(d.model.freq).toBeCloseTo(before.freq, 9);
    expect(d.counters.reacquisitions).toBe(1);
  });

  it("before any sample, the last one is infinitely long ago", () => {
    const d = discipline();
    expect(d.lastSampleMonoMs).toBe(Number.NEGATIVE_INFINITY);
  });

  it("counts fits whose samples contradict each other", () => {
    const d = discipline({ windowSize: 4 });
    // One server, its samples 100 ms apart with 4 ms paths: no single offset fits them all.
    for (let i = 0; i < 4; i++) d.addSample(at(i * 10, i % 2 === 0 ? 0 : 100, 0), i * 10);
    expect([d.synced, d.counters.boundConflicts]).toEqual([true, 1]);
    expect(d.model.conflict).toBe(true);
  });
});
