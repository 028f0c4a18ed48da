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
