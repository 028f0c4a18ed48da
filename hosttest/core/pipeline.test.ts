import { describe, expect, it } from "vitest";
import { alertId } from "../../src/core/model/alert";
import fc from "fast-check";
import { Pipeline, ProcessOutcome, type PipelineSink } from "../../src/core/pipeline/pipeline";
import { defaultPipelineConfig, resolvePipelineConfig } from "../../src/core/pipeline/pipeline-config";
import { REJECT_REASONS } from "../../src/core/model/reject-reason";
import { CollectingSink } from "../support/collecting-sink";
import { fixedPorts, rawSwipe, T0 } from "../support/swipes";

function pipeline(over: unknown = {}) {
  const sink = new CollectingSink();
  const p = new Pipeline(resolvePipelineConfig(over), sink, fixedPorts, "term_1");
  return { p, sink };
}

/** Twelve small purchases on one card within a minute: card testing. */
function cardTest(card: string, t: number) {
  const out = [];
  for (let i = 0; i < 12; i++) {
    const ts = t + i * 4_000;
    out.push(rawSwipe({ card_hash: card, amount_cents: 100 + i, timestamp: ts, terminal_time: ts + 200 }));
  }
  return out;
}

describe("pipeline", () => {
  it("accepts a swipe: request id assigned once, stored in the ring", () => {
    const { p, sink } = pipeline();
    expect(p.process(rawSwipe({ transaction_id: "txn-1" }))).toBe(ProcessOutcome.ACCEPTED);
    expect(p.process(rawSwipe({ transaction_id: "txn-2" }))).toBe(ProcessOutcome.ACCEPTED);
    expect(sink.accepted).toEqual([{ tx: "txn-1", seq: 1 }, { tx: "txn-2", seq: 2 }]);
    expect(p.requestIds.format(1)).toBe("term_1-7-1");
    expect(p.ring.size).toBe(2);
    expect(p.ring.requestSeqAt(1)).toBe(2);
  });

  it("rejects bad input with a reason, counts it, and keeps what it accepted", () => {
    const { p, sink } = pipeline();
    p.process(rawSwipe({ transaction_id: "good-1" }));
    expect(p.process({ ...rawSwipe({ transaction_id: "bad-1" }), amount_cents: -5 })).toBe(ProcessOutcome.REJECTED);
    expect(p.process("not json object")).toBe(ProcessOutcome.REJECTED);
    expect(p.process(rawSwipe({ transaction_id: "good-1" }))).toBe(ProcessOutcome.REJECTED);
    expect(sink.rejects.map((r) => [r.reason, r.transaction_id])).toEqual([
      ["AMOUNT_NOT_POSITIVE", "bad-1"], ["NOT_AN_OBJECT", ""], ["DUPLICATE_TRANSACTION", "good-1"],
    ]);
    expect([sink.rejects[2]!.field, sink.rejects[2]!.detail]).toEqual(["transaction_id", "this transaction_id was already accepted"]);
    const st = p.stats();
    expect(st.rejected).toBe(3);
    expect(st.rejects.DUPLICATE_TRANSACTION).toBe(1);
    expect(st.accepted).toBe(1);
    expect(p.ring.size).toBe(1);
  });

  it("never echoes a card number back in a reject", () => {
    const { sink, p } = pipeline();
    p.process(rawSwipe({ card_hash: "4111111111111111" }));
    expect(JSON.stringify(sink.rejects)).not.toContain("4111111111111111");
    expect(sink.rejects[0].reason).toBe("CARD_NUMBER_IN_CARD_HASH");
  });

  it("raises one alert for one card-testing attack, carrying its transactions; later windows are counted, not alerted", () => {
    const { p, sink } = pipeline();
    const swipes = cardTest("card_tester", T0);
    for (const s of swipes) p.process(s);
    // Advance event time so that every burst window has fired (watermark T0 + 169 999).
    p.process(rawSwipe({ card_hash: "other", timestamp: T0 + 200_000, terminal_time: T0 + 200_100 }));
    const bursts = sink.alerts.filter((a) => a.type === "BURST_ATTACK");
    expect(bursts.length).toBe(1);
    const a = bursts[0];
    // The incident's first window that met the rule names the alert.
    const hits = sink.windows.filter((w) => w.window === "burst" && w.key === "card_tester" && (w.count > 10 || (w.count > 5 && w.sum / w.count < 500)));
    expect(hits.length).toBeGreaterThan(1);
    const first = hits[0];
    expect(a.id).toBe(alertId("BURST_ATTACK", "card_tester", first.end));
    expect(a.value).toBe(first.count);
    expect(a.confidence).toBe(Math.min(0.95, first.count / 20));
    // Its transactions: the window's swipes, oldest first, from the ring.
    const inWindow = swipes.filter((s) => (s.timestamp as number) >= first.start && (s.timestamp as number) < first.end).map((s) => s.transaction_id);
    expect(a.transactionIds).toEqual(inWindow);
    expect(a.transactionIds.length).toBe(first.count);
    const incidents = p.stats().burst_incidents;
    expect(incidents.opened).toBe(1);
    expect(incidents.repeat_windows).toBe(hits.length - 1);
    // A late swipe on the same card re-fires its windows (within lateness): still the same incident.
    p.process(rawSwipe({ card_hash: "card_tester", amount_cents: 50, timestamp: T0 + 44_000, terminal_time: T0 + 200_200 }));
    expect(sink.windows.some((w) => w.update && w.key === "card_tester")).toBe(true);
    expect(sink.alerts.filter((x) => x.type === "BURST_ATTACK").length).toBe(1);
    expect(p.stats().burst_incidents.repeat_windows).toBeGreaterThan(incidents.repeat_windows);
  });

  it("an alert carries only its card's swipes inside its window's [start, end), the newest 16, oldest first", () => {
    const { p, sink } = pipeline({ ringCapacity: 128 });
    const mine: { tx: string; ts: number }[] = [];
    // 40 swipes of the card 3 s apart (every fifth on a 15 s boundary, so on window edges), another card's between them.
    for (let i = 0; i < 40; i++) {
      const ts = T0 + i * 3_000;
      const tx = "x-" + i;
      mine.push({ tx, ts });
      p.process(rawSwipe({ transaction_id: tx, card_hash: "card_x", amount_cents: 100, timestamp: ts, terminal_time: ts }));
      p.process(rawSwipe({ transaction_id: "o-" + i, card_hash: "card_o", amount_cents: 100, timestamp: ts + 1_000, terminal_time: ts + 1_000 }));
    }
    p.process(rawSwipe({ card_hash: "late_mover", timestamp: T0 + 400_000, terminal_time: T0 + 400_000 }));
    const alerts = sink.alerts.filter((a) => a.type === "BURST_ATTACK" && a.key === "card_x");
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    const w = sink.windows.find((x) => x.window === "burst" && x.key === "card_x" && x.end === a.windowEnd)!;
    const inside = mine.filter((m) => m.ts >= w.start && m.ts < w.end).map((m) => m.tx);
    expect(inside.length).toBeGreaterThan(0);
    expect(a.transactionIds).toEqual(inside.slice(-16));
    expect(a.value).toBe(inside.length);
    // The second card, swiped as often, raised its own alert with its own swipes.
    const other = sink.alerts.find((x) => x.type === "BURST_ATTACK" && x.key === "card_o")!;
    expect(other.transactionIds.every((t) => t.startsWith("o-"))).toBe(true);
  });

  it("an alert id seen before is suppressed and counted", () => {
    const { p, sink } = pipeline();
    p.process(rawSwipe({ transaction_id: "d1", timestamp: T0, terminal_time: T0 + 5 * 60_000 }));
    p.process(rawSwipe({ transaction_id: "d2", timestamp: T0 + 10, terminal_time: T0 + 5 * 60_000 })); // same terminal, same minute bucket
    expect(sink.alerts.map((a) => a.type)).toEqual(["CLOCK_DRIFT"]);
    expect(p.stats().alerts_suppressed).toBe(1);
  });

  it("alerts again for a second attack on the same card after it went quiet, with its own id", () => {
    const { p, sink } = pipeline();
    for (const s of cardTest("card_tester", T0)) p.process(s);
    for (const s of cardTest("card_tester", T0 + 600_000)) p.process(s);
    p.process(rawSwipe({ card_hash: "other", timestamp: T0 + 900_000, terminal_time: T0 + 900_100 }));
    const bursts = sink.alerts.filter((x) => x.type === "BURST_ATTACK");
    expect(bursts.length).toBe(2);
    expect(bursts[0].id === bursts[1].id).toBe(false);
    expect(bursts[1].windowEnd > T0 + 600_000).toBe(true);
    expect(p.stats().burst_incidents.opened).toBe(2);
  });

  it("under a flood of new cards evicts the card-testing card: its windows fire early, the alert comes before its window's end, all counted", () => {
    const { p, sink } = pipeline({ keyedState: { card_hash: { maxKeys: 4, keyTtlMs: 600_000, maxSlices: 64 } } });
    const swipes = cardTest("card_tester", T0);
    for (const s of swipes) p.process(s);
    // Five new customers a second later: the tester's card is the least recently used of 4 keys.
    for (let i = 0; i < 5; i++) p.process(rawSwipe({ card_hash: `new_${i}`, timestamp: T0 + 45_000 + i, terminal_time: T0 + 45_300 + i }));
    const early = sink.windows.filter((w) => w.key === "card_tester" && w.evicted);
    expect(early.length).toBeGreaterThan(0);
    const bursts = sink.alerts.filter((a) => a.type === "BURST_ATTACK");
    expect(bursts.length).toBe(1);
    // Raised while the watermark (event time − 30 s) was still before the window's end.
    expect(bursts[0].windowEnd > p.stats().watermark).toBe(true);
    expect(bursts[0].transactionIds.length).toBeGreaterThan(0);
    const st = p.stats();
    expect(st.windows.burst.keys_evicted).toBeGreaterThan(0);
    expect(st.windows.burst.flushed_on_eviction).toBeGreaterThan(0);
    // burst and card_5m share the card keys: their evictions count once, not once per window.
    expect(st.windows.card_5m.keys_evicted).toBe(st.windows.burst.keys_evicted);
    expect(p.keysEvicted()).toBe(st.windows.burst.keys_evicted + st.windows.merchant_1m.keys_evicted);
  });

  it("a window neither emitted nor read by a detector never fires, its late data still goes out; the others fire as before", () => {
    const windows = defaultPipelineConfig().windows;
    const quiet = windows.map((w) => (w.name === "card_5m" ? { ...w, emit: false } : w));
    // burst not emitted either: the detector still reads it, so it fires.
    const quietBurst = quiet.map((w) => (w.name === "burst" ? { ...w, emit: false } : w));
    const runs = [{ windows }, { windows: quiet }, { windows: quietBurst }].map((over) => {
      const { p, sink } = pipeline({ ...over, keyedState: { card_hash: { maxKeys: 4, keyTtlMs: 600_000, maxSlices: 64 } } });
      for (const s of cardTest("card_tester", T0)) p.process(s);
      for (let i = 0; i < 5; i++) p.process(rawSwipe({ card_hash: `new_${i}`, timestamp: T0 + 45_000 + i, terminal_time: T0 + 45_300 + i }));
      p.process(rawSwipe({ card_hash: "late_card", transaction_id: "old-1", timestamp: T0 - 3_600_000, terminal_time: T0 + 46_000 }));
      p.finish();
      return { st: p.stats(), sink };
    });
    const [all, q, qb] = runs;
    expect(all!.st.windows.card_5m.fired).toBeGreaterThan(0);
    expect(q!.st.windows.card_5m.fired).toBe(0);
    expect(q!.st.windows.card_5m.flushed_on_eviction).toBe(0);
    expect(q!.sink.windows.filter((w) => w.window === "card_5m")).toEqual([]);
    // The same burst and merchant windows, the same alert.
    const others = (r: typeof all) => r!.sink.windows.filter((w) => w.window !== "card_5m").map((w) => `${w.window} ${w.key} ${w.start} ${w.count}`);
    expect(others(q)).toEqual(others(all));
    expect(q!.sink.alerts.map((a) => a.id)).toEqual(all!.sink.alerts.map((a) => a.id));
    expect(q!.sink.late.map((l) => l.window)).toEqual(["burst", "card_5m", "merchant_1m"]);
    expect(q!.st.windows.card_5m.late).toBe(1);
    // Read by the detector only, the burst window fires unpublished, and only windows that could be
    // a burst (or close an open incident): the same alert from far fewer firings.
    expect(qb!.sink.windows.filter((w) => w.window === "burst")).toEqual([]);
    expect(qb!.sink.alerts.map((a) => a.id)).toEqual(all!.sink.alerts.map((a) => a.id));
    expect(qb!.st.windows.burst.fired).toBeGreaterThan(0);
    expect(qb!.st.windows.burst.fired).toBeLessThan(all!.st.windows.burst.fired / 2);
  });

  it("a burst window only the detector reads: the same alerts and incidents as when every window fires, on random traffic", () => {
    const windows = defaultPipelineConfig().windows;
    const detectorOnly = windows.map((w) => (w.name === "burst" ? { ...w, emit: false } : w));
    let alerts = 0;
    let closed = 0;
    let fewer = 0;
    fc.assert(
      fc.property(
        // Few cards, mostly seconds apart (bursts: more than 5 small or 10 any in 2 minutes), now and then a quiet spell.
        fc.array(
          fc.record({
            card: fc.integer({ min: 0, max: 3 }),
            gapMs: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 6_000 }), weight: 9 }, { arbitrary: fc.integer({ min: 30_000, max: 200_000 }), weight: 1 }),
            cents: fc.oneof(fc.integer({ min: 50, max: 400 }), fc.integer({ min: 500, max: 3_000 })),
          }),
          { minLength: 20, maxLength: 160 },
        ),
        fc.integer({ min: 2, max: 12 }),
        (steps, maxKeys) => {
          const run = (w: typeof windows) => {
            const { p, sink } = pipeline({ windows: w, keyedState: { card_hash: { maxKeys, keyTtlMs: 600_000, maxSlices: 256 } } });
            let t = T0;
            steps.forEach((s, i) => {
              t += s.gapMs;
              p.process(rawSwipe({ transaction_id: `tx-${i}`, card_hash: `card_${s.card}`, amount_cents: s.cents, timestamp: t, terminal_time: t + 100 }));
            });
            p.finish();
            const inc = p.burstIncidents;
            return { alerts: sink.alerts.map((a) => a.id), incidents: [inc.opened, inc.closed, inc.repeatWindows], fired: p.stats().windows.burst.fired };
          };
          const a = run(windows);
          const b = run(detectorOnly);
          alerts += a.alerts.length;
          closed += a.incidents[1]!;
          if (b.fired < a.fired) fewer++;
          return JSON.stringify([a.alerts, a.incidents]) === JSON.stringify([b.alerts, b.incidents]) && b.fired <= a.fired;
        },
      ),
      { numRuns: 200, seed: 26 },
    );
    // The traffic raised alerts and closed incidents (so misses mattered), and the firings fell.
    expect(alerts).toBeGreaterThan(50);
    expect(closed).toBeGreaterThan(20);
    expect(fewer).toBeGreaterThan(150);
  });

  it("sends data beyond allowed lateness to the late output with its reason, still accepted", () => {
    const { p, sink } = pipeline();
    p.process(rawSwipe({ timestamp: T0 + 3_600_000, terminal_time: T0 + 3_600_000 }));
    const outcome = p.process(rawSwipe({ transaction_id: "old-1", timestamp: T0, terminal_time: T0 + 3_600_000 + 10 }));
    expect(outcome).toBe(ProcessOutcome.ACCEPTED);
    expect(sink.late.map((l) => [l.window, l.transaction_id, l.reason])).toEqual([
      ["burst", "old-1", "BEYOND_ALLOWED_LATENESS"], ["card_5m", "old-1", "BEYOND_ALLOWED_LATENESS"], ["merchant_1m", "old-1", "BEYOND_ALLOWED_LATENESS"],
    ]);
    expect(sink.late[0].request_id).toBe("term_1-7-2");
    expect(p.stats().windows.burst.late).toBe(1);
    expect(sink.accepted.map((a) => a.tx)).toContain("old-1");
  });

  it("detectors switched off raise nothing and count nothing; a burst on a card its window cannot hold still goes late as STATE_FULL", () => {
    const { p, sink } = pipeline({ anomaly: { enabled: false }, clockDrift: { enabled: false } });
    p.process(rawSwipe({ timestamp: T0, terminal_time: T0 + 5 * 60_000 })); // would drift
    for (let i = 0; i < 40; i++) p.process(rawSwipe({ card_hash: "c" + i, amount_cents: 1_800, timestamp: T0 + i * 1_000, terminal_time: T0 + i * 1_000 }));
    p.process(rawSwipe({ transaction_id: "big", card_hash: "cz", amount_cents: 900_000, timestamp: T0 + 50_000, terminal_time: T0 + 50_000 }));
    expect(sink.alerts).toEqual([]);
    const st = p.stats();
    expect([st.merchants_evicted, st.merchants_expired]).toEqual([0, 0]);
    // One slice per card: a swipe that needs a second slice for its card has no room, and is late by state.
    const tight = pipeline({ keyedState: { card_hash: { maxKeys: 1, maxSlices: 1 } }, windows: [{ name: "burst", size: 60_000, slide: 15_000 }] });
    tight.p.process(rawSwipe({ card_hash: "only", timestamp: T0, terminal_time: T0 }));
    tight.p.process(rawSwipe({ transaction_id: "later", card_hash: "only", timestamp: T0 + 20_000, terminal_time: T0 + 20_000 }));
    expect(tight.sink.late.map((l) => [l.window, l.transaction_id, l.reason])).toEqual([["burst", "later", "STATE_FULL"]]);
  });

  it("advancing the watermark by the clock does nothing when the clock has not moved it", () => {
    const { p, sink } = pipeline();
    p.process(rawSwipe({ timestamp: T0, terminal_time: T0 }));
    const wm = p.watermark.current;
    p.advanceWatermark(T0 - 60_000); // behind: nothing moves, nothing fires
    expect(p.watermark.current).toBe(wm);
    expect(sink.windows).toEqual([]);
    p.advanceWatermark(T0 + 3_600_000);
    expect(p.watermark.current).toBe(T0 + 3_600_000 - 30_000 - 1);
    expect(sink.windows.length).toBeGreaterThan(0);
  });

  it("flags clock drift between event time and terminal time", () => {
    const { p, sink } = pipeline();
    p.process(rawSwipe({ timestamp: T0, terminal_time: T0 + 5 * 60_000 }));
    expect(sink.alerts.map((a) => a.type)).toEqual(["CLOCK_DRIFT"]);
    expect(sink.alerts[0].value).toBe(300_000);
  });

  it("flags a big ticket after the merchant's warm-up", () => {
    const { p, sink } = pipeline();
    for (let i = 0; i < 40; i++) p.process(rawSwipe({ card_hash: "c" + i, amount_cents: 1_800 + (i % 7) * 50, timestamp: T0 + i * 1_000, terminal_time: T0 + i * 1_000 }));
    expect(sink.alerts.length).toBe(0);
    p.process(rawSwipe({ transaction_id: "big", card_hash: "cz", amount_cents: 900_000, timestamp: T0 + 50_000, terminal_time: T0 + 50_000 }));
    expect(sink.alerts.map((a) => [a.type, a.id])).toEqual([["AMOUNT_ANOMALY", "AMOUNT_ANOMALY:merch_grocery_001:big"]]);
  });

  it("replaying the same input gives the same outputs and alert ids", () => {
    const input = [...cardTest("c1", T0), ...cardTest("c2", T0 + 30_000), rawSwipe({ timestamp: T0 + 900_000, terminal_time: T0 + 900_000 })];
    const run = () => {
      const { p, sink } = pipeline();
      for (const s of input) p.process(s);
      p.finish();
      return sink;
    };
    const a = run();
    const b = run();
    expect(a.alerts.map((x) => x.id)).toEqual(b.alerts.map((x) => x.id));
    expect(a.windows).toEqual(b.windows);
  });

  it("a throwing sink is counted and does not stop the pipeline", () => {
    const throwing: PipelineSink = {
      onWindow() { throw new Error("w"); }, onAlert() { throw new Error("a"); }, onLate() { throw new Error("l"); },
      onReject() { throw new Error("r"); }, onAccepted() { throw new Error("x"); },
    };
    const p = new Pipeline(defaultPipelineConfig(), throwing, fixedPorts, "term_1");
    expect(p.process(rawSwipe())).toBe(ProcessOutcome.ACCEPTED);
    expect(p.process(null)).toBe(ProcessOutcome.REJECTED);
    expect(p.stats().sink_errors).toBe(2);
  });

  it("never throws, and its counters add up, on any mix of records", () => {
    const good = fc.record({ dt: fc.integer({ min: -200_000, max: 60_000 }), card: fc.constantFrom("a", "b", "c"), amount: fc.integer({ min: 1, max: 20_000 }) });
    const bad = fc.anything();
    fc.assert(
      fc.property(fc.array(fc.oneof(good.map((g) => ({ g })), bad.map((b) => ({ b }))), { maxLength: 80 }), (items) => {
        const { p, sink } = pipeline({ ringCapacity: 16 });
        let t = T0;
        for (const it of items) {
          if ("g" in it && it.g) {
            t += Math.max(0, it.g.dt);
            p.process(rawSwipe({ card_hash: it.g.card, amount_cents: it.g.amount, timestamp: t + Math.min(0, it.g.dt), terminal_time: t }));
          } else {
            p.process((it as { b: unknown }).b);
          }
        }
        p.finish();
        const st = p.stats();
        expect(st.accepted + st.rejected).toBe(items.length);
        expect(REJECT_REASONS.reduce((n, r) => n + st.rejects[r], 0)).toBe(st.rejected);
        expect(sink.rejects.length).toBe(st.rejected);
        expect(sink.accepted.length).toBe(st.accepted);
        expect(p.ring.size).toBe(Math.min(16, st.accepted));
        for (const w of Object.values(st.windows)) {
          expect(w.live_slices).toBe(0);
          expect(w.late).toBe(sink.late.filter((l) => l.window === Object.keys(st.windows).find((k) => st.windows[k] === w)).length);
        }
      }),
      { numRuns: 150 },
    );
  });
});
