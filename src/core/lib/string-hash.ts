import { codeUnitAt } from "./string-scan";

/**
 * 32-bit polynomial string hash (h * 31 + code unit), allocation-free on XS.
 * The validator computes the same hash while it scans a transaction id.
 */
export function hashString(s: string): number {
  let h = 0;
  for (let i = 0; ; i++) {
    const c = codeUnitAt(s, i);
    if (c !== c) return h >>> 0;
    h = (h * 31 + c) | 0;
  }
}
