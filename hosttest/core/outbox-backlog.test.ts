// Store and forward: the outbox over a journal that keeps a backlog in
// storage (SegmentedJournal on the in-memory segment store). RAM stays at the
// outbox's bounds while the backlog holds the rest; order, restarts, a full
// storage, and a model-based property. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createEnqueueReceipt, EnqueueResult, isAccepted } from "../../src/core/outbox/enqueue-result";
import { Outbox } from "../../src/core/outbox/outbox";
import { MessageClass } from "../../src/core/outbox/message-class";
import type { OutboxConfig } from "../../src/core/outbox/outbox-config";
import { SegmentedJournal, type SegmentedJournalOptions } from "../../src/core/outbox/segmented-journal";
import { MemorySegmentStore } from "../../src/sim/memory-segment-store";

const { ALERT, TRANSACTION, TELEMETRY } = MessageClass;
const TOPIC = ["p/a", "p/t", "p/m"];
const CONFIG: OutboxConfig = { maxMessages: 6, maxBytes: 1000, reservedForAlerts: { messages: 2, bytes: 200 }, telemetryPolicy: "drop-oldest" };
const STORAGE: SegmentedJournalOptions = { maxBytes: 8000, segmentBytes: 1000, maxFrameBytes: 300, ramRecords: 6 };
const rc = createEnqueueReceipt();

function start(store: MemorySegmentStore, storage = STORAGE): { ob: Outbox; journal: SegmentedJournal } {
  const journal = new SegmentedJournal(store, storage);
  const ob = new Outbox(CONFIG, journal);
  ob.restore();
  return { ob, journal };
}

function put(ob: Outbox, cls: MessageClass, size = 50): EnqueueResult {
  return ob.enqueue(cls, TOPIC[cls]!, new Uint8Array(size).fill(cls), `${cls}-${ob.highestId + 1}`, 1000, rc);
}

