import { utf8ByteLength } from "../lib/utf8";
import { topicNameProblem } from "../mqtt/codec/topic-validation";
import { BacklogAppend, type BacklogJournalPort, isBacklogJournal } from "./backlog-journal-port";
import { type EnqueueReceipt, EnqueueResult } from "./enqueue-result";
import type { JournalPort } from "./journal-port";
import type { JournalRecord } from "./journal-record";
import { checkOutboxConfig, type OutboxConfig } from "./outbox-config";
import { isDurableClass, isMessageClass, MESSAGE_CLASS_COUNT, MessageClass } from "./message-class";

const MAX_STRING_BYTES = 0xffff;
/** List ids: 0..2 the queue of each class, 3 the in-flight list. */
const IN_FLIGHT = 3;
const LISTS = 4;
/** Offsets in `lists`: tails after the heads, lengths after the tails. */
const TAIL = LISTS;
const LENGTH = 2 * LISTS;
const FREE = -1;
/** Offsets of the per-class counters in `perClass` (add the class). */
const MESSAGES = 0 * MESSAGE_CLASS_COUNT;
const BYTES = 1 * MESSAGE_CLASS_COUNT;
const HIGH_MESSAGES = 2 * MESSAGE_CLASS_COUNT;
const HIGH_BYTES = 3 * MESSAGE_CLASS_COUNT;
const ENQUEUED = 4 * MESSAGE_CLASS_COUNT;
const ACCEPTED = 5 * MESSAGE_CLASS_COUNT;
const ACKNOWLEDGED = 6 * MESSAGE_CLASS_COUNT;
const REFUSED = 7 * MESSAGE_CLASS_COUNT;
const TOO_LARGE = 8 * MESSAGE_CLASS_COUNT;
const JOURNAL_FAILURES = 9 * MESSAGE_CLASS_COUNT;
const CLASS_COUNTERS = 10;
const NO_ROOM_COUNT = -1;
const NO_ROOM_BYTES = -2;

/** What `restore` found in the journal. */
export interface RestoreReport {
  /** Records replayed and now queued. */
  records: number;
  messages: number;
  bytes: number;
  /** Transactions waiting in the journal's backlog (store and forward), not in RAM. */
  backlog: number;
  /**
   * The journal held more than the bounds (e.g. the bounds were lowered).
   * Everything is kept; new messages are refused until the outbox drains
   * below the bounds.
   */
  overBound: boolean;
}

export interface MessageClassStats {
  /** enqueue calls for the class. */
  enqueued: number;
  accepted: number;
  acknowledged: number;
  /** Held now (queued and in flight). */
  messages: number;
  bytes: number;
  highWaterMessages: number;
  highWaterBytes: number;
  /** Refused with BACKPRESSURE_* (alerts, transactions) or TELEMETRY_DROPPED. */
  refused: number;
  tooLarge: number;
  journalFailures: number;
}

export interface OutboxStats {
  messages: number;
  bytes: number;
  inFlight: number;
  highWaterMessages: number;
  highWaterBytes: number;
  alert: MessageClassStats;
  transaction: MessageClassStats;
  telemetry: MessageClassStats;
  backpressureCount: number;
  backpressureBytes: number;
  /** Queued telemetry dropped to make room for a newer message. */
  telemetryEvicted: number;
  /** Every telemetry message lost: evicted, refused for room, or too large. */
  telemetryDropped: number;
  invalid: number;
  unknownAcks: number;
  journalRemoveFailures: number;
  requeued: number;
  restored: number;
  restoredOverBound: boolean;
  /** Transactions waiting in the journal's backlog now. */
  backlog: number;
  /** Transactions accepted into the backlog (RAM full, or older ones waiting there). */
  backlogAccepted: number;
  /** Transactions read back from the backlog into RAM to be sent. */
  backlogLoaded: number;
  /** Transactions refused because the backlog's storage was full. */
  backlogFull: number;
}

