// Engine-neutral tests of the publish outbox (src/core/outbox): unit tests
// and a model-based fast-check property over random sequences of enqueue,
// next, acknowledge, requeue, journal failures and restarts. Also bundled and
// run inside XS: only describe/it/expect, fast-check and src/core imports.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createEnqueueReceipt, EnqueueResult, isAccepted, isBackpressure } from "../../src/core/outbox/enqueue-result";
import { MemoryJournal } from "../../src/sim/memory-journal";
import { Outbox } from "../../src/core/outbox/outbox";
import { MessageClass } from "../../src/core/outbox/message-class";
import type { OutboxConfig } from "../../src/core/outbox/outbox-config";
import { thrown } from "../support/thrown";

const { ALERT, TRANSACTION, TELEMETRY } = MessageClass;
const TOPIC = ["a", "x", "m"]; // one byte each: a message's size is payload + 1

function bytes(n: number, fill = 7): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

function config(over: Partial<OutboxConfig> = {}): OutboxConfig {
  return { maxMessages: 4, maxBytes: 1000, reservedForAlerts: { messages: 1, bytes: 0 }, telemetryPolicy: "drop-oldest", ...over };
}

function fresh(over: Partial<OutboxConfig> = {}, journal = new MemoryJournal()): { ob: Outbox; journal: MemoryJournal } {
  const ob = new Outbox(config(over), journal);
  ob.restore();
  return { ob, journal };
}

/** The receipt the tests pass to enqueue (caller-owned, reused). */
const rc = createEnqueueReceipt();

function put(ob: Outbox, cls: MessageClass, size = 9, rid = "r"): number {
  const r = ob.enqueue(cls, TOPIC[cls]!, bytes(size), rid, 1000, rc);
  return isAccepted(r) ? rc.id : -1;
}

function drain(ob: Outbox): number[] {
  const out: number[] = [];
  for (let m = ob.next(); m !== null; m = ob.next()) out.push(m.id);
  return out;
}

describe("EnqueueResult", () => {
  it("names which answers are acceptances and which are backpressure (hold or decline); the others are neither", () => {
    const kind = (r: EnqueueResult) => (isAccepted(r) ? "accepted" : isBackpressure(r) ? "backpressure" : "neither");
    expect(Object.values(EnqueueResult).map((r) => `${r} ${kind(r)}`)).toEqual([
      "ACCEPTED accepted",
      "ACCEPTED_EVICTED_TELEMETRY accepted",
      "ACCEPTED_TO_BACKLOG accepted",
      "BACKPRESSURE_COUNT backpressure",
      "BACKPRESSURE_BYTES backpressure",
      "BACKLOG_FULL backpressure",
      "TELEMETRY_DROPPED neither",
      "REJECTED_TOO_LARGE neither",
      "JOURNAL_FAILED neither",
      "INVALID_MESSAGE neither",
    ]);
    for (const r of Object.values(EnqueueResult)) expect(isAccepted(r) && isBackpressure(r), r).toBe(false);
  });
});

