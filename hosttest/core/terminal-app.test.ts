// Engine-neutral tests of the terminal app (src/core/app): the whole chain
// swipe → pipeline → outbox → MQTT session against the scripted in-memory
// broker (real codec on the far end), with a controllable event clock.
// Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import type { EventClockPort, TimeReading } from "../../src/core/app/event-clock";
import type { ClockState, ClockTelemetry } from "../../src/core/clock/clock-reading";
import { terminalCommands } from "../../src/core/app/console-reports";
import { SwipeDecision } from "../../src/core/app/swipe-decision";
import { HeapMargin } from "../../src/core/app/heap-margin";
import { IDLE_RECHECK_MS, TerminalApp, type TerminalEvents, type TerminalPorts } from "../../src/core/app/terminal-app";
import { Pipeline } from "../../src/core/pipeline/pipeline";
import { defaultTerminalConfig, resolveTerminalConfig, type TerminalConfig } from "../../src/core/app/terminal-config";
import { encodeUtf8 } from "../../src/core/lib/utf8";
import { MemoryJournal } from "../../src/sim/memory-journal";
import { MemorySegmentStore } from "../../src/sim/memory-segment-store";
import { SegmentedJournal } from "../../src/core/outbox/segmented-journal";
import type { Utf8EncoderPort } from "../../src/core/lib/ports";
import { ConfigError } from "../../src/core/pipeline/pipeline-config";
import { Broker, Link, text } from "../../src/sim/scripted-broker";
import { T0 } from "../support/swipes";
import { thrown } from "../support/thrown";

class FakeClock implements EventClockPort {
  mono = 5_000;
  /** utc = mono + offset once synced. */
  offset = T0 - 5_000;
  state: ClockState = "synced";
  bound = 3;
  monotonicMs(): number {
    return this.mono;
  }
  read(out: TimeReading): TimeReading {
    out.utcMs = this.state === "unsynced" ? NaN : this.mono + this.offset;
    out.errorBoundMs = this.bound;
    out.state = this.state;
    return out;
  }
  utcAt(m: number): number {
    return this.state === "unsynced" ? NaN : m + this.offset;
  }
  telemetry(): ClockTelemetry {
    return { state: this.state, offsetMs: 1.5, frequencyPpm: -12, errorBoundMs: this.bound };
  }
}

interface Rig {
  app: TerminalApp;
  broker: Broker;
  clock: FakeClock;
  journal: MemoryJournal | SegmentedJournal;
  alerts: string[];
  /** Advance time by `ms` in 10 ms ticks, delivering broker traffic. */
  run(ms: number): void;
}

function rig(
  over: (c: TerminalConfig) => void = () => {},
  clock = new FakeClock(),
  journal: MemoryJournal | SegmentedJournal = new MemoryJournal(),
  utf8?: Utf8EncoderPort,
  heapMargin?: HeapMargin,
  more: { ports?: Pick<TerminalPorts, "heapBytes" | "tlsFailures">; events?: TerminalEvents } = {},
): Rig {
  const cfg = defaultTerminalConfig();
  cfg.broker.backoffBaseMs = 50;
  cfg.broker.backoffCapMs = 200;
  cfg.metricsIntervalMs = 0;
  over(cfg);
  const broker = new Broker(1);
  const alerts: string[] = [];
  const app = new TerminalApp(
    cfg,
    {
      clock,
      transport: () => new Link(broker),
      journal,
      bootCounter: { nextBoot: () => 3 },
      random: { nextUint32: () => 0x9e3779b9 },
      utf8,
      heapMargin,
      ...more.ports,
    },
    { onAlert: (a) => alerts.push(a.id), ...more.events },
  );
  const r: Rig = {
    app, broker, clock, journal, alerts,
    run(ms: number) {
      for (let t = 0; t < ms; t += 10) {
        clock.mono += 10;
        app.tick();
        broker.pump();
      }
    },
  };
  app.start();
  r.run(50);
  return r;
}

let txCounter = 0;
function reading(over: Record<string, unknown> = {}): Record<string, unknown> {
  txCounter++;
  return { transaction_id: "txn-app-" + txCounter, card_hash: "hash_" + (txCounter % 50), amount_cents: 2_000 + (txCounter % 7) * 100, ...over };
}

function published(b: Broker, leaf: string): Record<string, unknown>[] {
  return b.publishes.filter((p) => p.topic.endsWith("/" + leaf)).map((p) => JSON.parse(p.payload) as Record<string, unknown>);
}

describe("TerminalApp: accepted swipes", () => {
  it("publishes each transaction once, QoS 1, in the payment schema with a request id", () => {
    const r = rig();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = r.app.swipe(reading({ card_number: "4111111111111111" }));
      expect(a.decision).toBe(SwipeDecision.ACCEPTED);
      ids.push(a.requestId);
      r.run(20);
    }
    r.run(200);
    const tx = published(r.broker, "tx");
    expect(tx.map((t) => t.request_id)).toEqual(ids);
    expect(ids[0]).toBe("term_1-3-1");
    const t = tx[0]!;
    expect(Object.keys(t).sort()).toEqual(
      ["amount_cents", "card_hash", "currency", "location", "merchant_id", "request_id", "terminal_id", "terminal_time", "time_quality", "timestamp", "transaction_id", "v"].sort(),
    );
    expect(t.v).toBe(1);
    expect(t.terminal_id).toBe("term_1");
    expect(t.merchant_id).toBe("merch_demo_001");
    expect(t.currency).toBe("USD");
    expect(t.location).toEqual({ lat: 40.7128, lon: -74.006 });
    expect(t.timestamp).toBe(new Date(T0 + 50).toISOString());
    expect(t.time_quality).toEqual({ clock: "synced", error_bound_ms: 3, backdated: false });
    // The reader's extra field (a card number!) is never stored or published.
    for (const p of r.broker.publishes) expect(p.payload.includes("4111111111111111")).toBe(false);
    expect(r.broker.publishes.filter((p) => p.topic.endsWith("/tx")).every((p) => p.qos === 1)).toBe(true);
    expect(r.app.counters.accepted).toBe(5);
    expect(r.app.counters.acknowledged).toBe(5);
    expect(r.journal.replay()).toHaveLength(0);
  });

  it("announces itself online (retained) and leaves an offline Will", () => {
    const r = rig();
    expect(JSON.parse(r.broker.retained.get("paycard/term_1/status") as string)).toEqual({ v: 1, terminal_id: "term_1", status: "online", boot: "3" });
    const will = r.broker.wills.get("paycard-term_1");
    expect(will?.topic).toBe("paycard/term_1/status");
    expect(will?.retain).toBe(true);
    expect(JSON.parse(will?.payload as string).status).toBe("offline");
    r.app.stop();
    r.broker.pump();
    expect(JSON.parse(r.broker.retained.get("paycard/term_1/status") as string).status).toBe("offline");
  });

  it("rejects bad swipes with the reason, publishes them on /rejects, and never throws", () => {
    const r = rig();
    const cases: [unknown, string][] = [
      [reading({ amount_cents: -5 }), "AMOUNT_NOT_POSITIVE"],
      [reading({ currency: "usd" }), "BAD_CURRENCY"],
      [reading({ card_hash: "4111111111111111" }), "CARD_NUMBER_IN_CARD_HASH"],
      ["not an object", "NOT_AN_OBJECT"],
      [null, "NOT_AN_OBJECT"],
    ];
    for (const [input, reason] of cases) {
      const a = r.app.swipe(input);
      expect(a.decision).toBe(SwipeDecision.REJECTED);
      expect(a.reason).toBe(reason);
    }
    const junk = r.app.swipeUnparsable("line 1: not JSON");
    expect(junk.decision).toBe(SwipeDecision.REJECTED);
    expect(junk.reason).toBe("MALFORMED_JSON");
    const dup = reading();
    expect(r.app.swipe(dup).decision).toBe(SwipeDecision.ACCEPTED);
    expect(r.app.swipe({ ...dup }).reason).toBe("DUPLICATE_TRANSACTION");
    r.run(100);
    const rej = published(r.broker, "rejects");
    expect(rej.map((x) => x.reason)).toEqual([...cases.map((c) => c[1]), "MALFORMED_JSON", "DUPLICATE_TRANSACTION"]);
    expect(r.app.counters.rejected).toBe(7);
    expect(r.app.counters.internalErrors).toBe(0);
  });
});