/**
 * A UTF-16 surrogate without its pair: no UTF-8 for it (XS's native encoder would write one that
 * never decodes). Made at first use (not at load: on XS a module's load-time RegExp is in flash, where matching it crashes; preload-rules.test.ts).
 */
let loneSurrogate: RegExp | undefined;

/**
 * Whether a request id has a UTF-8 form of at most MAX_STRING_BYTES: up to a third of that many
 * code units always does unless it holds a lone surrogate (one native regex test, where measuring
 * is a loop over its characters); longer ones are measured.
 */
function requestIdFits(id: string): boolean {
  if (id.length <= MAX_STRING_BYTES / 3) {
    // Stryker disable next-line ConditionalExpression: the RegExp is made on first use (at load XS would keep it in flash: preload-rules.test.ts); making it again at each call answers the same
    if (loneSurrogate === undefined) loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    return !loneSurrogate.test(id);
  }
  const n = utf8ByteLength(id);
  return n >= 0 && n <= MAX_STRING_BYTES;
}

/**
 * The bounded publish outbox between the pipeline and the MQTT session.
 *
 * Bounds (see OutboxConfig) are checked on every enqueue and never exceeded
 * by a new accept. Classes:
 * - alerts and transactions are never dropped. They are appended to the
 *   journal before they are accepted and removed from it at PUBACK. When
 *   there is no room, queued (not in-flight) telemetry is dropped, oldest
 *   first and counted, if that makes enough room; otherwise enqueue answers
 *   BACKPRESSURE_COUNT or BACKPRESSURE_BYTES and changes nothing: the
 *   terminal declines or holds the swipe (or keeps the alert to retry).
 * - telemetry is best effort and not journaled: by policy it drops the
 *   oldest queued telemetry to make room, or refuses the new one. It never
 *   displaces an alert or a transaction.
 * A refusal of any kind has no side effect besides its counter.
 *
 * Send order (peek/next): strict priority, all queued alerts first, then
 * transactions, then telemetry; within a class, by id (enqueue order).
 * Telemetry can starve under sustained alert or transaction load; it is
 * bounded and dropped, never the others.
 *
 * In flight: `next` moves a message to the in-flight list; `acknowledge`
 * (PUBACK) frees it and removes it from the journal; `requeueInFlight`
 * (after a disconnect) puts unacknowledged messages back at the front of
 * their class queues in id order. Restart: build a new Outbox on the same
 * journal and call `restore` once, before anything else.
 *
 * Store and forward: on a journal that keeps a backlog (BacklogJournalPort,
 * e.g. the SegmentedJournal), a transaction that finds no room in RAM is not
 * refused but stored in the backlog, and every transaction after it too
 * while any waits there, so they leave in order. `peek`/`next` read the
 * oldest back into RAM whenever the transaction bounds leave room for it.
 * Only when the backlog's storage is full is a transaction refused
 * (BACKLOG_FULL). RAM holds the same bounded window however long the backlog.
 *
 * State is a slot pool in typed arrays (doubly linked lists per class and
 * for in-flight), sized to maxMessages; it grows only when a journal holding
 * more than the bounds is restored. An enqueue allocates only the message
 * record itself (which the journal and the session share).
 */
export class Outbox {
  private readonly cfg: OutboxConfig;
  private readonly journal: JournalPort;
  /** The journal when it keeps a backlog (store and forward), else null. */
  private readonly backlog: BacklogJournalPort | null;
  /** Backlog transactions replayed at restore not taken yet: possibly sent before (DUP). */
  private backlogReplayed = 0;
  private refillTopic = "";
  private refillTopicBytes = 0;
  /** The last topic enqueue found valid, and its UTF-8 length ("" at first: never a valid topic). */
  private checkedTopic = "";
  private checkedTopicBytes = 0;
  private restored = false;
  private nextId = 1;

