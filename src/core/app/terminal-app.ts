import type { Alert } from "../model/alert";
import { MqttSession, SendOutcome } from "../mqtt/session/mqtt-session";
import { OutboxPublisher } from "./outbox-publisher";
import type { TransportFactory } from "../mqtt/session/transport-port";
import { encodeUtf8 } from "../lib/utf8";
import { EnqueueResult, isAccepted } from "../outbox/enqueue-result";
import type { JournalPort } from "../outbox/journal-port";
import type { JournalRecord } from "../outbox/journal-record";
import { Outbox, type RestoreReport } from "../outbox/outbox";
import { MessageClass } from "../outbox/message-class";
import { Pipeline, type LateRecord, type PipelineSink, type RejectRecord } from "../pipeline/pipeline";
import type { BootCounterPort, RandomPort, Utf8EncoderPort } from "../lib/ports";
import type { Swipe } from "../model/swipe";
import { createRawSwipe, type RawSwipe } from "../model/raw-swipe";
import { createTimeReading, type EventClockPort, type TimeReading } from "./event-clock";
import { alertPayload, latePayload, rejectPayload, statusPayload, transactionPayload, type TimeQuality } from "./payloads";
import { SenmlPack } from "./senml";
import { SwipeDecision, type SwipeAnswer } from "./swipe-decision";
import type { TerminalConfig } from "./terminal-config";
import { terminalTopics, type TerminalTopics } from "./topics";
import type { HeapMargin } from "./heap-margin";

/** What the platform gives the app (Node adapters on the host, Moddable ones on the device). */
export interface TerminalPorts {
  clock: EventClockPort;
  /** A fresh connection to the broker for each attempt. */
  transport: TransportFactory;
  /** Durable storage of alerts and transactions until acknowledged. */
  journal: JournalPort;
  bootCounter: BootCounterPort;
  random: RandomPort;
  /** JS heap in use, bytes, where the platform reports it. */
  heapBytes?: () => number;
  /** TLS handshakes refused so far, where the transport is TLS (the metric `tls_failures`). */
  tlsFailures?: () => number;
  /** The XS heap's peaks against the build's budget, where the platform measures them (metrics `xs_*`). */
  heapMargin?: HeapMargin;
  /** Native UTF-8 encoding of payloads (default: the core's JS encoder). */
  utf8?: Utf8EncoderPort;
}

/** Optional observers (LEDs, serial log, progress lines). Exceptions in them are caught and counted. */
export interface TerminalEvents {
  /** An alert was raised (and queued, unless `queued` is false: outbox full, counted). */
  onAlert?(alert: Alert, queued: boolean): void;
  /** The broker acknowledged a message of the outbox. */
  onAcknowledged?(record: JournalRecord): void;
  /** The broker connection came up (true) or went down (false). */
  onLink?(up: boolean): void;
}

export interface TerminalCounters {
  /** Calls of swipe(). */
  swipes: number;
  /** Swipes processed and queued for publishing (including back-dated ones). */
  accepted: number;
  /** Swipes refused as invalid or duplicate (see the pipeline's reject counts). */
  rejected: number;
  /** Swipes taken before the first clock sync and held. */
  heldForTime: number;
  /** Held swipes dated from the monotonic clock once the clock synced. */
  backdated: number;
  declinedBackpressure: number;
  /** Of declinedBackpressure: declined because the store-and-forward backlog's storage is full. */
  declinedStorageFull: number;
  declinedClockUnsynced: number;
  declinedStorage: number;
  alertsQueued: number;
  /** Alerts the outbox could not take even from its reserve. */
  alertsRefused: number;
  lateQueued: number;
  rejectsQueued: number;
  metricsQueued: number;
  /** Telemetry (late, rejects, metrics) the outbox refused; it also counts what it drops to make room. */
  telemetryRefused: number;
  acknowledged: number;
  statusPublished: number;
  /** Exceptions thrown by event observers (caught). */
  observerErrors: number;
  /** Exceptions caught in swipe() or tick(): bugs, never input problems. */
  internalErrors: number;
  /** Group commits (commit()) that failed. */
  journalFlushFailures: number;
}

/**
 * The longest a tick with nothing due leaves the app's own work undone (see TerminalApp.tick):
 * a window that became due earlier because the clock was stepped fires at most this late.
 */
export const IDLE_RECHECK_MS = 1_000;

