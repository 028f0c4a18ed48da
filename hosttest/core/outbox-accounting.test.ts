// The outbox's accounting at its edges (src/core/outbox/outbox.ts): bytes as payload plus topic,
// also for transactions refilled from the backlog; the high-water marks of each class apart;
// queue depths after a requeue; hasRoom at the byte limit; topics and request ids at their
// encodable limits; a backlog that fails to store or to read. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { createEnqueueReceipt, EnqueueResult } from "../../src/core/outbox/enqueue-result";
import { MessageClass } from "../../src/core/outbox/message-class";
import { Outbox } from "../../src/core/outbox/outbox";
import type { OutboxConfig } from "../../src/core/outbox/outbox-config";
import { SegmentedJournal } from "../../src/core/outbox/segmented-journal";
import { MemoryJournal } from "../../src/sim/memory-journal";
import { MemorySegmentStore } from "../../src/sim/memory-segment-store";

const { ALERT, TRANSACTION, TELEMETRY } = MessageClass;
const rc = createEnqueueReceipt();

function outbox(over: Partial<OutboxConfig> = {}): Outbox {
  const ob = new Outbox({ maxMessages: 8, maxBytes: 1000, reservedForAlerts: { messages: 2, bytes: 100 }, telemetryPolicy: "drop-oldest", ...over }, new MemoryJournal());
  ob.restore();
  return ob;
}

function put(ob: Outbox, cls: MessageClass, topic: string, size: number, rid = "r"): EnqueueResult {
  return ob.enqueue(cls, topic, new Uint8Array(size), rid, 1000, rc);
}

describe("Outbox accounting", () => {
  it("counts a message as its payload plus its topic's UTF-8, per class and in all, with each class's high-water mark apart", () => {
    const ob = outbox();
    expect(put(ob, ALERT, "a/ä", 10)).toBe(EnqueueResult.ACCEPTED); // 10 + 4
    expect(put(ob, TRANSACTION, "t", 20)).toBe(EnqueueResult.ACCEPTED); // 21
    expect(put(ob, TRANSACTION, "t", 30)).toBe(EnqueueResult.ACCEPTED); // 31
    expect(put(ob, TELEMETRY, "m/x", 5)).toBe(EnqueueResult.ACCEPTED); // 8
    const s = ob.stats();
    expect([s.messages, s.bytes, s.highWaterMessages, s.highWaterBytes]).toEqual([4, 74, 4, 74]);
    expect([s.alert.bytes, s.transaction.bytes, s.telemetry.bytes]).toEqual([14, 52, 8]);
    // Acknowledging lowers the counts, not the marks; each class keeps its own.
    for (let m = ob.next(); m !== null; m = ob.next()) ob.acknowledge(m.id);
    expect(put(ob, TELEMETRY, "m/x", 50)).toBe(EnqueueResult.ACCEPTED);
    const t = ob.stats();
    expect([t.messages, t.bytes, t.highWaterMessages, t.highWaterBytes]).toEqual([1, 53, 4, 74]);
    expect([t.alert.highWaterMessages, t.alert.highWaterBytes]).toEqual([1, 14]);
    expect([t.transaction.highWaterMessages, t.transaction.highWaterBytes]).toEqual([2, 52]);
    expect([t.telemetry.highWaterMessages, t.telemetry.highWaterBytes, t.telemetry.bytes]).toEqual([1, 53, 53]);
  });

  it("a requeue puts in-flight messages back at the front of their queues, their depths restored", () => {
    const ob = outbox();
    for (let i = 0; i < 3; i++) put(ob, TRANSACTION, "t", 1, `r${i}`);
    put(ob, ALERT, "a", 1);
    const first = [ob.next()!.id, ob.next()!.id];
    expect([ob.queued, ob.inFlight, ob.queuedIds(ALERT).length, ob.queuedIds(TRANSACTION).length]).toEqual([2, 2, 0, 2]);
    expect(ob.requeueInFlight()).toBe(2);
    expect([ob.queued, ob.inFlight, ob.queuedIds(ALERT).length, ob.queuedIds(TRANSACTION).length, ob.stats().requeued]).toEqual([4, 0, 1, 3, 2]);
    expect([ob.depth(ALERT), ob.depth(TRANSACTION)]).toEqual([1, 3]); // depth counts in flight too: unchanged
    expect([ob.next()!.id, ob.next()!.id]).toEqual(first);
  });

  it("hasRoom: a message of exactly its class's byte limit fits an empty outbox; one byte more never does", () => {
    const ob = outbox();
    expect([ob.hasRoom(TRANSACTION, 900), ob.hasRoom(TRANSACTION, 901)]).toEqual([true, false]);
    expect([ob.hasRoom(ALERT, 1000), ob.hasRoom(ALERT, 1001)]).toEqual([true, false]);
    expect(put(ob, TRANSACTION, "t", 899)).toBe(EnqueueResult.ACCEPTED);
    expect(put(ob, TRANSACTION, "t", 900)).toBe(EnqueueResult.REJECTED_TOO_LARGE);
  });

  it("a topic must be 1 to 65 535 UTF-8 bytes without wildcards, every time it is offered", () => {
    const ob = outbox({ maxBytes: 200_000, reservedForAlerts: { messages: 2, bytes: 0 } });
    for (let i = 0; i < 2; i++) {
      expect(put(ob, TRANSACTION, "a/+", 1), "wildcard, again").toBe(EnqueueResult.INVALID_MESSAGE);
      expect(put(ob, TRANSACTION, "a/#", 1)).toBe(EnqueueResult.INVALID_MESSAGE);
      expect(put(ob, TRANSACTION, "", 1)).toBe(EnqueueResult.INVALID_MESSAGE);
      expect(put(ob, TRANSACTION, "x".repeat(65_536), 1)).toBe(EnqueueResult.INVALID_MESSAGE);
      expect(put(ob, TRANSACTION, 7 as unknown as string, 1)).toBe(EnqueueResult.INVALID_MESSAGE);
    }
    expect(put(ob, TRANSACTION, "x".repeat(65_535), 1)).toBe(EnqueueResult.ACCEPTED);
    expect(put(ob, TRANSACTION, "€".repeat(21_845), 1)).toBe(EnqueueResult.ACCEPTED); // 65 535 bytes
    expect(put(ob, TRANSACTION, "€".repeat(21_846), 1)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.stats().invalid).toBe(11);
  });

  it("a request id must have a UTF-8 form of at most 65 535 bytes, short or long", () => {
    const ob = outbox();
    const cases: [string, EnqueueResult][] = [
      ["r".repeat(65_535), EnqueueResult.ACCEPTED],
      ["r".repeat(65_536), EnqueueResult.INVALID_MESSAGE],
      ["€".repeat(21_845), EnqueueResult.ACCEPTED], // 21 845 code units: at most a third, never measured
      ["€".repeat(21_846), EnqueueResult.INVALID_MESSAGE], // measured: 65 538 bytes
      ["€".repeat(21_846).slice(0, 21_845) + "\ud800" + "r".repeat(10), EnqueueResult.INVALID_MESSAGE], // long, with a lone surrogate
      ["r\ud83d\ude00".repeat(10_000), EnqueueResult.ACCEPTED], // pairs: 50 000 bytes
    ];
    for (const [rid, want] of cases) {
      expect(put(ob, ALERT, "a", 1, rid), `${rid.length} code units`).toBe(want);
      for (let m = ob.next(); m !== null; m = ob.next()) ob.acknowledge(m.id);
    }
  });
});

