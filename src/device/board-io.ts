/**
 * The ESP32 board's wiring to the terminal: its three buttons, the Wi-Fi and the serial console's
 * bytes (lines and Improv frames), each under the fault guard. esp32-platform.ts is loaded dynamically (it does not exist
 * in the lin build); a build without it says so and runs on without board IO.
 */
import type { DeviceConfig } from "../core/settings/device-config";
import type { Board } from "./esp32-platform";
import type { Faults } from "./faults";

/** What the board drives. */
export interface BoardTerminal {
  readonly faults: Faults;
  readonly random: { nextUint32(): number };
  normalSwipe(source: string): void;
  cardTest(source: string): void;
  bigTicket(source: string): void;
  onWifi(up: boolean, address: string): void;
  onWifiFailed(): void;
  consoleBytes(bytes: Uint8Array): void;
  attachBoard(board: Board): void;
}

export function startBoardIo(term: BoardTerminal, d: DeviceConfig["device"]): void {
  import("./esp32-platform").then(
    (m) => {
      term.faults.guard("board", () => {
        const board = m.startBoard({
          pins: d.pins,
          wifiSsid: d.wifiSsid,
          wifiPassword: d.wifiPassword,
          serialConsole: d.serialConsole,
          faults: term.faults,
          random: () => term.random.nextUint32() / 4294967296,
          onSwipeButton: () => term.faults.guard("swipe button", () => term.normalSwipe("button")),
          onCardTestButton: () => term.faults.guard("card test button", () => term.cardTest("button")),
          onBigTicketButton: () => term.faults.guard("big ticket button", () => term.bigTicket("button")),
          onWifi: (up, address) => term.faults.guard("wifi", () => term.onWifi(up, address)),
          onWifiFailed: () => term.faults.guard("wifi failed", () => term.onWifiFailed()),
          onConsoleBytes: (bytes) => term.faults.guard("console", () => term.consoleBytes(bytes)),
        });
        term.attachBoard(board);
        if (d.wifiSsid === "") trace("paycard: no wifiSsid configured: offline terminal (swipes are journaled); set it over Improv (the web installer) or with set wifiSsid=...\n");
        trace(`paycard: ready (buttons on GPIO ${d.pins.swipe}/${d.pins.cardTest}/${d.pins.bigTicket}${d.serialConsole ? ", JSON swipes, commands and Improv Wi-Fi provisioning on the serial console" : ""})\n`);
      });
    },
    (e: unknown) => {
      term.faults.report("board module", e);
      trace("paycard: ready (no board IO: buttons, LEDs, Wi-Fi and console unavailable)\n");
    },
  );
}