/** Which telemetry a message is, for its counter. */
const TelemetryKind = Object.freeze({ LATE: 0, REJECT: 1, METRICS: 2 } as const);
type TelemetryKind = (typeof TelemetryKind)[keyof typeof TelemetryKind];

interface HeldSwipe {
  input: unknown;
  monotonicMs: number;
}

/**
 * One payment terminal: swipe → validation → ring buffer → windows and
 * detectors → request id + event time → outbox → MQTT.
 *
 * Engine-neutral and timer-free: the platform calls `swipe(input)` for each
 * card read and `tick()` every few tens of ms. Nothing here throws out of
 * swipe() or tick() for any input.
 *
 * Time: each swipe is stamped from the event clock. Before the clock's first
 * sync a swipe is held with its monotonic time (up to `unsyncedCapacity`,
 * then declined) and, once the clock syncs, back-dated to UTC, processed and
 * published, flagged `backdated`. Its processing time is its swipe time too,
 * so waiting for the clock does not look like clock drift.
 *
 * Backpressure: a swipe is declined (DECLINED_BACKPRESSURE) before it is
 * processed when the outbox could not take its transaction (with a journal
 * that keeps a backlog, only when its storage is full); an accepted
 * transaction is journaled and never dropped. Alerts use the outbox's
 * reserve; late records, rejects and metrics are telemetry, dropped under
 * pressure and counted.
 */
export class TerminalApp {
  readonly config: TerminalConfig;
  readonly topics: TerminalTopics;
  readonly pipeline: Pipeline;
  readonly outbox: Outbox;
  readonly session: MqttSession;
  readonly publisher: OutboxPublisher;
  readonly restored: RestoreReport;
  readonly counters: TerminalCounters = {
    swipes: 0, accepted: 0, rejected: 0, heldForTime: 0, backdated: 0,
    declinedBackpressure: 0, declinedStorageFull: 0, declinedClockUnsynced: 0, declinedStorage: 0,
    alertsQueued: 0, alertsRefused: 0, lateQueued: 0, rejectsQueued: 0, metricsQueued: 0, telemetryRefused: 0,
    acknowledged: 0, statusPublished: 0, observerErrors: 0, internalErrors: 0, journalFlushFailures: 0,
  };

  private readonly clock: EventClockPort;
  private readonly journal: JournalPort;
  /** The journal needs commit() before its appends count (see JournalPort.groupCommit). */
  private readonly groupCommit: boolean;
  private readonly heapBytes: (() => number) | undefined;
  private readonly tlsFailures: (() => number) | undefined;
  /** The heap's peaks, where the platform measures them (ports.heapMargin). */
  readonly heapMargin: HeapMargin | undefined;
  private readonly utf8: Utf8EncoderPort | undefined;
  private readonly events: TerminalEvents;
  private readonly reading = createTimeReading();
  private readonly record: RawSwipe = createRawSwipe();
  // Stryker disable ObjectLiteral,StringLiteral,BooleanLiteral: placeholders: every path writes each field before the object is read
  private readonly answer: SwipeAnswer = { decision: SwipeDecision.ACCEPTED, reason: "", requestId: "" };
  private readonly quality: TimeQuality = { state: "unsynced", errorBoundMs: 0, backdated: false };
  // Stryker restore ObjectLiteral,StringLiteral,BooleanLiteral
  private readonly held: HeldSwipe[] = [];
  private readonly onlinePayload: Uint8Array;
  private readonly offlinePayload: Uint8Array;
  private sendTimeMs = 0;
  /** Group commit: outbox ids up to here are durable (Infinity when the journal syncs each append). */
  private durable = Infinity;
  private started = false;
  private linkHeld = false;
  private statusDue = false;
  private nextMetricsAt = 0;
  private lastMetricsMono = 0;
  private swipesAtLastMetrics = 0;
  private rejectSeq = 0;
  private metricsSeq = 0;
  /** Monotonic time before which a tick has nothing of the app's own to do (-Infinity: the next tick looks). */
  private wakeAt = -Infinity;

