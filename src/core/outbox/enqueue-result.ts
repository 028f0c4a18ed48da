/**
 * What `Outbox.enqueue` answered. None of them throws; every one is counted.
 */
export const EnqueueResult = Object.freeze({
  /** Accepted (and, for alerts and transactions, journaled). */
  ACCEPTED: "ACCEPTED",
  /**
   * Accepted after dropping queued telemetry, oldest first, to make room;
   * the receipt says how many (each counted as dropped telemetry).
   */
  ACCEPTED_EVICTED_TELEMETRY: "ACCEPTED_EVICTED_TELEMETRY",
  /**
   * Transaction accepted into the journal's backlog in storage (store and
   * forward: the outbox's RAM is full, or older transactions wait there);
   * it is sent after them.
   */
  ACCEPTED_TO_BACKLOG: "ACCEPTED_TO_BACKLOG",
  /** Alert or transaction refused: the message-count bound is reached. Hold or decline. */
  BACKPRESSURE_COUNT: "BACKPRESSURE_COUNT",
  /** Alert or transaction refused: the byte bound is reached. Hold or decline. */
  BACKPRESSURE_BYTES: "BACKPRESSURE_BYTES",
  /** Transaction refused: RAM is full and so is the backlog's storage. Decline. */
  BACKLOG_FULL: "BACKLOG_FULL",
  /** Telemetry refused for lack of room (policy drop-newest, or nothing left to drop); counted. */
  TELEMETRY_DROPPED: "TELEMETRY_DROPPED",
  /** The message alone is larger than its class may ever hold; retrying cannot help. */
  REJECTED_TOO_LARGE: "REJECTED_TOO_LARGE",
  /** The journal could not store the alert or transaction: nothing was accepted. */
  JOURNAL_FAILED: "JOURNAL_FAILED",
  /** Bad class, topic (empty, wildcard, lone surrogate, > 65535 bytes) or request id. */
  INVALID_MESSAGE: "INVALID_MESSAGE",
} as const);

export type EnqueueResult = (typeof EnqueueResult)[keyof typeof EnqueueResult];

/** What an accepted enqueue did, in a caller-owned object (the clock's `read(out)` style). */
export interface EnqueueReceipt {
  /** The message's outbox id; 0 when the enqueue was refused. */
  id: number;
  /** Queued telemetry dropped to make room. */
  evicted: number;
}

export function createEnqueueReceipt(): EnqueueReceipt {
  return { id: 0, evicted: 0 };
}

export function isAccepted(r: EnqueueResult): boolean {
  return r === EnqueueResult.ACCEPTED || r === EnqueueResult.ACCEPTED_EVICTED_TELEMETRY || r === EnqueueResult.ACCEPTED_TO_BACKLOG;
}

export function isBackpressure(r: EnqueueResult): boolean {
  return r === EnqueueResult.BACKPRESSURE_COUNT || r === EnqueueResult.BACKPRESSURE_BYTES || r === EnqueueResult.BACKLOG_FULL;
}
