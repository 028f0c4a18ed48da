// The segmented journal's accounting, byte for byte (src/core/outbox/segmented-journal.ts):
// which frame goes to which segment, when a checkpoint is written and how big it is, where
// storage is full, what `backlogHasRoom` promises, every counter after every step, and what a
// replay makes of a torn or corrupt store. The behaviour suite (segmented-journal.test.ts)
// checks order and durability; this one the numbers an installer reads off a terminal.
// Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { BacklogAppend } from "../../src/core/outbox/backlog-journal-port";
import type { JournalRecord } from "../../src/core/outbox/journal-record";
import { JS_FRAME_CODEC, type FrameCodecPorts } from "../../src/core/outbox/journal-record-codec";
import { MessageClass } from "../../src/core/outbox/message-class";
import { SegmentedJournal, type SegmentedJournalCounters, type SegmentedJournalOptions } from "../../src/core/outbox/segmented-journal";
import { MemorySegmentStore } from "../../src/sim/memory-segment-store";
import { thrown } from "../support/thrown";

const { ALERT, TRANSACTION } = MessageClass;

// Frame sizes, from the format (journal-record-codec.ts): a record is a 6-byte header, 21 fixed
// bytes (id 8, class 1, time 8, two lengths 2 + 2), its topic, request id and payload, and a 4-byte
// CRC; a checkpoint is a header, 16 fixed bytes, 8 per id RAM holds, and a CRC.
/** A transaction with a one-digit id: topic "p/t/tx" (6), request id "rid-N" (5). */
const TX = (payload: number) => 6 + 21 + 6 + 5 + payload + 4;
/** An alert with a one-digit id: topic "p/t/alerts" (10), request id "rid-N" (5). */
const ALERT_FRAME = (payload: number) => 6 + 21 + 10 + 5 + payload + 4;
const CHECKPOINT = (ids: number) => 6 + 16 + 8 * ids + 4;

/** Records of two segments of 700 B in 1 400 B: storage fills in a handful of records. */
const SMALL: SegmentedJournalOptions = { maxBytes: 1400, segmentBytes: 700, maxFrameBytes: 256, ramRecords: 4 };
/** What records may take: maxBytes less a checkpoint of a full RAM (4 ids), kept for acknowledgements. */
const RECORD_LIMIT = 1400 - CHECKPOINT(4);
/** Overhead `backlogHasRoom` reserves beyond a message's payload and topic: a request id of up to 64 bytes. */
const ROOM_OVERHEAD = 6 + 21 + 64 + 4;

function rec(id: number, cls: MessageClass, payload: number): JournalRecord {
  return { id, cls, topic: cls === ALERT ? "p/t/alerts" : "p/t/tx", payload: new Uint8Array(payload).fill(id & 0xff), requestId: "rid-" + id, enqueuedAt: 1_700_000_000_000 + id };
}

const ZERO: SegmentedJournalCounters = {
  appends: 0, backlogAppends: 0, taken: 0, refusedFull: 0, appendFailures: 0, checkpoints: 0,
  segmentsCreated: 0, segmentsDeleted: 0, repairs: 0, corruptFrames: 0, unreadable: 0, discardedBytes: 0, lastError: "",
};

/** The segment files and their sizes, as a restart would find them. */
function files(store: MemorySegmentStore): [number, number][] {
  return store.list().map((n) => [n, store.size(n)]);
}

function takeAll(j: SegmentedJournal): number[] {
  const ids: number[] = [];
  for (let r = j.takeBacklog(); r !== null; r = j.takeBacklog()) ids.push(r.id);
  return ids;
}

/** A store that fails its next `truncateFails` truncations (a repair that cannot be done yet). */
class StubbornStore extends MemorySegmentStore {
  truncateFails = 0;
  override truncate(n: number, length: number): void {
    if (this.truncateFails > 0) {
      this.truncateFails--;
      throw new Error("truncate refused");
    }
    super.truncate(n, length);
  }
}