describe("Outbox basics", () => {
  it("must be restored before use", () => {
    const ob = new Outbox(config(), new MemoryJournal());
    expect(() => ob.enqueue(TELEMETRY, "m", bytes(1), "r", 0)).toThrow("restore");
    ob.restore();
    expect(() => ob.restore()).toThrow("once");
  });

  it("refuses bad configurations", () => {
    const j = new MemoryJournal();
    expect(() => new Outbox(config({ maxMessages: 0 }), j)).toThrow("maxMessages");
    expect(() => new Outbox(config({ maxBytes: 1.5 }), j)).toThrow("maxBytes");
    expect(() => new Outbox(config({ reservedForAlerts: { messages: 4, bytes: 0 } }), j)).toThrow("reservedForAlerts.messages");
    expect(() => new Outbox(config({ reservedForAlerts: { messages: 0, bytes: 1000 } }), j)).toThrow("reservedForAlerts.bytes");
    expect(() => new Outbox(config({ telemetryPolicy: "sample" as "drop-oldest" }), j)).toThrow("telemetryPolicy");
    const refusals: [Partial<OutboxConfig>, string][] = [
      [{ maxMessages: "4" as unknown as number }, "outbox maxMessages must be a positive integer, got 4"],
      [{ maxBytes: 0 }, "outbox maxBytes must be a positive integer, got 0"],
      [{ reservedForAlerts: null as unknown as OutboxConfig["reservedForAlerts"] }, "outbox reservedForAlerts must be { messages, bytes }"],
      [{ reservedForAlerts: 3 as unknown as OutboxConfig["reservedForAlerts"] }, "outbox reservedForAlerts must be { messages, bytes }"],
      [{ reservedForAlerts: { messages: -1, bytes: 0 } }, "outbox reservedForAlerts.messages must be an integer in [0, maxMessages), got -1"],
      [{ reservedForAlerts: { messages: "1" as unknown as number, bytes: 0 } }, "outbox reservedForAlerts.messages must be an integer in [0, maxMessages), got 1"],
      [{ reservedForAlerts: { messages: 0, bytes: 0.5 } }, "outbox reservedForAlerts.bytes must be an integer in [0, maxBytes), got 0.5"],
      [{ telemetryPolicy: undefined as unknown as "drop-oldest" }, 'outbox telemetryPolicy must be "drop-oldest" or "drop-newest", got undefined'],
    ];
    for (const [change, message] of refusals) expect(String(thrown(() => new Outbox(config(change), j)))).toBe("RangeError: " + message);
    // The largest reserve each bound allows, and the smallest bounds.
    expect(new Outbox(config({ reservedForAlerts: { messages: 3, bytes: 999 } }), j).config.reservedForAlerts).toEqual({ messages: 3, bytes: 999 });
    expect(new Outbox(config({ maxMessages: 1, maxBytes: 1, reservedForAlerts: { messages: 0, bytes: 0 } }), j).config.maxMessages).toBe(1);
  });

  it("sends alerts first, then transactions, then telemetry, each in enqueue order", () => {
    const { ob } = fresh({ maxMessages: 10 });
    const tel1 = put(ob, TELEMETRY);
    const tx1 = put(ob, TRANSACTION);
    const al1 = put(ob, ALERT);
    const tx2 = put(ob, TRANSACTION);
    const tel2 = put(ob, TELEMETRY);
    const al2 = put(ob, ALERT);
    expect(ob.peek()!.id).toBe(al1);
    expect(ob.peek()!.id).toBe(al1);
    expect(drain(ob)).toEqual([al1, al2, tx1, tx2, tel1, tel2]);
    expect(ob.peek()).toBeNull();
    expect(ob.inFlight).toBe(6);
    expect(ob.queued).toBe(0);
  });

  it("hands out the message as given, with increasing ids", () => {
    const { ob } = fresh();
    const payload = bytes(3, 1);
    expect(ob.enqueue(TRANSACTION, "paycard/t1/tx", payload, "t1-1-a", 1234, rc)).toBe(EnqueueResult.ACCEPTED);
    const id1 = rc.id;
    expect(ob.enqueue(TRANSACTION, "paycard/t1/tx", payload, "t1-1-b", 1235, rc)).toBe(EnqueueResult.ACCEPTED);
    expect(rc.id).toBeGreaterThan(id1);
    const m = ob.next()!;
    expect(m.id).toBe(id1);
    expect(m.topic).toBe("paycard/t1/tx");
    expect(m.requestId).toBe("t1-1-a");
    expect(m.enqueuedAt).toBe(1234);
    expect(m.payload).toBe(payload);
    expect(ob.attempts(m.id)).toBe(1);
    expect(ob.bytes).toBe(2 * (3 + 13));
  });

  it("refuses invalid messages without side effects", () => {
    const { ob, journal } = fresh();
    expect(ob.enqueue(TRANSACTION, "", bytes(1), "r", 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.enqueue(TRANSACTION, "a/+/b", bytes(1), "r", 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.enqueue(TRANSACTION, "a/#", bytes(1), "r", 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.enqueue(TRANSACTION, "a\ud800", bytes(1), "r", 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    // A request id with a lone surrogate (either half, anywhere) has no UTF-8: refused; a pair is fine.
    for (const rid of ["r\ud800", "\udc00r", "r\ud800x", "x\udfff\ud800"]) expect(ob.enqueue(TRANSACTION, "t", bytes(1), rid, 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.enqueue(TRANSACTION, "t", bytes(1), "r".repeat(70_000), 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.enqueue(TRANSACTION, "a", bytes(1), "\udc00", 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.enqueue(7 as MessageClass, "a", bytes(1), "r", 0, rc)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(rc.id).toBe(0);
    expect(ob.messages).toBe(0);
    expect(journal.size).toBe(0);
    expect(ob.stats().invalid).toBe(11);
  });

  it("takes a request id with a surrogate pair, and the same topic again after a refused one", () => {
    const { ob } = fresh();
    expect(ob.enqueue(TRANSACTION, "t", bytes(1), "r\ud83d\ude00", 0)).toBe(EnqueueResult.ACCEPTED);
    expect(ob.enqueue(TRANSACTION, "a/#", bytes(1), "r2", 0)).toBe(EnqueueResult.INVALID_MESSAGE);
    expect(ob.enqueue(TRANSACTION, "t", bytes(1), "r3", 0)).toBe(EnqueueResult.ACCEPTED);
    expect(ob.messages).toBe(2);
  });
});

describe("Outbox bounds and backpressure", () => {
  it("answers backpressure on the count bound, keeping the reserve for alerts", () => {
    const { ob } = fresh({ maxMessages: 4, reservedForAlerts: { messages: 1, bytes: 0 } });
    for (let i = 0; i < 3; i++) expect(put(ob, TRANSACTION)).toBeGreaterThan(0);
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_COUNT);
    expect(ob.enqueue(TELEMETRY, "m", bytes(1), "r", 0)).toBe(EnqueueResult.TELEMETRY_DROPPED);
    expect(ob.messages).toBe(3);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_COUNT);
    expect(ob.messages).toBe(4);
    const s = ob.stats();
    expect(s.backpressureCount).toBe(2);
    expect(s.transaction.refused).toBe(1);
    expect(s.alert.refused).toBe(1);
    expect(s.telemetryDropped).toBe(1);
    // PUBACK makes room again.
    ob.acknowledge(ob.next()!.id);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED);
  });

  it("answers backpressure on the byte bound", () => {
    const { ob } = fresh({ maxMessages: 100, maxBytes: 100, reservedForAlerts: { messages: 0, bytes: 20 } });
    expect(put(ob, TRANSACTION, 39)).toBeGreaterThan(0); // 40 bytes
    expect(put(ob, TRANSACTION, 39)).toBeGreaterThan(0); // 80 bytes: the non-alert limit
    expect(ob.enqueue(TRANSACTION, "x", new Uint8Array(0), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_BYTES);
    expect(ob.enqueue(ALERT, "a", bytes(19), "r", 0)).toBe(EnqueueResult.ACCEPTED);
    expect(ob.bytes).toBe(100);
    expect(ob.enqueue(ALERT, "a", new Uint8Array(0), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_BYTES);
    expect(ob.stats().backpressureBytes).toBe(2);
  });

  it("rejects a message larger than its class may ever hold", () => {
    const { ob } = fresh({ maxMessages: 10, maxBytes: 100, reservedForAlerts: { messages: 0, bytes: 20 } });
    expect(ob.enqueue(TRANSACTION, "x", bytes(80), "r", 0)).toBe(EnqueueResult.REJECTED_TOO_LARGE);
    expect(ob.enqueue(TELEMETRY, "m", bytes(80), "r", 0)).toBe(EnqueueResult.REJECTED_TOO_LARGE);
    expect(ob.enqueue(ALERT, "a", bytes(100), "r", 0)).toBe(EnqueueResult.REJECTED_TOO_LARGE);
    expect(ob.enqueue(ALERT, "a", bytes(99), "r", 0)).toBe(EnqueueResult.ACCEPTED);
    expect(ob.enqueue(TRANSACTION, "x", bytes(79), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_BYTES);
    const s = ob.stats();
    expect(s.transaction.tooLarge).toBe(1);
    expect(s.alert.tooLarge).toBe(1);
    expect(s.telemetryDropped).toBe(1);
  });

  it("drops queued telemetry, oldest first, to take a transaction or an alert", () => {
    const { ob } = fresh({ maxMessages: 4, reservedForAlerts: { messages: 1, bytes: 0 } });
    const t1 = put(ob, TELEMETRY);
    const t2 = put(ob, TELEMETRY);
    const t3 = put(ob, TELEMETRY);
    expect(ob.next()!.id).toBe(t1); // in flight: never dropped
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0, rc)).toBe(EnqueueResult.ACCEPTED_EVICTED_TELEMETRY);
    expect(rc.evicted).toBe(1);
    expect(ob.queuedIds(TELEMETRY)).toEqual([t3]);
    expect(ob.inFlightIds()).toEqual([t1]);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED_EVICTED_TELEMETRY);
    expect(ob.queuedIds(TELEMETRY)).toEqual([]);
    expect(ob.contains(t2)).toBeFalsy();
    expect(ob.contains(t1)).toBeTruthy();
    expect(ob.stats().telemetryEvicted).toBe(2);
    expect(ob.stats().telemetryDropped).toBe(2);
  });

  it("drops nothing when dropping all telemetry would still not make room", () => {
    const { ob } = fresh({ maxMessages: 10, maxBytes: 50, reservedForAlerts: { messages: 0, bytes: 0 } });
    put(ob, TRANSACTION, 29); // 30 bytes
    const t = put(ob, TELEMETRY, 9); // 10 bytes
    expect(ob.enqueue(TRANSACTION, "x", bytes(29), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_BYTES);
    expect(ob.queuedIds(TELEMETRY)).toEqual([t]);
    expect(ob.bytes).toBe(40);
  });

  it("lets telemetry push out older telemetry, never a transaction", () => {
    const { ob } = fresh({ maxMessages: 3, reservedForAlerts: { messages: 0, bytes: 0 } });
    const t1 = put(ob, TELEMETRY);
    const t2 = put(ob, TELEMETRY);
    const t3 = put(ob, TELEMETRY);
    const t4 = put(ob, TELEMETRY);
    expect(rc.evicted).toBe(1);
    expect(ob.queuedIds(TELEMETRY)).toEqual([t2, t3, t4]);
    expect(ob.contains(t1)).toBeFalsy();
    const { ob: full } = fresh({ maxMessages: 3, reservedForAlerts: { messages: 0, bytes: 0 } });
    for (let i = 0; i < 3; i++) put(full, TRANSACTION);
    expect(full.enqueue(TELEMETRY, "m", bytes(1), "r", 0)).toBe(EnqueueResult.TELEMETRY_DROPPED);
    expect(full.depth(TRANSACTION)).toBe(3);
  });

  it("refuses the newest telemetry under the drop-newest policy", () => {
    const { ob } = fresh({ maxMessages: 2, reservedForAlerts: { messages: 0, bytes: 0 }, telemetryPolicy: "drop-newest" });
    const t1 = put(ob, TELEMETRY);
    const t2 = put(ob, TELEMETRY);
    expect(ob.enqueue(TELEMETRY, "m", bytes(1), "r", 0)).toBe(EnqueueResult.TELEMETRY_DROPPED);
    expect(ob.queuedIds(TELEMETRY)).toEqual([t1, t2]);
    // Transactions may still evict telemetry.
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED_EVICTED_TELEMETRY);
    expect(ob.queuedIds(TELEMETRY)).toEqual([t2]);
    expect(ob.stats().telemetryDropped).toBe(2);
  });

  it("tracks depth per class and high-water marks", () => {
    const { ob } = fresh({ maxMessages: 10 });
    put(ob, ALERT, 4);
    put(ob, TRANSACTION, 9);
    put(ob, TRANSACTION, 9);
    put(ob, TELEMETRY, 0);
    expect(ob.depth(TRANSACTION)).toBe(2);
    expect(ob.depthBytes(TRANSACTION)).toBe(20);
    for (const id of drain(ob)) ob.acknowledge(id);
    const s = ob.stats();
    expect(s.messages).toBe(0);
    expect(s.bytes).toBe(0);
    expect(s.highWaterMessages).toBe(4);
    expect(s.highWaterBytes).toBe(5 + 20 + 1);
    expect(s.transaction.highWaterMessages).toBe(2);
    expect(s.transaction.highWaterBytes).toBe(20);
    expect(s.transaction.accepted).toBe(2);
    expect(s.transaction.acknowledged).toBe(2);
    expect(s.alert.enqueued).toBe(1);
    expect(s.telemetry.acknowledged).toBe(1);
  });

  it("keeps every counter of each class apart", () => {
    const { ob } = fresh({ maxMessages: 5, maxBytes: 60, reservedForAlerts: { messages: 1, bytes: 10 } });
    put(ob, ALERT, 4); // 5 B
    put(ob, TRANSACTION, 9); // 10 B
    put(ob, TRANSACTION, 9);
    put(ob, TRANSACTION, 9);
    put(ob, TRANSACTION, 9); // 4 messages, the reserve's 1 left for alerts: refused by count
    put(ob, TELEMETRY, 60); // larger than telemetry may ever hold
    const first = ob.next()!.id; // the alert
    ob.acknowledge(first);
    const s = ob.stats();
    expect(s.alert).toEqual({ enqueued: 1, accepted: 1, acknowledged: 1, messages: 0, bytes: 0, highWaterMessages: 1, highWaterBytes: 5, refused: 0, tooLarge: 0, journalFailures: 0 });
    expect(s.transaction).toEqual({ enqueued: 4, accepted: 3, acknowledged: 0, messages: 3, bytes: 30, highWaterMessages: 3, highWaterBytes: 30, refused: 1, tooLarge: 0, journalFailures: 0 });
    expect(s.telemetry).toEqual({ enqueued: 1, accepted: 0, acknowledged: 0, messages: 0, bytes: 0, highWaterMessages: 0, highWaterBytes: 0, refused: 0, tooLarge: 1, journalFailures: 0 });
    expect([s.messages, s.bytes, s.inFlight, s.highWaterMessages, s.highWaterBytes, s.backpressureCount, s.telemetryDropped]).toEqual([3, 30, 0, 4, 35, 1, 1]);
  });
});

describe("Outbox.heldRequestIds", () => {
  it("lists the request ids of every message held, queued or in flight, and forgets acknowledged ones", () => {
    const { ob } = fresh({ maxMessages: 10 });
    put(ob, TRANSACTION, 9, "tx-1");
    put(ob, ALERT, 9, "al-1");
    put(ob, TELEMETRY, 9, "m-1");
    const first = ob.next(); // the alert goes out first
    expect([...ob.heldRequestIds()].sort()).toEqual(["al-1", "m-1", "tx-1"]);
    ob.acknowledge(first!.id);
    expect([...ob.heldRequestIds()].sort()).toEqual(["m-1", "tx-1"]);
  });
});

describe("Outbox.hasRoom", () => {
  it("predicts exactly what enqueue accepts, and changes nothing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cls: fc.constantFrom(ALERT, TRANSACTION, TELEMETRY), size: fc.integer({ min: 0, max: 400 }) }), { maxLength: 30 }),
        fc.constantFrom("drop-oldest" as const, "drop-newest" as const),
        (offers, policy) => {
          const { ob } = fresh({ maxMessages: 6, maxBytes: 1200, reservedForAlerts: { messages: 2, bytes: 200 }, telemetryPolicy: policy });
          for (const o of offers) {
            const before = JSON.stringify(ob.stats());
            const predicted = ob.hasRoom(o.cls, o.size + 1); // + the one-byte topic
            expect(JSON.stringify(ob.stats())).toBe(before);
            expect(put(ob, o.cls, o.size) > 0).toBe(predicted);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Outbox in flight", () => {
  it("acknowledges only in-flight ids", () => {
    const { ob } = fresh();
    const a = put(ob, TRANSACTION);
    expect(ob.acknowledge(a)).toBeFalsy(); // queued, not sent
    expect(ob.acknowledge(999)).toBeFalsy();
    ob.next();
    expect(ob.acknowledge(a)?.id).toBe(a);
    expect(ob.acknowledge(a)).toBeNull();
    expect(ob.stats().unknownAcks).toBe(3);
    expect(ob.messages).toBe(0);
  });

  it("acknowledges out of order", () => {
    const { ob } = fresh({ maxMessages: 10 });
    const ids = [put(ob, TRANSACTION), put(ob, TRANSACTION), put(ob, TRANSACTION)];
    drain(ob);
    expect(ob.acknowledge(ids[1]!)).toBeTruthy();
    expect(ob.inFlightIds()).toEqual([ids[0], ids[2]]);
    expect(ob.acknowledge(ids[2]!)).toBeTruthy();
    expect(ob.acknowledge(ids[0]!)).toBeTruthy();
    expect(ob.inFlight).toBe(0);
  });

  it("puts unacknowledged messages back at the front in their original order", () => {
    const { ob } = fresh({ maxMessages: 10 });
    const tx1 = put(ob, TRANSACTION);
    const tel1 = put(ob, TELEMETRY);
    const al1 = put(ob, ALERT);
    const tx2 = put(ob, TRANSACTION);
    expect(ob.next()!.id).toBe(al1);
    expect(ob.next()!.id).toBe(tx1);
    expect(ob.next()!.id).toBe(tx2);
    const tx3 = put(ob, TRANSACTION);
    ob.acknowledge(tx1);
    expect(ob.requeueInFlight()).toBe(2);
    expect(ob.inFlight).toBe(0);
    expect(ob.queuedIds(TRANSACTION)).toEqual([tx2, tx3]);
    expect(ob.next()!.id).toBe(al1);
    expect(ob.attempts(al1)).toBe(2);
    expect(drain(ob)).toEqual([tx2, tx3, tel1]);
    expect(ob.stats().requeued).toBe(2);
  });
});

describe("Outbox journal", () => {
  it("journals alerts and transactions before accepting them, not telemetry", () => {
    const { ob, journal } = fresh({ maxMessages: 10 });
    const a = put(ob, ALERT);
    const t = put(ob, TRANSACTION);
    const m = put(ob, TELEMETRY);
    expect(journal.has(a)).toBeTruthy();
    expect(journal.has(t)).toBeTruthy();
    expect(journal.has(m)).toBeFalsy();
    drain(ob);
    ob.acknowledge(t);
    expect(journal.has(t)).toBeFalsy();
    expect(journal.size).toBe(1);
  });

  it("accepts nothing when the journal fails, and drops no telemetry for it", () => {
    const { ob, journal } = fresh({ maxMessages: 2, reservedForAlerts: { messages: 0, bytes: 0 } });
    const t1 = put(ob, TELEMETRY);
    const t2 = put(ob, TELEMETRY);
    journal.failAppends = true;
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0)).toBe(EnqueueResult.JOURNAL_FAILED);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0, rc)).toBe(EnqueueResult.JOURNAL_FAILED);
    expect(rc.id).toBe(0);
    expect(ob.queuedIds(TELEMETRY)).toEqual([t1, t2]);
    expect(ob.depth(TRANSACTION)).toBe(0);
    expect(ob.stats().transaction.journalFailures).toBe(1);
    expect(ob.stats().alert.journalFailures).toBe(1);
    expect(ob.enqueue(TELEMETRY, "m", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED_EVICTED_TELEMETRY);
    journal.failAppends = false;
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED_EVICTED_TELEMETRY);
  });

  it("counts a failed removal and replays that message after a restart (at-least-once)", () => {
    const { ob, journal } = fresh();
    const t = put(ob, TRANSACTION);
    ob.next();
    journal.failRemoves = true;
    expect(ob.acknowledge(t)).toBeTruthy();
    expect(ob.stats().journalRemoveFailures).toBe(1);
    journal.failRemoves = false;
    const again = new Outbox(config(), journal);
    expect(again.restore().records).toBe(1);
    expect(again.next()!.id).toBe(t);
  });

  it("restores alerts and transactions in order after a restart, telemetry lost", () => {
    const journal = new MemoryJournal();
    const { ob } = fresh({ maxMessages: 10 }, journal);
    const tx1 = put(ob, TRANSACTION, 5, "req-1");
    const al1 = put(ob, ALERT, 3, "req-2");
    put(ob, TELEMETRY);
    const tx2 = put(ob, TRANSACTION, 1, "req-3");
    const tx3 = put(ob, TRANSACTION);
    expect(ob.next()!.id).toBe(al1);
    expect(ob.next()!.id).toBe(tx1);
    ob.acknowledge(tx1);
    // "crash": al1 is in flight, tx2 and tx3 queued
    const again = new Outbox(config({ maxMessages: 10 }), journal);
    const report = again.restore();
    expect(report).toEqual({ records: 3, messages: 3, bytes: 4 + 2 + 10, backlog: 0, overBound: false });
    expect(again.queuedIds(ALERT)).toEqual([al1]);
    expect(again.queuedIds(TRANSACTION)).toEqual([tx2, tx3]);
    expect(again.depth(TELEMETRY)).toBe(0);
    const m = again.next()!;
    expect(m.id).toBe(al1);
    expect(m.requestId).toBe("req-2");
    expect(Array.from(m.payload)).toEqual([7, 7, 7]);
    expect(again.attempts(m.id)).toBe(2); // restored: possibly sent before, set DUP
    expect(put(again, TRANSACTION)).toBeGreaterThan(tx3); // above every journaled id
    expect(again.stats().restored).toBe(3);
  });

  it("restores a journal that replays out of order in id order, ids continuing above the highest ever used", () => {
    /** A journal holding transactions 1-4, replayed newest first, whose highest id ever used is `highest`. */
    const shuffled = (highest: number) => {
      const journal = new MemoryJournal();
      const { ob } = fresh({ maxMessages: 10 }, journal);
      for (let i = 0; i < 4; i++) put(ob, TRANSACTION, 2, "req-" + i);
      return {
        replay: () => journal.replay().reverse(),
        highestId: () => highest,
        append: (r: Parameters<MemoryJournal["append"]>[0]) => journal.append(r),
        remove: (id: number) => journal.remove(id),
      };
    };
    const again = new Outbox(config({ maxMessages: 10 }), shuffled(20));
    expect(again.restore().records).toBe(4);
    expect(again.queuedIds(TRANSACTION)).toEqual([1, 2, 3, 4]);
    expect(put(again, TRANSACTION)).toBe(21);
    const lower = new Outbox(config({ maxMessages: 10 }), shuffled(0));
    lower.restore();
    expect(put(lower, TRANSACTION)).toBe(5); // above the highest restored id
  });

  it("attempts: for a queued message too, 0 for one not held; retrieve only what is in flight; hasRoom refuses a bad class or size", () => {
    const { ob } = fresh({ maxMessages: 10 });
    const a = put(ob, TRANSACTION);
    const b = put(ob, TRANSACTION);
    expect(ob.next()!.id).toBe(a);
    expect([ob.attempts(a), ob.attempts(b), ob.attempts(99)]).toEqual([1, 0, 0]);
    ob.requeueInFlight();
    expect(ob.attempts(a)).toBe(1); // queued again, taken once
    expect(ob.next()!.id).toBe(a);
    expect(ob.attempts(a)).toBe(2);
    expect(ob.retrieve(a)?.id).toBe(a);
    expect(ob.retrieve(b)).toBe(null); // queued, not in flight
    expect(ob.retrieve(99)).toBe(null);
    expect(ob.hasRoom(9 as MessageClass, 1)).toBe(false);
    expect(ob.hasRoom(TRANSACTION, 1001)).toBe(false);
    expect(ob.hasRoom(TRANSACTION, 10)).toBe(true);
  });

  it("keeps everything a journal over the bounds holds, and refuses new messages until it drains", () => {
    const journal = new MemoryJournal();
    const { ob: big } = fresh({ maxMessages: 10 }, journal);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(put(big, TRANSACTION));
    ids.push(put(big, ALERT));
    const small = config({ maxMessages: 4, reservedForAlerts: { messages: 1, bytes: 0 } });
    const ob = new Outbox(small, journal);
    const report = ob.restore();
    expect(report.overBound).toBeTruthy();
    expect(report.records).toBe(6);
    expect(ob.messages).toBe(6);
    expect(ob.stats().restoredOverBound).toBeTruthy();
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_COUNT);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_COUNT);
    expect(ob.enqueue(TELEMETRY, "m", bytes(1), "r", 0)).toBe(EnqueueResult.TELEMETRY_DROPPED);
    const sent = drain(ob);
    expect(sent).toEqual([ids[5], ...ids.slice(0, 5)]);
    ob.acknowledge(sent[0]!);
    ob.acknowledge(sent[1]!);
    ob.acknowledge(sent[2]!);
    expect(ob.messages).toBe(3);
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0)).toBe(EnqueueResult.BACKPRESSURE_COUNT);
    expect(ob.enqueue(ALERT, "a", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED);
    ob.acknowledge(sent[3]!);
    ob.acknowledge(sent[4]!);
    expect(ob.enqueue(TRANSACTION, "x", bytes(1), "r", 0)).toBe(EnqueueResult.ACCEPTED);
    expect(journal.size).toBe(3);
  });
});

// ------------------------------------------------------------ model-based property

type Cmd =
  | { k: "enq"; cls: MessageClass; size: number }
  | { k: "next" }
  | { k: "ack"; pick: number; unknown: boolean }
  | { k: "requeue" }
  | { k: "restart" }
  | { k: "journal"; failAppends: boolean; failRemoves: boolean };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant("enq" as const), cls: fc.constantFrom(ALERT, TRANSACTION, TELEMETRY), size: fc.integer({ min: 0, max: 24 }) }) },
  { weight: 4, arbitrary: fc.constant({ k: "next" as const }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant("ack" as const), pick: fc.nat(), unknown: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ k: "requeue" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "restart" as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("journal" as const), failAppends: fc.boolean(), failRemoves: fc.boolean() }) },
);

