import type { ClockModel, FrequencyPrior } from "./clock-model";
import type { ClockSampleWindow } from "./clock-sample-window";
import { SAMPLE_SERVER_LIMIT } from "./clock-sample-window";

export interface ClockFitSettings {
  /** Timestamping noise floor (ms): our clock's read latency and resolution, the server's precision. */
  noiseMs: number;
  /** Frequency wander allowed between fits (dimensionless), added to the frequency bound. */
  wander: number;
}

/** Scratch space for fits over windows of up to `capacity` samples. Allocate once. */
export interface FitScratch {
  /** Lowest delay per server. */
  serverMin: Float64Array;
  /** Per-server weight sums and weighted means of time and offset. */
  serverW: Float64Array;
  serverT: Float64Array;
  serverY: Float64Array;
  /** Delay excess per sample, sorted for the median. */
  excess: Float64Array;
}

export function createFitScratch(capacity: number): FitScratch {
  return {
    serverMin: new Float64Array(SAMPLE_SERVER_LIMIT),
    serverW: new Float64Array(SAMPLE_SERVER_LIMIT),
    serverT: new Float64Array(SAMPLE_SERVER_LIMIT),
    serverY: new Float64Array(SAMPLE_SERVER_LIMIT),
    excess: new Float64Array(capacity),
  };
}

/**
 * Fits `out` to the window at monotonic time `atMono`. Returns false (and
 * leaves `out` alone) when the window is empty.
 *
 * Each sample bounds the true offset: if the server is right it lies within
 * offset_i ± (delay_i/2 + rootDistance_i), since neither one-way trip is
 * shorter than zero. Projected to `atMono` with the estimated frequency f,
 * a sample's interval widens by |atMono − m_i| times the frequency's
 * uncertainty.
 *
 * Frequency: weighted least squares of offset against monotonic time with
 * one intercept per server (each path has its own constant asymmetry, which
 * must not pass for a slope when the servers take turns), and a Gaussian
 * prior on the slope (ridge: f = (Sty + λ f0)/(Stt + λ), λ = 1/σ0², Stt and
 * Sty summed within servers), so a short span (a boot burst) cannot
 * produce a wild frequency. A sample's
 * weight falls with its queueing, measured as the excess of its delay over
 * its server's lowest in the window: w = 1 / (s² + excess²), where s is half
 * the median excess (at least the noise floor). Light jitter is averaged,
 * heavy-tailed queueing is filtered out. σ_f is scaled up by the residuals
 * when they exceed what the weights predict.
 *
 * Offset: the midpoint of the intersection of the samples' intervals
 * widened by σ_f per ms of age. Because each interval is
 * [truth − back trip, truth + out trip], the intersection keeps the shortest
 * trip seen in each direction, so the estimate improves with the number of
 * samples like 1/n rather than 1/√n for bounded queueing. If these
 * intervals do not intersect (the frequency wandered), the bound's wider
 * ones are used, and failing that the regression line.
 *
 * Error bound: the same intersection with the intervals widened by
 * F = F_hard + wander per ms of age, where F_hard bounds |f − true
 * frequency| from hard facts, not from σ_f (which is only as good as the
 * weights): the smaller of |f − f0| + 3σ0 (the prior's range) and
 * |f − slope(a, b)| + (h_a + h_b)/(m_b − m_a) for the tightest sample a of
 * the older half of the window and b of the newer half (two intervals pin
 * the true slope that closely). The bound is the distance from the estimate
 * to the farther end of that intersection. If even these do not intersect (`conflict`:
 * a server lied, or the oscillator wandered beyond `wander`), their hull.
 */
