/**
 * One process of bench:fleet's course scenario (fleet-course.ts forks it with an IPC channel):
 * terminals [first, first + count), each a whole TerminalApp with its own session, request ids,
 * journal file and boot counter, connected to the broker shard `index % brokers.length` from the
 * source address `index % sources.length`. The process feeds its share of the swipes itself: one
 * seeded generator at `rate` swipes/s, each swipe to a terminal drawn at random.
 *
 * Messages (parent → worker, worker → parent):
 *   → { type: "feed", seconds, rate }    feed for `seconds`, then answer { type: "fed", swipes, feedLagP99 }
 *   → { type: "drain", timeoutMs }       wait until every outbox is empty, then answer with the report
 *   ← { type: "progress", connected, connects, outboxDepth }   every PROGRESS_MS (connects: CONNACKs so far)
 *   ← { type: "report", accepted, held, rssBytes, heapBytes, counters }
 *
 * The event loop's work is bounded whatever the count: a tick (TICK_MS) group-commits and ticks
 * the terminals that took swipes since the last one, and ticks a rolling slice of all terminals,
 * so that each is ticked every SWEEP_MS (keep-alive, reconnects, timers).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { SwipeDecision } from "../../core/app/swipe-decision";
import { TerminalApp } from "../../core/app/terminal-app";
import { resolveTerminalConfig } from "../../core/app/terminal-config";
import { createRawSwipe, type RawSwipe } from "../../core/model/raw-swipe";
import { SeededRandom } from "../../sim/seeded-random";
import { DEFAULT_TRAFFIC, TrafficGenerator } from "../../sim/traffic-generator";
import { FileBootCounter } from "../boot-counter-file";
import { percentile } from "../fleet-subscriber";
import { FileJournal } from "../file-journal";
import { nodeTcpTransportFactory } from "../node-tcp-transport";
import { OsEventClock } from "../os-event-clock";
import { commitAsync } from "../terminal-fleet";

export interface CourseWorkerSetup {
  first: number;
  count: number;
  /** Broker ports on 127.0.0.1: terminal i uses brokers[i % brokers.length]. */
  brokers: number[];
  /** Source addresses: terminal i connects from sources[i % sources.length]; none: the system's choice. */
  sources: string[];
  stateDir: string;
  seed: number;
  /** Terminals started per tick while connecting (a SYN flood past the broker's backlog only costs retries). */
  startPerTick: number;
}

const TICK_MS = 10;
/** Swipes/s of one generator (see "feed"). */
const GEN_RATE = 50;
const SWEEP_MS = 200;
const PROGRESS_MS = 250;

/**
 * What a course terminal is: the device's broker settings (in-flight window 8, reconnect backoff
 * 1 s to 30 s with full jitter), metrics off (50 000 terminals would send 5 000 metrics/s) and a
 * small outbox.
 */
function courseConfig(i: number, port: number) {
  return resolveTerminalConfig(
    {
      terminalId: `term_${i + 1}`,
      merchantId: `merch_${String((i % 1_000) + 1).padStart(3, "0")}`,
      metricsIntervalMs: 0,
      outbox: { maxMessages: 64, maxBytes: 64 * 1024, reservedForAlerts: { messages: 8, bytes: 8 * 1024 }, telemetryPolicy: "drop-oldest" },
      broker: { host: "127.0.0.1", port, inFlightWindow: 8, keepAliveSec: 60, backoffBaseMs: 1_000, backoffCapMs: 30_000 },
    },
    [],
  );
}

interface Terminal {
  app: TerminalApp;
  journal: FileJournal;
  dirty: boolean;
}

function send(m: unknown): void {
  process.send?.(m);
}