describe("TerminalApp: platform UTF-8 encoder", () => {
  it("encodes every payload with the platform's encoder when given one, to the same bytes", () => {
    let calls = 0;
    const port: Utf8EncoderPort = {
      encode(s: string) {
        calls++;
        return encodeUtf8(s) as Uint8Array;
      },
    };
    const withPort = rig(() => {}, new FakeClock(), new MemoryJournal(), port);
    const without = rig();
    const good = { transaction_id: "txn-utf8", card_hash: "hash_u", amount_cents: 1234 };
    const bad = { transaction_id: "txn-ü", card_hash: "hash_u", amount_cents: 1234 }; // refused: ids are ASCII
    for (const r of [withPort, without]) {
      r.app.swipe({ ...good });
      r.app.swipe({ ...bad });
      r.run(100);
    }
    expect(calls).toBeGreaterThanOrEqual(4); // online, offline (Will), the transaction, the reject
    expect(published(withPort.broker, "tx")).toHaveLength(1);
    expect(published(withPort.broker, "tx")).toEqual(published(without.broker, "tx"));
    expect(published(withPort.broker, "rejects")).toHaveLength(1);
    expect(published(withPort.broker, "rejects")).toEqual(published(without.broker, "rejects"));
  });
});

describe("TerminalApp: time", () => {
  it("holds swipes until the first sync, then back-dates them from the monotonic clock", () => {
    const clock = new FakeClock();
    clock.state = "unsynced";
    const r = rig((c) => (c.unsyncedCapacity = 3), clock);
    const swipedAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      swipedAt.push(clock.mono);
      const a = r.app.swipe(reading());
      expect(a.decision).toBe(i < 3 ? SwipeDecision.ACCEPTED_PENDING_TIME : SwipeDecision.DECLINED_CLOCK_UNSYNCED);
      r.run(1_000);
    }
    expect(published(r.broker, "tx")).toHaveLength(0);
    clock.state = "synced";
    clock.offset += 250; // what the first sync learned
    r.run(100);
    const tx = published(r.broker, "tx");
    expect(tx).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(tx[i]!.timestamp).toBe(new Date(swipedAt[i]! + clock.offset).toISOString());
      expect((tx[i]!.time_quality as Record<string, unknown>).backdated).toBe(true);
      // Sent after the sync: terminal_time is later than the swipe.
      expect(Date.parse(tx[i]!.terminal_time as string)).toBeGreaterThan(Date.parse(tx[i]!.timestamp as string));
    }
    expect(r.app.counters.backdated).toBe(3);
    expect(r.app.counters.declinedClockUnsynced).toBe(1);
    expect(r.app.declined).toBe(1);
    // Waiting for the clock is not clock drift.
    expect(r.app.pipeline.stats().alerts.CLOCK_DRIFT).toBe(0);
    // After the sync, swipes go straight through and are not flagged.
    expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED);
    r.run(50);
    expect((published(r.broker, "tx")[3]!.time_quality as Record<string, unknown>).backdated).toBe(false);
  });

  it("keeps a reader's own timestamp and flags drift against the terminal's clock", () => {
    const r = rig();
    const a = r.app.swipe(reading({ timestamp: new Date(T0 - 10 * 60_000).toISOString() }));
    expect(a.decision).toBe(SwipeDecision.ACCEPTED);
    r.run(50);
    expect(published(r.broker, "tx")[0]!.timestamp).toBe(new Date(T0 - 10 * 60_000).toISOString());
    expect(r.app.pipeline.stats().alerts.CLOCK_DRIFT).toBe(1);
    expect(published(r.broker, "alerts")[0]!.alert_type).toBe("CLOCK_DRIFT");
  });
});

describe("TerminalApp: backpressure and loss", () => {
  it("declines swipes while the outbox is full, and delivers every accepted one once the broker returns", () => {
    const r = rig((c) => {
      c.outbox = { maxMessages: 12, maxBytes: 16 * 1024, reservedForAlerts: { messages: 2, bytes: 1024 }, telemetryPolicy: "drop-oldest" };
    });
    r.broker.down = true;
    r.broker.drop();
    r.run(50);
    const accepted: string[] = [];
    let declined = 0;
    for (let i = 0; i < 30; i++) {
      const a = r.app.swipe(reading());
      if (a.decision === SwipeDecision.ACCEPTED) accepted.push(a.requestId);
      else {
        expect(a.decision).toBe(SwipeDecision.DECLINED_BACKPRESSURE);
        expect(a.reason).toContain("outbox full");
        declined++;
      }
      r.run(20);
    }
    expect(accepted.length).toBe(10); // 12 minus the alert reserve
    expect(declined).toBe(20);
    expect(r.app.counters.declinedBackpressure).toBe(20);
    expect(r.app.declined).toBe(20);
    r.broker.down = false;
    r.run(2_000);
    const got = published(r.broker, "tx").map((t) => t.request_id as string);
    expect([...new Set(got)]).toEqual(accepted);
    expect(r.app.outbox.messages).toBe(0);
    // Room again: swipes are accepted.
    expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED);
  });

  it("republishes journaled transactions after a restart of the terminal", () => {
    const journal = new MemoryJournal();
    const first = rig(() => {}, new FakeClock(), journal);
    first.broker.down = true;
    first.broker.drop();
    first.run(50);
    const ids = [first.app.swipe(reading()).requestId, first.app.swipe(reading()).requestId];
    first.run(100);
    // Power cut: the app object is gone; a new one starts on the same journal.
    const second = rig(() => {}, new FakeClock(), journal);
    second.run(500);
    expect(second.app.restored.records).toBe(2);
    expect(published(second.broker, "tx").map((t) => t.request_id)).toEqual(ids);
  });
});

