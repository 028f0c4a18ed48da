// The clock fit (src/core/clock/discipline/clock-model-fit.ts) on windows small enough to work
// out by hand: every field of the model it makes, from one sample, two, two servers with their
// own path asymmetry, and samples that contradict each other. The statistical behaviour (noisy
// paths, bounds that hold) is tested in clock-discipline.test.ts. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { ClockModel } from "../../src/core/clock/discipline/clock-model";
import { createFitScratch, fitClockModel } from "../../src/core/clock/discipline/clock-model-fit";
import { ClockSampleWindow } from "../../src/core/clock/discipline/clock-sample-window";

const B = 1772323200000; // UTC − mono, roughly: the offsets below are relative to it

function windowOf(...samples: [mono: number, offset: number, delay: number, rootDistance: number, server: number][]): ClockSampleWindow {
  const w = new ClockSampleWindow(16);
  for (const [monoMs, offset, delayMs, rootDistanceMs, server] of samples) w.push({ monoMs, offsetMs: B + offset, delayMs, rootDistanceMs, server });
  return w;
}

function fit(w: ClockSampleWindow, atMono: number, prior: { freq: number; sigma: number }, settings: { noiseMs: number; wander: number }): ClockModel {
  const m = new ClockModel();
  expect(fitClockModel(w, atMono, prior, settings, createFitScratch(16), m)).toBe(true);
  return m;
}

