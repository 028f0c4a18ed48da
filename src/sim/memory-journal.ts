import { DecodedFrame, decodeFrame, encodeRecordFrame, FrameStatus } from "../core/outbox/journal-record-codec";
import type { JournalPort } from "../core/outbox/journal-port";
import type { JournalRecord } from "../core/outbox/journal-record";

/**
 * A JournalPort in memory, for tests and the Linux simulator. It keeps each
 * live record as its encoded frame and decodes it on replay, so restored
 * records are copies, as they would be from storage, and the codec is
 * exercised. Survives as long as the object does: build a new Outbox on the
 * same MemoryJournal to simulate a restart.
 *
 * `failAppends` / `failRemoves` make the next calls fail, to test the
 * outbox's handling of storage errors.
 */
export class MemoryJournal implements JournalPort {
  private readonly live = new Map<number, Uint8Array>();
  private maxId = 0;
  failAppends = false;
  failRemoves = false;
  appends = 0;
  removes = 0;

  append(record: JournalRecord): boolean {
    if (this.failAppends) return false;
    this.live.set(record.id, encodeRecordFrame(record));
    if (record.id > this.maxId) this.maxId = record.id;
    this.appends++;
    return true;
  }

  remove(id: number): boolean {
    if (this.failRemoves) return false;
    if (this.live.delete(id)) this.removes++;
    if (id > this.maxId) this.maxId = id;
    return true;
  }

  replay(): JournalRecord[] {
    const out: JournalRecord[] = [];
    const frame = new DecodedFrame();
    for (const bytes of this.live.values()) {
      const status = decodeFrame(bytes, 0, bytes.length, frame);
      if (status !== FrameStatus.OK || frame.record === null) throw new Error(`memory journal holds an undecodable frame: ${status}`);
      out.push(frame.record);
    }
    out.sort((a, b) => a.id - b.id);
    return out;
  }

  highestId(): number {
    return this.maxId;
  }

  /** Live records held. */
  get size(): number {
    return this.live.size;
  }

  has(id: number): boolean {
    return this.live.has(id);
  }
}
