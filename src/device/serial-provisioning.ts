import Timer from "timer";
import { MAX_CONSOLE_LINE } from "../core/settings/console-command";
import { ImprovSerialReader } from "../core/settings/improv-frame";
import { type ImprovDeviceInfo, ImprovProvisioner } from "../core/settings/improv-provisioner";
import type { SettingsConsole } from "../core/settings/settings-console";
import type { Faults } from "./faults";
import { uartWrite } from "./uart-write";

/** The station the board brings up (the ESP32's WifiManager); none on lin. */
export interface WifiStation {
  /** Connects with these credentials now, in place of any others; the outcome comes back through wifiUp/wifiFailed. */
  use(ssid: string, password: string): void;
}

/**
 * What arrives on the serial console, split (ImprovSerialReader): console lines go to the terminal
 * (JSON swipes, settings commands), Improv serial frames to the provisioner, whose answers go back
 * on the same UART as binary (uart-write.ts). Credentials it receives are stored by the settings
 * console's rules (`SettingsConsole.storeWifi`: locked like `set`) and then used at once: on the
 * ESP32 by the board's Wi-Fi station, whose link then makes the state Provisioned or Ready; on lin
 * by nobody (the simulator is on the host's network): there a terminal is Provisioned once Wi-Fi
 * settings are stored on it, at once or at its next start. The log says what happened in `improv:`
 * lines, never the password.
 */
export class SerialProvisioning {
  readonly provisioner: ImprovProvisioner;
  readonly reader: ImprovSerialReader;
  private station: WifiStation | null = null;
  private trying = "";

  constructor(
    private readonly info: ImprovDeviceInfo,
    private readonly settings: SettingsConsole,
    onLine: (line: string) => void,
    private readonly faults: Faults,
    /** Without a station (lin): Wi-Fi settings are stored on this terminal. With one, its link says. */
    provisioned: boolean,
  ) {
    const provisioner = (this.provisioner = new ImprovProvisioner(
      { write: (frame) => uartWrite(frame), storeWifi: (ssid, password) => this.storeWifi(ssid, password) },
      info,
      provisioned,
    ));
    this.reader = new ImprovSerialReader(
      {
        onLine: (line) => faults.guard("console line", () => onLine(line)),
        onFrame: (type, data) => faults.guard("improv frame", () => provisioner.onFrame(type, data)),
        onBadFrame: (why) => {
          trace(`improv: bad frame (${why}): answered invalid packet\n`);
          provisioner.onBadFrame();
        },
      },
      MAX_CONSOLE_LINE,
    );
  }

  /** Bytes from the serial console (or the console file on lin). */
  push(bytes: Uint8Array): void {
    this.reader.push(bytes);
  }

  /** The board's Wi-Fi station, once the board is up (ESP32). */
  attachStation(station: WifiStation): void {
    this.station = station;
  }

  wifiUp(): void {
    if (this.trying !== "") {
      trace(`improv: provisioned: terminal ${this.info.name} on Wi-Fi ${this.trying}\n`);
      this.trying = "";
    }
    this.provisioner.wifiUp();
  }

  wifiDown(): void {
    this.provisioner.wifiDown();
  }

  /** The credentials being tried did not connect. */
  wifiFailed(): void {
    if (this.trying === "") return;
    trace(`improv: Wi-Fi ${this.trying} did not connect: answered unable to connect\n`);
    this.trying = "";
    this.provisioner.wifiFailed();
  }

  private storeWifi(ssid: string, password: string): string | null {
    const refused = this.settings.storeWifi(ssid, password);
    if (refused !== null) {
      trace(`improv: Wi-Fi settings refused: ${refused}\n`);
      return refused;
    }
    this.trying = ssid;
    const station = this.station;
    trace(`improv: Wi-Fi settings stored (ssid ${ssid}); ${station === null ? "the simulator is on the host's network" : "connecting"}\n`);
    // After the provisioner has said Provisioning: the outcome is its next frame.
    Timer.set(() => this.faults.guard("improv wifi", () => (station === null ? this.wifiUp() : station.use(ssid, password))), 0);
    return null;
  }
}