describe("Outbox over a backlog, accounting", () => {
  function backed(store = new MemorySegmentStore()): { ob: Outbox; store: MemorySegmentStore } {
    const journal = new SegmentedJournal(store, { maxBytes: 8000, segmentBytes: 1000, maxFrameBytes: 300, ramRecords: 6 });
    const ob = new Outbox({ maxMessages: 4, maxBytes: 1000, reservedForAlerts: { messages: 1, bytes: 100 }, telemetryPolicy: "drop-oldest" }, journal);
    ob.restore();
    return { ob, store };
  }

  it("transactions refilled from the backlog count their topic's bytes as enqueued ones do", () => {
    const { ob } = backed();
    for (let i = 0; i < 6; i++) expect(put(ob, TRANSACTION, i < 3 ? "p/tx" : "p/tx/é", 10, `r${i}`)).toBe(i < 3 ? EnqueueResult.ACCEPTED : EnqueueResult.ACCEPTED_TO_BACKLOG);
    expect([ob.messages, ob.bytes, ob.backlogCount]).toEqual([3, 3 * 14, 3]);
    for (let k = 0; k < 3; k++) ob.acknowledge(ob.next()!.id);
    ob.peek(); // refills (as next() does)
    // The three from the backlog came in (RAM holds 3 transactions) with their 7-byte topic.
    expect([ob.messages, ob.bytes, ob.backlogCount, ob.stats().backlogLoaded]).toEqual([3, 3 * 17, 0, 3]);
    expect(ob.stats().transaction.bytes).toBe(51);
  });

  it("a backlog that cannot store is a journal failure, counted; one that cannot be read leaves its records waiting", () => {
    const { ob, store } = backed();
    for (let i = 0; i < 3; i++) put(ob, TRANSACTION, "t", 10, `r${i}`);
    store.failNext = true;
    expect(put(ob, TRANSACTION, "t", 10)).toBe(EnqueueResult.JOURNAL_FAILED);
    expect(ob.stats().transaction.journalFailures).toBe(1);
    expect(put(ob, TRANSACTION, "t", 10)).toBe(EnqueueResult.ACCEPTED_TO_BACKLOG);
    store.failNext = true; // the refill in next() cannot read the backlog: nothing thrown, nothing lost
    const m = ob.next()!;
    expect([ob.messages, ob.backlogCount]).toEqual([3, 1]);
    ob.acknowledge(m.id);
    ob.peek(); // readable again: refilled
    expect([ob.messages, ob.backlogCount]).toEqual([3, 0]);
  });
});
