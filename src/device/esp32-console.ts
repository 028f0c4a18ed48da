import Timer from "timer";
import { MAX_CONSOLE_LINE } from "../core/settings/console-command";
import type { Faults } from "./faults";

const receive = native("xs_console_receive") as () => number | undefined;

export const POLL_MS = 30;

/**
 * ESP32 only (excluded from the lin build by src/device/manifest.json): JSON swipes
 * typed on the serial console, one per line, e.g.
 *   {"transaction_id":"t1","card_hash":"abc123","amount_cents":1250}
 *
 * How: the ESP32 runtime installs the UART0 driver itself
 * (build/devices/esp32/lib/debugger/debugger_uart.c, setupDebugger), so
 * `embedded:io/serial` cannot open port 0 ("port in use", and pins 1/3 are
 * marked used). In instrumented (-i) and release builds nothing else reads
 * UART0's receive buffer; `ESP_getc()` returns one byte or -1 without
 * blocking. The SDK's console module exposes exactly that as the host
 * function `xs_console_receive` (modules/base/console/modConsole.c, which
 * src/device/manifest.json compiles in for esp32); `native()` binds it here without
 * the rest of that module (its CLI). It returns the byte or undefined.
 *
 * Not in debug (-d) builds: there xsbug's protocol owns UART0 and reading it
 * would steal its bytes. Set serialConsole=false for a debug build.
 */
export class SerialConsole {
  private line = "";
  private overflow = false;
  private readonly timer: Timer;
  lines = 0;
  dropped = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    faults: Faults,
  ) {
    this.timer = Timer.repeat(() => faults.guard("console", () => this.poll()), POLL_MS);
  }

  private poll(): void {
    // The driver keeps 256 bytes: drain them all each time.
    for (let n = 0; n < 512; n++) {
      const c = receive();
      if (c === undefined) return;
      if (c === 10 || c === 13) {
        const text = this.line;
        this.line = "";
        if (this.overflow) {
          this.overflow = false;
          this.dropped++;
          continue;
        }
        if (text.trim() === "") continue;
        this.lines++;
        this.onLine(text);
      } else if (this.line.length >= MAX_CONSOLE_LINE) {
        this.overflow = true;
      } else if (c >= 32 && c < 127) {
        this.line += String.fromCharCode(c);
      }
    }
  }

  close(): void {
    Timer.clear(this.timer);
  }
}
