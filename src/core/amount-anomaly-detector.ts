import { alertId, AlertType, createAlert, type Alert } from "./alert";
import { KeySlotTable } from "./key-slot-table";

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

export const DEFAULT_AMOUNT_ANOMALY: AmountAnomalyOptions = {
  warmup: 30,
  threshold: 4,
  direction: "high",
  alpha: 0.05,
  clip: 2.5,
  minDeviation: 0.05,
  maxMerchants: 64,
  merchantTtlMs: 24 * 3600_000,
};

// Mean absolute deviation of a normal distribution is sigma * sqrt(2/pi).
const MAD_TO_SIGMA = 1.2533141373155003;

/**
 * Per-merchant amount anomaly detection on log-amounts with O(1) memory per
 * merchant: a location (mean) and a scale (mean absolute deviation), both
 * updated after warm-up with the new value clipped to location ± clip·scale
 * (a Huber-style M-estimate), so the outliers it flags cannot pull the
 * statistic after them. Cumulative averages during warm-up, exponential
 * weights after.
 */
export class AmountAnomalyDetector {
  readonly merchants: KeySlotTable;
  private readonly n: Float64Array;
  private readonly location: Float64Array;
  private readonly scale: Float64Array;
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
    this.merchants.onRemove = (slot) => {
      this.n[slot] = 0;
    };
  }

  /** Robust z-score of `amountCents` for the merchant, before this swipe updates it (NaN in warm-up). */
  score(merchantId: string, amountCents: number): number {
    const slot = this.merchants.find(merchantId);
    if (slot < 0 || this.n[slot] < this.o.warmup) return NaN;
    return (Math.log(amountCents) - this.location[slot]) / (Math.max(this.scale[slot], this.o.minDeviation) * MAD_TO_SIGMA);
  }

  /** Scores and then learns one swipe; returns an alert when it is anomalous. */
  check(merchantId: string, transactionId: string, eventTime: number, amountCents: number, now: number, merchantHash = -1): Alert | null {
    this.checked++;
    this.merchants.expireIdle(now);
    const slot = this.merchants.acquire(merchantId, now, merchantHash);
    const x = Math.log(amountCents);
    const n = this.n[slot];
    let result: Alert | null = null;
    if (n === 0) {
      this.location[slot] = x;
      this.scale[slot] = 0;
      this.n[slot] = 1;
      return null;
    }
    const loc = this.location[slot];
    const dev = Math.max(this.scale[slot], this.o.minDeviation);
    if (n >= this.o.warmup) {
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
    }
    // Learn. After warm-up the new value is clipped so that outliers have a
    // bounded influence; during warm-up plain cumulative averages find the scale.
    let xc = x;
    let w = 1 / (n + 1);
    if (n >= this.o.warmup) {
      const bound = this.o.clip * dev;
      xc = x > loc + bound ? loc + bound : x < loc - bound ? loc - bound : x;
      w = this.o.alpha;
    }
    const newLoc = loc + w * (xc - loc);
    this.location[slot] = newLoc;
    this.scale[slot] = this.scale[slot] + w * (Math.abs(xc - newLoc) - this.scale[slot]);
    this.n[slot] = n + 1;
    return result;
  }
}
