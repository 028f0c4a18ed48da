export type Led = "green" | "yellow" | "red";

export const GREEN_PULSE_MS = 120;
export const OUTBOX_STUCK_MS = 2_000;
export const DECLINE_SHOW_MS = 5_000;

/**
 * The three status LEDs, as logic over a pin writer (main.ts gives it the
 * ECMA-419 outputs on the ESP32, nothing on lin):
 * - green: a 120 ms pulse each time the broker acknowledges a message;
 * - yellow: on while the broker link is down, or while the outbox has held
 *   messages for more than 2 s, or for 5 s after a swipe was declined for
 *   backpressure;
 * - red: latched on by a fraud alert (until reboot).
 * Pins are written only when their state changes.
 */
export class StatusLeds {
  private readonly state: Record<Led, boolean> = { green: false, yellow: false, red: false };
  private greenOffAt = -Infinity;
  private queuedSince = -1;
  private declinedAt = -Infinity;

  constructor(private readonly write: (led: Led, on: boolean) => void) {
    this.state.yellow = true; // offline until the link comes up
    write("green", false);
    write("yellow", true);
    write("red", false);
  }

  /** Writes every pin again (e.g. once the pins exist). */
  rewrite(): void {
    this.write("green", this.state.green);
    this.write("yellow", this.state.yellow);
    this.write("red", this.state.red);
  }

  isOn(led: Led): boolean {
    return this.state[led];
  }

  acknowledged(now: number): void {
    this.greenOffAt = now + GREEN_PULSE_MS;
    this.set("green", true);
  }

  /** Latches red: call before logging the alert, so the pin is high when the line appears. */
  alert(): void {
    this.set("red", true);
  }

  declinedForBackpressure(now: number): void {
    this.declinedAt = now;
    this.set("yellow", true);
  }

  update(now: number, linkUp: boolean, outboxMessages: number): void {
    if (this.state.green && now >= this.greenOffAt) this.set("green", false);
    if (outboxMessages > 0) {
      if (this.queuedSince < 0) this.queuedSince = now;
    } else {
      this.queuedSince = -1;
    }
    const stuck = this.queuedSince >= 0 && now - this.queuedSince > OUTBOX_STUCK_MS;
    this.set("yellow", !linkUp || stuck || now - this.declinedAt < DECLINE_SHOW_MS);
  }

  private set(led: Led, on: boolean): void {
    if (this.state[led] === on) return;
    this.state[led] = on;
    this.write(led, on);
  }
}
