// Engine-neutral tests of the segmented journal, the store-and-forward
// backlog (src/core/outbox/segmented-journal.ts), over the in-memory segment
// store: order, restarts, reclaiming segments, full storage, power cuts in
// the middle of a write, corruption, and a model-based fast-check property.
// Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BacklogAppend } from "../../src/core/outbox/backlog-journal-port";
import type { JournalRecord } from "../../src/core/outbox/journal-record";
import { MessageClass } from "../../src/core/outbox/message-class";
import { SegmentedJournal, type SegmentedJournalOptions } from "../../src/core/outbox/segmented-journal";
import { CommandSegmentStore, serveSegmentRequest } from "../../src/sim/command-segment-store";
import { MemorySegmentStore } from "../../src/sim/memory-segment-store";

const { ALERT, TRANSACTION } = MessageClass;
const OPTIONS: SegmentedJournalOptions = { maxBytes: 4000, segmentBytes: 700, maxFrameBytes: 256, ramRecords: 4 };

function rec(id: number, cls: MessageClass = TRANSACTION, size = 40): JournalRecord {
  return { id, cls, topic: cls === ALERT ? "p/t/alerts" : "p/t/tx", payload: new Uint8Array(size).fill(id & 0xff), requestId: "rid-" + id, enqueuedAt: 1_700_000_000_000 + id };
}

function open(store: MemorySegmentStore, o: SegmentedJournalOptions = OPTIONS): { j: SegmentedJournal; ram: JournalRecord[] } {
  const j = new SegmentedJournal(store, o);
  const ram = j.replay();
  return { j, ram };
}

function takeAll(j: SegmentedJournal): number[] {
  const ids: number[] = [];
  for (let r = j.takeBacklog(); r !== null; r = j.takeBacklog()) ids.push(r.id);
  return ids;
}

