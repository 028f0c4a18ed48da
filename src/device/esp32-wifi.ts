import WiFi from "embedded:network/interface/wifi";
import Timer from "timer";
import type { Faults } from "./faults";

export const WIFI_BACKOFF_BASE_MS = 1_000;
export const WIFI_BACKOFF_CAP_MS = 60_000;
export const CONNECT_TIMEOUT_MS = 20_000;

/**
 * ESP32 only (excluded from the lin build by src/device/manifest.json): the terminal's
 * own Wi-Fi station over ECMA-419 `embedded:network/interface/wifi`
 * (modules/io/wifi/esp32), which manifest_net.json brings in for esp32. The
 * SDK's setup/network (which would block main until Wi-Fi is up) is removed
 * by manifest.json, so the terminal boots and takes swipes offline.
 *
 * 419 Wi-Fi does not reconnect by itself: when the link drops (connection
 * 200) or a connect hangs (still 300 after CONNECT_TIMEOUT_MS), the next
 * `connect` is scheduled after a full-jitter exponential backoff (base 1 s,
 * cap 60 s), reset once an address is obtained.
 *
 * `use` switches to other credentials at once (Improv provisioning over the serial console); two
 * attempts in a row that end without a link, or one the watchdog ends, are reported to `onFailed`,
 * so the provisioner can answer Unable to Connect while the station keeps retrying.
 */
export class WifiManager {
  private wifi: WiFi | null = null;
  private up = false;
  private attempt = 0;
  private retry: Timer | undefined;
  private watchdog: Timer | undefined;
  connects = 0;
  drops = 0;
  failures = 0;

  constructor(
    private ssid: string,
    private password: string,
    private readonly random: () => number,
    private readonly onLink: (up: boolean, address: string) => void,
    private readonly onFailed: () => void,
    private readonly faults: Faults,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    const self = this;
    this.wifi = new WiFi({
      onChanged() {
        self.faults.guard("wifi.onChanged", () => self.changed());
      },
    });
    this.connect();
  }

  /** Connects with these credentials in place of the current ones (the link, if up, goes down). */
  use(ssid: string, password: string): void {
    this.ssid = ssid;
    this.password = password;
    this.attempt = 0;
    this.clearWatchdog();
    if (this.retry !== undefined) Timer.clear(this.retry);
    this.retry = undefined;
    if (this.wifi === null) {
      this.start();
      return;
    }
    this.linkDropped();
    try {
      this.wifi.disconnect();
    } catch {
      // not connected
    }
    // Connect once the disconnect has settled; its change event finds this retry pending and adds none.
    this.retry = Timer.set(() => {
      this.retry = undefined;
      this.faults.guard("wifi.use", () => this.connect());
    }, 250);
  }

  private changed(): void {
    const w = this.wifi;
    if (w === null) return;
    const c = w.connection;
    if (c >= 500) {
      this.clearWatchdog();
      this.attempt = 0;
      if (!this.up) {
        this.up = true;
        this.connects++;
        this.onLink(true, String(w.address ?? ""));
      }
    } else if (c <= 200) {
      this.clearWatchdog();
      // Not a drop: an attempt ended without a link. Reported from the second in a row (the first
      // may be the old attempt's end after `use`).
      if (!this.linkDropped() && this.retry === undefined && this.attempt > 0) this.onFailed();
      this.scheduleRetry();
    }
  }

  /** The link was up and is not: counted and reported. False when it was not up. */
  private linkDropped(): boolean {
    if (!this.up) return false;
    this.up = false;
    this.drops++;
    this.onLink(false, "");
    return true;
  }

  private connect(): void {
    const w = this.wifi;
    if (w === null) return;
    try {
      w.connect(this.password !== "" ? { SSID: this.ssid, password: this.password } : { SSID: this.ssid });
    } catch {
      this.failures++; // "already connecting" or "connect failed": try again later
      this.scheduleRetry();
      return;
    }
    this.clearWatchdog();
    this.watchdog = Timer.set(() => {
      this.watchdog = undefined;
      this.faults.guard("wifi.watchdog", () => {
        if (this.up || this.wifi === null) return;
        this.failures++;
        this.onFailed();
        try {
          this.wifi.disconnect();
        } catch {
          // nothing to disconnect
        }
        this.scheduleRetry();
      });
    }, CONNECT_TIMEOUT_MS);
  }

  private scheduleRetry(): void {
    if (this.retry !== undefined) return;
    const ceiling = Math.min(WIFI_BACKOFF_CAP_MS, WIFI_BACKOFF_BASE_MS * 2 ** Math.min(this.attempt, 16));
    this.attempt++;
    const delay = Math.max(200, Math.floor(this.random() * ceiling));
    this.retry = Timer.set(() => {
      this.retry = undefined;
      this.faults.guard("wifi.retry", () => this.connect());
    }, delay);
  }

  private clearWatchdog(): void {
    if (this.watchdog !== undefined) {
      Timer.clear(this.watchdog);
      this.watchdog = undefined;
    }
  }
}