describe("TerminalApp: store and forward", () => {
  it("keeps accepting payments through an outage beyond RAM, declines only when storage is full, and delivers every one in order after a restart", () => {
    const store = new MemorySegmentStore();
    const storage = { maxBytes: 48 * 1024, segmentBytes: 4096, maxFrameBytes: 1024, ramRecords: 12 };
    const outbox = (c: TerminalConfig) => {
      c.outbox = { maxMessages: 12, maxBytes: 8 * 1024, reservedForAlerts: { messages: 2, bytes: 1024 }, telemetryPolicy: "drop-oldest" };
    };
    const first = rig(outbox, new FakeClock(), new SegmentedJournal(store, storage));
    first.broker.down = true;
    first.broker.drop();
    first.run(50);
    const accepted: string[] = [];
    let full = 0;
    for (let i = 0; i < 400 && full < 3; i++) {
      const a = first.app.swipe(reading());
      if (a.decision === SwipeDecision.ACCEPTED) accepted.push(a.requestId);
      else {
        expect(a.decision).toBe(SwipeDecision.DECLINED_BACKPRESSURE);
        expect(a.reason).toMatch(/^storage full: \d+ transactions wait for the broker in storage$/);
        full++;
      }
      first.run(20);
    }
    expect(accepted.length).toBeGreaterThan(80); // far beyond the 10 transactions RAM holds
    expect(first.app.outbox.messages).toBeLessThanOrEqual(12);
    expect(first.app.counters.declinedStorageFull).toBe(3);
    expect(store.totalBytes).toBeLessThanOrEqual(storage.maxBytes);
    // Power cut in the middle of the outage; the broker returns after the restart.
    const second = rig(outbox, new FakeClock(), new SegmentedJournal(store, storage));
    expect(second.app.restored.records + second.app.restored.backlog).toBe(accepted.length);
    second.run(20_000);
    const got = published(second.broker, "tx").map((t) => t.request_id as string);
    expect(got).toEqual(accepted);
    expect(second.app.outbox.backlogCount).toBe(0);
    expect(second.app.outbox.messages).toBe(0);
  });
});

describe("TerminalApp: group commit", () => {
  it("publishes nothing a group-commit journal has not made durable", () => {
    class GroupJournal extends MemoryJournal {
      readonly groupCommit = true;
      flushes = 0;
      flush(): boolean {
        this.flushes++;
        return true;
      }
    }
    const journal = new GroupJournal();
    const r = rig(() => {}, new FakeClock(), journal);
    const a = r.app.swipe(reading());
    expect(a.decision).toBe(SwipeDecision.ACCEPTED);
    r.run(200);
    expect(published(r.broker, "tx")).toHaveLength(0);
    expect(r.app.commit()).toBe(true);
    expect(journal.flushes).toBe(1);
    r.run(200);
    expect(published(r.broker, "tx").map((t) => t.request_id)).toEqual([a.requestId]);
  });

  it("a journal that syncs each append needs no commit", () => {
    const r = rig();
    r.app.swipe(reading());
    r.run(200);
    expect(published(r.broker, "tx")).toHaveLength(1);
  });
});

describe("TerminalApp: alerts and metrics", () => {
  it("raises a card-testing alert on a quiet terminal: the watermark follows the clock", () => {
    const r = rig();
    for (let i = 0; i < 12; i++) {
      r.app.swipe(reading({ card_hash: "hash_tester", amount_cents: 150 + i }));
      r.run(500);
    }
    // No swipe after the burst: only the clock moves the watermark past the window's end.
    const byEventsOnly = rig((c) => (c.clockWatermark = false));
    for (let i = 0; i < 12; i++) {
      byEventsOnly.app.swipe(reading({ card_hash: "hash_tester", amount_cents: 150 + i }));
      byEventsOnly.run(500);
    }
    r.run(50_000);
    byEventsOnly.run(50_000);
    expect(published(byEventsOnly.broker, "alerts")).toHaveLength(0);
    const live = published(r.broker, "alerts").filter((a) => a.alert_type === "BURST_ATTACK");
    expect(live.length).toBeGreaterThan(0);
    expect(r.alerts).toContain(live[0]!.id as string);
  });

  it("raises a card-testing alert with a deterministic id, published on /alerts", () => {
    const r = rig((c) => (c.clockWatermark = false));
    for (let i = 0; i < 12; i++) {
      r.app.swipe(reading({ card_hash: "hash_tester", amount_cents: 150 + i }));
      r.run(500);
    }
    r.app.finish();
    r.run(200);
    const alerts = published(r.broker, "alerts").filter((a) => a.alert_type === "BURST_ATTACK");
    // One attack, one alert, carrying its swipes; the other windows that hold it are counted in the metrics.
    expect(alerts.length).toBe(1);
    expect(alerts.every((a) => a.key === "hash_tester")).toBe(true);
    expect(r.alerts).toContain(alerts[0]!.id as string);
    expect((alerts[0]!.id as string).startsWith("BURST_ATTACK:hash_tester:")).toBe(true);
    expect((alerts[0]!.transactions as string[]).length).toBe(alerts[0]!.value);
    const by = new Map(r.app.metrics().toJSON().map((x) => [x.n, x.v]));
    expect(by.get("burst_incidents")).toBe(1);
    expect(by.get("burst_repeat_windows") as number).toBeGreaterThan(0);
    expect(by.get("keys_evicted")).toBe(0);
  });

  it("publishes SenML metrics with the clock's telemetry", () => {
    const r = rig((c) => (c.metricsIntervalMs = 1_000));
    r.app.swipe(reading());
    r.run(1_100);
    const m = r.broker.publishes.filter((p) => p.topic === "paycard/term_1/metrics");
    expect(m.length).toBeGreaterThan(0);
    const pack = JSON.parse(m[0]!.payload) as Record<string, unknown>[];
    expect(pack[0]!.bn).toBe("urn:dev:paycard:term_1:");
    expect(typeof pack[0]!.bt).toBe("number");
    const by = new Map(pack.map((x) => [x.n as string, x]));
    expect(by.get("swipes")?.v).toBe(1);
    expect(by.get("clock_state")?.vs).toBe("synced");
    expect(by.get("clock_offset")?.v).toBe(0.0015);
    expect(by.get("clock_frequency")?.v).toBeCloseTo(-12e-6, 12);
    expect(by.get("outbox_transaction")?.u).toBe("count");
    for (const x of pack) {
      expect(typeof x.n).toBe("string");
      expect(x.v === undefined ? typeof x.vs : typeof x.v).toBe(x.v === undefined ? "string" : "number");
    }
  });
});