  constructor(config: TerminalConfig, ports: TerminalPorts, events: TerminalEvents = {}) {
    this.config = config;
    this.clock = ports.clock;
    this.journal = ports.journal;
    this.groupCommit = ports.journal.groupCommit === true && typeof ports.journal.flush === "function";
    this.heapBytes = ports.heapBytes;
    this.tlsFailures = ports.tlsFailures;
    this.heapMargin = ports.heapMargin;
    this.utf8 = ports.utf8;
    this.events = events;
    this.topics = terminalTopics(config.topicPrefix, config.terminalId);
    const sink: PipelineSink = {
      onWindow: () => {},
      onAlert: (a) => this.onAlert(a),
      onLate: (l) => this.onLate(l),
      onReject: (r) => this.onReject(r),
      onAccepted: (s, seq) => this.onAccepted(s, seq),
    };
    this.pipeline = new Pipeline(config.pipeline, sink, { bootCounter: ports.bootCounter, random: ports.random }, config.terminalId);
    const boot = this.pipeline.requestIds.bootPart;
    this.onlinePayload = this.encode(statusPayload("online", config.terminalId, boot)) as Uint8Array;
    this.offlinePayload = this.encode(statusPayload("offline", config.terminalId, boot)) as Uint8Array;

    this.outbox = new Outbox(config.outbox, ports.journal);
    this.restored = this.outbox.restore();
    if (this.groupCommit) this.durable = this.outbox.highestId;
    const b = config.broker;
    this.session = new MqttSession(
      {
        clientId: b.clientId !== "" ? b.clientId : "paycard-" + config.terminalId,
        username: b.username !== "" ? b.username : undefined,
        password: b.password !== "" ? (encodeUtf8(b.password) ?? undefined) : undefined,
        keepAliveSec: b.keepAliveSec,
        cleanSession: false,
        will: { topic: this.topics.status, payload: this.offlinePayload, qos: 1, retain: true },
        inFlightWindow: b.inFlightWindow,
        maxPacketSize: b.maxPacketSize,
        backoff: { baseMs: b.backoffBaseMs, capMs: b.backoffCapMs },
        pingTimeoutMs: b.pingTimeoutMs,
        connectTimeoutMs: b.connectTimeoutMs,
      },
      // The outbox is the one store of a message in flight: the session reads it back to resend.
      { transport: ports.transport, random: ports.random, store: this.outbox },
    );
    this.publisher = new OutboxPublisher(this.outbox, this.session, {
      onConnected: () => {
        this.wakeAt = -Infinity;
        this.statusDue = true;
        this.publishStatus();
        this.notify(() => this.events.onLink?.(true));
      },
      onAcknowledged: (rec) => {
        this.counters.acknowledged++;
        this.notify(() => this.events.onAcknowledged?.(rec));
      },
      onDisconnected: () => {
        this.wakeAt = -Infinity;
        this.notify(() => this.events.onLink?.(false));
      },
      durableThrough: () => this.durable,
    });
  }

  /** Starts connecting (the outbox was restored from the journal at construction). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.wakeAt = -Infinity;
    const mono = this.clock.monotonicMs();
    this.nextMetricsAt = mono + this.config.metricsIntervalMs;
    this.lastMetricsMono = mono;
    if (!this.linkHeld) this.session.start(mono);
  }

  /**
   * One card read. `input` is what the reader produced: transaction_id,
   * card_hash, amount_cents, and optionally currency, location and timestamp
   * (a reader that stored the swipe offline dates it itself). The terminal
   * fills terminal_id, merchant_id and the times. Never throws.
   */
  swipe(input: unknown): SwipeAnswer {
    const a = this.answer;
    this.wakeAt = -Infinity;
    try {
      this.counters.swipes++;
      const r = this.clock.read(this.reading);
      if (this.held.length > 0 && r.state !== "unsynced") this.releaseHeld();
      if (r.state === "unsynced") return this.hold(input);
      if (this.held.length > 0) return this.decline(SwipeDecision.DECLINED_BACKPRESSURE, "earlier swipes are still waiting for room in the outbox");
      return this.processNow(input, r.utcMs, r.utcMs, r.utcMs, false);
    } catch (e) {
      // A bug, not an input problem: never let it escape to the reader loop.
      this.counters.internalErrors++;
      a.decision = SwipeDecision.DECLINED_ERROR;
      a.reason = "internal error: " + String(e);
      a.requestId = "";
      return a;
    }
  }

  /**
   * A reader or console line that is not even JSON: rejected as
   * MALFORMED_JSON, counted and published on /rejects like any other reject.
   */
  swipeUnparsable(detail: string): SwipeAnswer {
    const a = this.answer;
    this.wakeAt = -Infinity;
    try {
      this.counters.swipes++;
      a.decision = SwipeDecision.REJECTED;
      a.reason = "";
      a.requestId = "";
      this.pipeline.rejectUnparsable(detail);
    } catch {
      this.counters.internalErrors++;
    }
    return a;
  }

