import type { JournalRecord } from "../outbox/journal-record";
import type { Outbox } from "../outbox/outbox";
import type { MqttSession } from "../mqtt/session/mqtt-session";
import { SendOutcome } from "../mqtt/session/mqtt-session";
import type { SessionError } from "../mqtt/session/session-error";

export interface OutboxPublisherCounters {
  /** Messages handed to the session (first sends and, after a restart, restored ones). */
  published: number;
  /** Of those, messages restored from the journal or requeued (possibly sent before). */
  republishedFromOutbox: number;
  /** PUBACKs that acknowledged an outbox message. */
  acknowledged: number;
  /** PUBACKs whose tag was not in flight in the outbox (counted, ignored). */
  unknownAcks: number;
  /** Links lost (onDisconnected). */
  disconnects: number;
  /** CONNACKs seen (onConnected). */
  connects: number;
  /** Messages requeued because their session was replaced. */
  requeued: number;
  /** Messages the session refused for good (parked, never dropped). */
  invalid: number;
  /** pump() calls that found the session unable to take more while messages were queued. */
  stalls: number;
  /** Errors reported by the session, by code. */
  sessionErrors: Record<string, number>;
}

export interface OutboxPublisherOptions {
  /** Retain flag of every PUBLISH (default false). */
  retain?: boolean;
  /** Called for every session error after counting it (optional). */
  onError?: (error: SessionError) => void;
  /** Called after each acknowledged message with the record (optional). */
  onAcknowledged?: (record: JournalRecord) => void;
  /** Called on every CONNACK, before the outbox is pumped (optional): e.g. to publish a retained status first. */
  onConnected?: () => void;
  /** Called when the link is lost (optional). */
  onDisconnected?: () => void;
  /**
   * Group commit (optional): the highest outbox id whose journal write is
   * durable. Messages above it stay queued until it moves, so nothing leaves
   * the terminal before it is safely stored. Default: no limit.
   */
  durableThrough?: () => number;
}

/**
 * Glue between the bounded, journaled Outbox and the MQTT session.
 * Engine-neutral and timer-free: call `pump()` from the host's tick (the
 * publisher also pumps by itself on every CONNACK and PUBACK).
 *
 * The outbox (with its journal) is the one store of a message; the session
 * is built with the outbox as its PublishStore and publishes each message
 * under its outbox id. The session decides when a message in flight goes out
 * again (after a CONNACK: same packet id with DUP=1 when the broker kept the
 * session, a new packet otherwise) and reads it back from the outbox; the
 * outbox frees it at the PUBACK. So on a disconnect nothing is requeued.
 * After a restart `outbox.restore()` queues every journaled, unacknowledged
 * message again for a fresh session. A publisher built over an outbox that
 * still has messages in flight (their session object is gone) requeues them
 * once, at construction; `replaceSession` does the same.
 * Every message the outbox has in flight is then in flight in the session
 * or parked: `outbox.inFlight === session.inFlightCount + parkedIds.length`.
 *
 * A message the session refuses for good (SendOutcome.INVALID: larger than the
 * session's maxPacketSize) is never dropped: it is taken off the queue so it
 * does not block the others, stays in flight in the outbox and in the
 * journal, and is counted in `invalid` (see `parkedIds`). Size the outbox's
 * byte bound below the session's packet limit and this cannot happen.
 *
 * Consumers deduplicate on the event's request id: after a cut or a restart
 * a message may arrive more than once, never zero times.
 */
export class OutboxPublisher {
  readonly counters: OutboxPublisherCounters = {
    published: 0,
    republishedFromOutbox: 0,
    acknowledged: 0,
    unknownAcks: 0,
    disconnects: 0,
    connects: 0,
    requeued: 0,
    invalid: 0,
    stalls: 0,
    sessionErrors: {},
  };

  private readonly outbox: Outbox;
  private session: MqttSession;
  private readonly retain: boolean;
  private readonly errorCb: ((error: SessionError) => void) | undefined;
  private readonly ackCb: ((record: JournalRecord) => void) | undefined;
  private readonly connectedCb: (() => void) | undefined;
  private readonly disconnectedCb: (() => void) | undefined;
  private readonly durableThrough: (() => number) | undefined;
  /** Outbox ids the session refused for good; in flight in the outbox, not in the session. */
  private readonly parked: number[] = [];
  private pumping = false;
  /**
   * The last pump left messages queued that the session could not take (not connected, its
   * window full, bytes waiting for the transport): the host's tick should pump again.
   */
  backedUp = false;

