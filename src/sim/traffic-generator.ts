import { SeededRandom } from "./seeded-random";
import type { RawSwipe } from "../core/model/raw-swipe";

export interface TrafficOptions {
  seed: number;
  terminalId: string;
  merchantIds: string[];
  /** Distinct cards of ordinary customers. */
  cardPool: number;
  /** Processing time of the first swipe (epoch ms). */
  startMs: number;
  /** Mean ordinary swipes per second (Poisson arrivals). */
  ratePerSec: number;
  /** Mean time between injected card-testing bursts; 0 for none. */
  burstEveryMs: number;
  /** Swipes in one burst and the gap between them. */
  burstLength: number;
  burstGapMs: number;
  /** Mean time between injected anomalous amounts; 0 for none. */
  anomalyEveryMs: number;
  /** Share of swipes that reach the terminal late (held offline), and how late at most. */
  lateFraction: number;
  maxLateMs: number;
  /** Ordinary network/processing delay between swipe and handling, at most. */
  maxDelayMs: number;
}

export const DEFAULT_TRAFFIC: TrafficOptions = Object.freeze({
  seed: 1,
  terminalId: "term_1",
  merchantIds: Object.freeze(["merch_grocery_001"]) as string[],
  cardPool: 5_000,
  startMs: Date.UTC(2026, 0, 10, 14, 0, 0),
  ratePerSec: 5,
  burstEveryMs: 120_000,
  burstLength: 12,
  burstGapMs: 3_000,
  anomalyEveryMs: 90_000,
  lateFraction: 0.01,
  maxLateMs: 200_000,
  maxDelayMs: 400,
});

/** What the generator injected, for scoring detectors against the truth. */
export interface InjectedBurst { card: string; firstEventTime: number; lastEventTime: number }
export interface InjectedAnomaly { transactionId: string; merchantId: string; amount: number }
export interface TrafficTruth {
  onBurst(b: InjectedBurst): void;
  onAnomaly(a: InjectedAnomaly): void;
}

/**
 * Seeded synthetic traffic for one terminal: ordinary purchases (log-normal
 * amounts around each merchant's typical ticket, random cards), plus injected
 * card-testing bursts (many small amounts on one card) and big tickets. Swipes
 * come out in processing-time order; event times trail by a small delay, and
 * a few by a long one, so the stream is out of order. `next` fills a reused
 * record.
 */
export class TrafficGenerator {
  private readonly rnd: SeededRandom;
  private readonly cards: string[];
  private readonly typical: Float64Array;
  private clock: number;
  private nextOrdinary: number;
  private nextBurstStart: number;
  private nextAnomaly: number;
  private burstCard = "";
  private burstLeft = 0;
  private burstNext = Infinity;
  private seq = 0;

  constructor(private readonly o: TrafficOptions, private readonly truth: TrafficTruth | null = null) {
    if (!(o.ratePerSec > 0)) throw new RangeError("traffic rate must be positive");
    if (o.merchantIds.length === 0) throw new RangeError("traffic needs at least one merchant");
    this.rnd = new SeededRandom(o.seed);
    this.cards = [];
    for (let i = 0; i < o.cardPool; i++) this.cards.push("card_" + this.rnd.nextUint32().toString(16).padStart(8, "0"));
    this.typical = new Float64Array(o.merchantIds.length);
    for (let i = 0; i < o.merchantIds.length; i++) this.typical[i] = 800 + this.rnd.below(7_200);
    this.clock = o.startMs;
    this.nextOrdinary = o.startMs;
    this.nextBurstStart = o.burstEveryMs > 0 ? o.startMs + this.exp(o.burstEveryMs) : Infinity;
    this.nextAnomaly = o.anomalyEveryMs > 0 ? o.startMs + this.exp(o.anomalyEveryMs) : Infinity;
  }

  private exp(mean: number): number {
    return Math.round(-Math.log(1 - this.rnd.next()) * mean);
  }

  get produced(): number {
    return this.seq;
  }

  /** Fills `r` with the next swipe. */
  next(r: RawSwipe): RawSwipe {
    const o = this.o;
    if (this.burstLeft === 0 && this.nextBurstStart <= this.nextOrdinary) {
      this.burstCard = "card_test_" + this.rnd.nextUint32().toString(16).padStart(8, "0");
      this.burstLeft = o.burstLength;
      this.burstNext = this.nextBurstStart;
      this.nextBurstStart = Infinity;
      // Reported when it starts, so that a run ending mid-burst still knows it.
      if (this.truth) {
        this.truth.onBurst({ card: this.burstCard, firstEventTime: this.burstNext, lastEventTime: this.burstNext + (o.burstLength - 1) * o.burstGapMs });
      }
    }
    const m = this.rnd.below(o.merchantIds.length);
    let card: string;
    let amount: number;
    const fromBurst = this.burstLeft > 0 && this.burstNext <= this.nextOrdinary;
    if (fromBurst) {
      this.clock = this.burstNext;
      card = this.burstCard;
      amount = 100 + this.rnd.below(300);
      this.burstLeft--;
      if (this.burstLeft === 0) {
        this.burstNext = Infinity;
        this.nextBurstStart = o.burstEveryMs > 0 ? this.clock + this.exp(o.burstEveryMs) : Infinity;
      } else {
        this.burstNext = this.clock + o.burstGapMs;
      }
    } else {
      this.clock = this.nextOrdinary;
      this.nextOrdinary = this.clock + Math.max(1, this.exp(1_000 / o.ratePerSec));
      card = this.cards[this.rnd.below(this.cards.length)];
      // Log-normal around the merchant's typical ticket (sigma 0.5).
      const g = this.rnd.next() + this.rnd.next() + this.rnd.next() - 1.5; // ≈ N(0, 0.5)
      amount = Math.max(50, Math.round(this.typical[m] * Math.exp(g)));
    }
    this.seq++;
    const tx = o.terminalId + "-tx-" + this.seq;
    if (!fromBurst && this.clock >= this.nextAnomaly) {
      amount = Math.round(this.typical[m] * (20 + this.rnd.below(40)));
      this.nextAnomaly = this.clock + Math.max(1, this.exp(o.anomalyEveryMs));
      if (this.truth) this.truth.onAnomaly({ transactionId: tx, merchantId: o.merchantIds[m], amount });
    }
    let delay = this.rnd.below(o.maxDelayMs + 1);
    if (o.lateFraction > 0 && this.rnd.next() < o.lateFraction) delay += this.rnd.below(o.maxLateMs + 1);
    r.transaction_id = tx;
    r.card_hash = card;
    r.terminal_id = o.terminalId;
    r.merchant_id = o.merchantIds[m];
    r.amount_cents = amount;
    r.currency = "USD";
    r.location.lat = 40.7128;
    r.location.lon = -74.006;
    r.timestamp = this.clock - delay;
    r.terminal_time = this.clock;
    return r;
  }
}
