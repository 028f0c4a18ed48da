import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BurstDetector, DEFAULT_BURST_THRESHOLDS } from "../../src/core/detect/burst-detector";
import { AmountAnomalyDetector, DEFAULT_AMOUNT_ANOMALY } from "../../src/core/detect/amount-anomaly-detector";
import { ClockDriftDetector } from "../../src/core/detect/clock-drift-detector";
import { BurstIncidents } from "../../src/core/detect/burst-incidents";
import { alertId } from "../../src/core/model/alert";
import { createWindowResult } from "../../src/core/stream/window-result";

function windowOf(count: number, sum: number, end = 120_000) {
  const r = createWindowResult("burst", "card_hash");
  r.key = "card_x";
  r.start = end - 120_000;
  r.end = end;
  r.count = count;
  r.sum = sum;
  return r;
}

/** Deterministic pseudo-random amounts around a merchant's typical ticket. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe("burst detector", () => {
  const d = () => new BurstDetector(DEFAULT_BURST_THRESHOLDS, "card_hash");

  it("alerts on more than 10 swipes, or more than 5 averaging under 500 cents", () => {
    expect(d().check(windowOf(11, 11 * 5_000))).not.toBeNull();
    expect(d().check(windowOf(10, 10 * 5_000))).toBeNull();
    expect(d().check(windowOf(6, 6 * 499))).not.toBeNull();
    expect(d().check(windowOf(6, 6 * 500))).toBeNull();
    expect(d().check(windowOf(5, 5 * 100))).toBeNull();
  });

  it("fills the alert: count, times, average in the detail, confidence; and counts what it saw", () => {
    const det = d();
    expect(det.check(windowOf(3, 300, 130_000))).toBeNull();
    const a = det.check(windowOf(12, 12 * 250 + 5, 135_000))!;
    expect(a.key).toBe("card_x");
    expect(a.keyField).toBe("card_hash");
    expect(a.value).toBe(12);
    expect(a.windowEnd).toBe(135_000);
    expect(a.eventTime).toBe(134_999);
    expect(a.detail).toBe("12 swipes in [15000,135000), average 250 cents");
    expect(a.confidence).toBe(0.6);
    expect(a.transactionIds).toEqual([]);
    expect(det.check(windowOf(30, 30 * 100, 140_000))).toBeNull(); // the same incident: no second alert
    expect(det.evaluated).toBe(3);
    expect(det.matched).toBe(2);
    expect(d().check(windowOf(25, 25 * 100, 135_000))!.confidence).toBe(0.95);
  });

  it("gives the same id for the same card and window end, whatever the content", () => {
    const a = d().check(windowOf(12, 100, 135_000));
    const b = d().check(windowOf(20, 200, 135_000));
    expect(a?.id).toBe(alertId("BURST_ATTACK", "card_x", 135_000));
    expect(b?.id).toBe(a?.id);
    expect(d().check(windowOf(12, 100, 150_000))?.id).not.toBe(a?.id);
  });

  it("uses configured thresholds", () => {
    const strict = () => new BurstDetector({ maxCount: 3, smallBurstCount: 2, smallAverageCents: 100 }, "card_hash");
    expect(strict().check(windowOf(4, 4_000))).not.toBeNull();
    expect(strict().check(windowOf(3, 3 * 99))).not.toBeNull();
    expect(strict().check(windowOf(3, 3 * 100))).toBeNull();
  });

  it("alerts once per incident: overlapping hit windows are one attack, a miss or a quiet gap ends it", () => {
    const det = d();
    // Sliding 2-minute windows every 15 s over one burst: the first alerts, the others continue it.
    expect(det.check(windowOf(12, 1_200, 135_000))?.id).toBe(alertId("BURST_ATTACK", "card_x", 135_000));
    expect(det.check(windowOf(12, 1_200, 150_000))).toBeNull();
    expect(det.check(windowOf(12, 1_200, 165_000))).toBeNull();
    expect(det.incidents.repeatWindows).toBe(2);
    // A window of the card without the condition closes it: the next hit is a new incident.
    expect(det.check(windowOf(2, 200, 180_000))).toBeNull();
    expect(det.check(windowOf(12, 1_200, 195_000))?.id).toBe(alertId("BURST_ATTACK", "card_x", 195_000));
    // No window fired in between (the card went quiet): a hit that does not overlap the last one is new too.
    expect(det.check(windowOf(12, 1_200, 900_000))?.id).toBe(alertId("BURST_ATTACK", "card_x", 900_000));
    expect(det.incidents.opened).toBe(3);
    expect(det.incidents.closed).toBe(2);
  });

  it("keeps at most its capacity of open incidents, counting the ones it forgets", () => {
    const det = new BurstDetector(DEFAULT_BURST_THRESHOLDS, "card_hash", 2);
    const w = (key: string) => {
      const r = windowOf(12, 1_200, 135_000);
      r.key = key;
      return r;
    };
    expect(det.check(w("a"))).not.toBeNull();
    expect(det.check(w("b"))).not.toBeNull();
    expect(det.check(w("c"))).not.toBeNull();
    expect(det.incidents.evicted).toBe(1);
    expect(det.incidents.size).toBe(2);
    // "a" was forgotten: its next overlapping hit alerts again (same window end, same id: the pipeline's dedup drops it).
    expect(det.check(w("a"))?.id).toBe(alertId("BURST_ATTACK", "a", 135_000));
    expect(det.check(w("c"))).toBeNull();
  });
});

describe("amount anomaly detector", () => {
  function trained(seed: number, n: number) {
    const det = new AmountAnomalyDetector(DEFAULT_AMOUNT_ANOMALY);
    const rnd = lcg(seed);
    let alerts = 0;
    for (let i = 0; i < n; i++) {
      const amount = Math.round(2_000 * Math.exp((rnd() - 0.5) * 0.8)); // typical 20 $ ± 40 %
      if (det.check("m1", "t" + i, i, amount, i)) alerts++;
    }
    return { det, alerts };
  }

  it("stays silent during warm-up, whatever the amount", () => {
    const det = new AmountAnomalyDetector(DEFAULT_AMOUNT_ANOMALY);
    for (let i = 0; i < DEFAULT_AMOUNT_ANOMALY.warmup; i++) {
      expect(det.check("m1", "t" + i, i, i % 2 ? 100 : 1_000_000, i)).toBeNull();
    }
  });

  it("flags a big ticket after warm-up and keeps normal traffic quiet", () => {
    const { det, alerts } = trained(1, 500);
    expect(alerts).toBeLessThanOrEqual(2);
    const a = det.check("m1", "big-1", 501, 250_000, 501);
    expect(a).not.toBeNull();
    expect(a?.id).toBe(alertId("AMOUNT_ANOMALY", "m1", "big-1"));
    expect(a?.value ?? 0).toBeGreaterThan(DEFAULT_AMOUNT_ANOMALY.threshold);
  });

  it("is not blinded by a card-testing burst during its warm-up", () => {
    const det = new AmountAnomalyDetector(DEFAULT_AMOUNT_ANOMALY);
    const rnd = lcg(7);
    // 30 warm-up swipes, 12 of them a burst of 1-4 $ test charges on a 20 $ shop.
    for (let i = 0; i < 30; i++) {
      const amount = i >= 5 && i < 17 ? 100 + Math.round(rnd() * 300) : Math.round(2_000 * Math.exp((rnd() - 0.5) * 0.8));
      expect(det.check("m1", "w" + i, i, amount, i)).toBeNull();
    }
    for (let i = 0; i < 20; i++) det.check("m1", "n" + i, 30 + i, Math.round(2_000 * Math.exp((rnd() - 0.5) * 0.8)), 30 + i);
    // A 20x ticket (the generator's smallest big ticket) is still far out:
    // the burst did not inflate the scale (a mean-based warm-up leaves it near 4).
    expect(det.score("m1", 40_000)).toBeGreaterThan(5);
    expect(det.check("m1", "big", 60, 40_000, 60)).not.toBeNull();
    expect(det.score("m1", 2_000)).toBeLessThan(0.3);
  });

  it("is not dragged by the outliers it flags", () => {
    const { det } = trained(2, 300);
    const before = det.score("m1", 2_000);
    let flagged = 0;
    for (let i = 0; i < 20; i++) if (det.check("m1", "o" + i, 400 + i, 500_000, 400 + i)) flagged++;
    expect(flagged).toBe(20); // still flagged on the 20th: the statistic did not move to them
    expect(Math.abs(det.score("m1", 2_000) - before)).toBeLessThan(1.5);
  });

  it("flags only big tickets by default; small amounts only with direction both", () => {
    const high = new AmountAnomalyDetector(DEFAULT_AMOUNT_ANOMALY);
    const both = new AmountAnomalyDetector({ ...DEFAULT_AMOUNT_ANOMALY, direction: "both" });
    for (let i = 0; i < 40; i++) {
      high.check("m", "t" + i, i, 5_000 + (i % 5) * 10, i);
      both.check("m", "t" + i, i, 5_000 + (i % 5) * 10, i);
    }
    expect(high.check("m", "small", 50, 100, 50)).toBeNull();
    expect(both.check("m", "small", 50, 100, 50)).not.toBeNull();
  });

  it("keeps O(1) state per merchant, bounded by maxMerchants with LRU eviction", () => {
    const det = new AmountAnomalyDetector({ ...DEFAULT_AMOUNT_ANOMALY, maxMerchants: 3 });
    for (let m = 0; m < 10; m++) det.check("m" + m, "t" + m, m, 1_000, m);
    expect(det.merchants.size).toBe(3);
    expect(det.merchants.evictions).toBe(7);
  });

  it("flags any amount at least 5x away from a steady merchant's price", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 100_000 }), fc.double({ min: 5, max: 50, noNaN: true }), fc.boolean(), (price, factor, up) => {
        const det = new AmountAnomalyDetector({ ...DEFAULT_AMOUNT_ANOMALY, direction: "both" });
        for (let i = 0; i < 40; i++) det.check("m", "t" + i, i, price + (i % 3), i);
        const amount = Math.max(1, Math.round(up ? price * factor : price / factor));
        expect(det.check("m", "x", 99, amount, 99)).not.toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe("clock drift detector", () => {
  it("flags |processing - event| > limit with one id per terminal and minute bucket", () => {
    const d = new ClockDriftDetector(60_000, 60_000);
    expect(d.check("term_1", 1_000_000, 1_060_000)).toBeNull();
    const a = d.check("term_1", 1_000_000, 1_060_001);
    expect(a?.value).toBe(60_001);
    expect(a?.id).toBe(alertId("CLOCK_DRIFT", "term_1", 1_020_000));
    expect(d.check("term_1", 1_000_500, 900_000)?.id).toBe(alertId("CLOCK_DRIFT", "term_1", 1_020_000));
    expect(d.check("term_1", 1_000_000, 940_000)).toBeNull();
  });

  it("fills the alert and counts what it checked and matched; refuses a limit or bucket it cannot use", () => {
    const d = new ClockDriftDetector(1, 1);
    expect(d.check("t", 5, 6)).toBeNull();
    const a = d.check("t", 5, 7)!;
    expect([a.type, a.keyField, a.key, a.windowEnd, a.eventTime, a.value]).toEqual(["CLOCK_DRIFT", "terminal_id", "t", 6, 5, 2]);
    expect(a.detail).toBe("processing time minus event time is 2 ms (limit 1)");
    expect(d.check("t", 9, 7)?.detail).toBe("processing time minus event time is -2 ms (limit 1)");
    expect([d.checked, d.matched]).toEqual([3, 2]);
    for (const [limit, bucket, message] of [
      [0, 1, "clock drift limit must be positive ms, got 0"],
      [Number.NaN, 1, "clock drift limit must be positive ms, got NaN"],
      [1, 0, "clock drift bucket must be a positive integer of ms, got 0"],
      [1, -5, "clock drift bucket must be a positive integer of ms, got -5"],
      [1, 1.5, "clock drift bucket must be a positive integer of ms, got 1.5"],
    ] as const) {
      expect(() => new ClockDriftDetector(limit, bucket)).toThrow(message);
    }
  });
});

describe("burst incidents", () => {
  it("an overlapping hit continues the open incident and extends its end; an earlier end does not shrink it", () => {
    const inc = new BurstIncidents(4);
    expect(inc.hit("a", 0, 100)).toBe(true);
    expect(inc.hit("a", 50, 150)).toBe(false);
    expect(inc.hit("a", 20, 120)).toBe(false); // ends before the last: the incident still ends at 150
    expect(inc.hit("a", 149, 300)).toBe(false); // overlaps 150
    expect(inc.hit("a", 300, 400)).toBe(true); // starts where the incident ended: no overlap, a new one
    expect([inc.opened, inc.repeatWindows, inc.closed, inc.size]).toEqual([2, 3, 1, 1]);
  });

  it("a miss closes only its own card's incident; an update overlapping a closed incident belongs to it", () => {
    const inc = new BurstIncidents(4);
    inc.hit("a", 0, 100);
    inc.hit("b", 0, 100);
    inc.hit("c", 0, 100);
    inc.miss("b");
    inc.miss("zz"); // no incident: nothing happens
    expect([inc.isOpenFor("a"), inc.isOpenFor("b"), inc.isOpenFor("c"), inc.isOpenFor("zz")]).toEqual([true, false, true, false]);
    expect([inc.size, inc.closed]).toEqual([2, 1]);
    expect(inc.hit("b", 50, 150, true)).toBe(false); // late data re-fired a window of the closed attack
    expect(inc.isOpenFor("b")).toBe(false);
    expect(inc.hit("b", 50, 150)).toBe(true); // a fresh hit after the miss is a new incident
    inc.miss("c");
    inc.miss("a");
    expect([inc.isOpenFor("a"), inc.isOpenFor("b"), inc.isOpenFor("c"), inc.size]).toEqual([false, true, false, 1]);
  });

  it("forgets the card seen least recently, whichever slot it holds", () => {
    const inc = new BurstIncidents(3);
    inc.hit("a", 0, 100);
    inc.hit("b", 0, 100);
    inc.hit("c", 0, 100);
    inc.hit("a", 50, 150); // a seen again: b is now the least recent
    inc.miss("a");
    expect(inc.hit("d", 0, 100)).toBe(true);
    expect(inc.evicted).toBe(1);
    expect([inc.isOpenFor("a"), inc.isOpenFor("b"), inc.isOpenFor("c"), inc.isOpenFor("d")]).toEqual([false, false, true, true]);
    expect(inc.size).toBe(2);
    expect(inc.hit("c", 50, 150)).toBe(false); // c kept its incident
    expect(inc.hit("b", 50, 150)).toBe(true); // b was forgotten: alerts again; a (seen before c's last hit) goes
    expect(inc.evicted).toBe(2);
    expect(inc.hit("a", 50, 150)).toBe(true); // a forgotten too
  });

  it("refuses a capacity it cannot hold", () => {
    expect(new BurstIncidents(1).capacity).toBe(1);
    for (const c of [0, -1, 1.5, Number.NaN]) expect(() => new BurstIncidents(c)).toThrow(`burst incident capacity must be a positive integer, got ${c}`);
  });
});
