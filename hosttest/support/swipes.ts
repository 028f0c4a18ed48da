/** Builders of raw swipe records for the core suites (plain objects, as parsed from JSON). */
import type { RawSwipe } from "../../src/core/model/raw-swipe";

export const T0 = Date.UTC(2026, 0, 10, 14, 0, 0);

let counter = 0;

export function rawSwipe(over: Partial<RawSwipe> = {}): RawSwipe {
  counter++;
  const ts = typeof over.timestamp === "number" ? over.timestamp : T0;
  return {
    transaction_id: "txn-" + counter,
    card_hash: "hash_card_a",
    terminal_id: "term_1",
    merchant_id: "merch_grocery_001",
    amount_cents: 4523,
    currency: "USD",
    location: { lat: 40.7128, lon: -74.006 },
    timestamp: ts,
    terminal_time: ts + 300,
    ...over,
  };
}

export const fixedPorts = {
  bootCounter: { nextBoot: () => 7 },
  random: { nextUint32: () => 0x12345678 },
};