describe("fitClockModel, worked by hand", () => {
  it("one sample: the prior's frequency, the sample's offset carried forward, its half-width widened by the frequency bound", () => {
    // Half-width 8/2 + 1 + 0.5 = 5.5 ms; 2 000 ms later the frequency may be off by 3σ + wander.
    const m = fit(windowOf([1000, 3, 8, 1, 0]), 3000, { freq: 2e-5, sigma: 1e-4 }, { noiseMs: 0.5, wander: 1e-5 });
    expect(m.refMonoMs).toBe(3000);
    expect(m.freq).toBeCloseTo(2e-5, 15);
    expect(m.freqSigma).toBeCloseTo(1e-4, 15);
    expect(m.freqBound).toBeCloseTo(3e-4 + 1e-5, 15);
    expect(m.offsetMs - B).toBeCloseTo(3 + 2e-5 * 2000, 3);
    expect(m.boundMs).toBeCloseTo(5.5 + 3.1e-4 * 2000, 9);
    expect([m.samples, m.conflict]).toEqual([1, false]);
  });

  it("two samples of one server: the ridge slope, σ from the prior and the spread, the bound of the tighter interval", () => {
    // Times −1000 and 0, offsets −1 and 0 (relative to the newest), weights 1 (noise 1 ms):
    // Stt = 2·500² = 500 000, Sty = 500, λ = 1/σ0² = 10⁶: f = 500 / 1 500 000 = 1/3000.
    const m = fit(windowOf([0, 0, 2, 0, 0], [1000, 1, 2, 0, 0]), 1000, { freq: 0, sigma: 1e-3 }, { noiseMs: 1, wander: 0 });
    expect(m.freq).toBeCloseTo(1 / 3000, 15);
    expect(m.freqSigma).toBeCloseTo(Math.sqrt(1 / 1.5e6), 15);
    // Hard bound: the prior's range |f − 0| + 3σ0, tighter than the pair's |f − 1/1000| + (2 + 2)/1000.
    expect(m.freqBound).toBeCloseTo(1 / 3000 + 3e-3, 15);
    // The newer sample's interval [−2, 2] lies inside the older one's: the estimate is its middle.
    expect(m.offsetMs - B).toBe(1);
    expect(m.boundMs).toBeCloseTo(2, 12);
    expect([m.samples, m.conflict]).toEqual([2, false]);
    // The same pair, the prior's range wide (σ0 = 1): the pair pins the slope instead.
    const wide = fit(windowOf([0, 0, 2, 0, 0], [1000, 1, 2, 0, 0]), 1000, { freq: 0, sigma: 1 }, { noiseMs: 1, wander: 0 });
    const f = 500 / (500_000 + 1);
    expect(wide.freq).toBeCloseTo(f, 12);
    expect(wide.freqBound).toBeCloseTo(Math.abs(f - 1 / 1000) + 4 / 1000, 12);
  });

  it("two servers, each with its own constant asymmetry, taking turns: no slope is made of their difference", () => {
    // Server 0 reads +10 ms, server 1 −10 ms, alternately: pooled, that is a slope; per server, none.
    const w = windowOf([0, 10, 2, 0, 0], [1000, -10, 2, 0, 1], [2000, 10, 2, 0, 0], [3000, -10, 2, 0, 1]);
    const m = fit(w, 3000, { freq: 0, sigma: 1e-3 }, { noiseMs: 1, wander: 0 });
    expect(m.freq).toBe(0);
    // Each server: times 2 000 apart around its own mean, Stt = 4 · 1000² (residuals 0: σ from the weights alone).
    expect(m.freqSigma).toBeCloseTo(Math.sqrt(1 / (4 * 1000 * 1000 + 1e6)), 15);
    expect([m.samples, m.conflict]).toEqual([4, true]); // ±10 with half-widths of 2 cannot both be right
    // Contradicting intervals: the weighted mean line (0 at any time, slope 0), bounded by their hull.
    expect(m.offsetMs - B).toBeCloseTo(0, 9);
    // Frequency bound: the pair (samples 0 and 2, slope 0) gives 0 + (2 + 2)/2000, below the prior's 3σ0 = 3e-3.
    expect(m.freqBound).toBeCloseTo(2e-3, 12);
    // Intervals at 3000 (relative to the newest, −10): 20 ± 8, 0 ± 6, 20 ± 4, 0 ± 2: hull [−6, 28]; the
    // estimate, 10, is 18 from its far end.
    expect(m.boundMs).toBeCloseTo(18, 9);
  });

  it("when the σ-widened intervals miss each other but the bound's wider ones meet, the estimate is the middle of those", () => {
    // Offsets 0 and 5 a second apart, half-widths 2: with σ_f ≈ 1e-6 they stay apart; the wander
    // (1e-3 per ms) widens the older one to reach [−2, −1.997] (relative to the newer, 5).
    const m = fit(windowOf([0, 0, 2, 0, 0], [1000, 5, 2, 0, 0]), 1000, { freq: 0, sigma: 1e-6 }, { noiseMs: 1, wander: 1e-3 });
    expect(m.conflict).toBe(false);
    expect(m.freqBound).toBeCloseTo(1e-3 + 3e-6 + m.freq, 9);
    const width = 2 + m.freqBound * 1000; // the older interval's half-width
    const lo = -2;
    const hi = -5 + m.freq * 1000 + width;
    expect(m.offsetMs - B).toBeCloseTo(5 + (lo + hi) / 2, 3); // float resolution at 1.7e12
    expect(m.boundMs).toBeCloseTo((hi - lo) / 2, 6);
  });

  it("the queueing weight: a sample whose delay exceeds its server's lowest counts for less", () => {
    // Same server; the quick samples say 0, the slow one (delay 102, excess 100) says +40.
    const w = windowOf([0, 0, 2, 0, 0], [1000, 0, 2, 0, 0], [2000, 40, 102, 0, 0], [3000, 0, 2, 0, 0]);
    const m = fit(w, 3000, { freq: 0, sigma: 1e-6 }, { noiseMs: 1, wander: 0 });
    // Median excess 0 → s = noise: weights 1, 1, 1/(1 + 100²), 1: the slow one barely moves the estimate.
    expect(Math.abs(m.offsetMs - B)).toBeLessThan(0.01);
    expect(m.conflict).toBe(false);
    expect(m.boundMs).toBeCloseTo(2, 6); // the quick samples' half-width (1 + 1), widened by almost nothing
  });

  it("σ_f is scaled up by the residuals when they exceed what the weights predict, and only then", () => {
    // Times −2000, −1000, 0 around their mean, offsets 0, 3, 0: slope 0, residuals −1, 2, −1 (χ² = 6,
    // one degree of freedom): σ_f = √(6 / (Stt + λ)) with Stt = 2·10⁶, λ = 1.
    const noisy = fit(windowOf([0, 0, 2, 0, 0], [1000, 3, 2, 0, 0], [2000, 0, 2, 0, 0]), 2000, { freq: 0, sigma: 1 }, { noiseMs: 1, wander: 0 });
    expect(noisy.freq).toBe(0);
    expect(noisy.freqSigma).toBeCloseTo(Math.sqrt(6 / (2e6 + 1)), 15);
    // Residuals −0.1, 0.2, −0.1 (χ² = 0.06): no scaling.
    const quiet = fit(windowOf([0, 0, 2, 0, 0], [1000, 0.3, 2, 0, 0], [2000, 0, 2, 0, 0]), 2000, { freq: 0, sigma: 1 }, { noiseMs: 1, wander: 0 });
    expect(quiet.freqSigma).toBeCloseTo(Math.sqrt(1 / (2e6 + 1)), 15);
    // Two servers' intercepts take two degrees of freedom: the same three samples over two servers leave none.
    const split = fit(windowOf([0, 0, 2, 0, 0], [1000, 3, 2, 0, 1], [2000, 0, 2, 0, 0]), 2000, { freq: 0, sigma: 1 }, { noiseMs: 1, wander: 0 });
    expect(split.freqSigma).toBeCloseTo(Math.sqrt(1 / (2e6 + 1)), 15);
  });

  it("the frequency's hard bound pairs the tightest sample of the older half with the tightest of the newer", () => {
    // Half-widths (delay/2 + noise 1): 6, 2 | 2, 3 at times 0, 500 | 2000, 3000; offsets all 0, so f = 0.
    // The pair is 500 and 2000: (2 + 2) / 1500, below the prior's 3σ0 = 3.
    const m = fit(windowOf([0, 0, 10, 0, 0], [500, 0, 2, 0, 0], [2000, 0, 2, 0, 0], [3000, 0, 4, 0, 0]), 3000, { freq: 0, sigma: 1 }, { noiseMs: 1, wander: 0 });
    expect(m.freq).toBe(0);
    expect(m.freqBound).toBeCloseTo(4 / 1500, 15);
    // With wander, it is added on top.
    const w = fit(windowOf([0, 0, 10, 0, 0], [500, 0, 2, 0, 0], [2000, 0, 2, 0, 0], [3000, 0, 4, 0, 0]), 3000, { freq: 0, sigma: 1 }, { noiseMs: 1, wander: 1e-5 });
    expect(w.freqBound).toBeCloseTo(4 / 1500 + 1e-5, 15);
  });

  it("leaves the model alone when the window is empty", () => {
    const m = new ClockModel();
    m.offsetMs = 7;
    expect(fitClockModel(new ClockSampleWindow(4), 0, { freq: 0, sigma: 1e-4 }, { noiseMs: 1, wander: 0 }, createFitScratch(4), m)).toBe(false);
    expect([m.offsetMs, m.samples, m.boundMs]).toEqual([7, 0, Infinity]);
  });
});
