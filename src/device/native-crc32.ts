/**
 * The journal's CRC-32 in C (src/device/native/paycard-crc32.c, compiled into the firmware by
 * src/device/manifest.json): the same function as src/core/lib/crc32.ts, one host call instead of
 * ~28 XS steps a byte (~13 500 for a transaction's frame). Frames the firmware writes with it are
 * read back by the JavaScript codec in the lin suite (hosttest/node/lin-simulator.test.ts).
 *
 * Not preloaded: `native()` binds the C function when this module loads, which a preload cannot do.
 */
export const nativeCrc32 = native("xs_paycard_crc32") as (bytes: Uint8Array, start: number, end: number, crc?: number) => number;
