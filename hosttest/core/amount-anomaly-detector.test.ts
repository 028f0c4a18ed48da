/**
 * The amount anomaly detector's exact figures: the warm-up statistic (median and median absolute
 * deviation, odd and even counts), the z-score, the strict threshold, both directions, the
 * clipped learning step, the deviation's floor, the alert, idle merchants starting over, and each
 * option's refusal.
 */
import { describe, expect, it } from "vitest";
import { alertId, AlertType } from "../../src/core/model/alert";
import { AmountAnomalyDetector, type AmountAnomalyOptions, DEFAULT_AMOUNT_ANOMALY } from "../../src/core/detect/amount-anomaly-detector";

const MAD_TO_SIGMA = 1.2533141373155003;
const MEDIAN_AD_TO_MEAN_AD = 1.1829;
const options = (o: Partial<AmountAnomalyOptions>): AmountAnomalyOptions => ({ ...DEFAULT_AMOUNT_ANOMALY, ...o });

/** Feeds amounts to merchant "m" (transaction ids t0, t1, ...); the alerts returned. */
function feed(d: AmountAnomalyDetector, amounts: number[], from = 0): (string | null)[] {
  return amounts.map((a, i) => d.check("m", `t${from + i}`, 1_000 + from + i, a, 1_000 + from + i)?.id ?? null);
}

