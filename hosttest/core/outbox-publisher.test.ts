// Engine-neutral tests of the outbox publisher (src/core/app/outbox-publisher.ts),
// also run inside XS: a journaled Outbox, the real MqttSession and the
// publisher, over a scripted in-memory broker (the real codec on the far
// end) that fragments its bytes, cuts links mid-packet or between PUBLISH
// and PUBACK, and forgets sessions; restarts rebuild outbox, session and
// publisher on the same MemoryJournal.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { MqttSessionOptions } from "../../src/core/mqtt/session/mqtt-session";
import { MqttSession } from "../../src/core/mqtt/session/mqtt-session";
import { OutboxPublisher } from "../../src/core/app/outbox-publisher";
import { isAccepted, isBackpressure } from "../../src/core/outbox/enqueue-result";
import { MemoryJournal } from "../../src/sim/memory-journal";
import { Outbox } from "../../src/core/outbox/outbox";
import { MessageClass } from "../../src/core/outbox/message-class";
import type { OutboxConfig } from "../../src/core/outbox/outbox-config";
import { SeededRandom } from "../../src/sim/seeded-random";
import { Broker, bytes, Link } from "../../src/sim/scripted-broker";

const TOPIC = "paycard/term-1/tx";

const SESSION: MqttSessionOptions = {
  clientId: "term-1",
  keepAliveSec: 30,
  inFlightWindow: 4,
  maxPacketSize: 4096,
  backoff: { baseMs: 100, capMs: 1000 },
  pingTimeoutMs: 5000,
};

const BOUNDS: OutboxConfig = {
  maxMessages: 16,
  maxBytes: 1200,
  reservedForAlerts: { messages: 2, bytes: 100 },
  telemetryPolicy: "drop-oldest",
};

/** One terminal: outbox + session + publisher on a journal that outlives it. */
class Terminal {
  readonly outbox: Outbox;
  readonly session: MqttSession;
  readonly publisher: OutboxPublisher;
  readonly restored: number;
  maxMessagesSeen = 0;
  maxBytesSeen = 0;
  inconsistent = 0;

  constructor(
    readonly journal: MemoryJournal,
    readonly broker: Broker,
    seed: number,
    session: Partial<MqttSessionOptions> = {},
  ) {
    this.outbox = new Outbox(BOUNDS, journal);
    this.restored = this.outbox.restore().records;
    this.session = new MqttSession({ ...SESSION, ...session }, { transport: () => new Link(broker), random: new SeededRandom(seed), store: this.outbox });
    this.publisher = new OutboxPublisher(this.outbox, this.session);
  }

  sample(): void {
    if (this.outbox.messages > this.maxMessagesSeen) this.maxMessagesSeen = this.outbox.messages;
    if (this.outbox.bytes > this.maxBytesSeen) this.maxBytesSeen = this.outbox.bytes;
    if (!consistent(this)) this.inconsistent++;
  }

  step(now: number): void {
    this.session.tick(now);
    this.publisher.pump();
    this.broker.pump();
    this.sample();
  }
}

/** Every message the outbox has in flight is in flight in the session or parked: nothing is forgotten between the two. */
function consistent(t: Terminal): boolean {
  return t.outbox.inFlight === t.session.inFlightCount + t.publisher.parkedIds.length;
}

function event(seq: number): { payload: Uint8Array; requestId: string } {
  const requestId = `term-1-1-${seq.toString(36)}`;
  return { payload: bytes(`{"request_id":"${requestId}","amount_cents":${100 + (seq % 900)}}`), requestId };
}

function requestIdOf(payload: string): string {
  const m = /"request_id":"([^"]+)"/.exec(payload);
  return m === null ? "?" : m[1]!;
}

interface RunResult {
  accepted: string[];
  refused: number;
  terminals: Terminal[];
  broker: Broker;
  journal: MemoryJournal;
}

interface Plan {
  events: number;
  seed: number;
  fragment: number;
  cutBeforeAck: number;
  /** Cut points in client bytes. */
  cuts: number[];
  /** Steps at which the broker forgets every session before the next connect. */
  forgetAt: number[];
  /** Steps at which the terminal restarts (new outbox, session, publisher on the same journal). */
  restartAt: number[];
  /** Steps at which the broker goes down for a while. */
  downAt: number[];
  perStep: number;
}