  // slot pool
  private capacity: number;
  private msg: (JournalRecord | null)[];
  private size: Float64Array;
  private takes: Uint32Array;
  private nextLink: Int32Array;
  private prevLink: Int32Array;
  private listOf: Int8Array;
  private freeHead = FREE;

  // lists
  /** Per list: head slot, then tail slot, then length (one typed array: each costs XS slots). */
  private readonly lists = new Int32Array(3 * LISTS).fill(FREE, 0, 2 * LISTS);

  // accounting
  private total = 0;
  private totalBytes = 0;
  private highWaterMessages = 0;
  private highWaterBytes = 0;
  /** Per-class counters, one typed array (each array costs XS slots): counter field + class. */
  private readonly perClass = new Float64Array(CLASS_COUNTERS * MESSAGE_CLASS_COUNT);
  private backpressureCount = 0;
  private backpressureBytes = 0;
  private telemetryEvicted = 0;
  private invalid = 0;
  private unknownAcks = 0;
  private journalRemoveFailures = 0;
  private requeued = 0;
  private restoredCount = 0;
  private restoredOverBound = false;
  private backlogAccepted = 0;
  private backlogLoaded = 0;
  private backlogFull = 0;

  constructor(config: OutboxConfig, journal: JournalPort) {
    checkOutboxConfig(config);
    this.cfg = {
      maxMessages: config.maxMessages,
      maxBytes: config.maxBytes,
      reservedForAlerts: { messages: config.reservedForAlerts.messages, bytes: config.reservedForAlerts.bytes },
      telemetryPolicy: config.telemetryPolicy,
    };
    this.journal = journal;
    this.backlog = isBacklogJournal(journal) ? journal : null;
    this.capacity = 0;
    this.msg = [];
    this.size = new Float64Array(0);
    this.takes = new Uint32Array(0);
    this.nextLink = new Int32Array(0);
    this.prevLink = new Int32Array(0);
    this.listOf = new Int8Array(0);
    this.grow(config.maxMessages);
  }

  /** Id of the newest message accepted so far (or restored); 0 if none. */
  get highestId(): number {
    return this.nextId - 1;
  }

  get config(): Readonly<OutboxConfig> {
    return this.cfg;
  }

  /** Messages held (queued and in flight). */
  get messages(): number {
    return this.total;
  }

  /** Bytes held (queued and in flight). */
  get bytes(): number {
    return this.totalBytes;
  }

  get inFlight(): number {
    return this.lists[LENGTH + IN_FLIGHT]!;
  }

  /** Whether the journal keeps a backlog in storage (store and forward). */
  get keepsBacklog(): boolean {
    return this.backlog !== null;
  }

  /** Transactions waiting in the journal's backlog (store and forward), not counted in `messages`. */
  get backlogCount(): number {
    return this.backlog === null ? 0 : this.backlog.backlogCount;
  }

  /** Messages waiting to be sent (not in flight). */
  get queued(): number {
    return this.total - this.lists[LENGTH + IN_FLIGHT]!;
  }

  /** Messages of one class held (queued and in flight). */
  depth(cls: MessageClass): number {
    return this.perClass[MESSAGES + cls]!;
  }

  depthBytes(cls: MessageClass): number {
    return this.perClass[BYTES + cls]!;
  }

