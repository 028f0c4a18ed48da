import { alertId, AlertType, createAlert, type Alert } from "../model/alert";
import { KeySlotTable } from "../stream/key-slot-table";
import { hashString } from "../lib/string-hash";

export interface AmountAnomalyOptions {
  /** Swipes a merchant must have before it may alert. */
  warmup: number;
  /** Alert when log(amount) is this many robust deviations from typical. */
  threshold: number;
  /** "high" flags only unusually large amounts (big tickets; small ones are the
   *  burst detector's business), "both" flags either side. */
  direction: "high" | "both";
  /** Weight of a new swipe in the moving statistic after warm-up (0..1). */
  alpha: number;
  /** Updates are clipped to typical ± clip deviations, so outliers cannot drag it. */
  clip: number;
  /** Floor for the deviation in log units (0.05 ≈ 5 %), for merchants with one price. */
  minDeviation: number;
  maxMerchants: number;
  merchantTtlMs: number;
}

export const DEFAULT_AMOUNT_ANOMALY: AmountAnomalyOptions = Object.freeze({
  warmup: 30,
  threshold: 4,
  direction: "high",
  alpha: 0.05,
  clip: 2.5,
  minDeviation: 0.05,
  maxMerchants: 64,
  merchantTtlMs: 24 * 3600_000,
});

// Mean absolute deviation of a normal distribution is sigma * sqrt(2/pi).
const MAD_TO_SIGMA = 1.2533141373155003;

// For a normal distribution the mean absolute deviation is 1.1829 times the
// median absolute deviation (0.7979 sigma vs 0.6745 sigma).
const MEDIAN_AD_TO_MEAN_AD = 1.1829;

/**
 * Per-merchant amount anomaly detection on log-amounts with O(1) memory per
 * merchant: a location and a scale (mean absolute deviation).
 *
 * Warm-up: the first `warmup` log-amounts are kept (warmup doubles per
 * merchant) and the statistic starts from their median and median absolute
 * deviation, so a card-testing burst or a big ticket among them (up to half
 * of them) cannot inflate it. After warm-up both are updated with
 * exponential weights, the new value clipped to location ± clip·scale (a
 * Huber-style M-estimate), so the outliers it flags cannot pull the
 * statistic after them.
 */
export class AmountAnomalyDetector {
  readonly merchants: KeySlotTable;
  private readonly n: Float64Array;
  private readonly location: Float64Array;
  private readonly scale: Float64Array;
  /** Warm-up samples, `warmup` per merchant slot. */
  private readonly warm: Float64Array;
  private readonly sortBuf: Float64Array;
  private readonly alert = createAlert(AlertType.AMOUNT_ANOMALY, "merchant_id");
  checked = 0;
  matched = 0;

  constructor(private readonly o: AmountAnomalyOptions) {
    if (!Number.isInteger(o.warmup) || o.warmup < 2) throw new RangeError(`anomaly warmup must be an integer >= 2, got ${o.warmup}`);
    if (!(o.threshold > 0)) throw new RangeError(`anomaly threshold must be positive, got ${o.threshold}`);
    if (!(o.alpha > 0 && o.alpha < 1)) throw new RangeError(`anomaly alpha must be in (0, 1), got ${o.alpha}`);
    if (o.direction !== "high" && o.direction !== "both") throw new RangeError(`anomaly direction must be "high" or "both", got ${String(o.direction)}`);
    if (!(o.clip > 0)) throw new RangeError(`anomaly clip must be positive, got ${o.clip}`);
    if (!(o.minDeviation > 0)) throw new RangeError(`anomaly minDeviation must be positive, got ${o.minDeviation}`);
    this.merchants = new KeySlotTable(o.maxMerchants, o.merchantTtlMs);
    this.n = new Float64Array(o.maxMerchants);
    this.location = new Float64Array(o.maxMerchants);
    this.scale = new Float64Array(o.maxMerchants);
    this.warm = new Float64Array(o.maxMerchants * o.warmup);
    this.sortBuf = new Float64Array(o.warmup);
    this.merchants.onRemove = (slot) => {
      this.n[slot] = 0;
    };
  }

