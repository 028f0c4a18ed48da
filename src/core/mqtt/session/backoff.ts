import type { RandomPort } from "../../lib/ports";

/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): the n-th consecutive retry (n from 0) waits a
 * uniformly random delay in [0, min(capMs, baseMs * 2^n)] milliseconds.
 */
export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: RandomPort;
  /** Consecutive failures since the last reset(). */
  attempt = 0;

  constructor(random: RandomPort, baseMs: number, capMs: number) {
    if (!(Number.isFinite(baseMs) && baseMs >= 0)) throw new RangeError(`backoff baseMs must be a finite number >= 0, got ${baseMs}`);
    if (!(Number.isFinite(capMs) && capMs >= baseMs)) throw new RangeError(`backoff capMs must be finite and >= baseMs, got ${capMs}`);
    this.random = random;
    this.baseMs = baseMs;
    this.capMs = capMs;
  }

  /** Upper bound of the delay for retry number `attempt`. */
  ceiling(attempt: number): number {
    const exp = attempt > 52 ? 52 : attempt;
    const c = this.baseMs * Math.pow(2, exp);
    return c < this.capMs ? c : this.capMs;
  }

  /** The delay before the next retry, in whole ms; advances the attempt count. */
  nextDelay(): number {
    const ceiling = Math.floor(this.ceiling(this.attempt));
    if (this.attempt < 1000) this.attempt++;
    const r = this.random.nextUint32() >>> 0;
    // Uniform integer in [0, ceiling].
    return Math.floor((r / 4294967296) * (ceiling + 1));
  }

  /** After a success: the next retry starts again from baseMs. */
  reset(): void {
    this.attempt = 0;
  }
}
