import { codeUnitAt } from "../lib/string-scan";

/**
 * Guards the rule "never a card number, only card_hash": a card_hash made of
 * 13 to 19 digits (dashes allowed) that passes the Luhn check is a primary
 * account number typed into the wrong field.
 *
 * Scans left to right and stops at the first character that is neither a
 * digit nor a dash, so ordinary hashes cost a character or two. Luhn sums
 * are kept for both parities and chosen once the digit count is known.
 */
export function looksLikeCardNumber(s: string): boolean {
  let digits = 0;
  let sumIfEven = 0; // Luhn sum when this digit has even distance from the right end
  let sumIfOdd = 0;
  for (let i = 0; ; i++) {
    const c = codeUnitAt(s, i);
    if (c !== c) break;
    if (c === 45) continue; // dash
    if (c < 48 || c > 57) return false;
    if (++digits > 19) return false;
    const d = c - 48;
    // Stryker disable next-line EqualityOperator: d * 2 is even, never 9: > and >= agree
    const doubled = d * 2 > 9 ? d * 2 - 9 : d * 2;
    // For a digit at index k (0-based from the left) in an n-digit number, it is
    // doubled when (n - 1 - k) is odd. Track both outcomes of n's parity.
    if (digits % 2 === 1) {
      sumIfEven += doubled; // k even: doubled when n is even
      sumIfOdd += d;
    } else {
      sumIfEven += d;
      sumIfOdd += doubled;
    }
  }
  if (digits < 13) return false;
  return (digits % 2 === 0 ? sumIfEven : sumIfOdd) % 10 === 0;
}
