import type { JournalRecord } from "./journal-record";

/**
 * Durable storage of the outbox's alerts and transactions. The host
 * implementation is an append-only file (src/host/file-journal.ts), the
 * device one will sit on littlefs; tests and the simulator use
 * MemoryJournal. All share the record encoding of journal-record-codec.
 *
 * Contract:
 * - `append` returns only once the record is durable (as durable as the
 *   implementation promises); false means it is not stored, and then no trace
 *   of it may be replayed later (the implementation rolls back a partial write).
 * - `remove` marks a record acknowledged. Losing a removal in a crash is
 *   allowed: the record is then replayed and published again (at-least-once).
 * - `replay` returns the live records (appended, not removed) in id order.
 *   It is called once at start, before any append, and discards any torn or
 *   corrupt tail of the storage.
 */
export interface JournalPort {
  /** Stores a record durably; false when storage failed (nothing stored). */
  append(record: JournalRecord): boolean;
  /** Marks the record with this id acknowledged; false when storage failed. */
  remove(id: number): boolean;
  /** Live records in increasing id order. */
  replay(): JournalRecord[];
  /**
   * The highest id ever appended (live or removed) that the storage still
   * remembers, 0 if none: the outbox numbers new messages above it.
   */
  highestId(): number;
  /** Rewrites the storage with only the live records (optional). */
  compact?(): void;
  /**
   * True for storage whose appends are not durable one by one (group
   * commit): its owner must call `flush` before it relies on them.
   */
  readonly groupCommit?: boolean;
  /** Group commit: makes every append so far durable; false when that failed. */
  flush?(): boolean;
}