  /** Robust z-score of `amountCents` for the merchant, before this swipe updates it (NaN in warm-up). */
  score(merchantId: string, amountCents: number): number {
    const slot = this.merchants.find(merchantId);
    // Stryker disable next-line ConditionalExpression: without slot < 0 an unknown merchant reads undefined from the typed arrays and scores NaN all the same
    if (slot < 0 || this.n[slot] < this.o.warmup) return NaN;
    return (Math.log(amountCents) - this.location[slot]) / (Math.max(this.scale[slot], this.o.minDeviation) * MAD_TO_SIGMA);
  }

  /** Scores and then learns one swipe; returns an alert when it is anomalous. */
  check(merchantId: string, transactionId: string, eventTime: number, amountCents: number, now: number, merchantHash = hashString(merchantId)): Alert | null {
    this.checked++;
    this.merchants.expireIdle(now);
    const slot = this.merchants.acquire(merchantId, merchantHash);
    const x = Math.log(amountCents);
    const n = this.n[slot];
    const warmup = this.o.warmup;
    if (n < warmup) {
      // Warm-up: keep the sample; at the last one, start from median and MAD.
      this.warm[slot * warmup + n] = x;
      this.n[slot] = n + 1;
      // Stryker disable next-line ConditionalExpression: starting at every warm-up sample would only repeat work: the start at the last sample is the one that stays
      if (n + 1 === warmup) this.startStatistic(slot);
      return null;
    }
    let result: Alert | null = null;
    const loc = this.location[slot];
    const dev = Math.max(this.scale[slot], this.o.minDeviation);
    const z = (x - loc) / (dev * MAD_TO_SIGMA);
    if (z > this.o.threshold || (z < -this.o.threshold && this.o.direction === "both")) {
      this.matched++;
      const a = this.alert;
      a.key = merchantId;
      a.windowEnd = eventTime;
      a.eventTime = eventTime;
      a.value = Math.round(z * 100) / 100;
      a.id = alertId(AlertType.AMOUNT_ANOMALY, merchantId, transactionId);
      a.detail = "amount " + amountCents + " cents is " + a.value + " deviations from the merchant's typical " +
        Math.round(Math.exp(loc)) + " cents";
      result = a;
    }
    // Learn, with the new value clipped so that outliers have a bounded influence.
    const bound = this.o.clip * dev;
    const xc = Math.min(loc + bound, Math.max(loc - bound, x));
    const w = this.o.alpha;
    const newLoc = loc + w * (xc - loc);
    this.location[slot] = newLoc;
    this.scale[slot] = this.scale[slot] + w * (Math.abs(xc - newLoc) - this.scale[slot]);
    this.n[slot] = n + 1;
    return result;
  }

  /** Location = median of the warm-up sample, scale = its median absolute deviation (as a mean absolute deviation). */
  private startStatistic(slot: number): void {
    const k = this.o.warmup;
    const b = this.sortBuf;
    const first = slot * k;
    // Stryker disable next-line EqualityOperator: i <= k only adds a write past the end of a typed array, which is ignored
    for (let i = 0; i < k; i++) b[i] = this.warm[first + i];
    b.sort();
    const median = k % 2 === 1 ? b[(k - 1) / 2] : (b[k / 2 - 1] + b[k / 2]) / 2;
    // Stryker disable next-line EqualityOperator: i <= k only adds a write past the end of a typed array, which is ignored
    for (let i = 0; i < k; i++) b[i] = Math.abs(this.warm[first + i] - median);
    b.sort();
    const mad = k % 2 === 1 ? b[(k - 1) / 2] : (b[k / 2 - 1] + b[k / 2]) / 2;
    this.location[slot] = median;
    this.scale[slot] = mad * MEDIAN_AD_TO_MEAN_AD;
  }
}
