import { AmountAnomalyDetector } from "../detect/amount-anomaly-detector";
import { MAX_ALERT_TRANSACTIONS, type Alert, type AlertType } from "../model/alert";
import { BurstDetector } from "../detect/burst-detector";
import type { BurstIncidents } from "../detect/burst-incidents";
import { ClockDriftDetector } from "../detect/clock-drift-detector";
import { KEY_FIELDS, type KeyField, type PipelineConfig } from "./pipeline-config";
import type { BootCounterPort, RandomPort } from "../lib/ports";
import { createRejectCounts, RejectReason, type RejectCounts } from "../model/reject-reason";
import { RequestIdAllocator } from "../model/request-id";
import { SlicedWindowOperator, STATE_FULL } from "../stream/sliced-window-operator";
import { createEmptySwipe, type Swipe } from "../model/swipe";
import { RecentIdSet } from "../stream/recent-id-set";
import { SwipeRing } from "../stream/swipe-ring";
import { createRejectInfo, SwipeValidator, type RejectInfo } from "../model/swipe-validator";
import { BoundedOutOfOrdernessWatermark } from "../stream/watermark";
import type { WindowResult } from "../stream/window-result";

/** An accepted swipe that one window definition could not take. */
export interface LateRecord {
  window: string;
  key: string;
  transaction_id: string;
  request_id: string;
  timestamp: number;
  watermark: number;
  allowedLateness: number;
  reason: "BEYOND_ALLOWED_LATENESS" | "STATE_FULL";
}

/** A refused swipe. Never holds the raw record (it might hold a card number). */
export interface RejectRecord extends RejectInfo {
  /** The record's transaction_id when it was a usable string, else "". */
  transaction_id: string;
}

/** Where the pipeline's outputs go. Records are reused between calls: copy what you keep. */
export interface PipelineSink {
  onWindow(r: WindowResult): void;
  onAlert(a: Alert): void;
  onLate(l: LateRecord): void;
  onReject(r: RejectRecord): void;
  /** A swipe was accepted (and stored in the ring) with request sequence `requestSeq`. */
  onAccepted(s: Swipe, requestSeq: number): void;
}

export const ProcessOutcome = Object.freeze({ ACCEPTED: 0, REJECTED: 1 } as const);

export type ProcessOutcome = (typeof ProcessOutcome)[keyof typeof ProcessOutcome];

export interface PipelinePorts {
  bootCounter: BootCounterPort;
  random: RandomPort;
}

/**
 * The core stream pipeline of one terminal:
 *
 *   raw record → validate → dedup transaction → request id → ring buffer
 *     → clock drift, amount anomaly → keyed event-time windows → burst
 *     → alert dedup → sink
 *
 * Processing time is each swipe's `terminal_time`. Nothing throws out of
 * `process` for any input; every refusal and every late element is counted
 * and reaches the sink.
 */
export class Pipeline {
  readonly config: PipelineConfig;
  readonly ring: SwipeRing;
  readonly watermark: BoundedOutOfOrdernessWatermark;
  readonly operators: SlicedWindowOperator[];
  readonly requestIds: RequestIdAllocator;
  private readonly operatorKeyField: KeyField[];
  private readonly burst: BurstDetector;
  private readonly anomaly: AmountAnomalyDetector | null;
  private readonly drift: ClockDriftDetector | null;
  private readonly validator: SwipeValidator;
  private readonly alertIds: RecentIdSet;
  private readonly transactionIds: RecentIdSet;
  private readonly swipe = createEmptySwipe();
  // Stryker disable ObjectLiteral,StringLiteral: placeholders: every field is written before a record goes to the sink
  private readonly rejectRecord: RejectRecord = { ...createRejectInfo(), transaction_id: "" };
  private readonly lateRecord: LateRecord = {
    window: "", key: "", transaction_id: "", request_id: "", timestamp: 0, watermark: 0, allowedLateness: 0, reason: "BEYOND_ALLOWED_LATENESS",
  };
  // Stryker restore ObjectLiteral,StringLiteral
  private currentRequestSeq = 0;

