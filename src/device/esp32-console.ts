import Timer from "timer";
import type { Faults } from "./faults";

const receive = native("xs_console_receive") as () => number | undefined;

export const POLL_MS = 30;

/**
 * ESP32 only (excluded from the lin build by src/device/manifest.json): the serial console's bytes
 * (UART0), handed on every POLL_MS to SerialProvisioning, which splits them into console lines
 * (JSON swipes, settings commands) and Improv serial frames, e.g.
 *   {"transaction_id":"t1","card_hash":"abc123","amount_cents":1250}
 *
 * How: the ESP32 runtime installs the UART0 driver itself
 * (build/devices/esp32/lib/debugger/debugger_uart.c, setupDebugger), so
 * `embedded:io/serial` cannot open port 0 ("port in use", and pins 1/3 are
 * marked used). In instrumented (-i) builds (build:esp32, flash, the web
 * installer's image) nothing else reads UART0's receive buffer; `ESP_getc()`
 * returns one byte or -1 without blocking. A release build without -i links
 * the SDK's debugger_none.c instead, where ESP_getc and ESP_put do nothing:
 * no console, no log, no Improv. The SDK's console module exposes exactly that as the host
 * function `xs_console_receive` (modules/base/console/modConsole.c, which
 * src/device/manifest.json compiles in for esp32); `native()` binds it here without
 * the rest of that module (its CLI). It returns the byte or undefined.
 *
 * Not in debug (-d) builds: there xsbug's protocol owns UART0 and reading it
 * would steal its bytes. Set serialConsole=false for a debug build.
 */
export class SerialConsole {
  /** The driver's receive buffer holds 256 bytes: one poll reads at most two of them. */
  private readonly chunk = new Uint8Array(256);
  private readonly timer: Timer;
  bytes = 0;

  constructor(
    private readonly onBytes: (bytes: Uint8Array) => void,
    faults: Faults,
  ) {
    this.timer = Timer.repeat(() => faults.guard("console", () => this.poll()), POLL_MS);
  }

  private poll(): void {
    const chunk = this.chunk;
    for (let round = 0; round < 2; round++) {
      let n = 0;
      while (n < chunk.length) {
        const c = receive();
        if (c === undefined) break;
        chunk[n++] = c;
      }
      if (n > 0) {
        this.bytes += n;
        this.onBytes(chunk.subarray(0, n));
      }
      if (n < chunk.length) return;
    }
  }

  close(): void {
    Timer.clear(this.timer);
  }
}