function run(setup: CourseWorkerSetup): void {
  const dir = path.join(setup.stateDir, `from-${setup.first}`);
  mkdirSync(dir, { recursive: true });
  const enc = new TextEncoder();
  const utf8 = { encode: (s: string) => enc.encode(s) };
  const terminals: Terminal[] = [];
  const accepted: string[] = [];
  const dirty: Terminal[] = [];
  let started = 0;
  let sweep = 0;

  const startSome = () => {
    const end = Math.min(setup.count, started + setup.startPerTick);
    for (; started < end; started++) {
      const i = setup.first + started;
      const cfg = courseConfig(i, setup.brokers[i % setup.brokers.length]!);
      const journal = new FileJournal(path.join(dir, `${cfg.terminalId}.journal`), { syncAppends: false, compactMinDeadBytes: 1 << 20 });
      const app = new TerminalApp(
        cfg,
        {
          clock: new OsEventClock(),
          transport: nodeTcpTransportFactory({
            host: "127.0.0.1",
            port: cfg.broker.port,
            ...(setup.sources.length > 0 ? { localAddress: setup.sources[i % setup.sources.length] } : {}),
          }),
          journal,
          bootCounter: new FileBootCounter(path.join(dir, `${cfg.terminalId}.boot`)),
          random: new SeededRandom((setup.seed * 7919 + i) >>> 0),
          heapBytes: () => 0,
          utf8,
        },
        {},
      );
      terminals.push({ app, journal, dirty: false });
      app.start();
    }
  };

  // Feeding: the process's generators, each swipe to a random terminal.
  let feedUntil = -1;
  let feedStart = 0;
  let gens: { gen: TrafficGenerator; next: RawSwipe }[] = [];
  const pick = new SeededRandom((setup.seed * 31 + setup.first) >>> 0);
  const input: Record<string, unknown> = {};
  let swipes = 0;
  let lag: number[] = [];

  const feed = (now: number) => {
    if (gens.length === 0) return;
    const elapsed = now - feedStart;
    for (const { gen, next } of gens) feedFrom(gen, next, elapsed);
    if (elapsed >= feedUntil) {
      gens = [];
      send({ type: "fed", swipes, feedLagP99: percentile(lag, 99) });
      lag = [];
    }
  };
  const feedFrom = (gen: TrafficGenerator, next: RawSwipe, elapsed: number) => {
    while ((next.terminal_time as number) <= Math.min(elapsed, feedUntil)) {
      lag.push(elapsed - (next.terminal_time as number));
      const t = terminals[pick.below(terminals.length)]!;
      input.transaction_id = `${next.transaction_id}-${setup.first}-${swipes}`;
      input.card_hash = next.card_hash;
      input.amount_cents = next.amount_cents;
      input.currency = next.currency;
      const a = t.app.swipe(input);
      swipes++;
      if (a.decision === SwipeDecision.ACCEPTED) accepted.push(a.requestId);
      if (!t.dirty) {
        t.dirty = true;
        dirty.push(t);
      }
      gen.next(next);
    }
  };

  let lastProgress = 0;
  let drainUntil = -1;
  const timer = setInterval(() => {
    const now = performance.now();
    if (started < setup.count) startSome();
    feed(now);
    // Group commit of the terminals that took swipes: their journals' fdatasyncs in parallel on
    // the thread pool; what each covers is published after it.
    for (const t of dirty) {
      t.dirty = false;
      commitAsync(t.app, t.journal);
      t.app.tick();
    }
    dirty.length = 0;
    // The rolling sweep: every terminal once per SWEEP_MS.
    const slice = Math.ceil((terminals.length * TICK_MS) / SWEEP_MS);
    for (let k = 0; k < slice && terminals.length > 0; k++) {
      terminals[sweep]!.app.tick();
      sweep = (sweep + 1) % terminals.length;
    }
    if (now - lastProgress >= PROGRESS_MS || drainUntil >= 0) {
      let connected = 0;
      let connects = 0;
      let depth = 0;
      for (const t of terminals) {
        if (t.app.session.connected) connected++;
        connects += t.app.session.counters.connects;
        depth += t.app.outbox.messages;
      }
      if (now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        send({ type: "progress", connected, connects, outboxDepth: depth });
      }
      if (drainUntil >= 0 && (depth === 0 || now >= drainUntil)) {
        drainUntil = -1;
        clearInterval(timer);
        report();
      }
    }
  }, TICK_MS);

  const report = () => {
    const held: string[] = [];
    const counters = { retransmits: 0, reconnects: 0, declined: 0, rejected: 0, internalErrors: 0 };
    for (const t of terminals) {
      for (const id of t.app.outbox.heldRequestIds()) held.push(id);
      counters.retransmits += t.app.session.counters.retransmits;
      counters.reconnects += t.app.session.counters.reconnects;
      counters.declined += t.app.declined;
      counters.rejected += t.app.counters.rejected;
      counters.internalErrors += t.app.counters.internalErrors;
    }
    const mem = process.memoryUsage();
    // The report can be large (every accepted request id): the channel is closed only once it is sent.
    process.send?.({ type: "report", accepted, held, rssBytes: mem.rss, heapBytes: mem.heapUsed, counters }, () => {
      for (const t of terminals) t.app.stop();
      setTimeout(() => {
        for (const t of terminals) t.journal.close();
        process.disconnect?.();
      }, 200);
    });
  };

  process.on("message", (m: { type: string; seconds?: number; rate?: number; timeoutMs?: number }) => {
    if (m.type === "feed") {
      feedStart = performance.now();
      feedUntil = (m.seconds ?? 0) * 1_000;
      // The generator's arrivals are whole ms apart (at least 1): one generator runs well below
      // a rate of ~1 000/s, so the process's rate is split over generators of at most GEN_RATE.
      const rate = m.rate ?? 1;
      const count = Math.ceil(rate / GEN_RATE);
      gens = [];
      for (let g = 0; g < count; g++) {
        const gen = new TrafficGenerator(
          {
            ...DEFAULT_TRAFFIC,
            seed: (setup.seed * 1_000_003 + setup.first * 101 + swipes + g) >>> 0,
            terminalId: "term_0",
            merchantIds: ["merch_000"],
            startMs: 0,
            ratePerSec: rate / count,
            maxDelayMs: 0,
            lateFraction: 0,
            maxLateMs: 0,
          },
          { onBurst: () => {}, onAnomaly: () => {} },
        );
        const next = createRawSwipe();
        gen.next(next);
        gens.push({ gen, next });
      }
    } else if (m.type === "drain") {
      drainUntil = performance.now() + (m.timeoutMs ?? 30_000);
    }
  });
}

process.once("message", (m: { type: string; setup: CourseWorkerSetup }) => {
  if (m.type === "setup") run(m.setup);
});
