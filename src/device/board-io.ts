/**
 * The ESP32 board's wiring to the terminal: its three buttons, the Wi-Fi and the serial console's
 * lines, each under the fault guard. esp32-platform.ts is loaded dynamically (it does not exist
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
  consoleLine(line: string): void;
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
          onConsoleLine: (line) => term.faults.guard("console line", () => term.consoleLine(line)),
        });
        term.attachBoard(board);
        if (d.wifiSsid === "") trace("paycard: no wifiSsid configured: offline terminal (swipes are journaled)\n");
        trace(`paycard: ready (buttons on GPIO ${d.pins.swipe}/${d.pins.cardTest}/${d.pins.bigTicket}${d.serialConsole ? ", JSON swipes on the serial console" : ""})\n`);
      });
    },
    (e: unknown) => {
      term.faults.report("board module", e);
      trace("paycard: ready (no board IO: buttons, LEDs, Wi-Fi and console unavailable)\n");
    },
  );
}
