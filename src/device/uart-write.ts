/**
 * Binary bytes to the serial console (src/device/native/paycard-uart.c, compiled into the firmware
 * by src/device/manifest.json): Improv serial's frames, which trace() cannot send (it stops at a
 * zero byte). On the ESP32 the UART of the console and the log; on lin the simulator's stdout.
 *
 * Not preloaded: `native()` binds the C function when this module loads, which a preload cannot do.
 */
export const uartWrite = native("xs_paycard_uart_write") as (bytes: Uint8Array) => void;
