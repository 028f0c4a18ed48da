/**
 * ESP32 only: everything the simulator does not have, in one module that
 * main.ts imports dynamically when config.boardIo is true. src/device/manifest.json
 * leaves the esp32-* modules out of the lin build (their imports,
 * embedded:io/digital, embedded:network/interface/wifi and the console's
 * native function, exist only on the ESP32).
 */
import { SerialConsole } from "./esp32-console";
import { DebouncedButton, LedPins } from "./esp32-board";
import { WifiManager } from "./esp32-wifi";
import type { Faults } from "./faults";
import type { WifiStation } from "./serial-provisioning";
import type { Led } from "./status-leds";

export interface BoardOptions {
  pins: { swipe: number; cardTest: number; bigTicket: number; ledGreen: number; ledYellow: number; ledRed: number };
  wifiSsid: string;
  wifiPassword: string;
  serialConsole: boolean;
  faults: Faults;
  random: () => number;
  onSwipeButton(): void;
  /** Card test: called on release (the burst starts after the button is let go). */
  onCardTestButton(): void;
  onBigTicketButton(): void;
  onWifi(up: boolean, address: string): void;
  /** An attempt to connect ended without a link. */
  onWifiFailed(): void;
  /** The serial console's bytes (console lines and Improv frames). */
  onConsoleBytes(bytes: Uint8Array): void;
}

export interface Board {
  leds: LedPins;
  wifi: WifiManager | null;
  /** Connects with other credentials now: the station made if there was none (wifiSsid was empty). */
  station: WifiStation;
  console: SerialConsole | null;
  buttons: DebouncedButton[];
}

/** LEDs first (so they can show state at once), then buttons, Wi-Fi, console. */
export function startBoard(o: BoardOptions): Board {
  const leds = new LedPins(o.pins.ledGreen, o.pins.ledYellow, o.pins.ledRed);
  const none = () => {};
  const buttons = [
    new DebouncedButton("swipe", o.pins.swipe, o.onSwipeButton, none, o.faults),
    new DebouncedButton("card test", o.pins.cardTest, none, o.onCardTestButton, o.faults),
    new DebouncedButton("big ticket", o.pins.bigTicket, o.onBigTicketButton, none, o.faults),
  ];
  const board: Board = {
    leds,
    wifi: null,
    station: {
      use(ssid, password) {
        if (board.wifi === null) {
          board.wifi = new WifiManager(ssid, password, o.random, o.onWifi, o.onWifiFailed, o.faults);
          board.wifi.start();
        } else {
          board.wifi.use(ssid, password);
        }
      },
    },
    console: null,
    buttons,
  };
  if (o.wifiSsid !== "") board.station.use(o.wifiSsid, o.wifiPassword);
  if (o.serialConsole) board.console = new SerialConsole(o.onConsoleBytes, o.faults);
  return board;
}

export type { Led };
