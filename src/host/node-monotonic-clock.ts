import type { MonotonicClockPort } from "../core/clock/clock-ports";

/**
 * The monotonic clock port on Node: process.hrtime.bigint() (nanoseconds,
 * never affected by wall-clock changes) as milliseconds since the adapter
 * was created, so the double keeps sub-microsecond resolution.
 */
export class NodeMonotonicClock implements MonotonicClockPort {
  private readonly origin = process.hrtime.bigint();

  nowMs(): number {
    return Number(process.hrtime.bigint() - this.origin) / 1e6;
  }
}
