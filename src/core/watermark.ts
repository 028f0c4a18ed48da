/**
 * Bounded-out-of-orderness watermark (Flink's forBoundedOutOfOrderness):
 * watermark = max event time seen - delay - 1. It never goes backwards, and
 * before the first event it is -Infinity.
 */
export class BoundedOutOfOrdernessWatermark {
  private maxEventTime = -Infinity;
  private wm = -Infinity;

  constructor(readonly delayMs: number) {
    if (!Number.isInteger(delayMs) || delayMs < 0) throw new RangeError(`watermark delay must be a non-negative integer of ms, got ${delayMs}`);
  }

  get current(): number {
    return this.wm;
  }

  get maxSeen(): number {
    return this.maxEventTime;
  }

  /** Notes an event time; returns true when the watermark advanced. */
  observe(eventTime: number): boolean {
    if (eventTime <= this.maxEventTime) return false;
    this.maxEventTime = eventTime;
    const next = eventTime - this.delayMs - 1;
    if (next <= this.wm) return false;
    this.wm = next;
    return true;
  }
}
