export const AlertType = Object.freeze({
  /** Card testing: many (small) transactions on one card in a short window. */
  BURST_ATTACK: "BURST_ATTACK",
  /** An amount far outside what the merchant usually sees. */
  AMOUNT_ANOMALY: "AMOUNT_ANOMALY",
  /** The terminal's event time and processing time disagree by more than the limit. */
  CLOCK_DRIFT: "CLOCK_DRIFT",
} as const);
export type AlertType = (typeof AlertType)[keyof typeof AlertType];

/**
 * A detector's finding. Reused by each detector between calls: the consumer
 * copies what it keeps.
 */
export interface Alert {
  /** Deterministic: type + key + window end (or event identity), so a
   *  re-fired or replayed window yields the same id. */
  id: string;
  type: AlertType;
  keyField: string;
  key: string;
  /** Window end, or the event time for per-event detectors. */
  windowEnd: number;
  /** Event time the alert is about. */
  eventTime: number;
  /** A detector-specific figure: count, z-score, drift in ms. */
  value: number;
  detail: string;
  /** How sure the detector is, 0..1 (card testing: min(0.95, count / 20), as in the course); 0 where it gives none. */
  confidence: number;
  /** The transactions the alert is about, oldest first, at most MAX_ALERT_TRANSACTIONS (card testing: the window's swipes still in the ring). */
  transactionIds: string[];
}

/** Most transaction ids an alert carries. */
export const MAX_ALERT_TRANSACTIONS = 16;

/** `instance` is the window end, or the event's own id for per-event detectors. */
export function alertId(type: AlertType, key: string, instance: number | string): string {
  return type + ":" + key + ":" + instance;
}

export function createAlert(type: AlertType, keyField: string): Alert {
  // Stryker disable next-line StringLiteral,ArrayDeclaration: placeholders: every field is written before it is read; the literal gives the object its shape once (transactionIds is refilled by each detector that sends it)
  return { id: "", type, keyField, key: "", windowEnd: 0, eventTime: 0, value: 0, detail: "", confidence: 0, transactionIds: [] };
}
