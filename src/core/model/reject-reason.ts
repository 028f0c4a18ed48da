import { enumValues, zeroCounts } from "../lib/enum-values";

/**
 * Why a swipe was refused. Every code is counted and emitted on the
 * `rejects` output; none of them throws.
 */
export const RejectReason = Object.freeze({
  /** The line or message could not be parsed as JSON at all. */
  MALFORMED_JSON: "MALFORMED_JSON",
  NOT_AN_OBJECT: "NOT_AN_OBJECT",
  MISSING_FIELD: "MISSING_FIELD",
  WRONG_TYPE: "WRONG_TYPE",
  EMPTY_STRING: "EMPTY_STRING",
  STRING_TOO_LONG: "STRING_TOO_LONG",
  BAD_CHARACTERS: "BAD_CHARACTERS",
  CARD_NUMBER_IN_CARD_HASH: "CARD_NUMBER_IN_CARD_HASH",
  AMOUNT_NOT_INTEGER: "AMOUNT_NOT_INTEGER",
  AMOUNT_NOT_POSITIVE: "AMOUNT_NOT_POSITIVE",
  AMOUNT_TOO_LARGE: "AMOUNT_TOO_LARGE",
  BAD_CURRENCY: "BAD_CURRENCY",
  LAT_OUT_OF_RANGE: "LAT_OUT_OF_RANGE",
  LON_OUT_OF_RANGE: "LON_OUT_OF_RANGE",
  BAD_TIME: "BAD_TIME",
  EVENT_TIME_IN_FUTURE: "EVENT_TIME_IN_FUTURE",
  DUPLICATE_TRANSACTION: "DUPLICATE_TRANSACTION",
} as const);

export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export const REJECT_REASONS: readonly RejectReason[] = enumValues(RejectReason);

/** Counters per reject reason, all present from the start. */
export type RejectCounts = Record<RejectReason, number>;

export function createRejectCounts(): RejectCounts {
  return zeroCounts(REJECT_REASONS);
}
