import { mkdirSync } from "node:fs";
import path from "node:path";
import { createTimeReading, type EventClockPort } from "../core/app/event-clock";
import { SwipeDecision } from "../core/app/swipe-decision";
import { TerminalApp } from "../core/app/terminal-app";
import { resolveTerminalConfig, type TerminalConfig } from "../core/app/terminal-config";
import { SeededRandom } from "../sim/seeded-random";
import { createRawSwipe, type RawSwipe } from "../core/model/raw-swipe";
import { DEFAULT_TRAFFIC, TrafficGenerator, type InjectedAnomaly, type InjectedBurst, type TrafficTruth } from "../sim/traffic-generator";
import { FileBootCounter } from "./boot-counter-file";
import { DetectionScorer, type DetectionScore } from "./detection-score";
import { FileJournal } from "./file-journal";
import { FleetSubscriber, percentile, type BrokerAddress, type SubscriberTally } from "./fleet-subscriber";
import { nodeTcpTransportFactory } from "./node-tcp-transport";

export interface FleetOptions {
  terminals: number;
  /** Swipes per second, all terminals together. */
  rate: number;
  durationS: number;
  seed: number;
  broker: BrokerAddress;
  /** Journals and boot counters live here, one pair per terminal. */
  stateDir: string;
  /** Terminal config overrides (JSON object) applied to every terminal before its ids. */
  configOverrides: unknown;
  /** The event clock of each terminal. */
  clock: () => EventClockPort;
  /** Called about every 250 ms. */
  onProgress?: (p: FleetProgress) => void;
  /** Each alert, late and reject record the subscriber receives, as published. */
  onRecord?: (leaf: "alerts" | "late" | "rejects", payload: Record<string, unknown>) => void;
  /** Set `stopped` to end feeding early (Ctrl-C); the run still drains and reports. */
  stop?: { stopped: boolean };
  /** Longest wait for the outboxes and the subscriber after feeding ends. */
  drainTimeoutMs?: number;
  tickMs?: number;
  /** Before feeding, wait up to this long for every terminal's clock to sync (0: do not wait). */
  waitForClockMs?: number;
  /** Traffic shape; defaults suit a short demo (bursts and big tickets every few seconds per terminal). */
  traffic?: Partial<typeof LIVE_TRAFFIC>;
}

export interface FleetProgress {
  elapsedS: number;
  swipes: number;
  accepted: number;
  published: number;
  acked: number;
  outboxDepth: number;
  alerts: number;
  received: number;
}

export interface FleetSummary {
  terminals: number;
  rate: number;
  duration_s: number;
  seed: number;
  swipes: number;
  accepted: number;
  published: number;
  acked: number;
  /** This run's accepted swipes that reached the subscriber (distinct request ids). */
  received: number;
  /** Swipes a previous run on the same --state-dir had left in its journals, delivered now. */
  earlier_runs_delivered: number;
  alerts: { burst: DetectionScore; anomaly: DetectionScore; anomalies_during_warmup: number; clock_drift: number; total_received: number };
  /** How long the terminals' clocks took to sync before feeding began (0 when not waited for). */
  clock_sync_s: number;
  late: number;
  rejects: number;
  declined: number;
  held_for_time: number;
  latency_ms: { p50: number; p99: number; max: number; samples: number };
  /** How far behind its schedule the generator's swipes were handed to the terminals (the run kept up when small). */
  feed_lag_ms: { p99: number; max: number };
  /** Accepted, never received, and no longer held anywhere: must be 0. */
  lost: number;
  /** Accepted, not received yet, still held (journaled) by its terminal when the run ended. */
  undelivered_at_end: number;
  duplicates_received: number;
  dup_effects: number;
  retransmits: number;
  reconnects: number;
  outbox_peak_messages: number;
  telemetry_dropped: number;
  drained: boolean;
  achieved_rate: number;
}

/** Live traffic per terminal: the simulation's shape, with bursts and big tickets often enough to show in seconds. */
export const LIVE_TRAFFIC = {
  cardPool: 5_000,
  burstEveryMs: 10_000,
  burstLength: 12,
  burstGapMs: 150,
  anomalyEveryMs: 5_000,
  lateFraction: 0.005,
  maxLateMs: 240_000,
};

/** Host sizes: more room than the ESP32 defaults, same semantics. */
const HOST_DEFAULTS = {
  outbox: { maxMessages: 512, maxBytes: 512 * 1024, reservedForAlerts: { messages: 32, bytes: 32 * 1024 }, telemetryPolicy: "drop-oldest" },
  broker: { inFlightWindow: 128, maxPacketSize: 64 * 1024, backoffBaseMs: 200, backoffCapMs: 5_000 },
  metricsIntervalMs: 5_000,
};