  /**
   * Drives the clock and the MQTT session (each tick: their own timers), and the app's own work:
   * held swipes, the clock watermark, publishing, status and metrics. Call every few tens of ms.
   * Never throws.
   *
   * Most ticks find none of the app's own work due (a terminal idles between swipes): a full tick
   * works out when some next is (a window due by the clock watermark, the metrics, at the latest
   * IDLE_RECHECK_MS on) and the ticks before then stop after the session's. Whatever makes work
   * sooner (a swipe, a CONNACK, a lost link, the lab's commands, messages the session could not
   * take: see OutboxPublisher.backedUp) makes the next tick full.
   * Meanwhile the watermark is the one the last full tick set, as a periodic watermark is.
   */
  tick(): void {
    try {
      if (this.clock.tick !== undefined) this.clock.tick();
      const mono = this.clock.monotonicMs();
      this.session.tick(mono);
      if (mono < this.wakeAt && !this.publisher.backedUp) return;
      if (this.held.length > 0) this.releaseHeld();
      let utc = NaN;
      if (this.config.clockWatermark && this.held.length === 0) {
        const r = this.clock.read(this.reading);
        if (r.state !== "unsynced") {
          utc = r.utcMs;
          this.sendTimeMs = utc;
          this.pipeline.advanceWatermark(utc);
        }
      }
      if (this.statusDue) this.publishStatus();
      const metrics = this.config.metricsIntervalMs > 0 && this.started;
      if (metrics && mono >= this.nextMetricsAt) {
        this.nextMetricsAt = mono + this.config.metricsIntervalMs;
        this.publishMetrics(mono);
      }
      // Last: what this tick queued (alerts of the windows it fired, the metrics) goes out now.
      this.publisher.pump();
      this.wakeAt = this.nextWake(mono, utc, metrics);
    } catch {
      this.counters.internalErrors++;
    }
  }

  /** After a full tick at `mono` (the clock read `utc`, NaN if not): when the next tick has the app's own work. */
  private nextWake(mono: number, utc: number, metrics: boolean): number {
    // Held swipes, a status to send: every tick looks (and while the publisher is backed up).
    if (this.held.length > 0 || this.statusDue) return -Infinity;
    let at = mono + IDLE_RECHECK_MS;
    if (metrics && this.nextMetricsAt < at) at = this.nextMetricsAt;
    if (this.config.clockWatermark) {
      if (utc !== utc) return -Infinity; // no clock yet
      const due = mono + (this.pipeline.clockTimeDue() - utc);
      if (due < at) at = due;
    }
    return at;
  }

  /**
   * Group commit, for journals that do not sync each append (see
   * JournalPort.flush): makes the transactions and alerts accepted since the
   * last call durable, and only then lets them be published. Call it after a
   * batch of swipes, before their answers are released.
   */
  commit(): boolean {
    if (!this.groupCommit) return true;
    const upTo = this.outbox.highestId;
    const ok = (this.journal.flush as () => boolean)();
    this.committed(upTo, ok);
    return ok;
  }

  /**
   * The asynchronous form of commit(): the platform takes `commitPoint()`,
   * makes the journal durable its own way (e.g. fdatasync on a worker
   * thread), then calls `committed(point, ok)`. Meanwhile nothing above the
   * previous point is published.
   */
  commitPoint(): number {
    return this.outbox.highestId;
  }

  committed(upTo: number, ok: boolean): void {
    if (!ok) {
      this.counters.journalFlushFailures++;
      return;
    }
    if (upTo > this.durable) this.durable = upTo;
    this.wakeAt = -Infinity;
    this.publisher.pump();
  }

  /** End of input (host runs): every pending window fires now, so its alerts are published. */
  finish(): void {
    this.pipeline.finish();
    this.wakeAt = -Infinity;
    this.publisher.pump();
  }

  /** Publishes the retained "offline" status (best effort) and closes the session. Unacknowledged messages stay journaled. */
  stop(): void {
    this.leaveBroker();
    if (this.clock.stop !== undefined) this.clock.stop();
    this.started = false;
  }

  /**
   * A graceful leave: the retained "offline" status, then DISCONNECT (the session's stop), so the
   * broker drops the Will: that one is for a link that dies, and says the same "offline".
   */
  private leaveBroker(): void {
    if (this.session.connected) this.session.publish(this.topics.status, this.offlinePayload, 0, true);
    this.session.stop(this.clock.monotonicMs());
  }

