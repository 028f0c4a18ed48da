/**
 * UTF-8 over Uint8Array without TextEncoder/TextDecoder (not available on
 * every engine). Strings are JavaScript UTF-16; surrogate pairs map to 4-byte
 * sequences. Lone surrogates cannot be encoded; malformed input is not
 * decoded (no U+FFFD substitution). Code units are read with
 * `charCodeAtFn.call` (see string-scan.ts: no wrapper object per character on XS).
 */
import { charCodeAtFn } from "./string-scan";

/** Bytes needed to encode `s` as UTF-8, or -1 if `s` holds a lone surrogate. */
export function utf8ByteLength(s: string): number {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = charCodeAtFn.call(s, i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else if (c <= 0xdbff && i + 1 < len) {
      const d = charCodeAtFn.call(s, i + 1);
      if (d < 0xdc00 || d > 0xdfff) return -1;
      n += 4;
      i++;
    } else return -1;
  }
  return n;
}

/**
 * Writes `s` as UTF-8 into `target` from `offset`; returns the number of
 * bytes written. Throws RangeError on a lone surrogate or if `target` is too
 * short: callers size the target with `utf8ByteLength` first.
 */
export function writeUtf8(s: string, target: Uint8Array, offset: number): number {
  let p = offset;
  const len = s.length;
  const limit = target.length;
  for (let i = 0; i < len; i++) {
    let c = charCodeAtFn.call(s, i);
    if (c < 0x80) {
      if (p >= limit) throw new RangeError("UTF-8 target too short");
      target[p++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < len ? charCodeAtFn.call(s, i + 1) : 0;
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) throw new RangeError(`lone surrogate at index ${i}`);
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      i++;
    }
    if (c < 0x800) {
      if (p + 2 > limit) throw new RangeError("UTF-8 target too short");
      target[p++] = 0xc0 | (c >> 6);
      target[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      if (p + 3 > limit) throw new RangeError("UTF-8 target too short");
      target[p++] = 0xe0 | (c >> 12);
      target[p++] = 0x80 | ((c >> 6) & 0x3f);
      target[p++] = 0x80 | (c & 0x3f);
    } else {
      if (p + 4 > limit) throw new RangeError("UTF-8 target too short");
      target[p++] = 0xf0 | (c >> 18);
      target[p++] = 0x80 | ((c >> 12) & 0x3f);
      target[p++] = 0x80 | ((c >> 6) & 0x3f);
      target[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p - offset;
}

/** Code units collected before converting them to a string in one call. */
const FLUSH_AT = 512;

/**
 * Decodes bytes[start..end) as strict UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequences). Returns null
 * if the bytes are not well-formed. U+0000 is decoded; rejecting it is the
 * caller's business.
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | null {
  let out = "";
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      units.push(b0);
      i++;
    } else {
      let need: number;
      let cp: number;
      let lo = 0x80;
      let hi = 0xbf;
      if (b0 >= 0xc2 && b0 <= 0xdf) {
        need = 1;
        cp = b0 & 0x1f;
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        need = 2;
        cp = b0 & 0x0f;
        if (b0 === 0xe0) lo = 0xa0; // overlong
        else if (b0 === 0xed) hi = 0x9f; // surrogates
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        need = 3;
        cp = b0 & 0x07;
        if (b0 === 0xf0) lo = 0x90; // overlong
        else if (b0 === 0xf4) hi = 0x8f; // above U+10FFFF
      } else {
        return null; // continuation byte, C0/C1 overlong lead, or F5..FF
      }
      if (i + need >= end) return null; // truncated sequence
      const b1 = bytes[i + 1]!;
      if (b1 < lo || b1 > hi) return null;
      cp = (cp << 6) | (b1 & 0x3f);
      for (let k = 2; k <= need; k++) {
        const b = bytes[i + k]!;
        if (b < 0x80 || b > 0xbf) return null;
        cp = (cp << 6) | (b & 0x3f);
      }
      i += need + 1;
      if (cp < 0x10000) {
        units.push(cp);
      } else {
        cp -= 0x10000;
        units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      }
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: flushing in pieces only bounds fromCharCode.apply's argument count: the text is the same
    if (units.length >= FLUSH_AT) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: fromCharCode of nothing is "": the check only saves a call
  if (units.length > 0) out += String.fromCharCode.apply(null, units);
  return out;
}

/** `s` as a new UTF-8 byte array, or null if it holds a lone surrogate. */
export function encodeUtf8(s: string): Uint8Array | null {
  const n = utf8ByteLength(s);
  if (n < 0) return null;
  const out = new Uint8Array(n);
  writeUtf8(s, out, 0);
  return out;
}