describe("AmountAnomalyDetector", () => {
  it("scores nothing during warm-up, and never alerts then", () => {
    const d = new AmountAnomalyDetector(options({ warmup: 3 }));
    expect(d.score("m", 100)).toBeNaN();
    expect(feed(d, [100, 1_000_000])).toEqual([null, null]);
    expect(d.score("m", 100)).toBeNaN();
    expect(feed(d, [200], 2)).toEqual([null]);
    expect(d.score("m", 200)).not.toBeNaN();
    expect(d.checked).toBe(3);
    expect(d.matched).toBe(0);
  });

  it("starts from the median and the median absolute deviation of an odd warm-up", () => {
    const d = new AmountAnomalyDetector(options({ warmup: 3 }));
    feed(d, [800, 100, 200]);
    // Median log(200); deviations 2 log 2, log 2, 0: their median is log 2.
    const scale = Math.log(2) * MEDIAN_AD_TO_MEAN_AD;
    expect(d.score("m", 200)).toBeCloseTo(0, 12);
    expect(d.score("m", 400)).toBeCloseTo(Math.log(2) / (scale * MAD_TO_SIGMA), 12);
    expect(d.score("m", 50)).toBeCloseTo((-2 * Math.log(2)) / (scale * MAD_TO_SIGMA), 12);
  });

  it("keeps each merchant's warm-up apart, interleaved", () => {
    const d = new AmountAnomalyDetector(options({ warmup: 3 }));
    const amounts: [string, number][] = [["a", 100], ["b", 5_000], ["a", 200], ["b", 10_000], ["a", 800], ["b", 20_000]];
    for (const [m, x] of amounts) d.check(m, `t${x}`, 1, x, 1);
    expect(d.score("a", 200)).toBeCloseTo(0, 12);
    expect(d.score("b", 10_000)).toBeCloseTo(0, 12);
    expect(d.score("b", 20_000)).toBeCloseTo(1 / (MEDIAN_AD_TO_MEAN_AD * MAD_TO_SIGMA), 12);
  });

  it("does not alert at exactly the threshold, above or below", () => {
    const warm = [800, 100, 200];
    const probe = new AmountAnomalyDetector(options({ warmup: 3 }));
    feed(probe, warm);
    const up = probe.score("m", 3_000);
    const down = probe.score("m", 10);
    // Detectors whose threshold is exactly that score: the same arithmetic gives the same z.
    const high = new AmountAnomalyDetector(options({ warmup: 3, threshold: up, direction: "both" }));
    feed(high, warm);
    expect(high.check("m", "up", 2_000, 3_000, 2_000)).toBeNull();
    const low = new AmountAnomalyDetector(options({ warmup: 3, threshold: -down, direction: "both" }));
    feed(low, warm);
    expect(low.check("m", "down", 2_000, 10, 2_000)).toBeNull();
    expect(low.check("m", "further-down", 2_001, 1, 2_001)).not.toBeNull();
  });

  it("takes the mean of the two middle values of an even warm-up", () => {
    const d = new AmountAnomalyDetector(options({ warmup: 4 }));
    feed(d, [800, 100, 400, 200]);
    const median = (Math.log(200) + Math.log(400)) / 2;
    // Deviations from it: 1.5 log 2, 0.5 log 2, 0.5 log 2, 1.5 log 2; their median is log 2.
    const scale = Math.log(2) * MEDIAN_AD_TO_MEAN_AD;
    expect(d.score("m", 300)).toBeCloseTo((Math.log(300) - median) / (scale * MAD_TO_SIGMA), 12);
    expect(d.score("m", Math.exp(median))).toBeCloseTo(0, 9);
  });

  it("alerts above the threshold only (strictly), with the z-score, the ids and the detail", () => {
    const d = new AmountAnomalyDetector(options({ warmup: 3, threshold: 2 }));
    feed(d, [800, 100, 200]);
    const dev = Math.log(2) * MEDIAN_AD_TO_MEAN_AD * MAD_TO_SIGMA;
    // An amount exactly 2 deviations up is not above the threshold.
    const atThreshold = Math.exp(Math.log(200) + 2 * dev);
    expect(d.score("m", atThreshold)).toBeCloseTo(2, 9);
    const big = 200 * 2 ** 8;
    const z = (Math.log(big) - Math.log(200)) / dev;
    const a = d.check("m", "tx-big", 5_000, big, 5_000);
    expect(a).not.toBeNull();
    expect(a!.type).toBe(AlertType.AMOUNT_ANOMALY);
    expect(a!.keyField).toBe("merchant_id");
    expect(a!.key).toBe("m");
    expect(a!.id).toBe(alertId(AlertType.AMOUNT_ANOMALY, "m", "tx-big"));
    expect(a!.eventTime).toBe(5_000);
    expect(a!.windowEnd).toBe(5_000);
    expect(a!.value).toBe(Math.round(z * 100) / 100);
    expect(a!.detail).toBe(`amount ${big} cents is ${a!.value} deviations from the merchant's typical 200 cents`);
    expect(d.matched).toBe(1);
    expect(d.checked).toBe(4);
  });

  it("in the 'high' direction lets small amounts pass; in 'both' flags them, and still not the typical ones", () => {
    for (const direction of ["high", "both"] as const) {
      const d = new AmountAnomalyDetector(options({ warmup: 5, threshold: 3, direction }));
      feed(d, [1_000, 1_100, 900, 1_050, 950]);
      expect(d.check("m", "typical", 2_000, 1_000, 2_000)).toBeNull();
      expect(d.check("m", "a-bit-low", 2_001, 900, 2_001)).toBeNull();
      const low = d.check("m", "tiny", 2_002, 5, 2_002);
      if (direction === "high") expect(low).toBeNull();
      else expect(low!.value).toBeLessThan(-3);
      expect(d.matched).toBe(direction === "high" ? 0 : 1);
    }
  });

  it("learns with the new value clipped to location ± clip·deviation, up and down", () => {
    const o = options({ warmup: 3, alpha: 0.25, clip: 1.5, threshold: 100 });
    const d = new AmountAnomalyDetector(o);
    feed(d, [400, 100, 200]);
    let loc = Math.log(200);
    let scale = Math.log(2) * MEDIAN_AD_TO_MEAN_AD;
    // The model the detector must follow: one EWMA step of the clipped value.
    const step = (amount: number) => {
      const dev = Math.max(scale, o.minDeviation);
      const x = Math.log(amount);
      const xc = Math.min(loc + o.clip * dev, Math.max(loc - o.clip * dev, x));
      const newLoc = loc + o.alpha * (xc - loc);
      scale = scale + o.alpha * (Math.abs(xc - newLoc) - scale);
      loc = newLoc;
    };
    for (const amount of [1e9, 1, 210, 1e9]) {
      d.check("m", `t-${amount}`, 3_000, amount, 3_000);
      step(amount);
      expect(d.score("m", 200)).toBeCloseTo((Math.log(200) - loc) / (Math.max(scale, o.minDeviation) * MAD_TO_SIGMA), 9);
    }
  });

  it("floors the deviation at minDeviation for a merchant with one price", () => {
    const d = new AmountAnomalyDetector(options({ warmup: 3, minDeviation: 0.05 }));
    feed(d, [500, 500, 500]);
    expect(d.score("m", 500 * Math.exp(0.1))).toBeCloseTo(0.1 / (0.05 * MAD_TO_SIGMA), 9);
  });

  it("starts a merchant over after it was idle past its time to live", () => {
    const d = new AmountAnomalyDetector(options({ warmup: 2, merchantTtlMs: 1_000 }));
    d.check("m", "a", 0, 100, 0);
    d.check("m", "b", 10, 100, 10);
    expect(d.score("m", 100)).not.toBeNaN();
    d.check("other", "c", 5_000, 100, 5_000); // expires m; other may take its slot, and starts warming up
    expect(d.score("m", 100)).toBeNaN();
    expect(d.score("other", 100)).toBeNaN();
    d.check("m", "d", 5_001, 100, 5_001);
    expect(d.score("m", 100)).toBeNaN(); // one sample of two again
  });

  it("refuses each option out of range, naming it and its value", () => {
    const refused: [Partial<AmountAnomalyOptions>, string][] = [
      [{ warmup: 1 }, "anomaly warmup must be an integer >= 2, got 1"],
      [{ warmup: 2.5 }, "anomaly warmup must be an integer >= 2, got 2.5"],
      [{ threshold: 0 }, "anomaly threshold must be positive, got 0"],
      [{ threshold: Number.NaN }, "anomaly threshold must be positive, got NaN"],
      [{ alpha: 0 }, "anomaly alpha must be in (0, 1), got 0"],
      [{ alpha: 1 }, "anomaly alpha must be in (0, 1), got 1"],
      [{ direction: "low" as never }, 'anomaly direction must be "high" or "both", got low'],
      [{ clip: 0 }, "anomaly clip must be positive, got 0"],
      [{ minDeviation: 0 }, "anomaly minDeviation must be positive, got 0"],
    ];
    for (const [change, message] of refused) expect(() => new AmountAnomalyDetector(options(change))).toThrow(message);
    expect(() => new AmountAnomalyDetector(options({ warmup: 2, alpha: 0.999, threshold: 0.001, clip: 0.001, minDeviation: 0.001 }))).not.toThrow();
  });
});