/**
 * Confirms the generator's ground truth only for what the terminal really
 * accepted: a burst counts once all its swipes were accepted, a big ticket
 * once its swipe was and the merchant's amount statistic was past its
 * warm-up (before that the detector may not alert, by design; those are
 * counted apart). A run that ends mid-burst does not score a miss.
 */
class AcceptedTruth implements TrafficTruth {
  private readonly bursts = new Map<string, { burst: InjectedBurst; left: number }>();
  private readonly anomalies = new Map<string, InjectedAnomaly>();
  private acceptedSwipes = 0;
  anomaliesDuringWarmup = 0;

  constructor(private readonly scorer: DetectionScorer, private readonly burstLength: number, private readonly warmup: number) {}

  onBurst(b: InjectedBurst): void {
    this.bursts.set(b.card, { burst: b, left: this.burstLength });
  }

  onAnomaly(a: InjectedAnomaly): void {
    this.anomalies.set(a.transactionId, a);
  }

  /** The card of a burst whose swipes have started but not all been accepted, or null. */
  burstInProgress(): string | null {
    for (const [card, b] of this.bursts) if (b.left > 0 && b.left < this.burstLength) return card;
    return null;
  }

  /** `rec` was accepted under the transaction id `submittedTx` (the terminal's, which alerts name). */
  accepted(rec: RawSwipe, submittedTx: string): void {
    const seenBefore = this.acceptedSwipes++;
    const b = this.bursts.get(rec.card_hash);
    if (b !== undefined && --b.left === 0) this.scorer.onBurst(b.burst);
    const a = this.anomalies.get(rec.transaction_id);
    if (a !== undefined) {
      if (seenBefore >= this.warmup) this.scorer.onAnomaly({ ...a, transactionId: submittedTx });
      else this.anomaliesDuringWarmup++;
    }
  }
}

interface FleetTerminal {
  app: TerminalApp;
  journal: FileJournal;
  gen: TrafficGenerator;
  next: RawSwipe;
  truth: AcceptedTruth;
  input: Record<string, unknown>;
}

function terminalConfig(i: number, o: FleetOptions): TerminalConfig {
  const base = typeof o.configOverrides === "object" && o.configOverrides !== null ? (o.configOverrides as Record<string, unknown>) : {};
  const b = o.broker;
  const merged: Record<string, unknown> = {
    ...HOST_DEFAULTS,
    ...base,
    terminalId: `term_${i + 1}`,
    merchantId: `merch_${String(i + 1).padStart(3, "0")}`,
    broker: {
      ...HOST_DEFAULTS.broker,
      ...((base.broker as object | undefined) ?? {}),
      host: b.host, port: b.port, tls: b.tls, username: b.username, password: b.password,
    },
  };
  // The first terminal's notes a setting given by an old name, once for the fleet.
  const notices: string[] = [];
  const config = resolveTerminalConfig(merged, notices);
  if (i === 0) for (const n of notices) process.stderr.write(`paycard: config: ${n}\n`);
  return config;
}

/**
 * Group commit of one terminal, asynchronously: its journal's fdatasync on libuv's thread pool;
 * what it covers is published once it succeeded (TerminalApp.commitPoint/committed).
 */
export function commitAsync(app: TerminalApp, journal: FileJournal): void {
  const point = app.commitPoint();
  void journal.flushAsync().then((ok) => app.committed(point, ok));
}

const encoder = new TextEncoder();
const textEncoder = { encode: (s: string) => encoder.encode(s) };

/**
 * Runs `terminals` terminal apps in this process against a broker, fed by
 * seeded generators at `rate` swipes/s in total for `durationS`, measured by
 * a subscriber on the same broker. Swipes are fed in batches each tick and
 * group-committed (one fdatasync per journal, in parallel) before their
 * messages may leave the terminal.
 */