  /** The link is held down on purpose (the lab's `offline`): no reconnects until releaseLink. */
  get linkHeldDown(): boolean {
    return this.linkHeld;
  }

  /**
   * Drops the broker link and keeps it down (the lab's "offline"): swipes go on being accepted
   * and journaled while the outbox has room, then are declined for backpressure. False when it
   * already was.
   */
  holdLinkDown(): boolean {
    if (this.linkHeld) return false;
    this.linkHeld = true;
    this.wakeAt = -Infinity;
    this.leaveBroker();
    return true;
  }

  /** Lets the link come back (the lab's "online"): the session reconnects and drains the outbox. False when it was not held. */
  releaseLink(): boolean {
    if (!this.linkHeld) return false;
    this.linkHeld = false;
    this.wakeAt = -Infinity;
    if (this.started) this.session.start(this.clock.monotonicMs());
    return true;
  }

  /** The event clock now, into `out`. */
  clockReading(out: TimeReading): TimeReading {
    return this.clock.read(out);
  }

  /** Swipes held for the clock's first sync. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Swipes declined, for any reason: backpressure (full storage included), no clock yet, storage failing. */
  get declined(): number {
    const c = this.counters;
    return c.declinedBackpressure + c.declinedClockUnsynced + c.declinedStorage;
  }

  // ------------------------------------------------------------ internals

  private hold(input: unknown): SwipeAnswer {
    if (this.held.length >= this.config.unsyncedCapacity) {
      this.counters.declinedClockUnsynced++;
      return this.decline(SwipeDecision.DECLINED_CLOCK_UNSYNCED, "no time yet: " + this.held.length + " swipes already wait for the clock");
    }
    this.held.push({ input: copyInput(input), monotonicMs: this.clock.monotonicMs() });
    this.counters.heldForTime++;
    const a = this.answer;
    a.decision = SwipeDecision.ACCEPTED_PENDING_TIME;
    a.reason = "";
    a.requestId = "";
    return a;
  }

  /** Processes held swipes in order once the clock has synced, while the outbox has room. */
  private releaseHeld(): void {
    const r = this.clock.read(this.reading);
    if (r.state === "unsynced") return;
    let n = 0;
    while (n < this.held.length) {
      if (!this.outbox.hasRoom(MessageClass.TRANSACTION, this.config.maxTransactionBytes)) break;
      const h = this.held[n++];
      const at = this.clock.utcAt(h.monotonicMs);
      // Dated from the monotonic clock; a swipe that was already dated by its reader keeps that.
      this.processNow(h.input, at, at, r.utcMs, true);
      if (this.answer.decision === SwipeDecision.ACCEPTED) this.counters.backdated++;
    }
    if (n > 0) this.held.splice(0, n);
  }

  private processNow(input: unknown, eventUtc: number, processingUtc: number, sendUtc: number, backdated: boolean): SwipeAnswer {
    if (!this.outbox.hasRoom(MessageClass.TRANSACTION, this.config.maxTransactionBytes)) {
      this.counters.declinedBackpressure++;
      if (this.outbox.keepsBacklog) {
        // With store and forward, RAM being full is not a reason: only storage is.
        this.counters.declinedStorageFull++;
        return this.decline(SwipeDecision.DECLINED_BACKPRESSURE, "storage full: " + this.outbox.backlogCount + " transactions wait for the broker in storage");
      }
      return this.decline(SwipeDecision.DECLINED_BACKPRESSURE, "outbox full (" + this.outbox.messages + " messages waiting for the broker)");
    }
    const a = this.answer;
    a.decision = SwipeDecision.ACCEPTED;
    a.reason = "";
    a.requestId = "";
    const q = this.quality;
    q.state = this.reading.state;
    q.errorBoundMs = this.reading.errorBoundMs;
    q.backdated = backdated && !hasOwnTimestamp(input);
    this.sendTimeMs = sendUtc;
    this.pipeline.process(this.toRecord(input, eventUtc, processingUtc));
    return a;
  }

