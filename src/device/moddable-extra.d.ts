/**
 * Declarations the npm @moddable/typings package lacks, written from the
 * Moddable SDK 8.2.3 source. Only what paycard uses.
 */

/**
 * ECMA-419 Wi-Fi station on the ESP32 (modules/io/wifi/esp32/wifi-esp32.js and
 * wifi-esp32.c; the SDK's own build/devices/esp32/setup/network.js uses it the
 * same way). @moddable/typings has no declaration for it.
 * - `connection`: 200 disconnected, 300 connecting, 400 associated without an
 *   IPv4 address, 500 has an address (the C getter: connected && ip == 0x03).
 * - `onChanged(property)` is called with "connection" or "address".
 * - `connect({SSID, password?, channel?})` throws "already connecting" while a
 *   connect is pending and "connect failed" when esp_wifi_connect fails; there
 *   is no automatic reconnection.
 */
declare module "embedded:network/interface/wifi" {
  class WiFi {
    constructor(options: { onChanged?: (this: WiFi, property: "connection" | "address") => void });
    connect(options: { SSID: string; password?: string; channel?: number }): void;
    disconnect(): void;
    close(): void;
    readonly connection: number;
    readonly address: string | undefined;
    readonly SSID: string | undefined;
    readonly RSSI: number | undefined;
  }
  export default WiFi;
}

/**
 * XS's `native("xs_function")` (xs/sources/xsSyntaxical.c): when xsc compiles
 * with -c (mcconfig always passes it for device and simulator builds), a call
 * of the identifier `native` with one string literal is replaced at compile
 * time by a host function bound to that C symbol, which the link step must
 * find. The SDK's own modules use it (modules/io/wifi/esp32/wifi-esp32.js).
 */
declare function native(name: string): (...args: unknown[]) => unknown;
