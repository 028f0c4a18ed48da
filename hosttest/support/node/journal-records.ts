/**
 * Deterministic journal records for the file-journal tests: everything in a
 * record follows from its id, so a reader can tell a record that was
 * replayed intact from one that was not.
 */
import type { JournalRecord } from "../../../src/core/outbox/journal-record";
import { MessageClass } from "../../../src/core/outbox/message-class";

export function recordFor(id: number): JournalRecord {
  const payload = new Uint8Array(id % 53);
  for (let i = 0; i < payload.length; i++) payload[i] = (id * 31 + i * 7) & 0xff;
  return {
    id,
    cls: id % 3 === 0 ? MessageClass.ALERT : MessageClass.TRANSACTION,
    topic: `paycard/term_${id % 7}/${id % 3 === 0 ? "alerts" : "tx"}`,
    payload,
    requestId: `term_${id % 7}-1-${id.toString(36)}`,
    enqueuedAt: 1_767_000_000_000 + id * 1000,
  };
}

/** Whether `r` is exactly what recordFor(r.id) produces. */
export function isIntact(r: JournalRecord): boolean {
  const want = recordFor(r.id);
  if (r.cls !== want.cls || r.topic !== want.topic || r.requestId !== want.requestId || r.enqueuedAt !== want.enqueuedAt) return false;
  if (r.payload.length !== want.payload.length) return false;
  for (let i = 0; i < want.payload.length; i++) if (r.payload[i] !== want.payload[i]) return false;
  return true;
}