describe("TerminalApp: the metrics pack and the telemetry counters", () => {
  it("every record's name, value and unit; the swipe rate is since the last report", () => {
    const r = rig((c) => (c.metricsIntervalMs = 2_000), new FakeClock(), new MemoryJournal(), undefined, undefined, { ports: { heapBytes: () => 12_345, tlsFailures: () => 2 } });
    for (let i = 0; i < 3; i++) expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED);
    expect(r.app.swipe(reading({ amount_cents: -1 })).decision).toBe(SwipeDecision.REJECTED);
    r.app.swipeUnparsable("{not json");
    r.run(1_900); // started at mono 5 000: the first report is due at 7 000, 2 s later
    expect(r.broker.publishes.filter((p) => p.topic === "paycard/term_1/metrics")).toHaveLength(0);
    r.run(100);
    const m = r.broker.publishes.filter((p) => p.topic === "paycard/term_1/metrics");
    expect(m).toHaveLength(1);
    const utc = T0 + 2_000; // mono 7 000 on the FakeClock
    expect(JSON.parse(m[0]!.payload)).toEqual([
      { bn: "urn:dev:paycard:term_1:", bt: utc / 1000, n: "swipes", u: "count", v: 5 },
      { n: "swipe_rate", u: "1/s", v: 2.5 },
      { n: "accepted", u: "count", v: 3 },
      { n: "rejected", u: "count", v: 2 },
      { n: "declined", u: "count", v: 0 },
      { n: "held_for_time", u: "count", v: 0 },
      // The clock watermark trails the clock by the pipeline's delay and 1 ms (now - delay - 1).
      { n: "window_lag", u: "s", v: 30.001 },
      { n: "outbox_alert", u: "count", v: 0 },
      { n: "outbox_transaction", u: "count", v: 0 },
      { n: "outbox_telemetry", u: "count", v: 0 },
      { n: "outbox_bytes", u: "B", v: 0 },
      { n: "outbox_backlog", u: "count", v: 0 },
      { n: "telemetry_dropped", u: "count", v: 0 },
      { n: "alerts_refused", u: "count", v: 0 },
      { n: "burst_incidents", u: "count", v: 0 },
      { n: "burst_repeat_windows", u: "count", v: 0 },
      { n: "keys_evicted", u: "count", v: 0 },
      { n: "retransmits", u: "count", v: 0 },
      { n: "reconnects", u: "count", v: 0 },
      { n: "clock_state", vs: "synced" },
      { n: "clock_offset", u: "s", v: 0.0015 },
      { n: "clock_error_bound", u: "s", v: 0.003 },
      { n: "clock_frequency", u: "/", v: -12e-6 },
      { n: "heap", u: "B", v: 12_345 },
      { n: "tls_failures", u: "count", v: 2 },
    ]);
    // Two more swipes in the next 4 s: 0.5 a second since the last report.
    r.app.swipe(reading());
    r.app.swipe(reading());
    r.run(4_000);
    const rates = r.broker.publishes
      .filter((p) => p.topic === "paycard/term_1/metrics")
      .map((p) => (JSON.parse(p.payload) as { n: string; v: number }[]).find((x) => x.n === "swipe_rate")!.v);
    expect(rates).toEqual([2.5, 1, 0]);
    expect(r.app.counters.metricsQueued).toBe(3);
    expect(r.app.counters.rejectsQueued).toBe(2);
    expect(r.app.counters.lateQueued).toBe(0);
    expect(r.app.counters.statusPublished).toBe(1);
    expect(r.app.counters.telemetryRefused).toBe(0);
  });

  it("offline and unsynced: the outbox's depths and bytes, held swipes, no base time and no window lag", () => {
    const clock = new FakeClock();
    const r = rig(() => {}, clock);
    expect(terminalCommands(r.app, () => clock.read({ utcMs: 0, errorBoundMs: 0, state: "unsynced" })).offline()).toContain("offline");
    r.run(100);
    r.app.swipe(reading());
    r.app.swipe(reading({ amount_cents: 0 }));
    clock.state = "unsynced";
    r.app.swipe(reading());
    const by = new Map(r.app.metrics().toJSON().map((x) => [x.n, x]));
    expect(r.app.metrics().toJSON()[0]!.bt).toBe(0);
    expect(by.get("outbox_transaction")?.v).toBe(1);
    expect(by.get("outbox_telemetry")?.v).toBe(1);
    expect(by.get("outbox_bytes")?.v).toBeGreaterThan(300);
    expect(by.get("held_for_time")?.v).toBe(1);
    expect(by.has("window_lag")).toBe(false);
    expect(by.has("heap")).toBe(false);
    expect(by.has("tls_failures")).toBe(false);
    expect(by.get("clock_state")?.vs).toBe("unsynced");
    expect(r.app.counters.heldForTime).toBe(1);
  });

  it("a swipe dated before the watermark's allowed lateness goes to /late, once for each window it missed", () => {
    const r = rig();
    const windows = r.app.config.pipeline.windows.map((w) => w.name).sort();
    const old = new Date(T0 - 10 * 60_000).toISOString();
    const a = r.app.swipe(reading({ timestamp: old }));
    expect(a.decision).toBe(SwipeDecision.ACCEPTED);
    r.run(200);
    const late = published(r.broker, "late");
    expect(late.map((l) => l.window).sort()).toEqual(windows);
    expect(late.every((l) => l.request_id === a.requestId)).toBe(true);
    expect(r.app.counters.lateQueued).toBe(windows.length);
    expect(r.app.counters.rejectsQueued).toBe(0);
  });
});

