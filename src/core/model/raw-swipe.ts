import type { SwipeFields } from "./swipe";

/** A raw swipe as it arrives from a reader, a console line or a JSONL file (payment schema names). */
export interface RawSwipe extends SwipeFields {
  location: { lat: number; lon: number };
  timestamp: number | string;
  terminal_time: number | string;
}

export function createRawSwipe(): RawSwipe {
  // Stryker disable ObjectLiteral,StringLiteral: placeholders: every field is written before it is read; the literal gives the object its shape once
  return {
    transaction_id: "", card_hash: "", terminal_id: "", merchant_id: "", amount_cents: 0, currency: "USD",
    location: { lat: 0, lon: 0 }, timestamp: 0, terminal_time: 0,
  };
  // Stryker restore ObjectLiteral,StringLiteral
}