/** Enqueues `events` events, at most perStep per 50 ms step, retrying refused ones, with the plan's faults. */
function run(plan: Plan): RunResult {
  const broker = new Broker(plan.seed);
  broker.fragment = plan.fragment;
  broker.cutBeforeAck = plan.cutBeforeAck;
  const cuts = plan.cuts.slice().sort((a, b) => a - b);
  const journal = new MemoryJournal();
  const terminals: Terminal[] = [];
  let t = new Terminal(journal, broker, plan.seed);
  terminals.push(t);
  let now = 1000;
  t.session.start(now);
  const accepted: string[] = [];
  let refused = 0;
  let seq = 0;
  let downUntil = -1;
  for (let stepNo = 0; stepNo < 20_000; stepNo++) {
    if (seq >= plan.events && journal.size === 0 && t.outbox.messages === 0) break;
    if (plan.restartAt.includes(stepNo)) {
      // Power cut: the old objects vanish with their in-flight copies; the journal stays.
      t.session.stop(now);
      t = new Terminal(journal, broker, plan.seed + stepNo);
      terminals.push(t);
      t.session.start(now);
    }
    if (plan.forgetAt.includes(stepNo)) {
      broker.keepSessions = false;
      broker.drop();
    } else if (!broker.keepSessions && broker.link !== null) {
      broker.keepSessions = true;
    }
    if (plan.downAt.includes(stepNo)) {
      broker.down = true;
      broker.drop();
      downUntil = stepNo + 20;
    }
    if (stepNo === downUntil) broker.down = false;
    if (broker.cutAfterClientBytes < 0 && cuts.length > 0) broker.cutAfterClientBytes = cuts.shift()!;
    for (let k = 0; k < plan.perStep && seq < plan.events; k++) {
      const e = event(seq);
      const r = t.outbox.enqueue(MessageClass.TRANSACTION, TOPIC, e.payload, e.requestId, now);
      if (isAccepted(r)) {
        accepted.push(e.requestId);
        seq++;
      } else {
        expect(isBackpressure(r)).toBe(true);
        refused++;
        break; // retry this event at the next step
      }
    }
    t.sample();
    now += 50;
    t.step(now);
  }
  for (const x of terminals) x.session.stop(now);
  return { accepted, refused, terminals, broker, journal };
}

function deliveredIds(broker: Broker): string[] {
  return broker.publishes.map((p) => requestIdOf(p.payload));
}

function noFaults(events: number, seed = 1): Plan {
  return { events, seed, fragment: 0, cutBeforeAck: 0, cuts: [], forgetAt: [], restartAt: [], downAt: [], perStep: 8 };
}