describe("TerminalApp: the session it opens, its events, and failures of its ports", () => {
  it("connects as paycard-<terminal id> without credentials, cleanSession false, with the retained offline status as its Will", () => {
    const r = rig();
    const c = r.broker.connects[0]!;
    expect([c.clientId, c.username, c.password, c.cleanSession, c.keepAlive]).toEqual(["paycard-term_1", undefined, undefined, false, 30]);
    expect(c.will?.topic).toBe("paycard/term_1/status");
    expect([c.will?.qos, c.will?.retain]).toEqual([1, true]);
    expect(JSON.parse(text(c.will!.payload))).toEqual({ v: 1, terminal_id: "term_1", status: "offline", boot: r.app.pipeline.requestIds.bootPart });
    const named = rig((cfg) => {
      cfg.broker.clientId = "till-7";
      cfg.broker.username = "u";
      cfg.broker.password = "pässword";
    });
    const n = named.broker.connects[0]!;
    expect([n.clientId, n.username]).toEqual(["till-7", "u"]);
    expect(Array.from(n.password!)).toEqual(Array.from(encodeUtf8("pässword")!)); // UTF-8 on the wire
    const userOnly = rig((cfg) => (cfg.broker.username = "u")).broker.connects[0]!;
    expect([userOnly.username, userOnly.password]).toEqual(["u", undefined]);
  });

  it("tells its observer of the link and of each acknowledgement; an observer that throws is counted, not fatal", () => {
    const link: boolean[] = [];
    const acked: string[] = [];
    const r = rig(() => {}, new FakeClock(), new MemoryJournal(), undefined, undefined, {
      events: { onLink: (up) => link.push(up), onAcknowledged: (rec) => acked.push(rec.requestId) },
    });
    expect(link).toEqual([true]);
    expect(r.app.counters.statusPublished).toBe(1);
    const a = r.app.swipe(reading());
    r.run(100);
    expect(acked).toEqual([a.requestId]);
    r.broker.drop();
    r.run(10);
    expect(link).toEqual([true, false]);
    r.run(1_000);
    expect(link).toEqual([true, false, true]);
    expect(r.app.counters.statusPublished).toBe(2);
    const angry = rig(() => {}, new FakeClock(), new MemoryJournal(), undefined, undefined, {
      events: {
        onAcknowledged: () => {
          throw new Error("observer bug");
        },
      },
    });
    angry.app.swipe(reading());
    angry.app.swipe(reading());
    angry.run(100);
    expect(angry.app.counters.acknowledged).toBe(2);
    expect(angry.app.counters.observerErrors).toBe(2);
    expect(angry.app.outbox.messages).toBe(0);
  });

  it("a clock that throws declines the swipe as an internal error; ticks go on", () => {
    const clock = new FakeClock();
    const r = rig(() => {}, clock);
    const read = clock.read;
    clock.read = () => {
      throw new Error("clock bug");
    };
    const a = r.app.swipe(reading());
    expect([a.decision, a.reason, a.requestId]).toEqual([SwipeDecision.DECLINED_ERROR, "internal error: Error: clock bug", ""]);
    r.run(50);
    expect(r.app.counters.internalErrors).toBeGreaterThan(1); // the swipe, then the ticks
    clock.read = read;
    expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED);
  });

  it("a journal that cannot store declines the transaction for storage; a payload beyond maxTransactionBytes is refused by the outbox", () => {
    const journal = new MemoryJournal();
    const r = rig(() => {}, new FakeClock(), journal);
    journal.failAppends = true;
    const a = r.app.swipe(reading());
    expect([a.decision, a.reason, a.requestId]).toEqual([SwipeDecision.DECLINED_STORAGE, "the journal could not store the transaction", ""]);
    expect([r.app.counters.declinedStorage, r.app.counters.accepted, r.app.declined]).toEqual([1, 0, 1]);
    // The outbox's class limit is 1 024 - 700 B: room for maxTransactionBytes (300), not for this swipe's payload.
    const small = rig((c) => {
      c.outbox = { maxMessages: 10, maxBytes: 1024, reservedForAlerts: { messages: 1, bytes: 700 }, telemetryPolicy: "drop-oldest" };
      c.maxTransactionBytes = 300;
    });
    const b = small.app.swipe(reading({ transaction_id: "t".repeat(64), card_hash: "h".repeat(64) }));
    expect([b.decision, b.reason, b.requestId]).toEqual([SwipeDecision.DECLINED_BACKPRESSURE, "outbox refused the transaction: REJECTED_TOO_LARGE", ""]);
    expect([small.app.counters.declinedBackpressure, small.app.declined]).toEqual([1, 1]);
  });

  it("held swipes: the capacity's refusal names how many wait; while they wait for room, new swipes are declined", () => {
    const clock = new FakeClock();
    clock.state = "unsynced";
    const r = rig((c) => {
      c.unsyncedCapacity = 3;
      c.outbox = { maxMessages: 3, maxBytes: 16 * 1024, reservedForAlerts: { messages: 1, bytes: 512 }, telemetryPolicy: "drop-oldest" };
    }, clock);
    r.broker.down = true;
    r.broker.drop();
    r.run(50);
    for (let i = 0; i < 3; i++) expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED_PENDING_TIME);
    const full = r.app.swipe(reading());
    expect([full.decision, full.reason]).toEqual([SwipeDecision.DECLINED_CLOCK_UNSYNCED, "no time yet: 3 swipes already wait for the clock"]);
    // Synced, the broker still down: room for two transactions (3 minus the alert reserve), so one held swipe keeps waiting.
    clock.state = "synced";
    const now = r.app.swipe(reading());
    expect([now.decision, now.reason]).toEqual([SwipeDecision.DECLINED_BACKPRESSURE, "earlier swipes are still waiting for room in the outbox"]);
    expect(r.app.counters.backdated).toBe(2);
    expect(r.app.metrics().toJSON().find((x) => x.n === "held_for_time")?.v).toBe(1);
    r.broker.down = false;
    r.run(2_000);
    expect(r.app.counters.backdated).toBe(3);
    expect(published(r.broker, "tx")).toHaveLength(3);
    expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED);
  });

  it("stop: the retained offline status, DISCONNECT, the clock stopped; start again reconnects, a second start does nothing", () => {
    let stopped = 0;
    const clock = new FakeClock();
    (clock as FakeClock & { stop(): void }).stop = () => stopped++;
    const r = rig(() => {}, clock);
    r.app.start();
    r.run(100);
    expect(r.broker.connects).toHaveLength(1);
    r.app.stop();
    r.run(100);
    expect(stopped).toBe(1);
    expect(JSON.parse(r.broker.retained.get("paycard/term_1/status") as string).status).toBe("offline");
    expect(r.app.session.connected).toBe(false);
    r.run(2_000);
    expect(r.broker.connects).toHaveLength(1); // stopped: no reconnect
    expect(r.app.releaseLink()).toBe(false);
    r.app.start();
    r.run(200);
    expect(r.broker.connects).toHaveLength(2);
    expect(JSON.parse(r.broker.retained.get("paycard/term_1/status") as string).status).toBe("online");
  });

  it("asynchronous group commit: nothing above the last durable point is published; a failed flush is counted", () => {
    class GroupJournal extends MemoryJournal {
      readonly groupCommit = true;
      flush(): boolean {
        return true;
      }
    }
    const r = rig(() => {}, new FakeClock(), new GroupJournal());
    r.app.swipe(reading());
    const point = r.app.commitPoint();
    r.app.swipe(reading());
    expect(r.app.commitPoint()).toBe(point + 1);
    r.app.committed(point + 1, false);
    r.run(200);
    expect(r.app.counters.journalFlushFailures).toBe(1);
    expect(published(r.broker, "tx")).toHaveLength(0);
    r.app.committed(point, true);
    r.run(200);
    expect(published(r.broker, "tx")).toHaveLength(1);
    r.app.committed(point - 1, true); // an older point moves nothing back
    r.app.committed(point + 1, true);
    r.run(200);
    expect(published(r.broker, "tx")).toHaveLength(2);
  });
});

describe("TerminalApp: what makes the next tick a full one", () => {
  it("after idle ticks, a swipe goes out at the very next tick; so does a swipe held for the clock once it syncs", () => {
    const clock = new FakeClock();
    const r = rig(() => {}, clock);
    r.run(5_000); // idle: most ticks stop after the session's
    const before = published(r.broker, "tx").length;
    r.app.swipe(reading());
    clock.mono += 10;
    r.app.tick();
    expect(published(r.broker, "tx").length).toBe(before + 1);
    clock.state = "unsynced";
    expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED_PENDING_TIME);
    r.run(3_000);
    clock.state = "synced";
    clock.mono += 10;
    r.app.tick();
    expect(published(r.broker, "tx").length).toBe(before + 2);
  });
});