  readonly rejects: RejectCounts = createRejectCounts();
  accepted = 0;
  rejected = 0;
  lateByWindow: Record<string, number> = {};
  alertsByType: Record<AlertType, number> = { BURST_ATTACK: 0, AMOUNT_ANOMALY: 0, CLOCK_DRIFT: 0 };
  alertsSuppressed = 0;
  /** Errors thrown by the sink (caught so that the pipeline keeps going). */
  sinkErrors = 0;

  constructor(config: PipelineConfig, private readonly sink: PipelineSink, ports: PipelinePorts, terminalId: string) {
    this.config = config;
    this.ring = new SwipeRing(config.ringCapacity);
    this.watermark = new BoundedOutOfOrdernessWatermark(config.watermarkDelayMs);
    this.requestIds = new RequestIdAllocator(terminalId, ports.bootCounter, ports.random);
    this.validator = new SwipeValidator(config.validation);
    this.alertIds = new RecentIdSet(config.alertDedupCapacity);
    this.transactionIds = new RecentIdSet(config.transactionDedupCapacity);
    // One open incident per card the windows can hold: the burst window's keyed-state bound (checkPipelineConfig: when enabled, it is keyed by card_hash).
    this.burst = new BurstDetector(config.burst, "card_hash", config.keyedState.card_hash.maxKeys);
    this.anomaly = config.anomaly.enabled ? new AmountAnomalyDetector(config.anomaly) : null;
    this.drift = config.clockDrift.enabled ? new ClockDriftDetector(config.clockDrift.maxDriftMs, config.clockDrift.bucketMs) : null;
    this.operators = [];
    this.operatorKeyField = [];
    // One operator per key field: all windows on that key share its slices.
    for (const keyField of KEY_FIELDS) {
      const defs = config.windows.filter((d) => d.keyField === keyField);
      if (defs.length === 0) continue;
      const emits = defs.map((d) => d.emit);
      const isBurst = defs.map((d) => config.burst.enabled && d.name === config.burst.window);
      // A window neither emitted nor read by the burst detector is never fired: nothing would read it.
      // One only the detector reads fires its small windows (never a burst) only for cards with an
      // open incident, whose next miss closes it: the same alerts and incidents, far fewer firings
      // (on a terminal each new card evicts another, whose windows would all fire).
      const quietUpTo = this.burst.quietUpTo;
      const windows = defs.map((d, i) => ({ ...d, silent: !emits[i] && !isBurst[i], minCount: !emits[i] && isBurst[i] ? quietUpTo + 1 : 0 }));
      const op = new SlicedWindowOperator({ keyField, windows, smallAmountCents: config.smallAmountCents, ...config.keyedState[keyField] }, this.watermark);
      if (windows.some((w) => w.minCount > 0)) op.keepLowCounts((key) => this.burst.incidents.isOpenFor(key));
      op.onWindow((r) => this.onWindow(r, emits[r.query]!, isBurst[r.query]!));
      this.operators.push(op);
      this.operatorKeyField.push(keyField);
      for (const d of defs) this.lateByWindow[d.name] = 0;
    }
  }

