import type { EventClockPort, TimeReading } from "../core/app/event-clock";
import type { ClockTelemetry } from "../core/clock/clock-reading";

/**
 * The host's default event clock: the operating system's clock, which the
 * host's own NTP daemon disciplines, read as performance.timeOrigin +
 * performance.now() so that it never steps backwards during a run.
 * It is always "synced"; its error bound is not known here and reads 0.
 * (`--ntp host:port` uses paycard's own SNTP client instead.)
 */
export class OsEventClock implements EventClockPort {
  private readonly origin = performance.timeOrigin;

  monotonicMs(): number {
    return performance.now();
  }

  read(out: TimeReading): TimeReading {
    out.utcMs = this.origin + performance.now();
    out.errorBoundMs = 0;
    out.state = "synced";
    return out;
  }

  utcAt(monotonicMs: number): number {
    return this.origin + monotonicMs;
  }

  telemetry(): ClockTelemetry {
    return { state: "synced", offsetMs: 0, frequencyPpm: 0, errorBoundMs: 0 };
  }

  /** UTC now, on the same scale as read(): what the subscriber compares terminal_time with. */
  static utcNow(): number {
    return performance.timeOrigin + performance.now();
  }
}
