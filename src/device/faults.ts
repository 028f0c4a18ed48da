/**
 * Every callback the platform calls (timers, sockets, pins, DNS, Wi-Fi)
 * goes through `guard`: an exception escaping one would reboot the ESP32.
 * Caught exceptions are counted per place and traced (rate-limited).
 *
 * One instance, made by main.ts and handed to each adapter (no module-level
 * state: these modules are preloaded, and mutable module state would live in
 * flash behind RAM aliases; see src/device/manifest.json "preload").
 */
export class Faults {
  count = 0;
  last = "";
  readonly byPlace: Record<string, number> = {};
  private traced = 0;
  private windowStart = 0;

  report(where: string, e: unknown): void {
    try {
      this.count++;
      this.byPlace[where] = (this.byPlace[where] ?? 0) + 1;
      let msg: string;
      try {
        msg = e instanceof Error ? e.name + ": " + e.message : String(e);
      } catch {
        msg = "(unprintable exception)";
      }
      this.last = where + ": " + msg;
      // At most 10 lines per 1 000 faults, so a fault in a 50 ms loop cannot flood the serial log.
      if (this.count - this.windowStart >= 1000) {
        this.windowStart = this.count;
        this.traced = 0;
      }
      if (this.traced < 10) {
        this.traced++;
        trace(`paycard: FAULT in ${where}: ${msg} (faults=${this.count})\n`);
      }
    } catch {
      // nothing may escape
    }
  }

  /** Runs fn; an exception is counted and traced, never rethrown. */
  guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(where, e);
    }
  }
}