  /**
   * Rebuilds the outbox from the journal at start: every live record is
   * queued in its class, in id order, counted toward the bounds, and marked
   * as possibly sent before (set DUP when publishing it). If they exceed the
   * bounds they are all kept (never dropped), `overBound` is reported, and
   * new messages are refused until the outbox drains. New ids continue above
   * the highest id the journal remembers. Call once, before anything else.
   */
  restore(): RestoreReport {
    if (this.restored) throw new Error("Outbox.restore() may be called only once");
    this.restored = true;
    const records = this.journal.replay();
    records.sort((a, b) => a.id - b.id); // a journal replays in id order; a port that does not is put right here
    let maxId = this.journal.highestId();
    for (const r of records) {
      const slot = this.allocSlot();
      // A terminal's transactions share one topic: its UTF-8 length (a loop in JS) is worked out once.
      if (r.topic !== this.refillTopic) {
        this.refillTopic = r.topic;
        this.refillTopicBytes = Math.max(0, utf8ByteLength(r.topic));
      }
      const size = r.payload.byteLength + this.refillTopicBytes;
      this.msg[slot] = r;
      this.size[slot] = size;
      this.takes[slot] = 1;
      this.pushBack(r.cls, slot);
      this.account(r.cls, 1, size);
      if (r.id > maxId) maxId = r.id;
    }
    this.nextId = maxId + 1;
    this.restoredCount = records.length;
    this.restoredOverBound = this.total > this.cfg.maxMessages || this.totalBytes > this.cfg.maxBytes;
    this.backlogReplayed = this.backlogCount;
    return { records: records.length, messages: this.total, bytes: this.totalBytes, backlog: this.backlogReplayed, overBound: this.restoredOverBound };
  }

  /**
   * Offers a message. Alerts and transactions are journaled before they are
   * accepted. `payload` is kept by reference: do not modify it afterwards.
   * `now` is the processing time (epoch ms), stored with the message.
   * A `receipt`, when given, gets the message's id and the number of queued
   * telemetry messages dropped to make room (id 0 when refused).
   */
  enqueue(cls: MessageClass, topic: string, payload: Uint8Array, requestId: string, now: number, receipt?: EnqueueReceipt): EnqueueResult {
    if (!this.restored) throw new Error("Outbox.restore() must be called once before enqueue");
    if (receipt !== undefined) {
      receipt.id = 0;
      receipt.evicted = 0;
    }
    if (!isMessageClass(cls)) {
      this.invalid++;
      return EnqueueResult.INVALID_MESSAGE;
    }
    this.perClass[ENQUEUED + cls]++;
    // A terminal publishes to a handful of topics: the last one checked is remembered (measuring
    // and checking a topic are loops over its characters, ~2 000 XS steps).
    let topicBytes = -1;
    if (topic === this.checkedTopic) topicBytes = this.checkedTopicBytes;
    else if (typeof topic === "string") {
      topicBytes = utf8ByteLength(topic);
      if (topicBytes >= 1 && topicBytes <= MAX_STRING_BYTES && topicNameProblem(topic) === null) {
        this.checkedTopic = topic;
        this.checkedTopicBytes = topicBytes;
      } else topicBytes = -1;
    }
    if (topicBytes < 1 || typeof requestId !== "string" || !requestIdFits(requestId) || !(payload instanceof Uint8Array)) {
      this.invalid++;
      return EnqueueResult.INVALID_MESSAGE;
    }
    const size = payload.byteLength + topicBytes;
    if (size > this.byteLimit(cls)) {
      this.perClass[TOO_LARGE + cls]++;
      return EnqueueResult.REJECTED_TOO_LARGE;
    }
    const evict = this.telemetryToDrop(cls, size);
    if (this.toBacklog(cls, evict)) return this.enqueueToBacklog(topic, payload, requestId, now, receipt);
    if (evict < 0) return this.refuse(cls, evict === NO_ROOM_COUNT);

    const record: JournalRecord = { id: this.nextId, cls, topic, payload, requestId, enqueuedAt: now };
    if (isDurableClass(cls) && !this.journal.append(record)) {
      this.perClass[JOURNAL_FAILURES + cls]++;
      return EnqueueResult.JOURNAL_FAILED;
    }
    this.nextId++;
    for (let i = 0; i < evict; i++) this.evictOldestTelemetry();
    const slot = this.allocSlot();
    this.msg[slot] = record;
    this.size[slot] = size;
    this.takes[slot] = 0;
    this.pushBack(cls, slot);
    this.account(cls, 1, size);
    this.perClass[ACCEPTED + cls]++;
    if (receipt !== undefined) {
      receipt.id = record.id;
      receipt.evicted = evict;
    }
    return evict > 0 ? EnqueueResult.ACCEPTED_EVICTED_TELEMETRY : EnqueueResult.ACCEPTED;
  }