const configArb: fc.Arbitrary<OutboxConfig> = fc
  .record({
    maxMessages: fc.integer({ min: 1, max: 8 }),
    maxBytes: fc.integer({ min: 16, max: 200 }),
    rm: fc.nat(),
    rb: fc.nat(),
    drop: fc.boolean(),
  })
  .map(({ maxMessages, maxBytes, rm, rb, drop }) => ({
    maxMessages,
    maxBytes,
    reservedForAlerts: { messages: rm % maxMessages, bytes: rb % Math.floor(maxBytes / 2) },
    telemetryPolicy: drop ? ("drop-oldest" as const) : ("drop-newest" as const),
  }));

/** A straightforward model: arrays of ids per class queue and in flight. */
class Model {
  queued: number[][] = [[], [], []];
  inFlight: number[] = [];
  cls = new Map<number, MessageClass>();
  size = new Map<number, number>();
  attempts = new Map<number, number>();
  /** Durable ids the journal holds (accepted, not removed). */
  journal = new Set<number>();
  /** Accepted alerts and transactions not yet acknowledged: must never vanish. */
  owed = new Set<number>();

  total(): number {
    return this.queued[0]!.length + this.queued[1]!.length + this.queued[2]!.length + this.inFlight.length;
  }

  bytes(): number {
    let b = 0;
    for (const q of this.queued) for (const id of q) b += this.size.get(id)!;
    for (const id of this.inFlight) b += this.size.get(id)!;
    return b;
  }

