/**
 * Slot numbers of a fixed-capacity table (0..capacity, and -1): 16-bit where they fit, else
 * 32-bit. Typed arrays are chunks on XS's heap, and the ESP32 has ~48 KB of them: a terminal's
 * tables (a few dozen slots each) take half the bytes this way.
 */
export type SlotArray = Int16Array | Int32Array;

/** A SlotArray of `length` entries for slot numbers up to `capacity`. */
export function slotArray(length: number, capacity: number): SlotArray {
  return capacity <= 0x7fff ? new Int16Array(length) : new Int32Array(length);
}