  private toRecord(input: unknown, eventUtc: number, processingUtc: number): unknown {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return input; // rejected as NOT_AN_OBJECT
    const o = input as Record<string, unknown>;
    const r = this.record;
    // Only the schema's fields are taken: anything else the reader sent is never stored or published.
    r.transaction_id = o.transaction_id as string;
    r.card_hash = o.card_hash as string;
    r.terminal_id = this.config.terminalId;
    r.merchant_id = this.config.merchantId;
    r.amount_cents = o.amount_cents as number;
    r.currency = o.currency === undefined ? this.config.currency : (o.currency as string);
    r.location = o.location === undefined ? this.config.location : (o.location as RawSwipe["location"]);
    r.timestamp = o.timestamp === undefined ? eventUtc : (o.timestamp as number | string);
    r.terminal_time = processingUtc;
    return r;
  }

  private decline(decision: SwipeDecision, reason: string): SwipeAnswer {
    const a = this.answer;
    a.decision = decision;
    a.reason = reason;
    a.requestId = "";
    return a;
  }

  private onAccepted(s: Swipe, seq: number): void {
    const rid = this.pipeline.requestIds.format(seq);
    const payload = this.encode(transactionPayload(s, rid, this.quality, this.sendTimeMs));
    const r = payload === null ? EnqueueResult.INVALID_MESSAGE : this.outbox.enqueue(MessageClass.TRANSACTION, this.topics.tx, payload, rid, this.sendTimeMs);
    const a = this.answer;
    if (isAccepted(r)) {
      this.counters.accepted++;
      a.decision = SwipeDecision.ACCEPTED;
      a.requestId = rid;
    } else if (r === EnqueueResult.JOURNAL_FAILED) {
      this.counters.declinedStorage++;
      a.decision = SwipeDecision.DECLINED_STORAGE;
      a.reason = "the journal could not store the transaction";
    } else {
      // Larger than maxTransactionBytes promised, or not encodable: declined, counted.
      this.counters.declinedBackpressure++;
      a.decision = SwipeDecision.DECLINED_BACKPRESSURE;
      a.reason = "outbox refused the transaction: " + r;
    }
  }

  private onReject(rej: RejectRecord): void {
    this.counters.rejected++;
    const a = this.answer;
    a.decision = SwipeDecision.REJECTED;
    a.reason = rej.reason;
    this.queueTelemetry(this.topics.rejects, rejectPayload(rej, this.config.terminalId), "reject:" + ++this.rejectSeq, TelemetryKind.REJECT);
  }

  private onLate(l: LateRecord): void {
    this.queueTelemetry(this.topics.late, latePayload(l, this.config.terminalId), "late:" + l.request_id + ":" + l.window, TelemetryKind.LATE);
  }

  private onAlert(alert: Alert): void {
    const payload = this.encode(alertPayload(alert, this.config.terminalId));
    const r = payload === null ? EnqueueResult.INVALID_MESSAGE : this.outbox.enqueue(MessageClass.ALERT, this.topics.alerts, payload, alert.id, this.sendTimeMs);
    const queued = isAccepted(r);
    if (queued) this.counters.alertsQueued++;
    else this.counters.alertsRefused++;
    this.notify(() => this.events.onAlert?.(alert, queued));
  }

  private queueTelemetry(topic: string, json: string, requestId: string, kind: TelemetryKind): void {
    const payload = this.encode(json);
    const now = this.reading.state === "unsynced" ? this.clock.monotonicMs() : this.reading.utcMs;
    const r = payload === null ? EnqueueResult.INVALID_MESSAGE : this.outbox.enqueue(MessageClass.TELEMETRY, topic, payload, requestId, now);
    if (!isAccepted(r)) {
      this.counters.telemetryRefused++;
      return;
    }
    if (kind === TelemetryKind.LATE) this.counters.lateQueued++;
    else if (kind === TelemetryKind.REJECT) this.counters.rejectsQueued++;
    else this.counters.metricsQueued++;
  }

  private publishStatus(): void {
    if (!this.session.connected) return;
    // QoS 0, retained: the broker keeps the latest; the Will replaces it with "offline".
    const r = this.session.publish(this.topics.status, this.onlinePayload, 0, true).outcome;
    if (r === SendOutcome.LATER) return; // tried again at the next tick
    this.statusDue = false;
    if (r === SendOutcome.SENT) this.counters.statusPublished++;
  }