  /**
   * Takes over the session's onPuback, onConnected, onDisconnected and
   * onError callbacks. The outbox must already be restored, and be the
   * session's PublishStore.
   */
  constructor(outbox: Outbox, session: MqttSession, options: OutboxPublisherOptions = {}) {
    checkStore(outbox, session);
    this.outbox = outbox;
    this.session = session;
    this.retain = options.retain ?? false;
    this.errorCb = options.onError;
    this.ackCb = options.onAcknowledged;
    this.connectedCb = options.onConnected;
    this.disconnectedCb = options.onDisconnected;
    this.durableThrough = options.durableThrough;
    this.adoptOrphans();
    this.attach(session);
  }

  /** Messages the session refused for good (still in the outbox and the journal). */
  get parkedIds(): readonly number[] {
    return this.parked;
  }

  /**
   * Moves queued messages into the session while it can take them.
   * Returns how many were handed over.
   */
  pump(): number {
    // The idle tick (most of them): nothing queued, nothing waiting in storage.
    // Stryker disable next-line ConditionalExpression,BlockStatement: a shortcut: the loop below finds the same empty queue and answers 0
    if (this.outbox.queued === 0 && this.outbox.backlogCount === 0) {
      this.backedUp = false;
      return 0;
    }
    if (this.pumping) return 0; // a PUBACK inside publish() re-enters: the outer loop goes on
    this.pumping = true;
    this.backedUp = true; // until the queue is found empty, or held back for durability
    let n = 0;
    try {
      const s = this.session;
      const o = this.outbox;
      const limit = this.durableThrough === undefined ? Infinity : this.durableThrough();
      for (;;) {
        const head = o.peek();
        if (head === null || head.id > limit) {
          this.backedUp = false;
          break;
        }
        // Stryker disable next-line ConditionalExpression,BlockStatement: a shortcut: publish() answers LATER when the session cannot send, counted the same
        if (!s.canSend()) {
          this.counters.stalls++;
          break;
        }
        const r = s.publish(head.topic, head.payload, 1, this.retain, head.id).outcome;
        if (r === SendOutcome.LATER) {
          this.counters.stalls++;
          break;
        }
        // Accepted or refused for good: either way it leaves the queue now.
        const taken = o.next();
        // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral,OptionalChaining: an invariant of Outbox (next() gives what peek() showed), kept to fail loudly if it breaks
        if (taken === null || taken.id !== head.id) throw new Error(`outbox gave ${taken?.id} after peeking ${head.id}`);
        if (r === SendOutcome.INVALID) {
          this.parked.push(taken.id);
          this.counters.invalid++;
          continue;
        }
        this.counters.published++;
        if (o.attempts(taken.id) > 1) this.counters.republishedFromOutbox++;
        n++;
      }
    } finally {
      this.pumping = false;
    }
    return n;
  }

  /**
   * Switches to a new session object (the old one and its copies are
   * dropped: stop it first). Messages in flight go back to the front of the
   * outbox's queues, to be published by the new session.
   */
  replaceSession(session: MqttSession): void {
    checkStore(this.outbox, session);
    this.session = session;
    this.parked.length = 0;
    this.adoptOrphans();
    this.attach(session);
  }

  // ------------------------------------------------------------ internals

  private adoptOrphans(): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: requeueInFlight() answers 0 when nothing is in flight
    if (this.outbox.inFlight > 0) this.counters.requeued += this.outbox.requeueInFlight();
  }

  private attach(session: MqttSession): void {
    session.onPuback((tag) => {
      if (session !== this.session) return;
      const record = this.outbox.acknowledge(tag);
      if (record === null) {
        this.counters.unknownAcks++;
      } else {
        this.counters.acknowledged++;
        if (this.ackCb !== undefined) this.ackCb(record);
      }
      this.pump();
    });
    session.onConnected(() => {
      if (session !== this.session) return;
      this.counters.connects++;
      if (this.connectedCb !== undefined) this.connectedCb();
      this.pump();
    });
    session.onDisconnected(() => {
      if (session !== this.session) return;
      // Nothing is requeued: the session sends its messages in flight again after the next CONNACK.
      this.counters.disconnects++;
      if (this.disconnectedCb !== undefined) this.disconnectedCb();
    });
    session.onError((e) => {
      this.counters.sessionErrors[e.code] = (this.counters.sessionErrors[e.code] ?? 0) + 1;
      if (this.errorCb !== undefined) this.errorCb(e);
    });
  }
}

function checkStore(outbox: Outbox, session: MqttSession): void {
  if (session.publishStore !== outbox) throw new RangeError("OutboxPublisher: the session's PublishStore must be the outbox");
}