  /** A transaction goes to the backlog when one is kept and RAM has no room or older ones wait there. */
  private toBacklog(cls: MessageClass, evict: number): boolean {
    return this.backlog !== null && cls === MessageClass.TRANSACTION && (evict < 0 || this.backlog.backlogCount > 0);
  }

  private enqueueToBacklog(topic: string, payload: Uint8Array, requestId: string, now: number, receipt: EnqueueReceipt | undefined): EnqueueResult {
    const cls = MessageClass.TRANSACTION;
    const record: JournalRecord = { id: this.nextId, cls, topic, payload, requestId, enqueuedAt: now };
    const r = this.backlog!.appendToBacklog(record);
    if (r === BacklogAppend.FULL) {
      this.perClass[REFUSED + cls]++;
      this.backlogFull++;
      return EnqueueResult.BACKLOG_FULL;
    }
    if (r !== BacklogAppend.STORED) {
      this.perClass[JOURNAL_FAILURES + cls]++;
      return EnqueueResult.JOURNAL_FAILED;
    }
    this.nextId++;
    this.perClass[ACCEPTED + cls]++;
    this.backlogAccepted++;
    if (receipt !== undefined) receipt.id = record.id;
    return EnqueueResult.ACCEPTED_TO_BACKLOG;
  }

  /**
   * Whether a message of class `cls` taking `size` bytes (payload plus topic)
   * would be accepted now, counting queued telemetry that it may displace
   * and, for a transaction, the backlog's storage. Changes nothing: lets a
   * caller decline work before doing it.
   */
  hasRoom(cls: MessageClass, size: number): boolean {
    if (!isMessageClass(cls) || size > this.byteLimit(cls)) return false;
    const evict = this.telemetryToDrop(cls, size);
    if (this.toBacklog(cls, evict)) return this.backlog!.backlogHasRoom(size);
    return evict >= 0;
  }

  /**
   * Reads backlog transactions into RAM while the transaction bounds leave
   * room (never by dropping telemetry): the oldest first.
   */
  private refill(): void {
    const b = this.backlog;
    if (b === null) return;
    const tx = MessageClass.TRANSACTION;
    while (b.backlogCount > 0) {
      const r = b.peekBacklog();
      if (r === null) return;
      // A terminal's transactions share one topic: its UTF-8 length (a loop in JS) is worked out once.
      if (r.topic !== this.refillTopic) {
        this.refillTopic = r.topic;
        this.refillTopicBytes = Math.max(0, utf8ByteLength(r.topic));
      }
      const size = r.payload.byteLength + this.refillTopicBytes;
      if (this.telemetryToDrop(tx, size) !== 0) return;
      b.takeBacklog();
      const slot = this.allocSlot();
      this.msg[slot] = r;
      this.size[slot] = size;
      this.takes[slot] = this.backlogReplayed > 0 ? 1 : 0;
      if (this.backlogReplayed > 0) this.backlogReplayed--;
      this.pushBack(tx, slot);
      this.account(tx, 1, size);
      this.backlogLoaded++;
    }
  }

  private byteLimit(cls: MessageClass): number {
    return cls === MessageClass.ALERT ? this.cfg.maxBytes : this.cfg.maxBytes - this.cfg.reservedForAlerts.bytes;
  }