export async function runFleet(o: FleetOptions): Promise<FleetSummary> {
  const tickMs = o.tickMs ?? 5;
  const traffic = { ...LIVE_TRAFFIC, ...o.traffic };
  mkdirSync(o.stateDir, { recursive: true });
  const scorer = new DetectionScorer();
  const subscriber = await FleetSubscriber.connect(o.broker, "paycard");
  subscriber.onAlert = (a) => scorer.onAlert(a as never);
  if (o.onRecord !== undefined) subscriber.onRecord = o.onRecord;

  const fleet: FleetTerminal[] = [];
  const acceptedIds = new Set<string>();
  const queuedAlertIds = new Set<string>();
  subscriber.expected = acceptedIds;
  for (let i = 0; i < o.terminals; i++) {
    const cfg = terminalConfig(i, o);
    const journal = new FileJournal(path.join(o.stateDir, cfg.terminalId + ".journal"), { syncAppends: false, compactMinDeadBytes: 1 << 20 });
    const app = new TerminalApp(cfg, {
      clock: o.clock(),
      transport: nodeTcpTransportFactory({ host: o.broker.host, port: o.broker.port, tls: o.broker.tls ? { ca: o.broker.ca } : undefined }),
      journal,
      bootCounter: new FileBootCounter(path.join(o.stateDir, cfg.terminalId + ".boot")),
      random: new SeededRandom((o.seed * 7919 + i) >>> 0),
      heapBytes: () => process.memoryUsage().heapUsed,
      utf8: textEncoder,
    }, {
      onAlert: (a, queued) => {
        if (queued) queuedAlertIds.add(a.id);
      },
    });
    const truth = new AcceptedTruth(scorer, traffic.burstLength, cfg.pipeline.anomaly.enabled ? cfg.pipeline.anomaly.warmup : 0);
    const gen = new TrafficGenerator(
      {
        ...DEFAULT_TRAFFIC,
        ...traffic,
        seed: (o.seed * 1_000 + i) >>> 0,
        terminalId: cfg.terminalId,
        merchantIds: [cfg.merchantId],
        startMs: 0,
        ratePerSec: o.rate / o.terminals,
        maxDelayMs: 0,
      },
      truth,
    );
    const next = gen.next(createRawSwipe());
    fleet.push({ app, journal, gen, next, truth, input: {} });
    app.start();
  }

  // With an SNTP-disciplined clock, swipes before the first sync would be held
  // (and declined past unsyncedCapacity): let the clocks sync first.
  const syncStart = performance.now();
  if ((o.waitForClockMs ?? 0) > 0) {
    const reading = createTimeReading();
    const synced = () => fleet.every((t) => t.app.clockReading(reading).state !== "unsynced");
    while (!synced() && performance.now() - syncStart < (o.waitForClockMs ?? 0)) {
      for (const t of fleet) t.app.tick();
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!synced()) process.stderr.write(`paycard: not every clock synced within ${o.waitForClockMs} ms; their swipes are held, then declined\n`);
  }
  const clockSyncS = (o.waitForClockMs ?? 0) > 0 ? (performance.now() - syncStart) / 1_000 : 0;

  const t0 = performance.now();
  const durationMs = o.durationS * 1_000;
  let feeding = true;
  let feedEndedAt = 0;
  let swipes = 0;
  let lastProgress = 0;
  let drained = false;
  let outboxPeak = 0;

  const submit = (t: FleetTerminal, r: RawSwipe, utcNow: number) => {
    const inp = t.input;
    // Transaction ids are unique per boot: a restart on an old state dir
    // republishes unacknowledged swipes of the previous run, not clashes.
    inp.transaction_id = r.transaction_id + "-" + t.app.pipeline.requestIds.bootPart;
    inp.card_hash = r.card_hash;
    inp.amount_cents = r.amount_cents;
    inp.currency = r.currency;
    // A swipe held offline by the reader arrives with its own (old) time.
    const heldFor = (r.terminal_time as number) - (r.timestamp as number);
    inp.timestamp = heldFor > 1_000 ? utcNow - heldFor : undefined;
    const a = t.app.swipe(inp);
    swipes++;
    if (a.decision === SwipeDecision.ACCEPTED) {
      acceptedIds.add(a.requestId);
      t.truth.accepted(r, inp.transaction_id as string);
    }
  };

  // How late each swipe was fed against its schedule: when the process cannot
  // keep up this grows, although latency (timed from the swipe) would not show it.
  const feedLag: number[] = [];
  const feed = (t: FleetTerminal, elapsed: number, utcNow: number) => {
    while ((t.next.terminal_time as number) <= elapsed) {
      feedLag.push(elapsed - (t.next.terminal_time as number));
      submit(t, t.next, utcNow);
      t.gen.next(t.next);
    }
  };

  const completeBurst = (t: FleetTerminal, utcNow: number) => {
    const card = t.truth.burstInProgress();
    if (card === null) return;
    // The look-ahead swipe (generated, not fed yet) may be the burst's next one.
    for (let guard = 0; guard < 100_000 && t.truth.burstInProgress() === card; guard++) {
      if (t.next.card_hash === card) submit(t, t.next, utcNow);
      t.gen.next(t.next);
    }
  };

  const progress = (): FleetProgress => {
    let accepted = 0, published = 0, acked = 0, depth = 0;
    for (const t of fleet) {
      accepted += t.app.counters.accepted;
      published += t.app.publisher.counters.published;
      acked += t.app.counters.acknowledged;
      depth += t.app.outbox.messages;
    }
    return {
      elapsedS: (performance.now() - t0) / 1_000, swipes, accepted, published, acked, outboxDepth: depth,
      alerts: subscriber.tally.alertsUnique, received: subscriber.tally.txUnique,
    };
  };

  const alertsDelivered = () => {
    for (const id of queuedAlertIds) if (!subscriber.alertIds.has(id)) return false;
    return true;
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const elapsed = now - t0;
      if (feeding && (elapsed >= durationMs || o.stop?.stopped === true)) {
        feeding = false;
        feedEndedAt = now;
        // A card-testing burst cut by the end of the run is played to its
        // end (its swipes only), so the detectors are scored on whole bursts.
        const utcNow = performance.timeOrigin + now;
        for (const t of fleet) completeBurst(t, utcNow);
        // End of input: pending windows fire, so their alerts go out too.
        for (const t of fleet) t.app.finish();
      }
      if (feeding) {
        const utcNow = performance.timeOrigin + now;
        for (const t of fleet) feed(t, elapsed, utcNow);
      }
      // Group commit: one fdatasync per journal that took appends, all in
      // parallel on the thread pool; what they cover is published after.
      for (const t of fleet) commitAsync(t.app, t.journal);
      let depth = 0;
      for (const t of fleet) {
        t.app.tick();
        depth += t.app.outbox.messages;
      }
      if (depth > outboxPeak) outboxPeak = depth;
      if (o.onProgress !== undefined && now - lastProgress >= 250) {
        lastProgress = now;
        o.onProgress(progress());
      }
      if (!feeding) {
        const done = depth === 0 && subscriber.tally.txExpected === acceptedIds.size && alertsDelivered();
        if (done || now - feedEndedAt > (o.drainTimeoutMs ?? 10_000)) {
          drained = done;
          clearInterval(timer);
          resolve();
        }
      }
    }, tickMs);
  });
  const feedSeconds = ((feedEndedAt || performance.now()) - t0) / 1_000;

  for (const t of fleet) t.app.stop();
  await new Promise((r) => setTimeout(r, 100));
  await subscriber.close();
  for (const t of fleet) t.journal.close();

  // Not received: still held by its terminal's outbox (and journal), to be
  // delivered later — or lost, which must never happen.
  const held = new Set<string>();
  for (const t of fleet) for (const id of t.app.outbox.heldRequestIds()) held.add(id);
  let lost = 0;
  let undelivered = 0;
  for (const id of acceptedIds) {
    if (subscriber.requestIds.has(id)) continue;
    if (held.has(id)) undelivered++;
    else lost++;
  }
  const sum = (f: (t: FleetTerminal) => number) => fleet.reduce((n, t) => n + f(t), 0);
  const tally: SubscriberTally = subscriber.tally;
  const lat = subscriber.latencies;
  const r2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : -1);
  return {
    terminals: o.terminals,
    rate: o.rate,
    duration_s: o.durationS,
    seed: o.seed,
    swipes,
    accepted: acceptedIds.size,
    published: sum((t) => t.app.publisher.counters.published),
    acked: sum((t) => t.app.counters.acknowledged),
    received: tally.txExpected,
    earlier_runs_delivered: tally.txUnique - tally.txExpected,
    alerts: {
      burst: scorer.bursts(),
      anomaly: scorer.anomalies(),
      anomalies_during_warmup: sum((t) => t.truth.anomaliesDuringWarmup),
      clock_drift: sum((t) => t.app.pipeline.stats().alerts.CLOCK_DRIFT),
      total_received: tally.alertsUnique,
    },
    late: sum((t) => t.app.counters.lateQueued),
    rejects: sum((t) => t.app.counters.rejected),
    declined: sum((t) => t.app.declined),
    held_for_time: sum((t) => t.app.counters.heldForTime),
    latency_ms: { p50: r2(percentile(lat, 50)), p99: r2(percentile(lat, 99)), max: r2(percentile(lat, 100)), samples: lat.length },
    feed_lag_ms: { p99: r2(percentile(feedLag, 99)), max: r2(percentile(feedLag, 100)) },
    lost,
    undelivered_at_end: undelivered,
    duplicates_received: tally.txDuplicates,
    dup_effects: tally.dupEffects,
    retransmits: sum((t) => t.app.session.counters.retransmits),
    reconnects: sum((t) => t.app.session.counters.reconnects),
    outbox_peak_messages: outboxPeak,
    clock_sync_s: Math.round(clockSyncS * 100) / 100,
    telemetry_dropped: sum((t) => t.app.outbox.stats().telemetryDropped),
    drained,
    achieved_rate: Math.round(swipes / Math.max(feedSeconds, 1e-3)),
  };
}