  /** The metrics report as a SenML pack (also what is published). */
  metrics(mono = this.clock.monotonicMs()): SenmlPack {
    const r = this.clock.read(this.reading);
    const utc = r.state === "unsynced" ? NaN : r.utcMs;
    const pack = new SenmlPack("urn:dev:paycard:" + this.config.terminalId + ":", Number.isFinite(utc) ? Math.round(utc) / 1000 : 0);
    const c = this.counters;
    const elapsedS = (mono - this.lastMetricsMono) / 1000;
    pack.number("swipes", c.swipes, "count");
    pack.number("swipe_rate", elapsedS > 0 ? Math.round(((c.swipes - this.swipesAtLastMetrics) / elapsedS) * 100) / 100 : 0, "1/s");
    pack.number("accepted", c.accepted, "count");
    pack.number("rejected", c.rejected, "count");
    pack.number("declined", this.declined, "count");
    pack.number("held_for_time", this.held.length, "count");
    const wm = this.pipeline.watermark.current;
    pack.number("window_lag", Number.isFinite(wm) && Number.isFinite(utc) ? Math.round(utc - wm) / 1000 : NaN, "s");
    pack.number("outbox_alert", this.outbox.depth(MessageClass.ALERT), "count");
    pack.number("outbox_transaction", this.outbox.depth(MessageClass.TRANSACTION), "count");
    pack.number("outbox_telemetry", this.outbox.depth(MessageClass.TELEMETRY), "count");
    pack.number("outbox_bytes", this.outbox.bytes, "B");
    pack.number("outbox_backlog", this.outbox.backlogCount, "count");
    const st = this.outbox.stats();
    pack.number("telemetry_dropped", st.telemetryDropped, "count");
    pack.number("alerts_refused", c.alertsRefused, "count");
    // Card testing: one alert per incident; its later windows are counted here. Keys evicted for room fire their windows early.
    const incidents = this.pipeline.burstIncidents;
    pack.number("burst_incidents", incidents.opened, "count");
    pack.number("burst_repeat_windows", incidents.repeatWindows, "count");
    pack.number("keys_evicted", this.pipeline.keysEvicted(), "count");
    pack.number("retransmits", this.session.counters.retransmits, "count");
    pack.number("reconnects", this.session.counters.reconnects, "count");
    const t = this.clock.telemetry();
    pack.text("clock_state", t.state);
    pack.number("clock_offset", t.offsetMs / 1000, "s");
    pack.number("clock_error_bound", t.errorBoundMs / 1000, "s");
    pack.number("clock_frequency", t.frequencyPpm / 1e6, "/");
    if (this.heapBytes !== undefined) pack.number("heap", this.heapBytes(), "B");
    if (this.tlsFailures !== undefined) pack.number("tls_failures", this.tlsFailures(), "count");
    const m = this.heapMargin;
    if (m !== undefined && m.measured) {
      pack.number("xs_slots_peak", m.peaks.slotBytes, "B");
      pack.number("xs_chunks_peak", m.peaks.chunkBytes, "B");
      pack.number("xs_stack_peak", m.peaks.stackBytes, "B");
      pack.number("xs_headroom", m.minHeadroom(), "%");
    }
    return pack;
  }

  private publishMetrics(mono: number): void {
    const pack = this.metrics(mono);
    this.lastMetricsMono = mono;
    this.swipesAtLastMetrics = this.counters.swipes;
    this.queueTelemetry(this.topics.metrics, JSON.stringify(pack), "metrics:" + ++this.metricsSeq, TelemetryKind.METRICS);
  }

  /** A payload's bytes: the platform's encoder when it has one, else the core's; null if not encodable. */
  private encode(json: string): Uint8Array | null {
    if (this.utf8 === undefined) return encodeUtf8(json);
    try {
      return this.utf8.encode(json);
    } catch {
      return encodeUtf8(json);
    }
  }

  private notify(fn: () => void): void {
    try {
      fn();
    } catch {
      this.counters.observerErrors++;
    }
  }
}

/** A held swipe must not change if the reader reuses its object. */
function copyInput(input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  const o = input as Record<string, unknown>;
  const loc = o.location;
  return {
    transaction_id: o.transaction_id,
    card_hash: o.card_hash,
    amount_cents: o.amount_cents,
    currency: o.currency,
    location: typeof loc === "object" && loc !== null ? { lat: (loc as Record<string, unknown>).lat, lon: (loc as Record<string, unknown>).lon } : loc,
    timestamp: o.timestamp,
  };
}

function hasOwnTimestamp(input: unknown): boolean {
  return typeof input === "object" && input !== null && (input as Record<string, unknown>).timestamp !== undefined;
}