  /**
   * How many queued telemetry messages (oldest first) must go for a message of
   * `size` bytes of class `cls` to fit: 0 or more, or NO_ROOM_COUNT /
   * NO_ROOM_BYTES when it cannot fit.
   */
  private telemetryToDrop(cls: MessageClass, size: number): number {
    const alert = cls === MessageClass.ALERT;
    const countLimit = alert ? this.cfg.maxMessages : this.cfg.maxMessages - this.cfg.reservedForAlerts.messages;
    const needCount = this.total + 1 - countLimit;
    const needBytes = this.totalBytes + size - this.byteLimit(cls);
    if (needCount <= 0 && needBytes <= 0) return 0;
    if (cls === MessageClass.TELEMETRY && this.cfg.telemetryPolicy === "drop-newest") return needCount > 0 ? NO_ROOM_COUNT : NO_ROOM_BYTES;
    let freedCount = 0;
    let freedBytes = 0;
    let s = this.lists[MessageClass.TELEMETRY]!;
    while (s !== FREE && (freedCount < needCount || freedBytes < needBytes)) {
      freedCount++;
      freedBytes += this.size[s]!;
      s = this.nextLink[s]!;
    }
    if (freedCount < needCount) return NO_ROOM_COUNT;
    if (freedBytes < needBytes) return NO_ROOM_BYTES;
    return freedCount;
  }

  /** The message `next` would return, without taking it; null when nothing is queued. */
  peek(): JournalRecord | null {
    this.refill();
    for (let c = 0; c < MESSAGE_CLASS_COUNT; c++) {
      const s = this.lists[c]!;
      if (s !== FREE) return this.msg[s]!;
    }
    return null;
  }

  /**
   * Takes the next message to publish (alerts, then transactions, then
   * telemetry; by id within a class) and marks it in flight until
   * `acknowledge` or `requeueInFlight`; `attempts(id)` tells whether it was
   * taken before. Null when nothing is queued.
   */
  next(): JournalRecord | null {
    this.refill();
    for (let c = 0; c < MESSAGE_CLASS_COUNT; c++) {
      const s = this.lists[c]!;
      if (s === FREE) continue;
      this.unlink(c, s);
      this.pushBack(IN_FLIGHT, s);
      this.takes[s]++;
      return this.msg[s]!;
    }
    return null;
  }

  /**
   * How many times the message `id` has been taken by `next` (a restored one
   * counts as taken once: possibly sent before); 0 when it is not held.
   * Looks at the newest in flight first, so right after `next` it is O(1).
   */
  attempts(id: number): number {
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: a shortcut (the newest in flight first); the search of every slot below answers the same
    for (let s = this.lists[TAIL + IN_FLIGHT]!; s !== FREE; s = this.prevLink[s]!) if (this.msg[s]!.id === id) return this.takes[s]!;
    for (let s = 0; s < this.capacity; s++) if (this.listOf[s] !== FREE && this.msg[s]!.id === id) return this.takes[s]!;
    return 0;
  }

  /**
   * The MQTT session's PublishStore: the in-flight message `id`, for the
   * session to send it again; null if no in-flight message has that id.
   */
  retrieve(id: number): JournalRecord | null {
    const s = this.inFlightSlot(id);
    return s === FREE ? null : this.msg[s]!;
  }

  /**
   * PUBACK for the in-flight message `id`: frees it and removes it from the
   * journal. Answers the message acknowledged, or null (counted) if no
   * in-flight message has that id.
   */
  acknowledge(id: number): JournalRecord | null {
    const s = this.inFlightSlot(id);
    if (s === FREE) {
      this.unknownAcks++;
      return null;
    }
    const r = this.msg[s]!;
    this.unlink(IN_FLIGHT, s);
    this.account(r.cls, -1, -this.size[s]!);
    this.freeSlot(s);
    this.perClass[ACKNOWLEDGED + r.cls]++;
    if (isDurableClass(r.cls) && !this.journal.remove(id)) this.journalRemoveFailures++;
    return r;
  }

  private inFlightSlot(id: number): number {
    let s = this.lists[IN_FLIGHT]!;
    while (s !== FREE && this.msg[s]!.id !== id) s = this.nextLink[s]!;
    return s;
  }