describe("TerminalApp: the smaller paths", () => {
  it("ticks the clock when it has a tick; commit without group commit is a no-op; stop and releaseLink when there is nothing to do", () => {
    const clock = new FakeClock();
    let ticks = 0;
    (clock as FakeClock & { tick(): void }).tick = () => ticks++;
    const r = rig(() => {}, clock);
    expect(ticks).toBe(5); // rig runs 50 ms in 10 ms ticks
    expect(r.app.commit()).toBe(true);
    r.broker.down = true;
    r.broker.drop();
    r.run(50);
    const before = r.broker.publishes.length;
    r.app.stop(); // not connected: no offline status to publish
    expect(r.broker.publishes.length).toBe(before);
    expect(r.app.holdLinkDown()).toBe(true);
    r.broker.down = false;
    expect(r.app.releaseLink()).toBe(true); // stopped: the link is not started again
    r.run(2_000);
    expect(r.app.session.connected).toBe(false);
  });

  it("keeps a reader's own location; a non-object swipe is rejected, also when held for the clock", () => {
    const r = rig();
    r.app.swipe(reading({ location: { lat: 51.5, lon: -0.12 } }));
    r.run(50);
    expect(published(r.broker, "tx")[0]!.location).toEqual({ lat: 51.5, lon: -0.12 });
    expect(r.app.swipe("not an object").decision).toBe(SwipeDecision.REJECTED);
    const clock = new FakeClock();
    clock.state = "unsynced";
    const held = rig(() => {}, clock);
    const reused = reading({ location: { lat: 1, lon: 2 } });
    expect(held.app.swipe(reused).decision).toBe(SwipeDecision.ACCEPTED_PENDING_TIME);
    expect(held.app.swipe(["array"]).decision).toBe(SwipeDecision.ACCEPTED_PENDING_TIME);
    expect(held.app.swipe(reading({ location: "here" })).decision).toBe(SwipeDecision.ACCEPTED_PENDING_TIME);
    (reused.location as { lat: number }).lat = 99; // the reader reuses its object: the held copy keeps what was swiped
    clock.state = "synced";
    held.run(200);
    expect(published(held.broker, "tx").map((t) => t.location)).toEqual([{ lat: 1, lon: 2 }]);
    const rejects = published(held.broker, "rejects");
    expect(rejects.map((x) => x.reason).sort()).toEqual(["NOT_AN_OBJECT", "WRONG_TYPE"]);
    expect(held.app.counters.rejected).toBe(2);
  });

  it("telemetry that finds no room is refused and counted; a reject while unsynced is queued on the monotonic clock", () => {
    // Room for a transaction of maxTransactionBytes (64) is left after the first, not for a reject's ~250 B.
    const r = rig((c) => {
      c.outbox = { maxMessages: 8, maxBytes: 1024, reservedForAlerts: { messages: 1, bytes: 512 }, telemetryPolicy: "drop-oldest" };
      c.maxTransactionBytes = 64;
    });
    r.app.holdLinkDown();
    r.run(50);
    expect(r.app.swipe(reading()).decision).toBe(SwipeDecision.ACCEPTED);
    expect(r.app.swipe(reading({ amount_cents: -1 })).decision).toBe(SwipeDecision.REJECTED);
    expect([r.app.counters.telemetryRefused, r.app.counters.rejectsQueued]).toEqual([1, 0]);
    const clock = new FakeClock();
    clock.state = "unsynced";
    const u = rig(() => {}, clock);
    expect(u.app.swipe("x").decision).toBe(SwipeDecision.ACCEPTED_PENDING_TIME);
    u.app.swipeUnparsable("{");
    expect(u.app.counters.rejectsQueued).toBe(1);
    u.run(100);
    expect(published(u.broker, "rejects")).toHaveLength(1);
  });

  it("the online status waits while earlier bytes wait for the link, and goes at a later tick", () => {
    const r = rig();
    r.broker.writeBudget = 8;
    r.broker.budgetPerPump = 8;
    for (let i = 0; i < 3; i++) r.app.swipe(reading());
    r.broker.drop();
    r.run(3_000);
    expect(r.app.session.connected).toBe(true);
    expect(r.app.counters.statusPublished).toBe(2);
    expect(JSON.parse(r.broker.retained.get("paycard/term_1/status") as string).status).toBe("online");
  });
});

/** A FakeClock that counts its reads: a full tick reads it, an idle one does not. */
class CountingReadsClock extends FakeClock {
  reads = 0;
  override read(out: TimeReading): TimeReading {
    this.reads++;
    return super.read(out);
  }
}

describe("TerminalApp: idle ticks", () => {
  /** A card test then a quiet terminal, ticked every 10 ms; each alert's id and the clock's UTC when it was raised. */
  function burstThenQuiet(clock: FakeClock, quietMs: number, duringQuiet: (t: number) => void = () => {}): { alerts: [string, number][]; app: TerminalApp } {
    const cfg = defaultTerminalConfig();
    cfg.metricsIntervalMs = 0;
    const broker = new Broker(1);
    const alerts: [string, number][] = [];
    const app = new TerminalApp(
      cfg,
      { clock, transport: () => new Link(broker), journal: new MemoryJournal(), bootCounter: { nextBoot: () => 3 }, random: { nextUint32: () => 7 } },
      { onAlert: (a) => alerts.push([a.id, clock.mono + clock.offset]) },
    );
    app.start();
    const tick = () => {
      clock.mono += 10;
      app.tick();
      broker.pump();
    };
    for (let i = 0; i < 12; i++) {
      app.swipe({ transaction_id: "idle-" + i, card_hash: "hash_tester", amount_cents: 150 + i });
      for (let t = 0; t < 500; t += 10) tick();
    }
    for (let t = 0; t < quietMs; t += 10) {
      duringQuiet(t);
      tick();
    }
    return { alerts, app };
  }

  it("raise each alert at the tick it would be raised if every tick advanced the watermark, and read no clock in between", () => {
    const clock = new CountingReadsClock();
    const before = clock.mono + clock.offset;
    const { alerts, app } = burstThenQuiet(clock, 300_000);
    // The reference: the same swipes into a pipeline whose watermark follows the clock at every tick.
    const ref: [string, number][] = [];
    let utc = before;
    const sink = { onWindow() {}, onLate() {}, onReject() {}, onAccepted() {}, onAlert: (a: { id: string }) => ref.push([a.id, utc]) };
    const p = new Pipeline(defaultTerminalConfig().pipeline, sink, { bootCounter: { nextBoot: () => 3 }, random: { nextUint32: () => 7 } }, "term_1");
    const c = app.config;
    for (let i = 0; i < 12; i++) {
      p.process({ transaction_id: "idle-" + i, card_hash: "hash_tester", amount_cents: 150 + i, terminal_id: c.terminalId, merchant_id: c.merchantId, currency: c.currency, location: c.location, timestamp: utc, terminal_time: utc });
      for (let t = 0; t < 500; t += 10) p.advanceWatermark((utc += 10));
    }
    for (let t = 0; t < 300_000; t += 10) p.advanceWatermark((utc += 10));
    expect(ref.length).toBeGreaterThan(0);
    expect(alerts).toEqual(ref);
    // 36 000 ticks: the swipes' and windows' own, and one look every IDLE_RECHECK_MS.
    const ticks = (12 * 500 + 300_000) / 10;
    expect(clock.reads).toBeGreaterThan((12 * 500 + 300_000) / IDLE_RECHECK_MS);
    expect(clock.reads).toBeLessThan(ticks / 20);
  });

  it("a window due sooner because the clock was stepped forward fires within IDLE_RECHECK_MS", () => {
    const clock = new FakeClock();
    const steppedAt: number[] = [];
    // Ten seconds into the quiet, the clock jumps 10 minutes ahead: every window of the burst is due at once.
    const { alerts } = burstThenQuiet(clock, 20_000, (t) => {
      if (t === 10_000) {
        clock.offset += 600_000;
        steppedAt.push(clock.mono + clock.offset);
      }
    });
    const after = alerts.filter(([, at]) => at >= steppedAt[0]!);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]![1] - steppedAt[0]!).toBeLessThanOrEqual(IDLE_RECHECK_MS + 10);
  });
});