/** A journal over `store` that took records 1-6 (150 B, two segments' worth) and had each acknowledged. */
function acknowledgedSix(store: MemorySegmentStore, cls: MessageClass): SegmentedJournal {
  const j = new SegmentedJournal(store, SMALL);
  j.replay();
  for (let id = 1; id <= 6; id++) {
    expect(j.append(rec(id, cls, 150))).toBe(true);
    j.remove(id);
  }
  return j;
}

describe("SegmentedJournal accounting", () => {
  it("puts every frame where the format says, fills storage to the byte, and counts each step", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, SMALL);
    expect(j.replay()).toEqual([]);
    expect([j.bytes, j.segments, j.counters]).toEqual([0, 0, ZERO]);

    // The first frame of a segment is a checkpoint (of nothing yet).
    expect(j.append(rec(1, ALERT, 40))).toBe(true);
    let bytes = CHECKPOINT(0) + ALERT_FRAME(40);
    expect([j.bytes, j.segments, j.ramHeld, files(store)]).toEqual([bytes, 1, 1, [[1, bytes]]]);
    expect(j.counters).toEqual({ ...ZERO, appends: 1, checkpoints: 1, segmentsCreated: 1 });

    // Backlog records follow, without checkpoints, until a segment holds exactly segmentBytes.
    expect(j.appendToBacklog(rec(2, TRANSACTION, 200))).toBe(BacklogAppend.STORED);
    expect(j.appendToBacklog(rec(3, TRANSACTION, 200))).toBe(BacklogAppend.STORED);
    bytes += 2 * TX(200);
    const fill = 700 - bytes - TX(0);
    expect(j.appendToBacklog(rec(4, TRANSACTION, fill))).toBe(BacklogAppend.STORED);
    expect(files(store)).toEqual([[1, 700]]);
    expect([j.bytes, j.segments, j.backlogCount, j.ramHeld]).toEqual([700, 1, 3, 1]);

    // One byte more does not fit: a new segment, opened by a checkpoint of what RAM holds (the alert).
    expect(j.appendToBacklog(rec(5, TRANSACTION, 0))).toBe(BacklogAppend.STORED);
    let second = CHECKPOINT(1) + TX(0);
    expect(files(store)).toEqual([[1, 700], [2, second]]);
    expect(j.counters).toEqual({ ...ZERO, appends: 1, backlogAppends: 4, checkpoints: 2, segmentsCreated: 2 });

    expect(j.appendToBacklog(rec(6, TRANSACTION, 200))).toBe(BacklogAppend.STORED);
    expect(j.appendToBacklog(rec(7, TRANSACTION, 100))).toBe(BacklogAppend.STORED);
    second += TX(200) + TX(100);
    expect(j.bytes).toBe(700 + second);

    // Room for one more message: its frame (with the longest request id) and a checkpoint of RAM
    // must fit under the record limit; nothing is reclaimable while the backlog still reads segment 1.
    const room = RECORD_LIMIT - (700 + second) - ROOM_OVERHEAD - CHECKPOINT(1);
    expect(room).toBeGreaterThan(0);
    expect([j.backlogHasRoom(room), j.backlogHasRoom(room + 1)]).toEqual([true, false]);
    // A message whose frame would pass maxFrameBytes never has room, however empty storage is.
    const empty = new SegmentedJournal(new MemorySegmentStore(), SMALL);
    expect([empty.backlogHasRoom(256 - ROOM_OVERHEAD), empty.backlogHasRoom(256 - ROOM_OVERHEAD + 1)]).toEqual([true, false]);

    // Records may fill storage up to the record limit exactly; then FULL, nothing written.
    const last = RECORD_LIMIT - (700 + second) - TX(0);
    expect(second + TX(last)).toBeLessThanOrEqual(700);
    expect(j.appendToBacklog(rec(8, TRANSACTION, last))).toBe(BacklogAppend.STORED);
    second += TX(last);
    expect(j.bytes).toBe(RECORD_LIMIT);
    expect(j.appendToBacklog(rec(9, TRANSACTION, 0))).toBe(BacklogAppend.FULL);
    expect(j.append(rec(9, ALERT, 0))).toBe(false);
    expect([j.bytes, store.totalBytes, j.backlogCount]).toEqual([RECORD_LIMIT, RECORD_LIMIT, 7]);
    expect(j.counters).toEqual({ ...ZERO, appends: 1, backlogAppends: 7, refusedFull: 2, checkpoints: 2, segmentsCreated: 2 });

    // Taking segment 1's last backlog record moves the reader on to segment 2.
    expect([j.takeBacklog()!.id, j.takeBacklog()!.id, j.takeBacklog()!.id]).toEqual([2, 3, 4]);
    expect([j.ramHeld, j.backlogCount, j.counters.taken]).toEqual([4, 4, 3]);
    for (const id of [1, 2, 3, 4]) j.remove(id);
    expect(j.ramHeld).toBe(0);
    // Segment 1 now holds nothing live: its bytes count as room before it is deleted.
    expect(j.backlogHasRoom(256 - ROOM_OVERHEAD)).toBe(true);

    // The acknowledgements' checkpoint may use the room kept for it (above the record limit); then
    // segment 1 goes, whole.
    expect(j.syncRemovals()).toBe(true);
    second += CHECKPOINT(0);
    expect(files(store)).toEqual([[2, second]]);
    expect([j.bytes, j.segments]).toEqual([second, 1]);
    expect(j.counters).toEqual({ ...ZERO, appends: 1, backlogAppends: 7, taken: 3, refusedFull: 2, checkpoints: 3, segmentsCreated: 2, segmentsDeleted: 1 });
    // Nothing acknowledged since: nothing to write.
    expect(j.syncRemovals()).toBe(true);
    expect([j.bytes, j.counters.checkpoints]).toEqual([second, 3]);

    // A restart finds the backlog, nothing for RAM, and counts nothing as lost.
    const k = new SegmentedJournal(store, SMALL);
    expect(k.replay()).toEqual([]);
    expect([k.bytes, k.segments, k.backlogCount, k.highestId(), k.counters]).toEqual([second, 1, 4, 8, ZERO]);
    // Its first sync writes a checkpoint of what it holds now.
    expect(k.syncRemovals()).toBe(true);
    expect([k.bytes, k.counters.checkpoints]).toEqual([second + CHECKPOINT(0), 1]);
    expect(takeAll(k)).toEqual([5, 6, 7, 8]);
  });

  it("a checkpoint lists exactly what RAM holds; acknowledgements of ids it never held are not news", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, SMALL);
    j.replay();
    for (let id = 1; id <= 3; id++) expect(j.append(rec(id, ALERT, 10))).toBe(true);
    const start = j.bytes;
    expect(j.remove(9)).toBe(true); // never held: no checkpoint due
    expect(j.syncRemovals()).toBe(true);
    expect(j.bytes).toBe(start);
    j.remove(2);
    expect(j.syncRemovals()).toBe(true);
    expect(j.bytes).toBe(start + CHECKPOINT(2));
    j.remove(1);
    j.remove(3);
    expect(j.syncRemovals()).toBe(true);
    expect(j.bytes).toBe(start + CHECKPOINT(2) + CHECKPOINT(0));
    expect(j.counters.checkpoints).toBe(3);
    expect(new SegmentedJournal(store, SMALL).replay()).toEqual([]);
  });

  it("replay hands RAM its records in id order, whatever order they were written in", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, SMALL);
    j.replay();
    for (const id of [7, 3, 5]) expect(j.append(rec(id, ALERT, 1))).toBe(true);
    const k = new SegmentedJournal(store, SMALL);
    expect(k.replay().map((r) => r.id)).toEqual([3, 5, 7]);
    expect(k.highestId()).toBe(7);
  });

  it("the backlog reader steps over alerts and checkpoints between waiting transactions", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, { ...SMALL, maxBytes: 4000 });
    j.replay();
    const order: number[] = [];
    for (let id = 1; id <= 12; id++) {
      if (id % 3 === 0) expect(j.append(rec(id, ALERT, 150))).toBe(true);
      else {
        expect(j.appendToBacklog(rec(id, TRANSACTION, 150))).toBe(BacklogAppend.STORED);
        order.push(id);
      }
      if (id % 4 === 0) j.syncRemovals();
    }
    expect(j.segments).toBeGreaterThan(2);
    expect(takeAll(j)).toEqual(order);
    const k = new SegmentedJournal(store, { ...SMALL, maxBytes: 4000 });
    expect(k.replay().map((r) => r.id)).toEqual([3, 6, 9, 12]);
    expect(takeAll(k)).toEqual(order);
  });

  it("a write that fails counts once, is cut off, and a sync that fails says so without counting a record", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, SMALL);
    j.replay();
    expect(j.append(rec(1, ALERT, 10))).toBe(true);
    const bytes = j.bytes;
    store.tearNextAppend(20);
    expect(j.appendToBacklog(rec(2, TRANSACTION, 10))).toBe(BacklogAppend.FAILED);
    expect(files(store)).toEqual([[1, bytes]]);
    expect(j.counters).toEqual({ ...ZERO, appends: 1, checkpoints: 1, segmentsCreated: 1, appendFailures: 1, repairs: 1, lastError: "write: Error: power cut after 20 of " + TX(10) + " bytes" });

    j.remove(1);
    store.failNext = true;
    expect(j.syncRemovals()).toBe(false);
    expect(j.counters).toMatchObject({ appendFailures: 1, checkpoints: 1, repairs: 2, lastError: "write: Error: storage error" });
    expect(j.syncRemovals()).toBe(true); // still due: written now
    expect([j.counters.checkpoints, j.bytes]).toEqual([2, bytes + CHECKPOINT(0)]);
  });

  it("while a torn tail cannot be cut off, nothing is written after it; once it can, writing resumes", () => {
    const store = new StubbornStore();
    const j = new SegmentedJournal(store, SMALL);
    j.replay();
    expect(j.appendToBacklog(rec(1, TRANSACTION, 10))).toBe(BacklogAppend.STORED);
    const bytes = j.bytes;
    store.tearNextAppend(9);
    store.truncateFails = 3;
    expect(j.appendToBacklog(rec(2, TRANSACTION, 10))).toBe(BacklogAppend.FAILED);
    expect(j.counters).toMatchObject({ appendFailures: 1, repairs: 0, lastError: "repair: Error: truncate refused" });
    expect(j.appendToBacklog(rec(3, TRANSACTION, 10))).toBe(BacklogAppend.FAILED);
    expect(j.syncRemovals()).toBe(false); // a sync cannot write past the tail either
    expect(j.counters).toMatchObject({ appendFailures: 2, repairs: 0, backlogAppends: 1 });
    expect(store.size(1)).toBe(bytes + 9); // the torn bytes, nothing after them
    expect(j.appendToBacklog(rec(4, TRANSACTION, 10))).toBe(BacklogAppend.STORED);
    expect(j.counters).toMatchObject({ appendFailures: 2, repairs: 1, backlogAppends: 2 });
    expect(takeAll(new SegmentedJournal(store, SMALL))).toEqual([1, 4]);
  });

  it("replay cuts a torn tail off the newest segment, counted in bytes; a segment holding only a torn tail is deleted", () => {
    const tails: [string, (store: MemorySegmentStore, n: number) => number][] = [
      ["three stray bytes", (store, n) => (store.append(n, [Uint8Array.of(0xa5, 1, 2)]), 3)],
      ["a whole frame whose CRC fails", (store, n) => {
        const scratch = new MemorySegmentStore();
        const w = new SegmentedJournal(scratch, SMALL);
        w.replay();
        w.appendToBacklog(rec(2, TRANSACTION, 30)); // checkpoint, then the record
        const frame = scratch.read(1, CHECKPOINT(0), TX(30));
        frame[20] = frame[20]! ^ 0xff;
        store.append(n, [frame]);
        return TX(30);
      }],
    ];
    for (const [name, tear] of tails) {
      const store = new MemorySegmentStore();
      const j = new SegmentedJournal(store, SMALL);
      j.replay();
      expect(j.appendToBacklog(rec(1, TRANSACTION, 30))).toBe(BacklogAppend.STORED);
      const bytes = j.bytes;
      const torn = tear(store, 1);
      const k = new SegmentedJournal(store, SMALL);
      expect(k.replay(), name).toEqual([]);
      expect([k.bytes, files(store)], name).toEqual([bytes, [[1, bytes]]]);
      expect(k.counters, name).toEqual({ ...ZERO, corruptFrames: 1, discardedBytes: torn, lastError: `replay: segment 1 ends in ${torn} B that do not read back (cut off)` });
      expect(takeAll(k), name).toEqual([1]);

      // Torn as a new segment's first write: nothing of it is whole, the segment goes.
      tear(store, 2);
      const m = new SegmentedJournal(store, SMALL);
      expect(m.replay(), name).toEqual([]);
      expect([m.bytes, m.segments, files(store)], name).toEqual([bytes, 1, [[1, bytes]]]);
      expect(m.counters.discardedBytes, name).toBe(torn);
      expect(takeAll(m), name).toEqual([1]);
    }
  });

  it("replay: a corrupt record in the middle of the newest segment is skipped and counted, the records after it still count", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, SMALL);
    j.replay();
    for (let id = 1; id <= 3; id++) expect(j.append(rec(id, ALERT, 20))).toBe(true);
    store.corrupt(1, CHECKPOINT(0) + ALERT_FRAME(20) + 30); // inside alert 2's payload
    const k = new SegmentedJournal(store, SMALL);
    expect(k.replay().map((r) => r.id)).toEqual([1, 3]);
    expect(k.counters).toEqual({ ...ZERO, corruptFrames: 1, unreadable: 1, lastError: "replay: record 2 in segment 1 does not read back" });
    expect([k.bytes, k.ramHeld, k.highestId()]).toEqual([j.bytes, 2, 3]);
  });

  it("replay: a corrupt header in an older segment loses the rest of that segment, counted in bytes", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, SMALL);
    j.replay();
    // Segment 1: a checkpoint and alerts 1-3; segment 2: a checkpoint of 1-3 and alerts 4-6.
    for (let id = 1; id <= 6; id++) expect(j.append(rec(id, ALERT, 150))).toBe(true);
    expect(files(store)).toEqual([[1, CHECKPOINT(0) + 3 * ALERT_FRAME(150)], [2, CHECKPOINT(3) + 3 * ALERT_FRAME(150)]]);
    const first = store.size(1);
    const at = CHECKPOINT(0) + ALERT_FRAME(150);
    store.corrupt(1, at); // alert 2's magic byte
    const k = new SegmentedJournal(store, SMALL);
    expect(k.replay().map((r) => r.id)).toEqual([1, 4, 5, 6]);
    // Alerts 2 and 3 are lost in those bytes. Replay cannot count them as records: the checkpoint
    // listed them, but an id listed and not found is also what a segment deleted after later
    // acknowledgements (not yet in a checkpoint) leaves.
    expect(k.counters).toEqual({ ...ZERO, corruptFrames: 1, unreadable: 0, discardedBytes: first - at, lastError: `replay: corrupt frame header in segment 1 at ${at}` });
    expect(k.ramHeld).toBe(4);
    expect(k.bytes).toBe(j.bytes);
  });

  it("a frame header whose length passes maxFrameBytes or its segment's end is corrupt, running or replayed", () => {
    /** Rewrites the body length of the frame at `off` so that the frame is `size` bytes. */
    const setSize = (store: MemorySegmentStore, n: number, off: number, size: number) => {
      const all = store.read(n, 0, store.size(n));
      new DataView(all.buffer).setUint32(off + 2, size - 10, true);
      store.remove(n);
      store.append(n, [all]);
    };
    const second = CHECKPOINT(0) + TX(100); // record 2's offset in segment 1
    for (const restart of [false, true]) {
      for (const size of [257, 700 - second + 1]) {
        const name = `${restart ? "replayed" : "running"}, ${size} B`;
        const store = new MemorySegmentStore();
        const j = new SegmentedJournal(store, SMALL);
        j.replay();
        for (let id = 1; id <= 7; id++) expect(j.appendToBacklog(rec(id, TRANSACTION, 100))).toBe(BacklogAppend.STORED);
        expect(files(store), name).toEqual([[1, CHECKPOINT(0) + 4 * TX(100)], [2, CHECKPOINT(0) + 3 * TX(100)]]);
        setSize(store, 1, second, size);
        const k = restart ? new SegmentedJournal(store, SMALL) : j;
        if (restart) expect(k.replay(), name).toEqual([]);
        expect(takeAll(k), name).toEqual([1, 5, 6, 7]);
        if (restart) {
          // Replay's walk meets it (the rest of the segment counted in bytes), then the reader.
          expect(k.counters, name).toMatchObject({ corruptFrames: 2, unreadable: 0, discardedBytes: 3 * TX(100), lastError: `backlog: corrupt frame header in segment 1 at ${second}` });
        } else {
          // The running journal knew 7 waited: the 3 it could not reach are counted.
          expect(k.counters, name).toMatchObject({ corruptFrames: 1, unreadable: 3, discardedBytes: 0, lastError: "backlog: storage ended before the backlog did" });
        }
      }
    }
  });

  it("replay: a header in the newest segment that cannot be whole ends it there, as a torn tail (cut off, counted in bytes)", () => {
    const second = CHECKPOINT(0) + TX(100); // record 2's offset in its segment
    for (const size of [257, 3 * TX(100) + 1]) {
      const store = new MemorySegmentStore();
      const j = new SegmentedJournal(store, SMALL);
      j.replay();
      for (let id = 1; id <= 3; id++) expect(j.appendToBacklog(rec(id, TRANSACTION, 100))).toBe(BacklogAppend.STORED);
      const all = store.read(1, 0, store.size(1));
      new DataView(all.buffer).setUint32(second + 2, size - 10, true);
      store.remove(1);
      store.append(1, [all]);
      const k = new SegmentedJournal(store, SMALL);
      expect(k.replay(), String(size)).toEqual([]);
      expect(k.counters, String(size)).toEqual({ ...ZERO, corruptFrames: 1, discardedBytes: 2 * TX(100), lastError: `replay: segment 1 ends in ${2 * TX(100)} B that do not read back (cut off)` });
      expect([files(store), k.backlogCount], String(size)).toEqual([[[1, second]], 1]);
      expect(takeAll(k)).toEqual([1]);
    }
  });

  it("with nothing waiting, the segments can all go but the newest; the next transaction to wait is read back from where it was written", () => {
    const store = new MemorySegmentStore();
    const j = acknowledgedSix(store, TRANSACTION);
    expect(j.syncRemovals()).toBe(true);
    expect([j.segments, j.counters.segmentsDeleted]).toEqual([1, 1]);
    expect(j.appendToBacklog(rec(7, TRANSACTION, 10))).toBe(BacklogAppend.STORED);
    expect(takeAll(j)).toEqual([7]);
    expect(j.counters.unreadable).toBe(0);
  });

  it("room for the backlog counts only the old segments that hold nothing live", () => {
    const o = { ...SMALL, maxBytes: 2100 }; // records may take 2 100 − 58 = 2 042 B
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, o);
    j.replay();
    // Three segments of 26 + 3 × 196 = 614 B: a checkpoint, then 3 transactions.
    for (let id = 1; id <= 9; id++) expect(j.appendToBacklog(rec(id, TRANSACTION, 154))).toBe(BacklogAppend.STORED);
    expect(files(store).map(([, size]) => size)).toEqual([614, 614, 614]);
    const room = (reclaimable: number, ram: number) => 2042 - (3 * 614 - reclaimable) - ROOM_OVERHEAD - CHECKPOINT(ram);
    const edge = (m: number) => [j.backlogHasRoom(m), j.backlogHasRoom(m + 1)];
    expect(room(0, 0)).toBe(79);
    expect(edge(79)).toEqual([true, false]);
    // 1-3 taken (the reader moves on to segment 2), 1 and 2 acknowledged: segment 1 still holds 3.
    for (let k = 0; k < 3; k++) j.takeBacklog();
    j.remove(1);
    j.remove(2);
    expect(edge(room(0, 1))).toEqual([true, false]);
    // 3 acknowledged: segment 1 holds nothing live, its 614 B count as room (up to a largest frame).
    j.remove(3);
    expect(edge(256 - ROOM_OVERHEAD)).toEqual([true, false]);
  });

  it("a checkpoint may be larger than maxFrameBytes (it grows with RAM): replay reads it", () => {
    const o = { maxBytes: 4000, segmentBytes: 700, maxFrameBytes: 100, ramRecords: 20 };
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, o);
    j.replay();
    for (let id = 1; id <= 15; id++) expect(j.append(rec(id, ALERT, 1))).toBe(true);
    j.remove(1);
    expect(j.syncRemovals()).toBe(true);
    expect(CHECKPOINT(14)).toBeGreaterThan(100);
    const k = new SegmentedJournal(store, o);
    expect(k.replay().map((r) => r.id)).toEqual(Array.from({ length: 14 }, (_, i) => i + 2));
    expect(k.counters).toEqual(ZERO);
  });

  it("when deleting a segment fails, it stays, the error is kept, and the next sync deletes it", () => {
    const store = new MemorySegmentStore();
    const j = acknowledgedSix(store, ALERT);
    store.removesLeft = 0;
    expect(j.syncRemovals()).toBe(true);
    expect(j.counters.lastError).toBe("delete segment: Error: power cut before a deletion");
    expect([j.segments, j.counters.segmentsDeleted]).toEqual([2, 0]);
    store.removesLeft = -1;
    expect(j.syncRemovals()).toBe(true);
    expect([j.segments, j.counters.segmentsDeleted, store.list()]).toEqual([1, 1, [2]]);
  });

  it("reading the backlog from a failing store answers null and keeps the error", () => {
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, SMALL);
    j.replay();
    expect(j.appendToBacklog(rec(1, TRANSACTION, 10))).toBe(BacklogAppend.STORED);
    store.failNext = true;
    expect(j.peekBacklog()).toBe(null);
    expect(j.counters.lastError).toBe("backlog read: Error: storage error");
    expect(j.takeBacklog()!.id).toBe(1);
  });

  it("accepts the smallest bounds its checks allow and refuses one below, naming the limit", () => {
    const s = new MemorySegmentStore();
    // Two commits of a largest frame with a checkpoint of a full RAM: 2 × (256 + 58).
    const least = { maxFrameBytes: 256, ramRecords: 4, segmentBytes: 628, maxBytes: 1256 };
    expect(new SegmentedJournal(s, least).segments).toBe(0);
    expect(new SegmentedJournal(s, { maxFrameBytes: 1, ramRecords: 1, segmentBytes: 2 * (1 + CHECKPOINT(1)), maxBytes: 4 * (1 + CHECKPOINT(1)) }).segments).toBe(0);
    const refusals: [Partial<SegmentedJournalOptions>, string][] = [
      [{ segmentBytes: 627 }, "segmented journal: segmentBytes must be at least 628 (two frames of maxFrameBytes with their checkpoints), got 627"],
      [{ maxBytes: 1255 }, "segmented journal: maxBytes must be at least two segments (1256), got 1255"],
      [{ maxBytes: 1256.5 }, "segmented journal: maxBytes must be at least two segments (1256), got 1256.5"],
      [{ segmentBytes: 700.5 }, "segmented journal: segmentBytes must be at least 628 (two frames of maxFrameBytes with their checkpoints), got 700.5"],
      [{ maxFrameBytes: 0 }, "segmented journal: maxFrameBytes and ramRecords must be positive integers"],
      [{ ramRecords: 1.5 }, "segmented journal: maxFrameBytes and ramRecords must be positive integers"],
    ];
    for (const [change, message] of refusals) {
      const e = thrown(() => new SegmentedJournal(s, { ...least, ...change }));
      expect(e instanceof RangeError, message).toBe(true);
      expect((e as Error).message).toBe(message);
    }
  });

  it("frames go through the codec it is given", () => {
    let crcs = 0;
    const codec: FrameCodecPorts = { crc32: (b, s, e, c) => (crcs++, JS_FRAME_CODEC.crc32(b, s, e, c)), utf8: JS_FRAME_CODEC.utf8 };
    const store = new MemorySegmentStore();
    const j = new SegmentedJournal(store, { ...SMALL, codec });
    j.replay();
    expect(j.append(rec(1, ALERT, 10))).toBe(true);
    expect(crcs).toBeGreaterThan(0);
    expect(new SegmentedJournal(store, SMALL).replay().map((r) => r.id)).toEqual([1]);
  });
});
