import type { JournalPort } from "./journal-port";
import type { JournalRecord } from "./journal-record";

/** What `appendToBacklog` did. */
export const BacklogAppend = Object.freeze({
  /** Durable in storage, waiting there until `takeBacklog`. */
  STORED: "STORED",
  /** Storage is full: nothing was written. */
  FULL: "FULL",
  /** Storage failed: nothing that could be replayed was written. */
  FAILED: "FAILED",
} as const);
export type BacklogAppend = (typeof BacklogAppend)[keyof typeof BacklogAppend];

/**
 * A journal that is also the store-and-forward backlog: transactions the
 * outbox has no RAM for wait in storage, in id order, and come back one at a
 * time when there is room (src/core/outbox/segmented-journal.ts). The
 * outbox holds only the messages it is about to send; the backlog costs RAM
 * the same whether it holds ten transactions or two thousand.
 *
 * Order: once anything waits in the backlog, every new transaction goes to
 * the backlog too (`append` of a transaction is refused then), so the
 * transactions leave in the order they were accepted.
 */
export interface BacklogJournalPort extends JournalPort {
  /** Stores a transaction the outbox does not hold in RAM; durable when STORED. */
  appendToBacklog(record: JournalRecord): BacklogAppend;
  /** Whether a transaction of `messageBytes` (payload and topic) and a request id of up to 64 bytes would be stored now. */
  backlogHasRoom(messageBytes: number): boolean;
  /** Transactions waiting in storage. */
  readonly backlogCount: number;
  /** The oldest waiting transaction, read from storage (kept until taken); null when none. */
  peekBacklog(): JournalRecord | null;
  /** Takes the oldest waiting transaction: the outbox holds it in RAM from now on. */
  takeBacklog(): JournalRecord | null;
}

export function isBacklogJournal(j: JournalPort): j is BacklogJournalPort {
  return typeof (j as Partial<BacklogJournalPort>).appendToBacklog === "function";
}