describe("TerminalApp: the heap's margin in the metrics", () => {
  const metricsOf = (r: Rig) => new Map(r.app.metrics().toJSON().map((x) => [x.n, [x.v, x.u]]));

  it("reports the XS peaks and the smallest headroom once the platform has measured them", () => {
    const margin = new HeapMargin({ slotBytes: 98_304, chunkBytes: 49_152, stackBytes: 12_288 });
    const r = rig(undefined, undefined, undefined, undefined, margin);
    expect(metricsOf(r).has("xs_headroom")).toBe(false);
    margin.noteLive(30_400, 34_404);
    margin.noteStack(7_904);
    const by = metricsOf(r);
    expect(by.get("xs_slots_peak")).toEqual([30_400, "B"]);
    expect(by.get("xs_chunks_peak")).toEqual([34_404, "B"]);
    expect(by.get("xs_stack_peak")).toEqual([7_904, "B"]);
    // chunks: 1 - 34 404 / 49 152 = 30.0 %, the smallest of the three (slots 69.1 %, stack 35.7 %).
    expect(by.get("xs_headroom")).toEqual([30, "%"]);
  });

  it("leaves the xs_ metrics out where the platform does not measure", () => {
    const by = metricsOf(rig());
    expect([...by.keys()].filter((k) => String(k).startsWith("xs_"))).toEqual([]);
  });

  it("the console's status shows the peaks once measured, says when not yet, and has no heap line without a margin", () => {
    const margin = new HeapMargin({ slotBytes: 98_304, chunkBytes: 49_152, stackBytes: 12_288 });
    const r = rig(undefined, undefined, undefined, undefined, margin);
    const clockNow = () => r.clock.read({ utcMs: 0, errorBoundMs: 0, state: "unsynced" });
    const cmd = terminalCommands(r.app, clockNow);
    expect(cmd.status().at(-1)).toBe("heap peak not measured yet (read at each STATUS line)");
    margin.noteLive(30_400, 34_404);
    margin.noteStack(7_904);
    expect(cmd.status().at(-1)).toBe("heap peak slots=30400/98304B chunks=34404/49152B stack=7904/12288B headroom=30.0%");
    const plain = terminalCommands(rig().app, clockNow).status();
    expect(plain.filter((l) => l.startsWith("heap"))).toEqual([]);
  });
});

describe("TerminalConfig", () => {
  it("resolves overrides and names the bad setting", () => {
    const c = resolveTerminalConfig({ terminalId: "t9", broker: { port: 1884 }, ntpServers: ["a", "b", "c"], pipeline: { watermarkDelayMs: 1_000 } });
    expect(c.terminalId).toBe("t9");
    expect(c.broker.port).toBe(1884);
    expect(c.broker.host).toBe("127.0.0.1");
    expect(c.pipeline.watermarkDelayMs).toBe(1_000);
    const bad: [unknown, string][] = [
      [{ terminalId: "a/b" }, "terminalId"],
      [{ broker: { port: 70_000 } }, "broker.port"],
      [{ broker: { password: "x" } }, "broker.password"],
      [{ ntpServers: [] }, "ntpServers"],
      [{ currency: "usd" }, "currency"],
      [{ pipeline: { ringCapacity: 0 } }, "pipeline: ringCapacity"],
      [{ nope: 1 }, "unknown setting nope"],
      [{ outbox: { maxMessages: 0 } }, "maxMessages"],
      [[], "must be a JSON object"],
      [{ ntpServers: "a" }, "ntpServers must be an array of non-empty host names"],
      [{ ntpServers: ["a", ""] }, "ntpServers must be an array of non-empty host names"],
      [{ ntpServers: [7] }, "ntpServers must be an array of non-empty host names"],
      [{ merchantId: "" }, 'merchantId must be 1-64 of [A-Za-z0-9_.:-], got ""'],
      [{ topicPrefix: "a+b" }, 'topicPrefix must be one topic level without + # /, got "a+b"'],
      [{ location: { lat: 90.5 } }, "location.lat must be within [-90, 90]"],
      [{ location: { lat: -90.5 } }, "location.lat must be within [-90, 90]"],
      [{ location: { lon: 180.5 } }, "location.lon must be within [-180, 180]"],
      [{ location: { lon: -180.5 } }, "location.lon must be within [-180, 180]"],
      [{ broker: { host: "" } }, "broker.host must not be empty"],
      [{ broker: { backoffBaseMs: 5_000, backoffCapMs: 4_999 } }, "broker.backoffCapMs must be an integer in [5000, 3600000], got 4999"],
      [{ metricsIntervalMs: -1 }, "metricsIntervalMs must be an integer in [0, 86400000], got -1"],
      [{ maxTransactionBytes: 63 }, "maxTransactionBytes must be an integer in [64, "],
      [{ broker: { maxPacketSize: 200 }, maxTransactionBytes: 193 }, "maxTransactionBytes must leave room for the PUBLISH header within broker.maxPacketSize"],
      [{ pipeline: [] }, "pipeline: config must be a JSON object"],
      [{ topicPrefix: "pay/card" }, 'topicPrefix must be one topic level without + # /, got "pay/card"'],
      [{ topicPrefix: "p".repeat(65) }, "topicPrefix must be one topic level"],
      [{ terminalId: "t".repeat(65) }, "terminalId must be 1-64 of"],
      [{ currency: "USDX" }, 'currency must be three upper-case letters, got "USDX"'],
      [{ currency: "XUSD" }, 'currency must be three upper-case letters, got "XUSD"'],
      [{ broker: { keepAliveSec: 65_536 } }, "broker.keepAliveSec must be an integer in [0, 65535], got 65536"],
      [{ broker: { keepAliveSec: 1.5 } }, "broker.keepAliveSec must be an integer in [0, 65535], got 1.5"],
      [{ broker: { inFlightWindow: 0 } }, "broker.inFlightWindow must be an integer in [1, 65535], got 0"],
      [{ broker: { maxPacketSize: 127 } }, "broker.maxPacketSize must be an integer in [128, 268435460], got 127"],
      [{ broker: { backoffBaseMs: 0 } }, "broker.backoffBaseMs must be an integer in [1, 3600000], got 0"],
      [{ broker: { pingTimeoutMs: 0 } }, "broker.pingTimeoutMs must be an integer in [1, 3600000], got 0"],
      [{ broker: { connectTimeoutMs: 3_600_001 } }, "broker.connectTimeoutMs must be an integer in [1, 3600000], got 3600001"],
      [{ unsyncedCapacity: 100_001 }, "unsyncedCapacity must be an integer in [0, 100000], got 100001"],
      [{ outbox: { maxBytes: 4_096, reservedForAlerts: { bytes: 1_024 } }, maxTransactionBytes: 3_073 }, "maxTransactionBytes must be an integer in [64, 3072], got 3073"],
    ];
    const defaults = defaultTerminalConfig();
    expect([defaults.broker.tls, defaults.ntpServers]).toEqual([false, ["0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org"]]);
    const top = resolveTerminalConfig({
      topicPrefix: "p".repeat(64),
      terminalId: "t".repeat(64),
      broker: { keepAliveSec: 65_535, inFlightWindow: 1, maxPacketSize: 268_435_460, backoffBaseMs: 1, backoffCapMs: 1, connectTimeoutMs: 3_600_000 },
      unsyncedCapacity: 100_000,
      outbox: { maxBytes: 4_096, reservedForAlerts: { bytes: 1_024 } },
      maxTransactionBytes: 3_072,
    });
    expect([top.broker.keepAliveSec, top.broker.maxPacketSize, top.unsyncedCapacity, top.maxTransactionBytes]).toEqual([65_535, 268_435_460, 100_000, 3_072]);
    // The limits themselves are accepted.
    const edge = resolveTerminalConfig({ location: { lat: -90, lon: 180 }, broker: { maxPacketSize: 200 }, maxTransactionBytes: 192 });
    expect(edge.location).toEqual({ lat: -90, lon: 180 });
    expect(edge.maxTransactionBytes).toBe(192);
    expect(resolveTerminalConfig({ location: { lat: 90, lon: -180 } }).location).toEqual({ lat: 90, lon: -180 });
    for (const [over, msg] of bad) {
      const err = thrown(() => resolveTerminalConfig(over));
      expect(err instanceof ConfigError).toBe(true);
      expect((err as Error).message).toContain(msg);
    }
  });
});

