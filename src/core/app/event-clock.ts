/**
 * The clock the terminal stamps events with, as the app sees it: the
 * NTP-disciplined clock on the device (src/core/clock), the OS clock on the
 * host by default. Engine-neutral; readings fill caller-owned objects.
 */
import type { ClockState, ClockTelemetry } from "../clock/clock-reading";

export interface TimeReading {
  /** UTC, epoch ms (fractional allowed); meaningless while unsynced. */
  utcMs: number;
  /** The true UTC lies within utcMs ± errorBoundMs (0 when the source does not say). */
  errorBoundMs: number;
  state: ClockState;
}

export interface EventClockPort {
  /** Monotonic milliseconds (wrap-safe, may be fractional). */
  monotonicMs(): number;
  /** The time now, into `out`. UTC never goes backwards between readings. */
  read(out: TimeReading): TimeReading;
  /** UTC of an earlier monotonic instant (for back-dating), NaN while unsynced. */
  utcAt(monotonicMs: number): number;
  telemetry(): ClockTelemetry;
  /** Lets the clock do its work (e.g. drive an SNTP client); the app calls it from its own tick. */
  tick?(): void;
  /** Releases what the clock holds (sockets); the app calls it from its own stop. */
  stop?(): void;
}

export function createTimeReading(): TimeReading {
  return { utcMs: NaN, errorBoundMs: 0, state: "unsynced" };
}
