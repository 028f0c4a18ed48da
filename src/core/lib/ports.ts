/**
 * What the core needs from the platform, injected: the core itself touches
 * no clock, no random source and no storage.
 */

/** Persistent boot counter (NVS Preference on the device, a small file on the host). */
export interface BootCounterPort {
  /** Increments the persisted counter and returns the new value, or null when storage failed. */
  nextBoot(): number | null;
}

/** Uniform random 32-bit unsigned integers (hardware RNG on the ESP32). */
export interface RandomPort {
  nextUint32(): number;
}

/**
 * UTF-8 encoding done by the platform (optional): `ArrayBuffer.fromString`
 * on the device, `TextEncoder` on the host. On XS a per-character loop in JS
 * costs ~90 steps a character, a whole payload ~33 000; the core's own
 * encoder (src/core/lib/utf8.ts) is the fallback. Only ever given
 * well-formed strings (JSON.stringify output).
 */
export interface Utf8EncoderPort {
  encode(s: string): Uint8Array;
}