  /** Feeds one raw record. Never throws. */
  process(input: unknown): ProcessOutcome {
    const s = this.swipe;
    const info = this.rejectRecord;
    if (!this.validator.validate(input, s, info)) return this.reject(input);
    if (!this.transactionIds.add(s.transaction_id, this.validator.transactionHash)) {
      info.reason = RejectReason.DUPLICATE_TRANSACTION;
      info.field = "transaction_id";
      info.detail = "this transaction_id was already accepted";
      return this.reject(input);
    }
    const seq = this.requestIds.next();
    this.currentRequestSeq = seq;
    this.ring.push(s, seq);
    this.accepted++;
    try {
      this.sink.onAccepted(s, seq);
    } catch {
      this.sinkErrors++; // a throwing sink never breaks the pipeline
    }

    const now = s.terminal_time;
    if (this.drift) {
      const a = this.drift.check(s.terminal_id, s.timestamp, now);
      if (a) this.emitAlert(a);
    }
    if (this.anomaly) {
      const a = this.anomaly.check(s.merchant_id, s.transaction_id, s.timestamp, s.amount_cents, now, this.validator.keyHashes.merchant_id);
      if (a) this.emitAlert(a);
    }
    const ops = this.operators;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      op.expireIdle(now);
      const field = this.operatorKeyField[i];
      const key = s[field] as string;
      const outcome = op.add(key, this.validator.keyHashes[field], s.timestamp, s.amount_cents);
      // Stryker disable next-line ConditionalExpression: emitLate with outcome 0 finds no window to report
      if (outcome !== 0) this.emitLate(op, key, outcome);
    }
    if (this.watermark.observe(s.timestamp)) {
      const wm = this.watermark.current;
      // Stryker disable next-line ConditionalExpression: a shortcut: catchUp() checks dueAt itself
      for (let i = 0; i < ops.length; i++) if (wm >= ops[i].dueAt) ops[i].catchUp();
    }
    return ProcessOutcome.ACCEPTED;
  }

  /** A record that could not even be parsed (bad JSON line on a console or file). */
  rejectUnparsable(detail: string): ProcessOutcome {
    const r = this.rejectRecord;
    r.reason = RejectReason.MALFORMED_JSON;
    r.field = "";
    r.detail = detail;
    return this.reject(null);
  }

  /**
   * Lets the watermark follow processing time while no swipe arrives (see
   * BoundedOutOfOrdernessWatermark.advanceByClock), so that windows fire and
   * alerts go out on a quiet terminal. Windows that become due fire now.
   */
  advanceWatermark(processingTime: number): void {
    if (!this.watermark.advanceByClock(processingTime)) return;
    const wm = this.watermark.current;
    const ops = this.operators;
    // Stryker disable next-line ConditionalExpression: a shortcut: catchUp() checks dueAt itself
    for (let i = 0; i < ops.length; i++) if (wm >= ops[i].dueAt) ops[i].catchUp();
  }

  /**
   * The processing time from which advanceWatermark has a window to fire or slices to free: the
   * earliest operator's dueAt as a clock reading (the watermark follows it as now - delay - 1).
   * Before it, advanceWatermark would only move the watermark (see TerminalApp.tick).
   */
  clockTimeDue(): number {
    let due = Infinity;
    const ops = this.operators;
    for (let i = 0; i < ops.length; i++) if (ops[i].dueAt < due) due = ops[i].dueAt;
    return due + this.watermark.delayMs + 1;
  }

  /** End of input: the watermark goes to +infinity, so every pending window fires. */
  finish(): void {
    this.watermark.finish();
    for (let i = 0; i < this.operators.length; i++) this.operators[i].catchUp();
  }

  private reject(input: unknown): ProcessOutcome {
    const r = this.rejectRecord;
    this.rejected++;
    this.rejects[r.reason]++;
    // transaction_id is checked first: it is usable unless it is what failed
    // (or the record was no object at all). A duplicate's id is a good id.
    let tx = "";
    if (r.reason === RejectReason.DUPLICATE_TRANSACTION) tx = this.swipe.transaction_id;
    else if (r.reason !== RejectReason.NOT_AN_OBJECT && r.reason !== RejectReason.MALFORMED_JSON && r.field !== "transaction_id") tx = (input as Record<string, string>).transaction_id;
    r.transaction_id = tx;
    try {
      this.sink.onReject(r);
    } catch {
      this.sinkErrors++; // a throwing sink never breaks the pipeline
    }
    return ProcessOutcome.REJECTED;
  }

  /** Sends the current swipe to the late output once per window that refused it. */
  private emitLate(op: SlicedWindowOperator, key: string, outcome: number): void {
    const l = this.lateRecord;
    l.key = key;
    l.transaction_id = this.swipe.transaction_id;
    l.request_id = this.requestIds.format(this.currentRequestSeq);
    l.timestamp = this.swipe.timestamp;
    l.watermark = this.watermark.current;
    for (let i = 0; i < op.queries.length; i++) {
      // STATE_FULL (-1) has every bit set: late for every window.
      if (!(outcome & (1 << i))) continue;
      const q = op.queries[i];
      this.lateByWindow[q.name]++;
      l.window = q.name;
      l.allowedLateness = q.allowedLateness;
      l.reason = outcome === STATE_FULL ? "STATE_FULL" : "BEYOND_ALLOWED_LATENESS";
      try {
        this.sink.onLate(l);
      } catch {
        this.sinkErrors++; // a throwing sink never breaks the pipeline
      }
    }
  }

  private onWindow(r: WindowResult, emits: boolean, isBurst: boolean): void {
    if (emits) {
      try {
        this.sink.onWindow(r);
      } catch {
        this.sinkErrors++; // a throwing sink never breaks the pipeline
      }
    }
    if (isBurst) {
      const a = this.burst.check(r);
      if (a) {
        this.collectTransactions(a, r);
        this.emitAlert(a);
      }
    }
  }

  /**
   * The ring's swipes of the alert's card inside the window, oldest first (at most
   * MAX_ALERT_TRANSACTIONS, the newest kept): what the fraud team looks up. Swipes the ring
   * has already overwritten are not there; `value` still counts the whole window.
   */
  private collectTransactions(a: Alert, r: WindowResult): void {
    const ids = a.transactionIds;
    const ring = this.ring;
    const field = r.keyField as KeyField;
    ring.forEach((pos) => {
      const t = ring.eventTimeAt(pos);
      if (t >= r.start && t < r.end && ring.keyAt(pos, field) === r.key) ids.push(ring.txIdAt(pos));
      return ids.length < MAX_ALERT_TRANSACTIONS;
    }, true);
    ids.reverse();
  }

  private emitAlert(a: Alert): void {
    if (!this.alertIds.add(a.id)) {
      this.alertsSuppressed++;
      return;
    }
    this.alertsByType[a.type]++;
    try {
      this.sink.onAlert(a);
    } catch {
      this.sinkErrors++; // a throwing sink never breaks the pipeline
    }
  }

  /** Card-testing incidents (one alert each; the windows folded into them are counted). */
  get burstIncidents(): BurstIncidents {
    return this.burst.incidents;
  }

  /**
   * Keys evicted for room, over all key fields. Each window's stats repeat its key field's
   * count (windows on one field share their keys), so this sums per operator, not per window.
   */
  keysEvicted(): number {
    let n = 0;
    for (const op of this.operators) n += op.keys.evictions;
    return n;
  }

  /** Counters for the summary and telemetry. */
  stats(): PipelineStats {
    const windows: PipelineStats["windows"] = {};
    for (const op of this.operators) {
      for (let i = 0; i < op.queries.length; i++) {
        const c = op.counters(i);
        windows[op.queries[i].name] = {
          fired: c.fired,
          updated: c.updated,
          flushed_on_eviction: c.flushed,
          late: this.lateByWindow[op.queries[i].name],
          state_full: op.stateFull,
          live_keys: op.liveKeys,
          live_slices: op.liveSlices,
          keys_evicted: op.keys.evictions,
          keys_expired: op.keys.expirations,
          keys_released: op.keys.releases,
        };
      }
    }
    return {
      accepted: this.accepted,
      rejected: this.rejected,
      rejects: { ...this.rejects },
      alerts: { ...this.alertsByType },
      alerts_suppressed: this.alertsSuppressed,
      burst_incidents: {
        opened: this.burst.incidents.opened,
        repeat_windows: this.burst.incidents.repeatWindows,
        closed: this.burst.incidents.closed,
        evicted: this.burst.incidents.evicted,
        open: this.burst.incidents.size,
      },
      windows,
      ring: { size: this.ring.size, capacity: this.ring.capacity, overwritten: this.ring.overwritten },
      watermark: this.watermark.current,
      merchants_evicted: this.anomaly ? this.anomaly.merchants.evictions : 0,
      merchants_expired: this.anomaly ? this.anomaly.merchants.expirations : 0,
      transaction_ids_forgotten: this.transactionIds.forgotten,
      sink_errors: this.sinkErrors,
    };
  }
}

export interface PipelineStats {
  accepted: number;
  rejected: number;
  rejects: RejectCounts;
  alerts: Record<AlertType, number>;
  alerts_suppressed: number;
  /** Card-testing incidents: one alert each; later hit windows of an open one are counted, not alerted. */
  burst_incidents: { opened: number; repeat_windows: number; closed: number; evicted: number; open: number };
  windows: Record<string, {
    fired: number; updated: number; flushed_on_eviction: number; late: number; state_full: number;
    live_keys: number; live_slices: number; keys_evicted: number; keys_expired: number; keys_released: number;
  }>;
  ring: { size: number; capacity: number; overwritten: number };
  watermark: number;
  merchants_evicted: number;
  merchants_expired: number;
  transaction_ids_forgotten: number;
  sink_errors: number;
}
