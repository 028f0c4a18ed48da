import { charCodeAtFn } from "./string-scan";

/** Code units a hash reads at most: the last SAMPLE_TAIL, and two from the part before them. */
const SAMPLE_TAIL = 6;

/**
 * 32-bit polynomial hash (h * 31 + code unit) of the `n`-code-unit string `s`: its length and
 * at most 8 code units, all of a short string, else two from its first part (at n/4 and n/2)
 * and its last six, where identifiers differ (sequence numbers, the digits of a digest). Equal
 * strings hash equal; what it does not read only makes collisions likelier, and the tables
 * that use it (string-slot-index.ts) compare the strings themselves. On XS each code unit read
 * in JavaScript costs ~25 steps: hashing every one of an id cost a swipe ~700 steps.
 * Allocation-free (see string-scan.ts). The validator hashes with it as it accepts an id.
 */
export function hashOfLength(s: string, n: number): number {
  let h = n;
  let i = 0;
  if (n > SAMPLE_TAIL + 2) {
    h = (h * 31 + charCodeAtFn.call(s, n >> 2)) | 0;
    h = (h * 31 + charCodeAtFn.call(s, n >> 1)) | 0;
    i = n - SAMPLE_TAIL;
  }
  for (; i < n; i++) h = (h * 31 + charCodeAtFn.call(s, i)) | 0;
  return h >>> 0;
}

/** hashOfLength of `s`: the hash string-slot-index.ts's tables expect. */
export function hashString(s: string): number {
  return hashOfLength(s, s.length);
}