export function fitClockModel(
  w: ClockSampleWindow,
  atMono: number,
  prior: FrequencyPrior,
  settings: ClockFitSettings,
  scratch: FitScratch,
  out: ClockModel,
): boolean {
  const n = w.count;
  if (n === 0) return false;
  const noise = settings.noiseMs;
  const serverMin = scratch.serverMin;
  const excess = scratch.excess;

  serverMin.fill(Infinity);
  for (let i = 0; i < n; i++) {
    const s = w.serverAt(i);
    const d = w.delayAt(i);
    if (d < serverMin[s]!) serverMin[s] = d;
  }
  excess.fill(Infinity);
  for (let i = 0; i < n; i++) excess[i] = w.delayAt(i) - serverMin[w.serverAt(i)]!;
  excess.sort();
  const half = excess[n >> 1]! / 2;
  const s2 = half > noise ? half * half : noise * noise;

  // Offsets are ~1.7e12 ms: work relative to the newest sample, times relative to atMono.
  const ref = w.offsetAt(n - 1);
  const sW = scratch.serverW;
  const sT = scratch.serverT;
  const sY = scratch.serverY;
  sW.fill(0);
  sT.fill(0);
  sY.fill(0);
  let sw = 0;
  let st = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const k = w.serverAt(i);
    const x = w.delayAt(i) - serverMin[k]!;
    const wi = 1 / (s2 + x * x);
    const ti = w.monoAt(i) - atMono;
    const yi = w.offsetAt(i) - ref;
    sW[k] = sW[k]! + wi;
    sT[k] = sT[k]! + wi * ti;
    sY[k] = sY[k]! + wi * yi;
    sw += wi;
    st += wi * ti;
    sy += wi * yi;
  }
  let servers = 0;
  for (let k = 0; k < SAMPLE_SERVER_LIMIT; k++) {
    if (sW[k]! > 0) {
      sT[k] = sT[k]! / sW[k]!;
      sY[k] = sY[k]! / sW[k]!;
      servers++;
    }
  }
  let stt = 0;
  let sty = 0;
  for (let i = 0; i < n; i++) {
    const k = w.serverAt(i);
    const x = w.delayAt(i) - serverMin[k]!;
    const wi = 1 / (s2 + x * x);
    const dt = w.monoAt(i) - atMono - sT[k]!;
    stt += wi * dt * dt;
    sty += wi * dt * (w.offsetAt(i) - ref - sY[k]!);
  }
  const lambda = 1 / (prior.sigma * prior.sigma);
  const f = (sty + lambda * prior.freq) / (stt + lambda);

  let chi2 = 0;
  for (let i = 0; i < n; i++) {
    const k = w.serverAt(i);
    const x = w.delayAt(i) - serverMin[k]!;
    const wi = 1 / (s2 + x * x);
    const r = w.offsetAt(i) - ref - sY[k]! - f * (w.monoAt(i) - atMono - sT[k]!);
    chi2 += wi * r * r;
  }
  const dof = n - servers - 1;
  const scale = dof > 0 && chi2 / dof > 1 ? chi2 / dof : 1;
  const freqSigma = Math.sqrt(scale / (stt + lambda));
  const tMean = st / sw;
  const yMean = sy / sw;
  // A hard bound on |f − true frequency| (σ_f is only as good as the weights):
  // the prior's range, or the slope between the tightest older and newer sample.
  const priorOff = f - prior.freq;
  let hardBound = (priorOff < 0 ? -priorOff : priorOff) + 3 * prior.sigma;
  let a = -1;
  let b = -1;
  let ha = Infinity;
  let hb = Infinity;
  for (let i = 0; i < n; i++) {
    const h = w.delayAt(i) / 2 + w.rootDistanceAt(i) + noise;
    if (2 * i < n) {
      if (h < ha) {
        ha = h;
        a = i;
      }
    } else if (h < hb) {
      hb = h;
      b = i;
    }
  }
  if (a >= 0 && b >= 0) {
    const span = w.monoAt(b) - w.monoAt(a);
    if (span > 0) {
      const slope = (w.offsetAt(b) - w.offsetAt(a)) / span;
      const off = f - slope;
      const pair = (off < 0 ? -off : off) + (ha + hb) / span;
      if (pair < hardBound) hardBound = pair;
    }
  }
  const freqBound = hardBound + settings.wander;

  // Intersections at atMono (relative to ref): tight (σ_f) for the estimate, wide (F) for the bound.
  let tightLo = -Infinity;
  let tightHi = Infinity;
  let lo = -Infinity;
  let hi = Infinity;
  let hullLo = Infinity;
  let hullHi = -Infinity;
  for (let i = 0; i < n; i++) {
    const age = atMono - w.monoAt(i);
    const absAge = age < 0 ? -age : age;
    const c = w.offsetAt(i) - ref + f * age;
    const h0 = w.delayAt(i) / 2 + w.rootDistanceAt(i) + noise;
    const ht = h0 + freqSigma * absAge;
    const h = h0 + freqBound * absAge;
    if (c - ht > tightLo) tightLo = c - ht;
    if (c + ht < tightHi) tightHi = c + ht;
    if (c - h > lo) lo = c - h;
    if (c + h < hi) hi = c + h;
    if (c - h < hullLo) hullLo = c - h;
    if (c + h > hullHi) hullHi = c + h;
  }
  const conflict = lo > hi;
  let est: number;
  let bound: number;
  if (!conflict) {
    est = tightLo <= tightHi ? (tightLo + tightHi) / 2 : (lo + hi) / 2;
    bound = est - lo > hi - est ? est - lo : hi - est;
  } else {
    est = yMean - f * tMean;
    bound = est - hullLo > hullHi - est ? est - hullLo : hullHi - est;
  }

  out.refMonoMs = atMono;
  out.offsetMs = ref + est;
  out.freq = f;
  out.freqSigma = freqSigma;
  out.freqBound = freqBound;
  out.boundMs = bound;
  out.samples = n;
  out.conflict = conflict;
  return true;
}
