import type { RandomPort } from "../core/lib/ports";

/** On the ESP32, Math.random() is the hardware random number generator. */
export class HardwareRandom implements RandomPort {
  nextUint32(): number {
    return Math.floor(Math.random() * 4294967296) >>> 0;
  }
}