  /**
   * After a disconnect: every in-flight message goes back to the front of
   * its class queue, in id order, to be sent again. Returns how many.
   */
  requeueInFlight(): number {
    let n = 0;
    // Per class, in-flight order is id order; walking backwards and pushing
    // each to the front of its queue keeps it.
    let s = this.lists[TAIL + IN_FLIGHT]!;
    while (s !== FREE) {
      const prev = this.prevLink[s]!;
      this.unlink(IN_FLIGHT, s);
      this.pushFront(this.msg[s]!.cls, s);
      n++;
      s = prev;
    }
    this.requeued += n;
    return n;
  }

  /** Whether a message with this id is held (queued or in flight). O(messages). */
  contains(id: number): boolean {
    for (let s = 0; s < this.capacity; s++) if (this.listOf[s] !== FREE && this.msg[s]!.id === id) return true;
    return false;
  }

  /** Ids queued in one class, in send order (diagnostics and tests; allocates). */
  queuedIds(cls: MessageClass): number[] {
    return this.listIds(cls);
  }

  /** Ids in flight, in the order they were taken (diagnostics and tests; allocates). */
  inFlightIds(): number[] {
    return this.listIds(IN_FLIGHT);
  }

  /** Request ids of every message held (queued or in flight), for reports (allocates). */
  heldRequestIds(): string[] {
    const out: string[] = [];
    for (let list = 0; list < LISTS; list++) {
      for (let s = this.lists[list]!; s !== FREE; s = this.nextLink[s]!) out.push(this.msg[s]!.requestId);
    }
    return out;
  }

  /** A snapshot of every counter (allocates: for reports). */
  stats(): OutboxStats {
    const cls = (c: number): MessageClassStats => ({
      enqueued: this.perClass[ENQUEUED + c]!,
      accepted: this.perClass[ACCEPTED + c]!,
      acknowledged: this.perClass[ACKNOWLEDGED + c]!,
      messages: this.perClass[MESSAGES + c]!,
      bytes: this.perClass[BYTES + c]!,
      highWaterMessages: this.perClass[HIGH_MESSAGES + c]!,
      highWaterBytes: this.perClass[HIGH_BYTES + c]!,
      refused: this.perClass[REFUSED + c]!,
      tooLarge: this.perClass[TOO_LARGE + c]!,
      journalFailures: this.perClass[JOURNAL_FAILURES + c]!,
    });
    const tel = MessageClass.TELEMETRY;
    return {
      messages: this.total,
      bytes: this.totalBytes,
      inFlight: this.lists[LENGTH + IN_FLIGHT]!,
      highWaterMessages: this.highWaterMessages,
      highWaterBytes: this.highWaterBytes,
      alert: cls(MessageClass.ALERT),
      transaction: cls(MessageClass.TRANSACTION),
      telemetry: cls(tel),
      backpressureCount: this.backpressureCount,
      backpressureBytes: this.backpressureBytes,
      telemetryEvicted: this.telemetryEvicted,
      telemetryDropped: this.telemetryEvicted + this.perClass[REFUSED + tel]! + this.perClass[TOO_LARGE + tel]!,
      invalid: this.invalid,
      unknownAcks: this.unknownAcks,
      journalRemoveFailures: this.journalRemoveFailures,
      requeued: this.requeued,
      restored: this.restoredCount,
      restoredOverBound: this.restoredOverBound,
      backlog: this.backlogCount,
      backlogAccepted: this.backlogAccepted,
      backlogLoaded: this.backlogLoaded,
      backlogFull: this.backlogFull,
    };
  }

  // ------------------------------------------------------------ internals

  private refuse(cls: MessageClass, byCount: boolean): EnqueueResult {
    this.perClass[REFUSED + cls]++;
    if (cls === MessageClass.TELEMETRY) return EnqueueResult.TELEMETRY_DROPPED;
    if (byCount) {
      this.backpressureCount++;
      return EnqueueResult.BACKPRESSURE_COUNT;
    }
    this.backpressureBytes++;
    return EnqueueResult.BACKPRESSURE_BYTES;
  }

