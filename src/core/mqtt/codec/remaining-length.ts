/**
 * The fixed header's Remaining Length (section 2.2.3): a variable byte
 * integer, 7 bits per byte, least significant group first, high bit = "more
 * bytes follow", at most 4 bytes. Encoding always uses the minimum number of
 * bytes; the reader rejects longer forms (MQTT 5.0 makes that a MUST,
 * [MQTT-1.5.5-1]).
 */

export const MAX_REMAINING_LENGTH = 268435455;
export const MAX_REMAINING_LENGTH_BYTES = 4;

/** Bytes needed to encode `n` (1..4). Throws RangeError outside 0..MAX_REMAINING_LENGTH. */
export function remainingLengthSize(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_REMAINING_LENGTH) {
    throw new RangeError(`remaining length out of range: ${n}`);
  }
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  return 4;
}

/** Writes `n` at target[offset..]; returns the bytes written. Throws RangeError if out of range or no room. */
export function writeRemainingLength(n: number, target: Uint8Array, offset: number): number {
  const size = remainingLengthSize(n);
  if (offset < 0 || offset + size > target.length) throw new RangeError("remaining length target too short");
  let v = n;
  for (let k = 0; k < size; k++) {
    const digit = v % 0x80;
    v = Math.floor(v / 0x80);
    target[offset + k] = k + 1 < size ? digit | 0x80 : digit;
  }
  return size;
}

/** Outcome of feeding one byte to a RemainingLengthReader. */
export const RemainingLengthStep = Object.freeze({
  /** Continuation bit set: another byte is needed. */
  MORE: 0,
  /** Complete; `value` and `size` are valid. */
  DONE: 1,
  /** The 4th byte still has the continuation bit set. */
  TOO_LONG: 2,
  /** The last byte is 0 after a continuation: a non-minimal encoding. */
  NOT_MINIMAL: 3,
} as const);

export type RemainingLengthStep = (typeof RemainingLengthStep)[keyof typeof RemainingLengthStep];

/** Decodes a remaining length one byte at a time, so input may be fragmented anywhere. */
export class RemainingLengthReader {
  /** The value decoded so far (complete after DONE). */
  value = 0;
  /** Bytes consumed so far. */
  size = 0;
  private multiplier = 1;

  reset(): void {
    this.value = 0;
    this.size = 0;
    this.multiplier = 1;
  }

  push(byte: number): RemainingLengthStep {
    this.size++;
    const digit = byte & 0x7f;
    this.value += digit * this.multiplier;
    this.multiplier *= 0x80;
    if ((byte & 0x80) !== 0) {
      return this.size >= MAX_REMAINING_LENGTH_BYTES ? RemainingLengthStep.TOO_LONG : RemainingLengthStep.MORE;
    }
    if (digit === 0 && this.size > 1) return RemainingLengthStep.NOT_MINIMAL;
    return RemainingLengthStep.DONE;
  }
}