describe("OutboxPublisher", () => {
  it("moves every message to the session in order, acknowledges at PUBACK and empties the journal", () => {
    const r = run(noFaults(300));
    const t = r.terminals[0]!;
    expect(r.accepted).toHaveLength(300);
    expect(deliveredIds(r.broker)).toEqual(r.accepted);
    expect(r.journal.size).toBe(0);
    expect(t.outbox.messages).toBe(0);
    const s = t.outbox.stats();
    expect(s.transaction.accepted).toBe(300);
    expect(s.transaction.acknowledged).toBe(300);
    expect(t.publisher.counters.published).toBe(300);
    expect(t.publisher.counters.acknowledged).toBe(300);
    expect(t.publisher.counters.unknownAcks).toBe(0);
    expect(t.session.counters.pubacks).toBe(300);
    expect(t.inconsistent).toBe(0);
  });

  it("applies backpressure when the broker is down and never exceeds the outbox bounds", () => {
    const plan = noFaults(400);
    plan.downAt = [3, 40];
    plan.perStep = 20;
    const r = run(plan);
    const t = r.terminals[0]!;
    expect(r.refused).toBeGreaterThan(0);
    expect(t.outbox.stats().backpressureCount + t.outbox.stats().backpressureBytes).toBe(r.refused);
    expect(t.maxMessagesSeen).toBeLessThanOrEqual(BOUNDS.maxMessages - BOUNDS.reservedForAlerts.messages);
    expect(t.maxBytesSeen).toBeLessThanOrEqual(BOUNDS.maxBytes - BOUNDS.reservedForAlerts.bytes);
    expect(t.maxMessagesSeen).toBeGreaterThan(SESSION.inFlightWindow);
    expect(new Set(deliveredIds(r.broker)).size).toBe(400);
    expect(r.journal.size).toBe(0);
  });

  it("on a cut the session alone resends: no message is handed over twice, extra deliveries = session resends", () => {
    const plan = noFaults(500, 9);
    plan.cutBeforeAck = 0.03;
    plan.cuts = [500, 3000, 9000, 9001, 15000];
    plan.fragment = 3;
    const r = run(plan);
    const t = r.terminals[0]!;
    const got = deliveredIds(r.broker);
    const extra = got.filter((g) => !r.accepted.includes(g));
    expect(extra).toEqual([]);
    expect(new Set(got).size).toBe(500);
    for (const id of r.accepted) expect(got).toContain(id);
    expect(r.broker.cuts).toBeGreaterThan(5);
    expect(t.publisher.counters.disconnects).toBeGreaterThan(5);
    // Each accepted message was given to the session exactly once ...
    expect(t.publisher.counters.published).toBe(500);
    expect(t.outbox.stats().requeued).toBe(0);
    // ... and every duplicate at the broker is one of the session's own resends.
    const resends = t.session.counters.retransmits + t.session.counters.republished;
    expect(resends).toBeGreaterThan(0);
    expect(got.length - 500).toBeLessThanOrEqual(resends);
    // DUP=1 only on the session's retransmits (some of them die in a later cut).
    expect(r.broker.dupFlags).toBeGreaterThan(0);
    expect(r.broker.dupFlags).toBeLessThanOrEqual(t.session.counters.retransmits);
    expect(t.inconsistent).toBe(0);
    expect(r.journal.size).toBe(0);
    expect(t.publisher.counters.acknowledged).toBe(500);
  });

  it("after the broker forgets the session the session republishes; nothing is lost", () => {
    const plan = noFaults(200, 4);
    plan.forgetAt = [5, 12];
    plan.cutBeforeAck = 0.02;
    const r = run(plan);
    const t = r.terminals[0]!;
    expect(new Set(deliveredIds(r.broker)).size).toBe(200);
    expect(t.session.counters.republished).toBeGreaterThan(0);
    expect(t.publisher.counters.published).toBe(200);
    expect(r.journal.size).toBe(0);
  });

  it("a restart on the same journal publishes the unacknowledged messages again and continues", () => {
    const plan = noFaults(300, 5);
    plan.cutBeforeAck = 0.05;
    plan.restartAt = [10, 20];
    const r = run(plan);
    expect(r.terminals).toHaveLength(3);
    const restored = r.terminals[1]!.restored + r.terminals[2]!.restored;
    expect(restored).toBeGreaterThan(0);
    expect(new Set(deliveredIds(r.broker)).size).toBe(300);
    expect(r.journal.size).toBe(0);
    let acked = 0;
    for (const t of r.terminals) acked += t.publisher.counters.acknowledged;
    // Acknowledged across lives = accepted + those acknowledged once more after a restore
    // (a PUBACK lost with the old life): never fewer than accepted.
    expect(acked).toBeGreaterThanOrEqual(300);
    const last = r.terminals[2]!;
    expect(last.outbox.stats().restored).toBe(last.restored);
    expect(last.publisher.counters.republishedFromOutbox).toBe(last.restored);
  });

  it("parks a message the session can never send instead of dropping it, and keeps the others flowing", () => {
    const broker = new Broker(3);
    const journal = new MemoryJournal();
    const t = new Terminal(journal, broker, 3, { maxPacketSize: 200 });
    let now = 0;
    t.session.start(now);
    const big = bytes(`{"request_id":"big","pad":"${"x".repeat(300)}"}`);
    expect(isAccepted(t.outbox.enqueue(MessageClass.TRANSACTION, TOPIC, event(0).payload, "a", now))).toBe(true);
    expect(isAccepted(t.outbox.enqueue(MessageClass.TRANSACTION, TOPIC, big, "big", now))).toBe(true);
    expect(isAccepted(t.outbox.enqueue(MessageClass.TRANSACTION, TOPIC, event(2).payload, "c", now))).toBe(true);
    for (let i = 0; i < 20; i++) t.step((now += 50));
    expect(t.publisher.counters.invalid).toBe(1);
    expect(t.publisher.parkedIds).toEqual([2]);
    expect(t.publisher.counters.acknowledged).toBe(2);
    expect(journal.size).toBe(1);
    expect(journal.has(2)).toBe(true);
    expect(consistent(t)).toBe(true);
    expect(t.publisher.counters.sessionErrors["INVALID_MESSAGE"]).toBe(1);
  });

  it("replaceSession hands the old session's in-flight messages to the new one", () => {
    const broker = new Broker(8);
    broker.down = false;
    const journal = new MemoryJournal();
    const t = new Terminal(journal, broker, 8);
    let now = 0;
    t.session.start(now);
    for (let i = 0; i < 6; i++) expect(isAccepted(t.outbox.enqueue(MessageClass.TRANSACTION, TOPIC, event(i).payload, `r${i}`, now))).toBe(true);
    broker.cutBeforeAck = 1; // every PUBLISH arrives, no PUBACK
    t.step((now += 50));
    expect(t.outbox.inFlight).toBeGreaterThan(0);
    const inFlight = t.outbox.inFlight;
    t.session.stop(now);
    broker.cutBeforeAck = 0;
    const fresh = new MqttSession(SESSION, { transport: () => new Link(broker), random: new SeededRandom(1), store: t.outbox });
    t.publisher.replaceSession(fresh);
    expect(t.outbox.inFlight).toBe(0);
    expect(t.publisher.counters.requeued).toBe(inFlight);
    fresh.start(now);
    for (let i = 0; i < 20; i++) {
      fresh.tick((now += 50));
      t.publisher.pump();
      broker.pump();
    }
    expect(journal.size).toBe(0);
    expect(new Set(deliveredIds(broker)).size).toBe(6);
  });

  it("tells its callbacks and counts: connects, stalls while the window is full, acknowledgements, a cut, a session error; retain as asked", () => {
    const broker = new Broker(3);
    const journal = new MemoryJournal();
    const outbox = new Outbox(BOUNDS, journal);
    outbox.restore();
    const session = new MqttSession({ ...SESSION, inFlightWindow: 2 }, { transport: () => new Link(broker), random: new SeededRandom(3), store: outbox });
    const seen: string[] = [];
    const publisher = new OutboxPublisher(outbox, session, {
      retain: true,
      onConnected: () => seen.push("up"),
      onDisconnected: () => seen.push("down"),
      onAcknowledged: (rec) => seen.push("ack " + rec.requestId),
      onError: (e) => seen.push("error " + e.code),
    });
    expect(publisher.pump()).toBe(0);
    expect(publisher.backedUp).toBe(false); // nothing queued
    for (let i = 0; i < 3; i++) outbox.enqueue(MessageClass.TRANSACTION, TOPIC, event(i).payload, `r${i}`, 0);
    expect(publisher.pump()).toBe(0); // not connected: stalled, backed up
    expect([publisher.backedUp, publisher.counters.stalls]).toEqual([true, 1]);
    let now = 0;
    session.start(now);
    broker.autoAck = false; // PUBLISHes arrive, no PUBACK: the window of 2 fills
    for (let i = 0; i < 3; i++) {
      session.tick((now += 50));
      broker.pump();
    }
    expect(seen).toEqual(["up"]);
    expect(publisher.counters.connects).toBe(1);
    expect([outbox.inFlight, outbox.queued, publisher.backedUp]).toEqual([2, 1, true]);
    expect(publisher.pump()).toBe(0);
    expect(publisher.counters.stalls).toBeGreaterThan(1);
    expect(broker.publishes.every((p) => p.retain)).toBe(true);
    // The link is cut (no PUBACK came): the session resends after reconnecting, then every PUBACK is told.
    broker.drop();
    broker.autoAck = true;
    for (let i = 0; i < 40; i++) {
      session.tick((now += 50));
      publisher.pump();
      broker.pump();
    }
    expect(seen.slice(0, 4)).toEqual(["up", "error TRANSPORT_CLOSED", "down", "up"]);
    expect(publisher.counters.disconnects).toBe(1);
    expect(seen.filter((x) => x.startsWith("ack ")).sort()).toEqual(["ack r0", "ack r1", "ack r2"]);
    expect([publisher.counters.acknowledged, outbox.messages, journal.size, publisher.backedUp]).toEqual([3, 0, 0, false]);
    expect(publisher.counters.published).toBe(3);
    expect(publisher.counters.sessionErrors).toEqual({ TRANSPORT_CLOSED: 1 });
  });

  it("without callbacks nothing is called and nothing fails; pump answers how many it handed over; not retained by default", () => {
    const broker = new Broker(6);
    const outbox = new Outbox(BOUNDS, new MemoryJournal());
    outbox.restore();
    const session = new MqttSession(SESSION, { transport: () => new Link(broker), random: new SeededRandom(6), store: outbox });
    const publisher = new OutboxPublisher(outbox, session);
    let now = 0;
    session.start(now);
    for (let i = 0; i < 3; i++) {
      session.tick((now += 50));
      broker.pump();
    }
    for (let i = 0; i < 3; i++) outbox.enqueue(MessageClass.TRANSACTION, TOPIC, event(i).payload, `r${i}`, now);
    expect(publisher.pump()).toBe(3);
    expect(publisher.pump()).toBe(0);
    broker.pump();
    broker.drop();
    for (let i = 0; i < 20; i++) {
      session.tick((now += 50));
      broker.pump();
    }
    expect(session.counters.callbackErrors).toBe(0);
    expect([publisher.counters.connects, publisher.counters.disconnects, publisher.counters.acknowledged]).toEqual([2, 1, 3]);
    expect(broker.publishes.map((p) => p.retain)).toEqual([false, false, false]);
  });

  it("needs the outbox to be the session's store; events of a replaced session are ignored", () => {
    const broker = new Broker(4);
    const outbox = new Outbox(BOUNDS, new MemoryJournal());
    outbox.restore();
    const other = new Outbox(BOUNDS, new MemoryJournal());
    other.restore();
    const foreign = new MqttSession(SESSION, { transport: () => new Link(broker), random: new SeededRandom(1), store: other });
    expect(() => new OutboxPublisher(outbox, foreign)).toThrow("OutboxPublisher: the session's PublishStore must be the outbox");
    const first = new MqttSession(SESSION, { transport: () => new Link(broker), random: new SeededRandom(1), store: outbox });
    const ups: number[] = [];
    const publisher = new OutboxPublisher(outbox, first, { onConnected: () => ups.push(1), onDisconnected: () => ups.push(0) });
    const second = new MqttSession({ ...SESSION, clientId: "term-2" }, { transport: () => new Link(broker), random: new SeededRandom(2), store: outbox });
    expect(() => publisher.replaceSession(foreign)).toThrow("OutboxPublisher: the session's PublishStore must be the outbox");
    publisher.replaceSession(second);
    // The replaced session still runs (it should have been stopped): its CONNACK and its cut are not the publisher's.
    let now = 0;
    first.start(now);
    for (let i = 0; i < 5; i++) {
      first.tick((now += 50));
      broker.pump();
    }
    expect(first.connected).toBe(true);
    expect([publisher.counters.connects, ups.length]).toEqual([0, 0]);
    first.stop(now);
    expect([publisher.counters.disconnects, ups.length]).toEqual([0, 0]);
    second.start(now);
    for (let i = 0; i < 5; i++) {
      second.tick((now += 50));
      broker.pump();
    }
    expect([publisher.counters.connects, ups]).toEqual([1, [1]]);
  });

  it("property: with random cuts, fragments, forgotten sessions, outages and restarts nothing accepted is lost", () => {
    fc.assert(
      fc.property(
        fc.record({
          events: fc.integer({ min: 1, max: 120 }),
          seed: fc.integer({ min: 1, max: 1 << 30 }),
          fragment: fc.integer({ min: 0, max: 6 }),
          cutBeforeAck: fc.double({ min: 0, max: 0.1, noNaN: true }),
          cuts: fc.array(fc.integer({ min: 1, max: 20_000 }), { maxLength: 6 }),
          forgetAt: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 3 }),
          restartAt: fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 3 }),
          downAt: fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 2 }),
          perStep: fc.integer({ min: 1, max: 20 }),
        }),
        (plan) => {
          const r = run(plan);
          const got = new Set(deliveredIds(r.broker));
          for (const id of r.accepted) if (!got.has(id)) return false;
          expect(r.accepted).toHaveLength(plan.events);
          expect(r.journal.size).toBe(0);
          for (const t of r.terminals) {
            expect(t.maxMessagesSeen).toBeLessThanOrEqual(BOUNDS.maxMessages);
            expect(t.maxBytesSeen).toBeLessThanOrEqual(BOUNDS.maxBytes);
            expect(t.inconsistent).toBe(0);
            expect(t.publisher.counters.unknownAcks).toBe(0);
          }
          const last = r.terminals[r.terminals.length - 1]!;
          expect(last.outbox.messages).toBe(0);
          // Counters add up in the last life: restored + accepted = acknowledged.
          const s = last.outbox.stats();
          expect(s.restored + s.transaction.accepted).toBe(s.transaction.acknowledged);
          return true;
        },
      ),
      { numRuns: 60, seed: 20260110 },
    );
  });
});