  /** The result enqueue must give, and how many queued telemetry it drops. */
  expectEnqueue(cfg: OutboxConfig, cls: MessageClass, size: number, journalFails: boolean): { result: EnqueueResult; evict: number } {
    const alert = cls === ALERT;
    const countLimit = alert ? cfg.maxMessages : cfg.maxMessages - cfg.reservedForAlerts.messages;
    const byteLimit = alert ? cfg.maxBytes : cfg.maxBytes - cfg.reservedForAlerts.bytes;
    if (size > byteLimit) return { result: EnqueueResult.REJECTED_TOO_LARGE, evict: 0 };
    let count = this.total() + 1;
    let bytes = this.bytes() + size;
    let evict = 0;
    const tel = this.queued[TELEMETRY]!;
    const refuse = (): EnqueueResult =>
      cls === TELEMETRY ? EnqueueResult.TELEMETRY_DROPPED : count > countLimit ? EnqueueResult.BACKPRESSURE_COUNT : EnqueueResult.BACKPRESSURE_BYTES;
    if (cls === TELEMETRY && cfg.telemetryPolicy === "drop-newest" && (count > countLimit || bytes > byteLimit)) {
      return { result: refuse(), evict: 0 };
    }
    while ((count > countLimit || bytes > byteLimit) && evict < tel.length) {
      count--;
      bytes -= this.size.get(tel[evict]!)!;
      evict++;
    }
    if (count > countLimit || bytes > byteLimit) return { result: refuse(), evict: 0 };
    if (cls !== TELEMETRY && journalFails) return { result: EnqueueResult.JOURNAL_FAILED, evict: 0 };
    return { result: evict > 0 ? EnqueueResult.ACCEPTED_EVICTED_TELEMETRY : EnqueueResult.ACCEPTED, evict };
  }
}

