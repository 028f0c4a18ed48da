/**
 * What the terminal answers the card reader for one swipe: something a
 * reader can show. Every decline and rejection is also counted.
 */
export const SwipeDecision = Object.freeze({
  /** Accepted: processed and queued for publishing (journaled). */
  ACCEPTED: "ACCEPTED",
  /** Accepted, held until the clock's first sync, then back-dated, processed and published. */
  ACCEPTED_PENDING_TIME: "ACCEPTED_PENDING_TIME",
  /** Invalid or duplicate swipe; `reason` names the reject reason. */
  REJECTED: "REJECTED",
  /** Declined: the outbox cannot take another transaction (offline too long). Try again later. */
  DECLINED_BACKPRESSURE: "DECLINED_BACKPRESSURE",
  /** Declined: no clock sync yet and the holding queue is full. */
  DECLINED_CLOCK_UNSYNCED: "DECLINED_CLOCK_UNSYNCED",
  /** Declined: the journal could not store the transaction. */
  DECLINED_STORAGE: "DECLINED_STORAGE",
  /** Declined: an internal error was caught (a bug; counted). */
  DECLINED_ERROR: "DECLINED_ERROR",
} as const);

export type SwipeDecision = (typeof SwipeDecision)[keyof typeof SwipeDecision];

/** The answer to one swipe (the app reuses one object: copy what you keep). */
export interface SwipeAnswer {
  decision: SwipeDecision;
  /** Reject reason or a short explanation of a decline; "" when accepted. */
  reason: string;
  /** Request id of an accepted swipe, "" otherwise (and while pending time). */
  requestId: string;
}
