/** The payment schema's fields a swipe has as it arrives and once validated. There is never a card number: only `card_hash`. */
export interface SwipeFields {
  transaction_id: string;
  card_hash: string;
  terminal_id: string;
  merchant_id: string;
  amount_cents: number;
  currency: string;
}

/**
 * A validated card swipe, in the payment schema's field names.
 * Times are milliseconds since the Unix epoch (UTC).
 */
export interface Swipe extends SwipeFields {
  lat: number;
  lon: number;
  /** Event time: when the card was swiped. */
  timestamp: number;
  /** Processing time: when the terminal handled or sent it. */
  terminal_time: number;
}

export function createEmptySwipe(): Swipe {
  // Stryker disable ObjectLiteral,StringLiteral: placeholders: every field is written before it is read; the literal gives the object its shape once
  return {
    transaction_id: "",
    card_hash: "",
    terminal_id: "",
    merchant_id: "",
    amount_cents: 0,
    currency: "",
    lat: 0,
    lon: 0,
    timestamp: 0,
    terminal_time: 0,
  };
  // Stryker restore ObjectLiteral,StringLiteral
}
