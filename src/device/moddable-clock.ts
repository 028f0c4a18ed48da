import Time from "time";
import type { MonotonicClockPort } from "../core/clock/clock-ports";

/**
 * The monotonic clock under the disciplined clock.
 *
 * - ESP32: `Time.microseconds / 1000` (module modules/base/microseconds,
 *   included and preloaded on esp32 only; esp_timer_get_time(): 64-bit,
 *   never wraps, unaffected by Time.set).
 * - lin (the simulator): `Time.microseconds` is undefined there (the module has
 *   no Linux build), so this falls back to `Time.ticks`, which on lin equals
 *   Date.now(): millisecond resolution and, strictly, a wall clock (a step of
 *   the host's clock would show as a jump; negative steps are clamped to 0).
 *   Good enough for the simulator; never used on the ESP32, where Time.ticks
 *   is a 32-bit counter that wraps after ~24.8 days. The fallback accumulates
 *   Time.delta() between readings, so it would survive that wrap too.
 */
export class ModdableMonotonicClock implements MonotonicClockPort {
  readonly source: "microseconds" | "ticks";
  private readonly originUs: number;
  private lastTicks: number;
  private elapsedMs = 0;

  constructor() {
    const us = Time.microseconds;
    if (typeof us === "number" && Number.isFinite(us)) {
      this.source = "microseconds";
      this.originUs = us;
      this.lastTicks = 0;
    } else {
      this.source = "ticks";
      this.originUs = 0;
      this.lastTicks = Time.ticks;
    }
  }

  nowMs(): number {
    if (this.source === "microseconds") return ((Time.microseconds as number) - this.originUs) / 1000;
    const t = Time.ticks;
    const d = Time.delta(this.lastTicks, t);
    this.lastTicks = t;
    if (d > 0) this.elapsedMs += d;
    return this.elapsedMs;
  }
}