describe("SegmentedJournal", () => {
  it("keeps RAM records and the backlog apart, and gives the backlog back in id order, payloads intact", () => {
    const store = new MemorySegmentStore();
    const { j } = open(store);
    expect(j.append(rec(1, ALERT))).toBe(true);
    expect(j.append(rec(2))).toBe(true);
    for (let id = 3; id <= 40; id++) expect(j.appendToBacklog(rec(id))).toBe(BacklogAppend.STORED);
    expect(j.backlogCount).toBe(38);
    expect(j.ramHeld).toBe(2);
    expect(j.segments).toBeGreaterThan(2);
    const head = j.peekBacklog()!;
    expect(head.id).toBe(3);
    expect(j.peekBacklog()).toBe(head); // read once, kept until taken
    const r = j.takeBacklog()!;
    expect(r).toEqual(rec(3));
    expect(takeAll(j)).toEqual(Array.from({ length: 37 }, (_, i) => i + 4));
    expect(j.backlogCount).toBe(0);
    expect(j.highestId()).toBe(40);
  });

  it("refuses what would break the order: a transaction for RAM while transactions wait, an alert for the backlog", () => {
    const { j } = open(new MemorySegmentStore());
    expect(j.appendToBacklog(rec(1))).toBe(BacklogAppend.STORED);
    expect(j.append(rec(2))).toBe(false);
    expect(j.counters.lastError).toMatch(/backlog while it holds any/);
    expect(j.appendToBacklog(rec(3, ALERT))).toBe(BacklogAppend.FAILED);
    expect(j.append(rec(4, ALERT))).toBe(true); // alerts go to RAM whatever waits
    expect(takeAll(j)).toEqual([1]);
  });

  it("after a restart: what was not acknowledged comes back, the backlog resumes in order", () => {
    const store = new MemorySegmentStore();
    const o = { ...OPTIONS, maxBytes: 20_000 };
    const a = open(store, o).j;
    a.append(rec(1, ALERT));
    a.append(rec(2));
    a.append(rec(3));
    for (let id = 4; id <= 30; id++) a.appendToBacklog(rec(id));
    expect(takeAll(a).slice(0, 3)).toEqual([4, 5, 6]); // all taken into RAM ...
    a.remove(1);
    a.remove(3);
    for (let id = 4; id <= 20; id++) a.remove(id); // ... 21..30 and 2 not acknowledged
    a.syncRemovals();
    const b = open(store, o);
    expect(b.ram.map((r) => r.id)).toEqual([2, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(b.j.backlogCount).toBe(0);
    expect(b.j.highestId()).toBe(30);

    // A restart with transactions still waiting: they stay in storage and come back in order.
    for (let id = 31; id <= 50; id++) expect(b.j.appendToBacklog(rec(id))).toBe(BacklogAppend.STORED);
    expect(takeAll(b.j).slice(0, 5)).toEqual([31, 32, 33, 34, 35]);
    b.j.remove(31);
    b.j.syncRemovals();
    for (let id = 51; id <= 60; id++) expect(b.j.appendToBacklog(rec(id))).toBe(BacklogAppend.STORED);
    const c = open(store, o);
    expect(c.ram.map((r) => r.id)).toEqual([2, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, ...Array.from({ length: 19 }, (_, i) => i + 32)]);
    expect(c.j.backlogCount).toBe(10);
    expect(takeAll(c.j)).toEqual(Array.from({ length: 10 }, (_, i) => i + 51));
  });

  it("an acknowledgement lost in a crash only sends a message twice (at-least-once), never loses one", () => {
    const store = new MemorySegmentStore();
    const a = open(store).j;
    for (let id = 1; id <= 5; id++) a.append(rec(id));
    a.remove(1);
    a.remove(2); // no syncRemovals, no append after: the checkpoint is not written
    const b = open(store);
    // Transactions after the newest checkpoint come back through the backlog, in order.
    expect([...b.ram.map((r) => r.id), ...takeAll(b.j)]).toEqual([1, 2, 3, 4, 5]);
    a.syncRemovals();
    const c = open(store);
    expect([...c.ram.map((r) => r.id), ...takeAll(c.j)]).toEqual([3, 4, 5]);
  });

  it("deletes whole segments once everything in them is acknowledged; storage stays bounded through a long run", () => {
    const store = new MemorySegmentStore();
    const { j } = open(store);
    let maxBytes = 0;
    for (let id = 1; id <= 2000; id++) {
      expect(j.append(rec(id, id % 50 === 0 ? ALERT : TRANSACTION))).toBe(true);
      j.remove(id);
      if (id % 7 === 0) j.syncRemovals();
      maxBytes = Math.max(maxBytes, store.totalBytes);
    }
    j.syncRemovals();
    expect(maxBytes).toBeLessThanOrEqual(OPTIONS.maxBytes);
    expect(j.segments).toBeLessThanOrEqual(2);
    expect(j.counters.segmentsDeleted).toBeGreaterThan(100);
    expect(store.totalBytes).toBe(j.bytes);
    // Each byte written once: no copying compaction.
    expect(store.bytesWritten).toBeLessThan(2000 * 150);
    expect(open(store).ram).toEqual([]);
  });

  it("when storage is full new transactions are refused with FULL (nothing written); room comes back as the backlog drains", () => {
    const store = new MemorySegmentStore();
    const { j } = open(store);
    let id = 0;
    let stored = 0;
    for (;;) {
      const r = j.appendToBacklog(rec(++id, TRANSACTION, 200));
      if (r === BacklogAppend.FULL) break;
      expect(r).toBe(BacklogAppend.STORED);
      stored++;
    }
    const bytes = store.totalBytes;
    expect(bytes).toBeLessThanOrEqual(OPTIONS.maxBytes);
    expect(j.backlogHasRoom(100)).toBe(false);
    expect(j.counters.refusedFull).toBe(1);
    expect(j.append(rec(++id, ALERT, 200))).toBe(false); // no room for alerts either
    expect(store.totalBytes).toBe(bytes);
    // Drain half: take, acknowledge, sync: the oldest segments go.
    for (let k = 0; k < stored / 2; k++) j.remove(j.takeBacklog()!.id);
    j.syncRemovals();
    expect(j.backlogHasRoom(100)).toBe(true);
    expect(j.backlogHasRoom(300)).toBe(false); // above maxFrameBytes whatever the room
    expect(j.appendToBacklog(rec(++id, TRANSACTION, 200))).toBe(BacklogAppend.STORED);
    expect(j.backlogCount).toBe(stored - Math.ceil(stored / 2) + 1);
  });

  it("a power cut in the middle of any write leaves no trace of the record and loses nothing before it", () => {
    const probe = new MemorySegmentStore();
    open(probe).j.append(rec(1));
    const frameBytes = probe.totalBytes; // a checkpoint and a record
    for (let cut = 0; cut < frameBytes + 120; cut += 7) {
      const store = new MemorySegmentStore();
      const a = open(store).j;
      expect(a.append(rec(1, ALERT))).toBe(true);
      for (let id = 2; id <= 6; id++) expect(a.appendToBacklog(rec(id))).toBe(BacklogAppend.STORED);
      store.tearNextAppend(cut);
      expect(a.appendToBacklog(rec(7))).toBe(BacklogAppend.FAILED);
      // Restart right after the cut.
      const b = open(store);
      expect(b.ram.map((r) => r.id)).toEqual([1]);
      expect(takeAll(b.j)).toEqual([2, 3, 4, 5, 6]);
      // Or carry on without a restart: the torn bytes are cut off before the next write.
      expect(a.appendToBacklog(rec(8))).toBe(BacklogAppend.STORED);
      expect(a.counters.repairs).toBe(1);
      const c = open(store);
      expect(takeAll(c.j)).toEqual([2, 3, 4, 5, 6, 8]);
    }
  });

  it("a power cut between two segment deletions (the compaction) loses nothing and brings back nothing deleted", () => {
    for (let allowed = 0; allowed <= 2; allowed++) {
      const store = new MemorySegmentStore();
      const a = open(store).j;
      for (let id = 1; id <= 30; id++) a.appendToBacklog(rec(id));
      for (let k = 0; k < 20; k++) a.remove(a.takeBacklog()!.id); // 1..20 acknowledged, 21..30 waiting
      store.removesLeft = allowed;
      a.syncRemovals(); // checkpoint, then deletions (two segments are dead) until the power cut
      expect(a.counters.segmentsDeleted).toBe(allowed);
      store.removesLeft = -1;
      const b = open(store);
      const live = [...b.ram.map((r) => r.id), ...takeAll(b.j)];
      expect(live).toEqual(Array.from({ length: 10 }, (_, i) => i + 21));
    }
  });

  it("a backlog frame that no longer reads back is counted as unreadable and skipped, the others still go", () => {
    const store = new MemorySegmentStore();
    const a = open(store).j;
    for (let id = 1; id <= 3; id++) a.appendToBacklog(rec(id));
    const seg = store.list()[0]!;
    const sizeBefore = store.size(seg);
    a.appendToBacklog(rec(4));
    for (let id = 5; id <= 6; id++) a.appendToBacklog(rec(id));
    store.corrupt(seg, sizeBefore + 30); // inside record 4's payload: its CRC fails
    const b = open(store);
    expect(takeAll(b.j)).toEqual([1, 2, 3, 5, 6]);
    expect(b.j.counters.unreadable).toBe(1);
    expect(b.j.counters.corruptFrames).toBe(1);
    expect(b.j.backlogCount).toBe(0);
  });

  it("a corrupt frame header ends what can be read of its segment (counted, bytes and all); the next segment reads on", () => {
    for (const restart of [false, true]) {
      const store = new MemorySegmentStore();
      const a = open(store).j;
      for (let id = 1; id <= 3; id++) a.appendToBacklog(rec(id));
      const seg = store.list()[0]!;
      const at = store.size(seg);
      for (let id = 4; id <= 12; id++) a.appendToBacklog(rec(id));
      expect(store.list()).toHaveLength(2);
      store.corrupt(seg, at); // record 4's magic byte
      const j = restart ? open(store).j : a;
      const got = takeAll(j);
      // Records 4-8 shared segment 1 with the damage: past a bad header no frame boundary can be trusted.
      expect(got, String(restart)).toEqual([1, 2, 3, 9, 10, 11, 12]);
      expect(j.counters.corruptFrames).toBeGreaterThan(0);
      expect(j.backlogCount).toBe(0);
      if (restart) {
        // Replay cannot tell how many records the damaged bytes held: they are counted as bytes.
        expect(j.counters.discardedBytes).toBeGreaterThan(0);
        expect(j.counters.lastError).toMatch(/^backlog: corrupt frame header in segment 1 at \d+$/);
      } else {
        // The running journal knew it held 12: the 5 it could not reach are counted as unreadable.
        expect(j.counters.unreadable).toBe(5);
        expect(j.counters.lastError).toBe("backlog: storage ended before the backlog did");
      }
    }
  });

  it("storage errors are answered, not thrown, and the journal recovers", () => {
    const store = new MemorySegmentStore();
    const { j } = open(store);
    store.failNext = true;
    expect(j.appendToBacklog(rec(1))).toBe(BacklogAppend.FAILED);
    expect(j.counters.lastError).toMatch(/storage error/);
    expect(j.appendToBacklog(rec(2))).toBe(BacklogAppend.STORED);
    store.failNext = true;
    expect(j.peekBacklog()).toBe(null);
    expect(j.takeBacklog()!.id).toBe(2);
    const broken = new MemorySegmentStore();
    broken.failNext = true;
    const k = new SegmentedJournal(broken, OPTIONS);
    expect(k.replay()).toEqual([]);
    expect(k.counters.lastError).toMatch(/^replay: /);
  });

  it("reads its store on first use, whichever call comes first; a frame above maxFrameBytes is refused by size", () => {
    /** A store holding an alert (1) and three waiting transactions (2-4), and the journal that wrote it. */
    const filled = (): { store: MemorySegmentStore; j: SegmentedJournal } => {
      const store = new MemorySegmentStore();
      const { j } = open(store);
      expect(j.append(rec(1, ALERT))).toBe(true);
      for (let id = 2; id <= 4; id++) expect(j.appendToBacklog(rec(id))).toBe(BacklogAppend.STORED);
      return { store, j };
    };
    const { j } = filled();
    const first: [string, (k: SegmentedJournal) => unknown, unknown][] = [
      ["highestId", (k) => k.highestId(), 4],
      ["append", (k) => k.append(rec(5, ALERT)), true],
      ["appendToBacklog", (k) => k.appendToBacklog(rec(5)), BacklogAppend.STORED],
      ["remove", (k) => k.remove(1), true],
      ["syncRemovals", (k) => k.syncRemovals(), true],
      ["peekBacklog", (k) => k.peekBacklog()?.id, 2],
      ["takeBacklog", (k) => k.takeBacklog()?.id, 2],
      ["backlogHasRoom", (k) => k.backlogHasRoom(10) && k.backlogCount, 3],
    ];
    for (const [name, call, answer] of first) {
      const k = new SegmentedJournal(filled().store, OPTIONS);
      expect(call(k), name).toEqual(answer);
      const waiting = name === "appendToBacklog" ? 4 : name === "takeBacklog" ? 2 : 3;
      expect([k.backlogCount, k.highestId()], name).toEqual([waiting, name.startsWith("append") ? 5 : 4]);
    }
    const big = rec(9, ALERT, 300);
    expect(j.append(big)).toBe(false);
    expect(j.counters.lastError).toMatch(/^append: frame of \d+ B above maxFrameBytes 256$/);
    expect(j.highestId()).toBe(4);
  });

  it("checks its options", () => {
    const s = new MemorySegmentStore();
    expect(() => new SegmentedJournal(s, { ...OPTIONS, segmentBytes: 500 })).toThrow(/segmentBytes must be at least/);
    expect(() => new SegmentedJournal(s, { ...OPTIONS, maxBytes: 1000 })).toThrow(/maxBytes must be at least two segments/);
    expect(() => new SegmentedJournal(s, { ...OPTIONS, ramRecords: 0 })).toThrow(/positive integers/);
  });

  it("model: through appends, takes, acknowledgements, syncs, torn writes and crashes, nothing unacknowledged is lost and the backlog keeps its order", () => {
    type Op =
      | { k: "alert" | "tx"; size: number; toBacklog: boolean }
      | { k: "take" }
      | { k: "ack"; pick: number }
      | { k: "sync" }
      | { k: "tear"; at: number }
      | { k: "crash" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ k: fc.constant("tx" as const), size: fc.integer({ min: 0, max: 150 }), toBacklog: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("alert" as const), size: fc.integer({ min: 0, max: 150 }), toBacklog: fc.constant(false) }) },
      { weight: 4, arbitrary: fc.constant({ k: "take" as const }) },
      { weight: 4, arbitrary: fc.record({ k: fc.constant("ack" as const), pick: fc.nat() }) },
      { weight: 2, arbitrary: fc.constant({ k: "sync" as const }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("tear" as const), at: fc.integer({ min: 0, max: 260 }) }) },
      { weight: 1, arbitrary: fc.constant({ k: "crash" as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const store = new MemorySegmentStore();
        let j = open(store).j;
        const accepted = new Map<number, MessageClass>();
        const acked = new Set<number>();
        let ram: number[] = [];
        let backlog: number[] = [];
        let nextId = 1;
        for (const o of ops) {
          if (o.k === "alert" || o.k === "tx") {
            const cls = o.k === "alert" ? ALERT : TRANSACTION;
            const r = rec(nextId++, cls, o.size);
            if (cls === TRANSACTION && (backlog.length > 0 || o.toBacklog)) {
              if (j.appendToBacklog(r) === BacklogAppend.STORED) {
                accepted.set(r.id, cls);
                backlog.push(r.id);
              }
            } else if (j.append(r)) {
              accepted.set(r.id, cls);
              ram.push(r.id);
            }
          } else if (o.k === "take") {
            const r = j.takeBacklog();
            if (backlog.length === 0) expect(r).toBe(null);
            else if (r !== null) {
              expect(r.id).toBe(backlog.shift());
              ram.push(r.id);
            }
          } else if (o.k === "ack") {
            if (ram.length === 0) continue;
            const id = ram.splice(o.pick % ram.length, 1)[0]!;
            j.remove(id);
            acked.add(id);
          } else if (o.k === "sync") {
            j.syncRemovals();
          } else if (o.k === "tear") {
            store.tearNextAppend(o.at);
          } else {
            store.tearNextAppend(-1);
            const next = open(store);
            j = next.j;
            const inRam = next.ram.map((r) => r.id);
            // Look at the backlog through a second journal on a copy, leaving this one's untouched.
            const copy = new MemorySegmentStore();
            for (const n of store.list()) copy.append(n, [store.read(n, 0, store.size(n))]);
            const waiting = takeAll(open(copy).j);
            expect(waiting).toEqual([...waiting].sort((x, y) => x - y));
            const live = new Set([...inRam, ...waiting]);
            for (const [id] of accepted) if (!acked.has(id)) expect(live.has(id)).toBe(true);
            for (const id of live) expect(accepted.has(id)).toBe(true);
            for (const id of waiting) expect(accepted.get(id)).toBe(TRANSACTION);
            expect(j.highestId()).toBeGreaterThanOrEqual(Math.max(0, ...accepted.keys()));
            nextId = Math.max(nextId, j.highestId() + 1);
            ram = inRam;
            backlog = waiting;
            for (const id of live) acked.delete(id); // sent again: acknowledged again
          }
          expect(store.totalBytes).toBeLessThanOrEqual(OPTIONS.maxBytes);
          expect(j.backlogCount).toBe(backlog.length);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("MemorySegmentStore (the tests' flash)", () => {
  it("writes every part, empty ones included, and a torn append keeps exactly the bytes before the cut", () => {
    const b = (...x: number[]) => Uint8Array.from(x);
    const store = new MemorySegmentStore();
    store.append(1, [b(1, 2), b(), b(3), b(), b(4, 5)]);
    expect(Array.from(store.read(1, 0, 10))).toEqual([1, 2, 3, 4, 5]);
    store.tearNextAppend(3);
    expect(() => store.append(1, [b(6), b(), b(7, 8), b(9)])).toThrow("power cut");
    expect(Array.from(store.read(1, 0, 10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("CommandSegmentStore (bench:core's flash outside the XS heap)", () => {
  it("carries every call to the store on the far side, and its failures", () => {
    const far = new MemorySegmentStore();
    const near = new CommandSegmentStore((req) => serveSegmentRequest(far, req));
    const a = new SegmentedJournal(near, OPTIONS);
    a.replay();
    a.append(rec(1, ALERT));
    for (let id = 2; id <= 30; id++) expect(a.appendToBacklog(rec(id))).toBe(BacklogAppend.STORED);
    expect(near.list()).toEqual(far.list());
    expect(near.size(far.list()[0]!)).toBe(far.size(far.list()[0]!));
    const b = new SegmentedJournal(near, OPTIONS);
    expect(b.replay().map((r) => r.id)).toEqual([1]);
    expect(takeAll(b).length).toBe(29);
    far.tearNextAppend(5);
    expect(b.appendToBacklog(rec(31))).toBe(BacklogAppend.FAILED); // the far side threw: an error here, the tail cut
    expect(b.counters.repairs).toBe(1);
    const c = new SegmentedJournal(near, OPTIONS);
    expect(c.replay().map((r) => r.id)).toEqual([1]);
    expect(takeAll(c)).toEqual(Array.from({ length: 29 }, (_, i) => i + 2));
    expect(serveSegmentRequest(far, new Uint8Array([99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))[0]).toBe(1);
  });
});