  private evictOldestTelemetry(): void {
    const s = this.lists[MessageClass.TELEMETRY]!;
    this.unlink(MessageClass.TELEMETRY, s);
    this.account(MessageClass.TELEMETRY, -1, -this.size[s]!);
    this.freeSlot(s);
    this.telemetryEvicted++;
  }

  private account(cls: number, dm: number, db: number): void {
    this.total += dm;
    this.totalBytes += db;
    this.perClass[MESSAGES + cls] = this.perClass[MESSAGES + cls]! + dm;
    this.perClass[BYTES + cls] = this.perClass[BYTES + cls]! + db;
    if (this.total > this.highWaterMessages) this.highWaterMessages = this.total;
    if (this.totalBytes > this.highWaterBytes) this.highWaterBytes = this.totalBytes;
    if (this.perClass[MESSAGES + cls]! > this.perClass[HIGH_MESSAGES + cls]!) this.perClass[HIGH_MESSAGES + cls] = this.perClass[MESSAGES + cls]!;
    if (this.perClass[BYTES + cls]! > this.perClass[HIGH_BYTES + cls]!) this.perClass[HIGH_BYTES + cls] = this.perClass[BYTES + cls]!;
  }

  private listIds(list: number): number[] {
    const out: number[] = [];
    for (let s = this.lists[list]!; s !== FREE; s = this.nextLink[s]!) out.push(this.msg[s]!.id);
    return out;
  }

  private grow(newCapacity: number): void {
    const old = this.capacity;
    const size = new Float64Array(newCapacity);
    const attempts = new Uint32Array(newCapacity);
    const nextLink = new Int32Array(newCapacity);
    const prevLink = new Int32Array(newCapacity);
    const listOf = new Int8Array(newCapacity);
    size.set(this.size);
    attempts.set(this.takes);
    nextLink.set(this.nextLink);
    prevLink.set(this.prevLink);
    listOf.set(this.listOf);
    this.size = size;
    this.takes = attempts;
    this.nextLink = nextLink;
    this.prevLink = prevLink;
    this.listOf = listOf;
    for (let s = old; s < newCapacity; s++) this.msg.push(null);
    // New slots onto the free list, lowest index first.
    for (let s = newCapacity - 1; s >= old; s--) {
      listOf[s] = FREE;
      nextLink[s] = this.freeHead;
      this.freeHead = s;
    }
    this.capacity = newCapacity;
  }

  private allocSlot(): number {
    if (this.freeHead === FREE) this.grow(this.capacity * 2);
    const s = this.freeHead;
    this.freeHead = this.nextLink[s]!;
    return s;
  }

  private freeSlot(s: number): void {
    this.msg[s] = null;
    this.listOf[s] = FREE;
    this.nextLink[s] = this.freeHead;
    this.freeHead = s;
  }

  private pushBack(list: number, s: number): void {
    const t = this.lists[TAIL + list]!;
    this.prevLink[s] = t;
    this.nextLink[s] = FREE;
    if (t === FREE) this.lists[list] = s;
    else this.nextLink[t] = s;
    this.lists[TAIL + list] = s;
    this.listOf[s] = list;
    this.lists[LENGTH + list]++;
  }

  private pushFront(list: number, s: number): void {
    const h = this.lists[list]!;
    this.nextLink[s] = h;
    this.prevLink[s] = FREE;
    if (h === FREE) this.lists[TAIL + list] = s;
    else this.prevLink[h] = s;
    this.lists[list] = s;
    this.listOf[s] = list;
    // Stryker disable next-line UpdateOperator: only the in-flight list's length is read, and pushFront only takes class queues
    this.lists[LENGTH + list]++;
  }

  private unlink(list: number, s: number): void {
    const p = this.prevLink[s]!;
    const n = this.nextLink[s]!;
    if (p === FREE) this.lists[list] = n;
    else this.nextLink[p] = n;
    if (n === FREE) this.lists[TAIL + list] = p;
    else this.prevLink[n] = p;
    this.lists[LENGTH + list]--;
  }
}
