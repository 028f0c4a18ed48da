/**
 * Guards the rule "never a card number, only card_hash": a card_hash made of
 * 13 to 19 digits (spaces or dashes allowed) that passes the Luhn check is a
 * primary account number typed into the wrong field.
 */
export function looksLikeCardNumber(s: string): boolean {
  let digits = 0;
  let sum = 0;
  // Walk from the right so the Luhn doubling position is known.
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 45) continue; // space, dash
    if (c < 48 || c > 57) return false;
    let d = c - 48;
    if (digits % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    digits++;
    if (digits > 19) return false;
  }
  return digits >= 13 && sum % 10 === 0;
}
