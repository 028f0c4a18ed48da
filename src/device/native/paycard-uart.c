/*
 * paycard: bytes written to the serial console as they are, for Improv serial's binary frames
 * (src/core/settings/improv-frame.ts) on the UART that carries the console and the log. trace()
 * cannot send them: it writes a string and stops at its first zero byte, and a frame's data may
 * hold zeros. The SDK's console module (modules/base/console/modConsole.c, xs_console_write) does
 * the same.
 *
 * JavaScript (src/device/uart-write.ts): xs_paycard_uart_write(bytes) writes every byte of a
 * Uint8Array (or ArrayBuffer). On the ESP32, in one ESP_put: the SDK's debugger UART driver
 * (build/devices/esp32/lib/debugger), which trace's characters go through too, so a frame is never
 * cut by a log line. On lin (the simulator), to stdout, where trace's printf goes, flushed at once.
 */
#include "xsmc.h"
#if ESP32
#include "xsHost.h"
#else
#include <stdio.h>
#endif

void xs_paycard_uart_write(xsMachine *the)
{
	void *data;
	xsUnsignedValue count;

	/* The buffer's address is valid only until the next allocation: nothing allocates below. */
	xsmcGetBufferReadable(xsArg(0), &data, &count);
#if ESP32
	ESP_put((uint8_t *)data, (int)count);
#else
	fwrite(data, 1, count, stdout);
	fflush(stdout);
#endif
}
