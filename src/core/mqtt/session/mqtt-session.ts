import type { RandomPort } from "../../lib/ports";
import { Backoff } from "./backoff";
import { encodedLength, encodePacket } from "../codec/packet-encoder";
import { PublishEncoder } from "../codec/publish-encoder";
import { MqttEncodeError } from "../codec/encode-error";
import { PacketIdAllocator, MAX_PACKET_ID } from "./packet-id-allocator";
import { MAX_MQTT_PACKET_SIZE, PacketParser } from "../codec/packet-parser";
import type { ConnackPacket, MqttPacket, PublishPacket, SubackPacket } from "../codec/packet-types";
import { SUBACK_FAILURE } from "../codec/packet-types";
import type { ProtocolErrorCode } from "../codec/protocol-error";
import type { PublishStore } from "./publish-store";
import type { SessionError } from "./session-error";
import { connackRefusalError, SessionErrorCode } from "./session-error";
import type { MqttTransport, TransportFactory, TransportHandlers } from "./transport-port";

/** The message the broker publishes for this client if its link ends without a DISCONNECT [MQTT-3.1.2-8]. */
export interface MqttWill {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttSessionOptions {
  clientId: string;
  username?: string;
  password?: Uint8Array;
  /** Keep-alive in seconds, 0..65535; 0 disables PINGREQ and dead-link detection. */
  keepAliveSec: number;
  /** Default false: the broker keeps the session (subscriptions, unacknowledged QoS 1) across connections. */
  cleanSession?: boolean;
  will?: MqttWill;
  /** Most QoS 1 PUBLISHes awaiting PUBACK at once, 1..65535. */
  inFlightWindow: number;
  /** Largest packet sent or accepted, fixed header included. */
  maxPacketSize: number;
  backoff: { baseMs: number; capMs: number };
  /** How long to wait for PINGRESP (or any packet) after a PINGREQ. */
  pingTimeoutMs: number;
  /** Limit for transport connect + CONNACK; default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Most topic filters subscribed (each holds a packet id while its SUBACK is awaited); default 4. */
  maxSubscriptions?: number;
}

export interface MqttSessionPorts {
  /** A fresh transport for each connection attempt. */
  transport: TransportFactory;
  /** Jitter for the reconnect backoff. */
  random: RandomPort;
  /** Holds each QoS 1 message until its PUBACK; the session reads it back to resend. */
  store: PublishStore;
}

export const MqttSessionState = Object.freeze({
  /** Not started, or stopped. */
  IDLE: "idle",
  /** Waiting for the transport to connect. */
  CONNECTING: "connecting",
  /** CONNECT sent, waiting for CONNACK. */
  AWAITING_CONNACK: "awaiting-connack",
  CONNECTED: "connected",
  /** Link lost or refused; the next attempt is due at `nextAttemptAt`. */
  BACKING_OFF: "backing-off",
} as const);

export type MqttSessionState = (typeof MqttSessionState)[keyof typeof MqttSessionState];

/** What `publish` and `subscribe` did. */
export const SendOutcome = Object.freeze({
  /** Sent: a QoS 1 PUBLISH or a SUBSCRIBE now awaits its ack under `packetId`; a QoS 0 PUBLISH is gone. */
  SENT: "SENT",
  /** Not now (not connected, window full, transport busy): offer it again later. A subscription is kept and sent at the next connection. */
  LATER: "LATER",
  /** Can never be sent (invalid topic or filter, too large); reported through onError. */
  INVALID: "INVALID",
} as const);
export type SendOutcome = (typeof SendOutcome)[keyof typeof SendOutcome];

/** A caller-owned answer of `publish` / `subscribe` (the clock's `read(out)` style: nothing allocated per call). */
export interface SendResult {
  outcome: SendOutcome;
  /** The packet id when SENT with QoS 1 (or a SUBSCRIBE); 0 otherwise. */
  packetId: number;
}

function createSendResult(): SendResult {
  return { outcome: SendOutcome.LATER, packetId: 0 };
}

function answer(out: SendResult, outcome: SendOutcome, packetId = 0): SendResult {
  out.outcome = outcome;
  out.packetId = packetId;
  return out;
}

export interface MqttSessionCounters {
  /** Connection attempts started (transport requested). */
  connectAttempts: number;
  /** CONNACKs accepted. */
  connects: number;
  /** CONNACKs accepted after the first one. */
  reconnects: number;
  /** CONNACK refusals by error code. */
  refusals: Record<string, number>;
  /** Errors reported through onError, by code. */
  errors: Record<string, number>;
  /** QoS 1 PUBLISHes accepted from the caller. */
  published: number;
  publishedQos0: number;
  /** PUBLISH sent again with DUP=1 and the same id after a reconnect with session present. */
  retransmits: number;
  /** PUBLISH sent again as a new packet (new id) after a reconnect without session. */
  republished: number;
  pubacks: number;
  /** PUBACKs for ids not in flight (ignored). */
  unknownPubacks: number;
  /** Messages to be sent again that the store no longer held (forgotten: the store owns them). */
  storeMisses: number;
  pingsSent: number;
  keepaliveTimeouts: number;
  connectTimeouts: number;
  /** Parser errors and nonsensical packets from the broker. */
  protocolErrors: number;
  transportCloses: number;
  callbackErrors: number;
  internalErrors: number;
  subscribesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Times a write was short and the session waited for onWritable. */
  writeStalls: number;
}

interface Subscription {
  readonly filter: string;
  qos: 0 | 1;
  /** Packet id of the SUBSCRIBE awaiting SUBACK, or 0. */
  pendingId: number;
  acked: boolean;
}

type ConnectedCallback = (sessionPresent: boolean) => void;
type PubackCallback = (handle: number, packetId: number) => void;
type ErrorCallback = (error: SessionError) => void;
type MessageCallback = (topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean) => void;
type SubackCallback = (filter: string, grantedQos: number) => void;
type DisconnectedCallback = () => void;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Topic filters a session takes unless told otherwise (a terminal subscribes to none or one). */
const DEFAULT_MAX_SUBSCRIPTIONS = 4;
/** Added to a packet id in the in-flight list: the message is retained. */
const RETAINED = 0x10000;
const PINGREQ = encodePacket({ type: "pingreq" });
const DISCONNECT = encodePacket({ type: "disconnect" });

function noop(): void {}

function checkInteger(v: unknown, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    throw new RangeError(`${what} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
}

/**
 * MQTT 3.1.1 client session (QoS 0 and 1), engine-neutral and timer-free.
 *
 * Time: the session has no timers. The host calls `tick(nowMs)` often (e.g.
 * every 50 ms) with a monotonic clock; keep-alive, dead-link detection,
 * connect timeouts and reconnect backoff are evaluated there (a connected
 * tick with no keep-alive due is one comparison). Transport events between
 * ticks are stamped with the time of the last tick.
 *
 * Flow control: no send queue. The caller (the outbox) offers a message only
 * while `canSend()` is true: connected, fewer than `inFlightWindow` QoS 1
 * messages unacknowledged, and no bytes waiting for the transport.
 *
 * One owner of a message: the caller's PublishStore holds every QoS 1 message
 * from `publish(…, handle)` to `onPuback(handle)`. The session keeps, per
 * message in flight, its packet id, retain flag and handle in one typed array
 * sized by `inFlightWindow` (coreMQTT's outgoing publish records), across
 * reconnects and `stop()`, and asks the store for topic and payload when it
 * sends a message again.
 *
 * Reconnect: with cleanSession=false (default), after CONNACK with
 * sessionPresent=1 every unacknowledged PUBLISH is sent again in its original
 * order with DUP=1 and the same packet id ([MQTT-4.4.0-1], [MQTT-3.3.1-1];
 * counted in `retransmits`); with
 * sessionPresent=0 they are published again as new packets, new ids, DUP=0
 * (counted in `republished`). Consumers must deduplicate on the message's own
 * id. Subscriptions are sent again after any CONNACK without a session.
 *
 * Failures never throw out of the session: each one is counted and reported
 * once through `onError`, and a broken link is retried after a full-jitter
 * exponential backoff. Only the constructor throws (RangeError) for options
 * that can never work.
 */
export class MqttSession {
  readonly counters: MqttSessionCounters = {
    connectAttempts: 0,
    connects: 0,
    reconnects: 0,
    refusals: {},
    errors: {},
    published: 0,
    publishedQos0: 0,
    retransmits: 0,
    republished: 0,
    pubacks: 0,
    unknownPubacks: 0,
    storeMisses: 0,
    pingsSent: 0,
    keepaliveTimeouts: 0,
    connectTimeouts: 0,
    protocolErrors: 0,
    transportCloses: 0,
    callbackErrors: 0,
    internalErrors: 0,
    subscribesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    writeStalls: 0,
  };

  private readonly transportFactory: TransportFactory;
  private readonly store: PublishStore;
  private readonly backoff: Backoff;
  /** Ids of the PUBLISHes in flight and of the SUBSCRIBEs awaiting SUBACK. */
  private readonly ids: PacketIdAllocator;
  private readonly maxSubscriptions: number;
  /** The answer `publish` and `subscribe` fill when the caller passes none. */
  private readonly result = createSendResult();
  /** PUBLISH packets with each topic encoded once (a terminal has a handful of topics). */
  private readonly publishes = new PublishEncoder();
  private readonly parser: PacketParser;
  private readonly connectBytes: Uint8Array;
  private readonly window: number;
  private readonly maxPacketSize: number;
  private readonly keepAliveMs: number;
  private readonly pingTimeoutMs: number;
  private readonly connectTimeoutMs: number;

  private currentState: MqttSessionState = MqttSessionState.IDLE;
  private transport: MqttTransport | null = null;
  /** Incremented whenever the link is replaced; events from older links are ignored. */
  private gen = 0;
  /** The link whose bytes the parser currently holds. */
  private parserGen = -1;
  private now = 0;
  private attemptStartedAt = 0;
  private nextAttempt = 0;
  private lastSentAt = 0;
  private lastReceivedAt = 0;
  private pingOutstanding = false;
  private pingSentAt = 0;
  /** Ticks before this need no keep-alive check (see keepAlive). */
  private keepAliveCheckAt = 0;
  private present = false;
  /** Short write pending: bytes the transport has not taken yet, oldest first. */
  private readonly pending: Uint8Array[] = [];
  /**
   * QoS 1 messages awaiting PUBACK, in publish order, two numbers each (one typed array: on
   * XS every array costs slots): the packet id plus RETAINED when retained, and the caller's handle.
   */
  private readonly flight: Float64Array;
  private flightCount = 0;
  private readonly subscriptions: Subscription[] = [];

  private connectedCb: ConnectedCallback = noop;
  private pubackCb: PubackCallback = noop;
  private errorCb: ErrorCallback = noop;
  private messageCb: MessageCallback = noop;
  private subackCb: SubackCallback = noop;
  private disconnectedCb: DisconnectedCallback = noop;

  constructor(options: MqttSessionOptions, ports: MqttSessionPorts) {
    checkInteger(options.inFlightWindow, 1, MAX_PACKET_ID, "inFlightWindow");
    checkInteger(options.maxPacketSize, 2, MAX_MQTT_PACKET_SIZE, "maxPacketSize");
    checkInteger(options.keepAliveSec, 0, 0xffff, "keepAliveSec");
    checkInteger(options.pingTimeoutMs, 1, 0x7fffffff, "pingTimeoutMs");
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    checkInteger(connectTimeoutMs, 1, 0x7fffffff, "connectTimeoutMs");
    if (typeof ports?.transport !== "function") throw new RangeError("ports.transport must be a transport factory");
    if (typeof ports.random?.nextUint32 !== "function") throw new RangeError("ports.random must be a RandomPort");
    if (typeof ports.store?.retrieve !== "function") throw new RangeError("ports.store must be a PublishStore");
    this.transportFactory = ports.transport;
    this.store = ports.store;
    const maxSubscriptions = options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS;
    checkInteger(maxSubscriptions, 0, 64, "maxSubscriptions");
    this.maxSubscriptions = maxSubscriptions;
    this.ids = new PacketIdAllocator(Math.min(MAX_PACKET_ID, options.inFlightWindow + maxSubscriptions));
    this.flight = new Float64Array(2 * options.inFlightWindow);
    this.backoff = new Backoff(ports.random, options.backoff.baseMs, options.backoff.capMs);
    this.window = options.inFlightWindow;
    this.maxPacketSize = options.maxPacketSize;
    this.keepAliveMs = options.keepAliveSec * 1000;
    this.pingTimeoutMs = options.pingTimeoutMs;
    this.connectTimeoutMs = connectTimeoutMs;
    // Encoding CONNECT once validates client id, will, credentials; the encoder throws on bad ones.
    const connect: MqttPacket = {
      type: "connect",
      clientId: options.clientId,
      cleanSession: options.cleanSession ?? false,
      keepAlive: options.keepAliveSec,
    };
    if (options.will !== undefined) {
      const w = options.will;
      // No copies: CONNECT is encoded below, once, into bytes of its own.
      connect.will = { topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain };
    }
    if (options.username !== undefined) connect.username = options.username;
    if (options.password !== undefined) connect.password = options.password;
    try {
      this.connectBytes = encodePacket(connect);
    } catch (e) {
      throw new RangeError(`invalid CONNECT options: ${String(e)}`);
    }
    if (this.connectBytes.length > this.maxPacketSize) {
      throw new RangeError(`CONNECT is ${this.connectBytes.length} bytes, above maxPacketSize ${this.maxPacketSize}`);
    }
    this.parser = new PacketParser({
      maxPacketSize: this.maxPacketSize,
      onPacket: (p) => this.handlePacket(p),
      onError: (code, detail) => this.handleParserError(code, detail),
    });
  }

  // ------------------------------------------------------------ callbacks

  /** After each accepted CONNACK (after unacknowledged messages were sent again). */
  onConnected(cb: ConnectedCallback): void {
    this.connectedCb = cb;
  }
  /** Once per acknowledged QoS 1 message, with the caller's handle and the packet id it was acknowledged under: the store may let the message go. */
  onPuback(cb: PubackCallback): void {
    this.pubackCb = cb;
  }
  onError(cb: ErrorCallback): void {
    this.errorCb = cb;
  }
  /** An incoming PUBLISH (QoS 1 ones are acknowledged before the call). */
  onMessage(cb: MessageCallback): void {
    this.messageCb = cb;
  }
  /** Per SUBACK: the granted QoS, or 0x80 when refused. */
  onSuback(cb: SubackCallback): void {
    this.subackCb = cb;
  }
  /** When an established connection is lost or closed. */
  onDisconnected(cb: DisconnectedCallback): void {
    this.disconnectedCb = cb;
  }

  // ------------------------------------------------------------ state

  get state(): MqttSessionState {
    return this.currentState;
  }
  get connected(): boolean {
    return this.currentState === MqttSessionState.CONNECTED;
  }
  /** sessionPresent of the last accepted CONNACK. */
  get sessionPresent(): boolean {
    return this.present;
  }
  /** QoS 1 messages awaiting PUBACK. */
  get inFlightCount(): number {
    return this.flightCount;
  }
  /** Packet ids awaiting PUBACK, in publish order (diagnostics; allocates). */
  inFlightIds(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.flightCount; i++) out.push(this.flightId(i));
    return out;
  }
  /** Where the session reads messages back to send them again. */
  get publishStore(): PublishStore {
    return this.store;
  }
  /** When the next connection attempt is due (meaningful while backing off). */
  get nextAttemptAt(): number {
    return this.nextAttempt;
  }
  /** True when a QoS 1 publish would be accepted now. */
  canSend(): boolean {
    return this.currentState === MqttSessionState.CONNECTED && this.flightCount < this.window && this.pending.length === 0;
  }

  // ------------------------------------------------------------ commands

  /** Starts connecting at once. No effect unless idle. */
  start(now: number): void {
    if (this.currentState !== MqttSessionState.IDLE) return;
    this.now = now;
    this.backoff.reset();
    this.guard(() => this.beginAttempt());
  }

  /** Sends DISCONNECT (when connected, best effort), closes the link and goes idle. Unacknowledged messages are kept. */
  stop(now: number): void {
    if (this.currentState === MqttSessionState.IDLE) return;
    this.now = now;
    this.guard(() => {
      const wasConnected = this.currentState === MqttSessionState.CONNECTED;
      if (wasConnected && this.pending.length === 0 && this.transport !== null) {
        try {
          this.transport.write(DISCONNECT);
        } catch {
          // best effort
        }
      }
      this.closeLink();
      this.currentState = MqttSessionState.IDLE;
      if (wasConnected) this.call(() => this.disconnectedCb());
    });
  }

  /** Drives keep-alive, timeouts and reconnects; call often with a monotonic ms clock. */
  tick(now: number): void {
    this.now = now;
    // Nearly every tick: connected, no keep-alive check due. Before the try, which XS pays ~36 steps for.
    // Stryker disable next-line ConditionalExpression: a shortcut; keepAlive() below, called every tick, answers the same
    if (now < this.keepAliveCheckAt && this.currentState === MqttSessionState.CONNECTED) return;
    // Inline, not guard(() => ...): a closure a tick is garbage and steps on XS, at 20-40 ticks a second.
    try {
      switch (this.currentState) {
        case MqttSessionState.BACKING_OFF:
          if (now >= this.nextAttempt) this.beginAttempt();
          return;
        case MqttSessionState.CONNECTING:
        case MqttSessionState.AWAITING_CONNACK:
          if (now - this.attemptStartedAt >= this.connectTimeoutMs) {
            this.counters.connectTimeouts++;
            this.linkFailed(SessionErrorCode.CONNECT_TIMEOUT, `no CONNACK within ${this.connectTimeoutMs} ms`);
          }
          return;
        case MqttSessionState.CONNECTED:
          this.keepAlive(now); // due: the shortcut above returned otherwise
          return;
        default:
          return;
      }
    } catch (e) {
      this.internalError(e);
    }
  }

  /**
   * Publishes at QoS 0 or 1. At QoS 1 `handle` names the message in the
   * store, which must hold it (topic and payload unchanged) until `onPuback`
   * gives the handle back; packet ids change when a message is published
   * again after the broker lost the session, handles do not.
   * Answers in `out` (the session's own result when none is given: read it before the next call):
   * SENT (with the packet id at QoS 1), LATER (offer it again) or INVALID (never sendable).
   */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean, handle = 0, out: SendResult = this.result): SendResult {
    let id = 0;
    try {
      if (qos === 1 ? !this.canSend() : !this.connected || this.pending.length > 0) return answer(out, SendOutcome.LATER);
      if (qos !== 0 && qos !== 1) {
        this.report(SessionErrorCode.INVALID_MESSAGE, `QoS must be 0 or 1, got ${String(qos)}`);
        return answer(out, SendOutcome.INVALID);
      }
      id = qos === 1 ? this.ids.allocate() : 0;
      if (qos === 1 && id === 0) return answer(out, SendOutcome.LATER);
      // The encoder validates topic and sizes; head and payload go out as they are.
      const head = this.publishHead(topic, payload, qos, retain, id);
      if (head === null) {
        if (id !== 0) this.ids.release(id);
        return answer(out, SendOutcome.INVALID);
      }
      if (qos === 0) {
        this.counters.publishedQos0++;
        this.sendPublish(head, payload);
        return answer(out, SendOutcome.SENT);
      }
      const n = 2 * this.flightCount++;
      this.flight[n] = retain ? id + RETAINED : id;
      this.flight[n + 1] = handle;
      this.counters.published++;
      this.sendPublish(head, payload);
      return answer(out, SendOutcome.SENT, id);
    } catch (e) {
      if (e instanceof MqttEncodeError) {
        // The encoder refused the message (its topic, its size): it can never be sent.
        if (id !== 0) this.ids.release(id);
        this.report(SessionErrorCode.INVALID_MESSAGE, `publish to ${String(topic)}: ${String(e)}`);
        return answer(out, SendOutcome.INVALID);
      }
      this.internalError(e);
      return answer(out, SendOutcome.LATER);
    }
  }

  /**
   * Subscribes to `filter` now if connected, and again after every
   * reconnect without a session: SENT with the SUBSCRIBE's packet id, LATER
   * when it goes out at the next connection, INVALID for a bad filter.
   */
  subscribe(filter: string, qos: 0 | 1, out: SendResult = this.result): SendResult {
    try {
      try {
        encodedLength({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: filter, qos }] });
      } catch (e) {
        this.report(SessionErrorCode.INVALID_MESSAGE, `subscribe ${String(filter)}: ${String(e)}`);
        return answer(out, SendOutcome.INVALID);
      }
      let sub: Subscription | undefined;
      for (const s of this.subscriptions) if (s.filter === filter) sub = s;
      if (sub === undefined) {
        if (this.subscriptions.length >= this.maxSubscriptions) {
          this.report(SessionErrorCode.INVALID_MESSAGE, `subscribe ${filter}: this session takes at most ${this.maxSubscriptions} topic filters`);
          return answer(out, SendOutcome.INVALID);
        }
        sub = { filter, qos, pendingId: 0, acked: false };
        this.subscriptions.push(sub);
      } else {
        sub.qos = qos;
        sub.acked = false;
      }
      if (!this.connected || sub.pendingId !== 0) return answer(out, SendOutcome.LATER);
      const id = this.sendSubscribe(sub);
      return answer(out, id > 0 ? SendOutcome.SENT : SendOutcome.LATER, id);
    } catch (e) {
      this.internalError(e);
      return answer(out, SendOutcome.LATER);
    }
  }

  // ------------------------------------------------------------ link

  private beginAttempt(): void {
    this.counters.connectAttempts++;
    const gen = ++this.gen;
    this.currentState = MqttSessionState.CONNECTING;
    this.attemptStartedAt = this.now;
    this.pending.length = 0;
    let t: MqttTransport;
    try {
      t = this.transportFactory();
    } catch (e) {
      this.linkFailed(SessionErrorCode.TRANSPORT_CLOSED, `transport factory threw: ${String(e)}`);
      return;
    }
    this.transport = t;
    const handlers: TransportHandlers = {
      onConnected: () => {
        if (gen === this.gen) this.guard(() => this.handleConnected());
      },
      onData: (chunk) => {
        if (gen !== this.gen) return;
        // guard() inline: no closure per chunk (garbage, and steps on XS).
        try {
          this.handleData(gen, chunk);
        } catch (e) {
          this.internalError(e);
        }
      },
      onWritable: () => {
        if (gen === this.gen) this.guard(() => this.flush());
      },
      onClosed: (reason) => {
        if (gen === this.gen) this.guard(() => this.linkFailed(SessionErrorCode.TRANSPORT_CLOSED, `connection closed: ${String(reason)}`));
      },
    };
    try {
      t.connect(handlers);
    } catch (e) {
      if (gen === this.gen) this.linkFailed(SessionErrorCode.TRANSPORT_CLOSED, `transport connect threw: ${String(e)}`);
    }
  }

  private handleConnected(): void {
    if (this.currentState !== MqttSessionState.CONNECTING) return;
    this.currentState = MqttSessionState.AWAITING_CONNACK;
    this.lastReceivedAt = this.now;
    this.send(this.connectBytes);
  }

  private handleData(gen: number, chunk: Uint8Array): void {
    if (this.parserGen !== gen) {
      // First bytes of a new link: forget whatever the last one left.
      this.parser.reset();
      this.parserGen = gen;
    }
    this.counters.bytesReceived += chunk.length;
    // What a terminal receives most: a chunk that is one whole PUBACK (0x40, remaining length 2,
    // a non-zero packet id [MQTT-3.4.1], [MQTT-2.3.1-1]) between packets. Handled here: the
    // general parser builds and checks a packet object for it (~1 100 XS steps); anything else,
    // or a PUBACK split across chunks, goes to the parser.
    if (
      chunk.length === 4 &&
      chunk[0] === 0x40 &&
      chunk[1] === 2 &&
      (chunk[2]! | chunk[3]!) !== 0 &&
      this.currentState === MqttSessionState.CONNECTED &&
      this.parser.bytesPending === 0 &&
      !this.parser.failed
    ) {
      this.receivedPuback((chunk[2]! << 8) | chunk[3]!);
      return;
    }
    this.parser.feed(chunk);
  }

  /** Any packet from the broker: the link is alive, and an outstanding ping is answered. */
  private packetArrived(): void {
    this.lastReceivedAt = this.now;
    if (this.pingOutstanding) {
      this.pingOutstanding = false;
      this.keepAliveCheckAt = 0; // the next deadline is the keep-alive's again
    }
  }

  /** A PUBACK taken without the parser (see handleData): as handlePacket would handle it. */
  /** Under handleData's guard. */
  private receivedPuback(id: number): void {
    this.packetArrived();
    this.handlePuback(id);
  }

  private handleParserError(code: ProtocolErrorCode, detail: string): void {
    if (this.parserGen !== this.gen) return;
    this.counters.protocolErrors++;
    this.linkFailed(SessionErrorCode.PROTOCOL_ERROR, `${code}: ${detail}`);
  }

  /** Never throws: the parser would count that as a handler error. */
  private handlePacket(p: MqttPacket): void {
    if (this.parserGen !== this.gen) return; // link already dropped while this chunk was parsed
    // Inline, not guard(() => ...): no closure per packet.
    try {
      this.packetArrived();
      if (this.currentState === MqttSessionState.AWAITING_CONNACK) {
        if (p.type === "connack") this.handleConnack(p);
        else this.protocolError(`expected CONNACK, got ${p.type.toUpperCase()}`); // [MQTT-3.2.0-1]
        return;
      }
      if (this.currentState !== MqttSessionState.CONNECTED) return;
      switch (p.type) {
        case "puback":
          this.handlePuback(p.packetId);
          return;
        case "pingresp":
          return;
        case "suback":
          this.handleSuback(p);
          return;
        case "publish":
          this.handleIncomingPublish(p);
          return;
        case "unsuback":
          return;
        default:
          this.protocolError(`unexpected ${p.type.toUpperCase()} from the broker`);
      }
    } catch (e) {
      this.internalError(e);
    }
  }

  private handleConnack(p: ConnackPacket): void {
    // A refusal ends the link [MQTT-3.2.2-5].
    if (p.returnCode !== 0) {
      const code = connackRefusalError(p.returnCode);
      this.counters.refusals[code] = (this.counters.refusals[code] ?? 0) + 1;
      this.linkFailed(code, `broker refused the connection: ${code} (CONNACK return code ${p.returnCode})`);
      return;
    }
    this.currentState = MqttSessionState.CONNECTED;
    this.keepAliveCheckAt = 0;
    this.present = p.sessionPresent;
    this.backoff.reset();
    if (this.counters.connects > 0) this.counters.reconnects++;
    this.counters.connects++;
    const gen = this.gen;
    this.resendInFlight(p.sessionPresent);
    for (const s of this.subscriptions) {
      if (gen !== this.gen) return;
      if (!p.sessionPresent || !s.acked) {
        s.acked = false;
        this.sendSubscribe(s);
      }
    }
    if (gen !== this.gen) return;
    const present = p.sessionPresent;
    this.call(() => this.connectedCb(present));
  }

  private resendInFlight(sessionPresent: boolean): void {
    const f = this.flight;
    const gen = this.gen;
    if (!sessionPresent) {
      // The broker forgot them: new packets, new ids, in the same order.
      for (let i = 0; i < this.flightCount; i++) this.ids.release(this.flightId(i));
      for (let i = 0; i < this.flightCount; i++) f[2 * i] = f[2 * i]! - this.flightId(i) + this.ids.allocate();
    }
    let i = 0;
    while (i < this.flightCount) {
      if (gen !== this.gen) return; // the link failed while resending
      const handle = f[2 * i + 1]!;
      const id = this.flightId(i);
      const stored = this.store.retrieve(handle);
      if (stored === null) {
        this.forgetInFlight(i);
        this.counters.storeMisses++;
        this.report(SessionErrorCode.NOT_IN_STORE, `packet ${id}: the store no longer holds message ${handle}; not sent again`);
        continue;
      }
      if (sessionPresent) this.counters.retransmits++;
      else this.counters.republished++;
      const payload = stored.payload;
      this.sendPublish(this.publishes.head(stored.topic, payload.length, 1, f[2 * i]! >= RETAINED, sessionPresent, id), payload);
      i++;
    }
  }

  private handlePuback(id: number): void {
    let i = 0;
    while (i < this.flightCount && this.flightId(i) !== id) i++;
    if (i === this.flightCount) {
      this.counters.unknownPubacks++;
      return;
    }
    const handle = this.flight[2 * i + 1]!;
    this.forgetInFlight(i);
    this.counters.pubacks++;
    // call() inline: no closure per PUBACK.
    try {
      this.pubackCb(handle, id);
    } catch (e) {
      this.callbackFailed(e);
    }
  }

  private flightId(i: number): number {
    return this.flight[2 * i]! % RETAINED;
  }

  /** Takes the i-th message off the in-flight list (keeping the order) and frees its packet id. */
  private forgetInFlight(i: number): void {
    this.ids.release(this.flightId(i));
    const n = --this.flightCount;
    if (i < n) this.flight.copyWithin(2 * i, 2 * i + 2, 2 * n + 2);
  }

  private handleSuback(p: SubackPacket): void {
    let sub: Subscription | undefined;
    for (const s of this.subscriptions) if (s.pendingId === p.packetId) sub = s;
    if (sub === undefined) return;
    this.ids.release(p.packetId);
    sub.pendingId = 0;
    const granted = p.returnCodes[0]!;
    sub.acked = true;
    const filter = sub.filter;
    if (granted === SUBACK_FAILURE) this.report(SessionErrorCode.SUBSCRIBE_REFUSED, `broker refused the subscription to ${filter}`);
    this.call(() => this.subackCb(filter, granted));
  }

  private handleIncomingPublish(p: PublishPacket): void {
    if (p.qos === 2) {
      this.protocolError(`QoS 2 PUBLISH on ${p.topic}: this client never subscribes at QoS 2`);
      return;
    }
    if (p.qos === 1) this.send(encodePacket({ type: "puback", packetId: p.packetId! }));
    this.counters.messagesReceived++;
    const qos = p.qos;
    this.call(() => this.messageCb(p.topic, p.payload, qos, p.retain));
  }

  /**
   * Pings, or gives up on a dead link, when a deadline has passed; then sets keepAliveCheckAt, the
   * earliest time the next can (sends and receipts only move the deadlines later, so ticks before
   * it skip this; an answered ping and a new link reset it).
   */
  private keepAlive(now: number): void {
    if (this.keepAliveMs === 0) {
      this.keepAliveCheckAt = Infinity;
      return;
    }
    if (this.pingOutstanding) {
      if (now - this.pingSentAt >= this.pingTimeoutMs) {
        this.counters.keepaliveTimeouts++;
        this.linkFailed(SessionErrorCode.KEEPALIVE_TIMEOUT, `no PINGRESP within ${this.pingTimeoutMs} ms: dead link`);
        return;
      }
      this.keepAliveCheckAt = this.pingSentAt + this.pingTimeoutMs;
      return;
    }
    // Ping when we have been quiet (the broker expects a packet each keep-alive,
    // [MQTT-3.1.2-23]), and also when the broker has: a link that only swallows our
    // bytes is dead (section 3.1.2.10: close if no PINGRESP comes in reasonable time).
    if (now - this.lastSentAt >= this.keepAliveMs || now - this.lastReceivedAt >= this.keepAliveMs) {
      this.pingOutstanding = true;
      this.pingSentAt = now;
      this.counters.pingsSent++;
      this.send(PINGREQ);
      this.keepAliveCheckAt = now + this.pingTimeoutMs;
      return;
    }
    this.keepAliveCheckAt = Math.min(this.lastSentAt, this.lastReceivedAt) + this.keepAliveMs;
  }

  // ------------------------------------------------------------ sending

  private sendSubscribe(sub: Subscription): number {
    const id = this.ids.allocate();
    if (id === 0) return 0;
    sub.pendingId = id;
    this.counters.subscribesSent++;
    this.send(encodePacket({ type: "subscribe", packetId: id, subscriptions: [{ topicFilter: sub.filter, qos: sub.qos }] }));
    return id;
  }

  /**
   * The PUBLISH head (see PublishEncoder: reused), or null (reported as INVALID_MESSAGE) when it
   * cannot be sent. Throws the encoder's MqttEncodeError (publish reports it: one try, not two).
   */
  private publishHead(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean, packetId: number): Uint8Array | null {
    if (!(payload instanceof Uint8Array)) {
      this.report(SessionErrorCode.INVALID_MESSAGE, `publish to ${String(topic)}: the payload must be a Uint8Array`);
      return null;
    }
    const head = this.publishes.head(topic, payload.length, qos, retain, false, qos === 1 ? packetId : 0);
    const size = head.length + payload.length;
    if (size > this.maxPacketSize) {
      this.report(SessionErrorCode.INVALID_MESSAGE, `publish to ${topic} is ${size} bytes, above maxPacketSize ${this.maxPacketSize}`);
      return null;
    }
    return head;
  }

  /** A PUBLISH as two writes: the encoder's reused head (copied only if it must wait), then the payload as it is. */
  private sendPublish(head: Uint8Array, payload: Uint8Array): void {
    const t = this.transport;
    if (t === null) return;
    if (this.pending.length > 0 || payload.length === 0) {
      this.send(head, true);
      if (payload.length > 0) this.send(payload, false);
      return;
    }
    // The usual case, nothing waiting: send() twice, written out under one try (XS: ~36 steps a try).
    this.lastSentAt = this.now;
    this.counters.bytesSent += head.length + payload.length;
    const gen = this.gen;
    let nh = 0;
    let np = 0;
    try {
      nh = writtenBytes(t.write(head));
      if (nh >= head.length && gen === this.gen) np = writtenBytes(t.write(payload));
    } catch (e) {
      this.linkFailed(SessionErrorCode.TRANSPORT_CLOSED, `transport write threw: ${String(e)}`);
      return;
    }
    if (gen !== this.gen) return; // closed from inside a write
    if (nh < head.length) {
      this.pending.push(head.slice(nh), payload);
      this.counters.writeStalls++;
    } else if (np < payload.length) {
      this.pending.push(payload.subarray(np));
      this.counters.writeStalls++;
    }
  }

  /**
   * Writes `bytes` after anything already waiting and keeps what the transport does not take:
   * a copy when `reused` (the caller writes into them again), else the bytes themselves.
   */
  private send(bytes: Uint8Array, reused = false): void {
    if (this.transport === null) return;
    this.lastSentAt = this.now;
    this.counters.bytesSent += bytes.length;
    if (this.pending.length > 0) {
      this.pending.push(reused ? bytes.slice() : bytes);
      return;
    }
    // Straight to the transport when nothing waits: no trip through the queue on the hot path.
    const gen = this.gen;
    const n = this.write(bytes);
    if (n >= bytes.length || gen !== this.gen) return;
    this.pending.push(reused ? bytes.slice(n) : bytes.subarray(n));
    this.counters.writeStalls++;
  }

  /** One transport write: the bytes it took (0 when the link failed inside it). */
  private write(bytes: Uint8Array): number {
    let n: number;
    try {
      n = (this.transport as MqttTransport).write(bytes);
    } catch (e) {
      this.linkFailed(SessionErrorCode.TRANSPORT_CLOSED, `transport write threw: ${String(e)}`);
      return 0;
    }
    return writtenBytes(n);
  }

  private flush(): void {
    const gen = this.gen;
    while (this.pending.length > 0 && this.transport !== null) {
      const b = this.pending[0]!;
      const n = this.write(b);
      if (gen !== this.gen) return; // closed from inside write
      if (n >= b.length) {
        this.pending.shift();
      } else {
        if (n > 0) this.pending[0] = b.subarray(n);
        this.counters.writeStalls++;
        return; // wait for onWritable
      }
    }
  }

  // ------------------------------------------------------------ failure

  private closeLink(): void {
    const t = this.transport;
    this.transport = null;
    this.gen++;
    this.pending.length = 0;
    this.pingOutstanding = false;
    for (const s of this.subscriptions) {
      if (s.pendingId !== 0) {
        this.ids.release(s.pendingId);
        s.pendingId = 0;
      }
    }
    if (t !== null) {
      try {
        t.close();
      } catch {
        // closing is best effort
      }
    }
  }

  /** Drops the link, schedules the next attempt after backoff, reports. */
  private linkFailed(code: SessionErrorCode, message: string): void {
    const wasConnected = this.currentState === MqttSessionState.CONNECTED;
    if (code === SessionErrorCode.TRANSPORT_CLOSED) this.counters.transportCloses++;
    this.closeLink();
    this.currentState = MqttSessionState.BACKING_OFF;
    this.nextAttempt = this.now + this.backoff.nextDelay();
    this.report(code, message);
    if (wasConnected) this.call(() => this.disconnectedCb());
  }

  private protocolError(message: string): void {
    this.counters.protocolErrors++;
    this.linkFailed(SessionErrorCode.PROTOCOL_ERROR, message);
  }

  private report(code: SessionErrorCode, message: string): void {
    this.counters.errors[code] = (this.counters.errors[code] ?? 0) + 1;
    try {
      this.errorCb({ code, message });
    } catch {
      this.counters.callbackErrors++;
    }
  }

  /** Runs a caller's callback; a throw is counted and reported, never propagated. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.callbackFailed(e);
    }
  }

  private callbackFailed(e: unknown): void {
    this.counters.callbackErrors++;
    this.report(SessionErrorCode.CALLBACK_ERROR, `callback threw: ${String(e)}`);
  }

  /** Runs session code; a bug caught here drops the link instead of escaping. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.internalError(e);
    }
  }

  private internalError(e: unknown): void {
    this.counters.internalErrors++;
    try {
      if (this.currentState === MqttSessionState.IDLE) this.report(SessionErrorCode.INTERNAL_ERROR, String(e));
      else this.linkFailed(SessionErrorCode.INTERNAL_ERROR, String(e));
    } catch {
      // nothing more can be done safely
    }
  }
}

/** What a transport's write returned, as the bytes it took (0 for anything but a positive number). */
function writtenBytes(n: unknown): number {
  return typeof n === "number" && n > 0 ? Math.floor(n) : 0;
}
