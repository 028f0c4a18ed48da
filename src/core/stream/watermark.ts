/** What window operators read: the current event-time watermark. */
export interface WatermarkView {
  readonly current: number;
}

/**
 * Bounded-out-of-orderness watermark (Flink's forBoundedOutOfOrderness):
 * watermark = max event time seen - delay - 1. It never goes backwards, and
 * before the first event it is -Infinity; `finish` (end of input) takes it to
 * +Infinity so that every window fires.
 */
export class BoundedOutOfOrdernessWatermark implements WatermarkView {
  /** The watermark (read-only for everyone but this class; a field, not a getter, for XS's sake). */
  current = -Infinity;
  private maxEventTime = -Infinity;

  constructor(readonly delayMs: number) {
    if (!Number.isInteger(delayMs) || delayMs < 0) throw new RangeError(`watermark delay must be a non-negative integer of ms, got ${delayMs}`);
  }

  get maxSeen(): number {
    return this.maxEventTime;
  }

  /** Notes an event time; returns true when the watermark advanced. */
  observe(eventTime: number): boolean {
    // Stryker disable next-line EqualityOperator: an event time equal to the max seen leaves both where they are with < as with <=
    if (eventTime <= this.maxEventTime) return false;
    this.maxEventTime = eventTime;
    const next = eventTime - this.delayMs - 1;
    if (next <= this.current) return false;
    this.current = next;
    return true;
  }

  /**
   * Processing time `now` on the clock that also stamped the events: the
   * watermark may follow it (now - delay - 1) while no event arrives, as an
   * idle source's would. Only for a source whose event times come from that
   * clock (a terminal stamping its own swipes); returns true when it advanced.
   */
  advanceByClock(now: number): boolean {
    const next = now - this.delayMs - 1;
    if (!(next > this.current)) return false;
    this.current = next;
    return true;
  }

  /** End of input. */
  finish(): void {
    this.current = Infinity;
  }
}
