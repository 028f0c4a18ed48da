import type { MonotonicClockPort } from "../clock/clock-ports";
import { createClockReading } from "../clock/clock-reading";
import type { DisciplinedClock } from "../clock/discipline/disciplined-clock";
import type { SntpClient } from "../clock/sntp/sntp-client";
import type { EventClockPort, TimeReading } from "./event-clock";
import type { ClockTelemetry } from "../clock/clock-reading";

/**
 * The terminal's event clock from paycard's own time keeping: the
 * DisciplinedClock fed by the SntpClient (src/core/clock), over the
 * platform's monotonic clock. `tick()` (called by the app's tick) drives the
 * SNTP client.
 */
export class DisciplinedEventClock implements EventClockPort {
  private readonly reading = createClockReading();
  private readonly back = createClockReading();
  // Stryker disable next-line ObjectLiteral,StringLiteral: placeholders: telemetry() writes every field before returning it
  private readonly tele: ClockTelemetry = { state: "unsynced", offsetMs: 0, frequencyPpm: 0, errorBoundMs: Infinity };

  constructor(
    readonly clock: DisciplinedClock,
    readonly client: SntpClient | null,
    private readonly monotonic: MonotonicClockPort,
  ) {}

  monotonicMs(): number {
    return this.monotonic.nowMs();
  }

  read(out: TimeReading): TimeReading {
    const r = this.clock.now(this.reading);
    out.utcMs = r.utcMs;
    out.errorBoundMs = r.errorBoundMs;
    out.state = r.state;
    return out;
  }

  utcAt(monotonicMs: number): number {
    const r = this.clock.utcAtMonotonic(monotonicMs, this.back);
    return r === null ? NaN : r.utcMs;
  }

  telemetry(): ClockTelemetry {
    const t = this.clock.telemetry();
    const o = this.tele;
    o.state = t.state;
    o.offsetMs = t.offsetMs;
    o.frequencyPpm = t.frequencyPpm;
    o.errorBoundMs = t.errorBoundMs;
    return o;
  }

  tick(): void {
    if (this.client !== null) this.client.tick();
  }

  stop(): void {
    if (this.client !== null) this.client.stop();
  }
}