describe("TerminalApp: the console's terminal commands (status, ring, offline, online)", () => {
  it("offline holds the link down while swipes are journaled, online drains the outbox; status and ring show it", () => {
    const r = rig((c) => {
      c.outbox.maxMessages = 6;
      c.outbox.reservedForAlerts = { messages: 1, bytes: 512 };
    });
    const clockNow = () => r.clock.read({ utcMs: 0, errorBoundMs: 0, state: "unsynced" });
    const cmd = terminalCommands(r.app, clockNow);
    expect(cmd.status()[0]).toBe("link up; in flight 0");
    expect(cmd.offline()).toBe("offline: link dropped and held down; swipes are journaled until the outbox is full");
    expect(cmd.offline()).toBe("offline already");
    r.run(2_000);
    expect(r.app.session.connected).toBe(false);
    // Left gracefully: its own retained "offline" (a held-down link is no crash: no Will needed).
    expect(JSON.parse(r.broker.retained.get("paycard/term_1/status") as string).status).toBe("offline");
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) answers.push(r.app.swipe(reading({ transaction_id: `tx-off-${i}` })).decision);
    r.run(1_000);
    // Still down (no reconnect while held), the outbox full, the rest declined for backpressure.
    expect(r.app.session.connected).toBe(false);
    expect(answers.filter((d) => d === SwipeDecision.ACCEPTED).length).toBe(5);
    expect(answers.filter((d) => d === SwipeDecision.DECLINED_BACKPRESSURE).length).toBe(3);
    const status = cmd.status();
    expect(status[0]).toBe("link held down (offline; online brings it back); in flight 0");
    expect(status[2]).toBe(`outbox 5 messages / ${r.app.outbox.bytes} B: alerts 0, transactions 5, telemetry 0 (at most 6 / ${r.app.outbox.config.maxBytes} B)`);
    expect(status[3]).toBe("swipes 8: accepted 5, acknowledged 0, rejected 0, declined backpressure 3 (storage full 0), clock 0, storage 0");
    // The ring: newest first, with request sequence numbers, card hashes only.
    const ring = cmd.ring(3);
    expect(ring[0]).toBe("ring: 5 of 128 swipes, newest first (the 3 newest)");
    expect(ring.slice(1).map((l) => /tx=(\S+)/.exec(l)?.[1])).toEqual(["tx-off-4", "tx-off-3", "tx-off-2"]);
    expect(ring[1].startsWith("  #5 ")).toBe(true);
    expect(cmd.online()).toBe("online: reconnecting; the outbox drains");
    r.run(2_000);
    expect(r.app.session.connected).toBe(true);
    expect(JSON.parse(r.broker.retained.get("paycard/term_1/status") as string).status).toBe("online");
    expect(r.app.counters.acknowledged).toBe(5);
    expect(cmd.status()[2].startsWith("outbox 0 messages")).toBe(true);
    expect(cmd.online()).toBe("online already (the link was not held down)");
  });

  it("status, line by line: the clock's bound and time, card-testing incidents, the ring, a link that is down", () => {
    const r = rig((c) => (c.clockWatermark = false));
    const clockNow = () => r.clock.read({ utcMs: 0, errorBoundMs: 0, state: "unsynced" });
    const cmd = terminalCommands(r.app, clockNow);
    for (let i = 0; i < 12; i++) {
      r.app.swipe(reading({ card_hash: "hash_tester", amount_cents: 150 + i }));
      r.run(500);
    }
    r.app.swipe(reading({ amount_cents: -3 }));
    r.app.finish();
    r.run(200);
    const incidents = r.app.pipeline.stats().burst_incidents;
    expect(incidents.opened).toBe(1);
    const now = T0 + (r.clock.mono - 5_000);
    expect(cmd.status()).toEqual([
      "link up; in flight 0",
      `clock synced ±3.0 ms, ${new Date(now).toISOString()}`,
      `outbox 0 messages / 0 B: alerts 0, transactions 0, telemetry 0 (at most ${r.app.outbox.config.maxMessages} / ${r.app.outbox.config.maxBytes} B)`,
      // Acknowledged counts every message of the outbox: 12 transactions, the alert, the reject.
      "swipes 13: accepted 12, acknowledged 14, rejected 1, declined backpressure 0 (storage full 0), clock 0, storage 0",
      `alerts queued ${r.app.counters.alertsQueued}; card testing: 1 incidents, ${incidents.repeat_windows} more windows of them not alerted, ${incidents.open} open`,
      "ring 12/128 swipes (0 overwritten); keys evicted 0 (0 windows fired early for it)",
    ]);
    expect(r.app.counters.alertsQueued).toBeGreaterThan(0);
    expect(incidents.repeat_windows).toBeGreaterThan(0);
    r.clock.state = "unsynced";
    expect(cmd.status()[1]).toBe("clock unsynced");
    r.clock.state = "synced";
    r.clock.offset = -r.clock.mono; // the epoch itself: no time to show
    expect(cmd.status()[1]).toBe("clock synced ±3.0 ms, -");
    r.broker.down = true;
    r.broker.drop();
    r.run(10);
    expect(cmd.status()[0]).toBe("link down (backing-off); in flight 0");
    const ring = cmd.ring(100);
    expect(ring[0]).toBe("ring: 12 of 128 swipes, newest first");
    expect(ring).toHaveLength(13);
    expect(ring[12]).toBe(`  #1 ${new Date(T0 + 50).toISOString()} tx=${/tx=(\S+)/.exec(ring[12]!)![1]} card=hash_tester 150 USD`);
    expect(cmd.ring(12)[0]).toBe("ring: 12 of 128 swipes, newest first");
    expect(cmd.ring(11)[0]).toBe("ring: 12 of 128 swipes, newest first (the 11 newest)");
  });
});