describe("Outbox with a backlog in storage", () => {
  it("keeps accepting transactions beyond RAM, holds RAM at its bounds, and sends them in order", () => {
    const { ob } = start(new MemorySegmentStore());
    const results: EnqueueResult[] = [];
    for (let i = 0; i < 40; i++) results.push(put(ob, TRANSACTION));
    expect(results.slice(0, 4)).toEqual(Array(4).fill(EnqueueResult.ACCEPTED)); // 6 - 2 reserved for alerts
    expect(results.slice(4)).toEqual(Array(36).fill(EnqueueResult.ACCEPTED_TO_BACKLOG));
    expect(ob.messages).toBe(4);
    expect(ob.backlogCount).toBe(36);
    expect(put(ob, ALERT)).toBe(EnqueueResult.ACCEPTED); // alerts keep their reserve in RAM
    expect(put(ob, TELEMETRY)).toBe(EnqueueResult.TELEMETRY_DROPPED); // telemetry: its own policy
    const sent: number[] = [];
    for (let m = ob.next(); m !== null; m = ob.next()) {
      sent.push(m.id);
      expect(ob.messages).toBeLessThanOrEqual(CONFIG.maxMessages);
      ob.acknowledge(m.id);
    }
    expect(sent[0]).toBe(41); // the alert first
    expect(sent.slice(1)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const s = ob.stats();
    expect(s.backlogAccepted).toBe(36);
    expect(s.backlogLoaded).toBe(36);
    expect(s.backlog).toBe(0);
    expect(s.transaction.accepted).toBe(40);
  });

  it("a transaction arriving while older ones wait in storage goes behind them, even when RAM has room", () => {
    const { ob } = start(new MemorySegmentStore());
    for (let i = 0; i < 6; i++) put(ob, TRANSACTION);
    const first = ob.next()!;
    ob.acknowledge(first.id); // room in RAM again, but 5 and 6 wait in storage
    expect(put(ob, TRANSACTION)).toBe(EnqueueResult.ACCEPTED_TO_BACKLOG);
    const order: number[] = [];
    for (let m = ob.next(); m !== null; m = ob.next()) {
      order.push(m.id);
      ob.acknowledge(m.id);
    }
    expect(order).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it("declines with BACKLOG_FULL when storage is full (hasRoom says so first); alerts still use their reserve", () => {
    const { ob } = start(new MemorySegmentStore());
    let accepted = 0;
    for (;;) {
      const room = ob.hasRoom(TRANSACTION, 150);
      const r = put(ob, TRANSACTION, 150);
      expect(isAccepted(r)).toBe(room);
      if (!isAccepted(r)) {
        expect(r).toBe(EnqueueResult.BACKLOG_FULL);
        break;
      }
      accepted++;
    }
    expect(accepted).toBeGreaterThan(20);
    expect(ob.stats().backlogFull).toBe(1);
    expect(ob.stats().transaction.refused).toBe(1);
    expect(put(ob, ALERT, 20)).toBe(EnqueueResult.ACCEPTED);
  });

  it("after a restart, RAM gets what it held back and the backlog resumes, nothing lost or reordered", () => {
    const store = new MemorySegmentStore();
    const a = start(store);
    for (let i = 0; i < 30; i++) put(a.ob, TRANSACTION);
    put(a.ob, ALERT);
    const m1 = a.ob.next()!; // the alert
    const m2 = a.ob.next()!; // transaction 1
    a.ob.acknowledge(m1.id);
    a.ob.acknowledge(m2.id);
    a.journal.syncRemovals();
    const b = start(store);
    expect(b.ob.messages + b.ob.backlogCount).toBe(29);
    // Transactions accepted after the restart wait behind the restored backlog.
    for (let i = 0; i < 3; i++) expect(put(b.ob, TRANSACTION)).toBe(EnqueueResult.ACCEPTED_TO_BACKLOG);
    const order: number[] = [];
    for (let m = b.ob.next(); m !== null; m = b.ob.next()) {
      order.push(m.id);
      // Restored (RAM or backlog): possibly sent before, so sent with DUP (a second attempt); new ones: a first.
      expect(b.ob.attempts(m.id), String(m.id)).toBe(m.id <= 30 ? 2 : 1);
      b.ob.acknowledge(m.id);
    }
    // 31 was the acknowledged alert; 32-34 came after the restart.
    expect(order).toEqual([...Array.from({ length: 29 }, (_, i) => i + 2), 32, 33, 34]);
    expect(b.ob.highestId).toBe(34);
  });

  it("model: with restarts, nothing accepted is lost, each class goes out in order, RAM stays within its bounds", () => {
    type Op = { k: "alert" | "tx" | "tel"; size: number } | { k: "send"; n: number } | { k: "ack"; pick: number } | { k: "requeue" } | { k: "sync" } | { k: "restart" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ k: fc.constant("tx" as const), size: fc.integer({ min: 1, max: 180 }) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("alert" as const), size: fc.integer({ min: 1, max: 90 }) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("tel" as const), size: fc.integer({ min: 1, max: 90 }) }) },
      { weight: 4, arbitrary: fc.record({ k: fc.constant("send" as const), n: fc.integer({ min: 1, max: 4 }) }) },
      { weight: 4, arbitrary: fc.record({ k: fc.constant("ack" as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ k: "requeue" as const }) },
      { weight: 1, arbitrary: fc.constant({ k: "sync" as const }) },
      { weight: 1, arbitrary: fc.constant({ k: "restart" as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const store = new MemorySegmentStore();
        let { ob, journal } = start(store);
        const durable = new Set<number>(); // accepted alerts and transactions not acknowledged yet
        let inFlight: number[] = [];
        let lastSent = [0, 0]; // highest id sent first-time per durable class, to check order
        const firstSent = new Set<number>();
        const check = (id: number, cls: MessageClass) => {
          if (cls === TELEMETRY || firstSent.has(id)) return;
          firstSent.add(id);
          expect(id).toBeGreaterThan(lastSent[cls]!);
          lastSent[cls] = id;
        };
        for (const o of ops) {
          if (o.k === "alert" || o.k === "tx" || o.k === "tel") {
            const cls = o.k === "alert" ? ALERT : o.k === "tx" ? TRANSACTION : TELEMETRY;
            const room = ob.hasRoom(cls, o.size + TOPIC[cls]!.length);
            const r = put(ob, cls, o.size);
            if (cls !== TELEMETRY) expect(isAccepted(r)).toBe(room);
            if (isAccepted(r) && cls !== TELEMETRY) durable.add(rc.id);
          } else if (o.k === "send") {
            for (let i = 0; i < o.n; i++) {
              const m = ob.next();
              if (m === null) break;
              check(m.id, m.cls);
              inFlight.push(m.id);
            }
          } else if (o.k === "ack") {
            if (inFlight.length === 0) continue;
            const id = inFlight.splice(o.pick % inFlight.length, 1)[0]!;
            expect(ob.acknowledge(id)).not.toBe(null);
            durable.delete(id);
          } else if (o.k === "requeue") {
            ob.requeueInFlight();
            inFlight = [];
          } else if (o.k === "sync") {
            journal.syncRemovals();
          } else {
            ({ ob, journal } = start(store));
            inFlight = [];
            lastSent = [0, 0]; // after a restart the unacknowledged ones go again, in order
            firstSent.clear();
          }
          expect(ob.messages).toBeLessThanOrEqual(CONFIG.maxMessages);
          expect(ob.bytes).toBeLessThanOrEqual(CONFIG.maxBytes);
          expect(store.totalBytes).toBeLessThanOrEqual(STORAGE.maxBytes);
        }
        // Drain: everything accepted and not acknowledged comes out.
        ob.requeueInFlight();
        for (let m = ob.next(); m !== null; m = ob.next()) {
          ob.acknowledge(m.id);
          durable.delete(m.id);
        }
        expect([...durable]).toEqual([]);
        expect(ob.backlogCount).toBe(0);
      }),
      { numRuns: 120 },
    );
  });
});
