/**
 * The correction the disciplined clock applies to the monotonic clock:
 * UTC − mono as a function of mono, continuous except at a step. From the
 * anchor on it runs at the estimated frequency plus a slew that removes
 * `slewTotal` at `slewRate` (at most 500 ppm) and then stops:
 *   offset(m) = anchorOffset + freq·(m − anchor) + sign(slewTotal)·min(|slewTotal|, slewRate·(m − anchor))
 * Evaluating it allocates nothing.
 */
export class ClockCorrection {
  anchorMonoMs = 0;
  anchorOffsetMs = 0;
  freq = 0;
  /** Signed correction still to be slewed in at the anchor. */
  slewTotalMs = 0;
  /** Dimensionless (5e-4 = 500 ppm). */
  readonly slewRate: number;

  constructor(slewRate: number) {
    this.slewRate = slewRate;
  }

  offsetAt(monoMs: number): number {
    const dt = monoMs - this.anchorMonoMs;
    const base = this.anchorOffsetMs + this.freq * dt;
    // Before the anchor no slew; at it (done = 0) the formula below gives base too.
    // Stryker disable next-line EqualityOperator: dt < 0 answers the same (see above)
    if (dt <= 0) return base;
    const done = this.slewRate * dt;
    if (this.slewTotalMs > 0) return base + (done < this.slewTotalMs ? done : this.slewTotalMs);
    return base - (done < -this.slewTotalMs ? done : -this.slewTotalMs);
  }

  /** Correction not yet applied at `monoMs` (signed). */
  slewRemainingAt(monoMs: number): number {
    const dt = monoMs - this.anchorMonoMs;
    // Stryker disable next-line EqualityOperator: at the anchor done = 0: the formula below answers the same
    if (dt <= 0) return this.slewTotalMs;
    const done = this.slewRate * dt;
    if (this.slewTotalMs > 0) return done < this.slewTotalMs ? this.slewTotalMs - done : 0;
    return done < -this.slewTotalMs ? this.slewTotalMs + done : 0;
  }

  /** Jumps to `offsetMs` at `monoMs` and runs at `freq` from there. */
  step(monoMs: number, offsetMs: number, freq: number): void {
    this.anchorMonoMs = monoMs;
    this.anchorOffsetMs = offsetMs;
    this.freq = freq;
    this.slewTotalMs = 0;
  }

  /** Stays continuous at `monoMs`, runs at `freq`, and slews towards `targetOffsetMs` (a line of slope freq through monoMs). */
  slewTo(monoMs: number, targetOffsetMs: number, freq: number): void {
    const current = this.offsetAt(monoMs);
    this.anchorMonoMs = monoMs;
    this.anchorOffsetMs = current;
    this.freq = freq;
    this.slewTotalMs = targetOffsetMs - current;
  }
}