function checkAgainstModel(ob: Outbox, model: Model, journal: MemoryJournal): void {
  for (const c of [ALERT, TRANSACTION, TELEMETRY]) {
    expect(ob.queuedIds(c)).toEqual(model.queued[c]);
    let n = model.queued[c]!.length;
    for (const id of model.inFlight) if (model.cls.get(id) === c) n++;
    expect(ob.depth(c)).toBe(n);
  }
  expect(ob.inFlightIds()).toEqual(model.inFlight);
  expect(ob.messages).toBe(model.total());
  expect(ob.bytes).toBe(model.bytes());
  for (const id of model.owed) expect(ob.contains(id)).toBeTruthy();
  expect(journal.size).toBe(model.journal.size);
  for (const id of model.journal) expect(journal.has(id)).toBeTruthy();
}

describe("Outbox properties", () => {
  it("matches a model, never exceeds its bounds on accept, never loses an alert or a transaction", () => {
    fc.assert(
      fc.property(configArb, fc.array(cmdArb, { minLength: 10, maxLength: 80, size: "max" }), (cfg, cmds) => {
        const journal = new MemoryJournal();
        let ob = new Outbox(cfg, journal);
        ob.restore();
        const model = new Model();
        let highestDurable = 0;
        for (const cmd of cmds) {
          if (cmd.k === "enq") {
            const before = { messages: ob.messages, bytes: ob.bytes };
            const want = model.expectEnqueue(cfg, cmd.cls, cmd.size + 1, journal.failAppends);
            const got = ob.enqueue(cmd.cls, TOPIC[cmd.cls]!, bytes(cmd.size), "r", 0, rc);
            expect(got).toBe(want.result);
            if (isAccepted(got)) {
              // The bounds hold after every accept; the alert reserve too.
              const alert = cmd.cls === ALERT;
              expect(ob.messages).toBeLessThanOrEqual(alert ? cfg.maxMessages : cfg.maxMessages - cfg.reservedForAlerts.messages);
              expect(ob.bytes).toBeLessThanOrEqual(alert ? cfg.maxBytes : cfg.maxBytes - cfg.reservedForAlerts.bytes);
              expect(rc.evicted).toBe(want.evict);
              const id = rc.id;
              for (const q of model.queued) for (const other of q) expect(id).toBeGreaterThan(other);
              for (const other of model.inFlight) expect(id).toBeGreaterThan(other);
              const evicted = model.queued[TELEMETRY]!.splice(0, want.evict);
              for (const e of evicted) expect(ob.contains(e)).toBeFalsy();
              model.queued[cmd.cls]!.push(id);
              model.cls.set(id, cmd.cls);
              model.size.set(id, cmd.size + 1);
              model.attempts.set(id, 0);
              if (cmd.cls !== TELEMETRY) {
                expect(id).toBeGreaterThan(highestDurable);
                highestDurable = id;
                model.journal.add(id);
                model.owed.add(id);
              }
            } else {
              expect(rc.id).toBe(0);
              expect(ob.messages).toBe(before.messages);
              expect(ob.bytes).toBe(before.bytes);
            }
          } else if (cmd.k === "next") {
            const m = ob.next();
            const c = model.queued.findIndex((q) => q.length > 0);
            if (c < 0) {
              expect(m).toBeNull();
            } else {
              const id = model.queued[c]!.shift()!;
              expect(m!.id).toBe(id);
              model.inFlight.push(id);
              model.attempts.set(id, model.attempts.get(id)! + 1);
              expect(ob.attempts(id)).toBe(model.attempts.get(id));
            }
          } else if (cmd.k === "ack") {
            if (cmd.unknown || model.inFlight.length === 0) {
              expect(ob.acknowledge(1e9 + cmd.pick)).toBeFalsy();
            } else {
              const [id] = model.inFlight.splice(cmd.pick % model.inFlight.length, 1) as [number];
              expect(ob.acknowledge(id)).toBeTruthy();
              model.owed.delete(id);
              if (!journal.failRemoves) model.journal.delete(id);
            }
          } else if (cmd.k === "requeue") {
            expect(ob.requeueInFlight()).toBe(model.inFlight.length);
            for (let i = model.inFlight.length - 1; i >= 0; i--) {
              const id = model.inFlight[i]!;
              model.queued[model.cls.get(id)!]!.unshift(id);
            }
            model.inFlight = [];
          } else if (cmd.k === "restart") {
            ob = new Outbox(cfg, journal);
            const report = ob.restore();
            // Whatever the journal holds comes back (acked ones whose removal
            // failed too: at-least-once), in id order per class.
            const ids = [...model.journal].sort((a, b) => a - b);
            model.queued = [[], [], []];
            model.inFlight = [];
            for (const id of ids) {
              model.queued[model.cls.get(id)!]!.push(id);
              model.attempts.set(id, 1);
              model.owed.add(id);
            }
            expect(report.records).toBe(ids.length);
            expect(report.overBound).toBe(model.total() > cfg.maxMessages || model.bytes() > cfg.maxBytes);
          } else {
            journal.failAppends = cmd.failAppends;
            journal.failRemoves = cmd.failRemoves;
          }
          checkAgainstModel(ob, model, journal);
        }
        // Drain: every owed alert and transaction is still deliverable.
        ob.requeueInFlight();
        const rest = new Set(drain(ob));
        for (const id of model.owed) expect(rest.has(id)).toBeTruthy();
      }),
      { numRuns: 200 },
    );
  });
});
