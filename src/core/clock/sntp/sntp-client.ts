import type { RandomPort } from "../../lib/ports";
import type { DatagramHandlers, DatagramSocket, DatagramSocketFactory, MonotonicClockPort, ResolverPort } from "../clock-ports";
import type { ClockSampleSink } from "../clock-sample";
import { createClockSample, SampleVerdict } from "../clock-sample";
import { ntpToUtcMs, readUint32 } from "./ntp-timestamp";
import type { ResolvedSntpClientOptions, SntpClientOptions } from "./sntp-client-options";
import { MIN_STEADY_POLL_MS, resolveSntpClientOptions } from "./sntp-client-options";
import { createSntpReply, decodeSntpReply, encodeSntpRequest, NTP_PACKET_SIZE } from "./sntp-packet";
import type { SntpRejectCounts } from "./sntp-reject-reason";
import { createSntpRejectCounts, SntpRejectReason } from "./sntp-reject-reason";
import { checkSntpReply } from "./sntp-reply-check";

export interface SntpClientPorts {
  clock: MonotonicClockPort;
  udp: DatagramSocketFactory;
  resolver: ResolverPort;
  random: RandomPort;
}

export const SntpServerState = Object.freeze({
  /** Name lookup under way. */
  RESOLVING: "resolving",
  /** Lookup failed; retried later. */
  UNRESOLVED: "unresolved",
  /** Has an address; polled. */
  READY: "ready",
  /** Sent DENY or RSTR; not polled. */
  DENIED: "denied",
} as const);

export type SntpServerState = (typeof SntpServerState)[keyof typeof SntpServerState];

/** What telemetry may read about one server. */
export interface SntpServerStatus {
  readonly name: string;
  readonly address: string | null;
  readonly state: SntpServerState;
  /** Current steady poll interval. */
  readonly intervalMs: number;
  /** Floor of the interval (raised by RATE). */
  readonly minIntervalMs: number;
  /** Last two polls, newest in bit 0: 1 = usable sample. */
  readonly reach: number;
  readonly requests: number;
  readonly samples: number;
  readonly timeouts: number;
  readonly rejects: number;
}

export interface SntpClientCounters {
  requests: number;
  /** Datagrams received, refused or not. */
  datagrams: number;
  /** Replies that passed every check and were offered to the clock. */
  samples: number;
  /** ... which the clock used, collected for an acquisition, or refused as outliers. */
  used: number;
  pending: number;
  outliers: number;
  timeouts: number;
  sendFailures: number;
  socketFailures: number;
  resolveFailures: number;
  bursts: number;
  /** Servers dropped after DENY/RSTR. */
  serversDropped: number;
  internalErrors: number;
  /** Refused datagrams by reason. */
  rejects: SntpRejectCounts;
  /** Stratum and delay of the last accepted reply. */
  lastStratum: number;
  lastDelayMs: number;
}

interface ServerEntry extends SntpServerStatus {
  readonly index: number;
  address: string | null;
  state: SntpServerState;
  intervalMs: number;
  minIntervalMs: number;
  reach: number;
  requests: number;
  samples: number;
  timeouts: number;
  rejects: number;
  deniedAddress: string | null;
  resolveGen: number;
  resolveDeadline: number;
  nextResolveAt: number;
  resolveRetryMs: number;
  nextPollAt: number;
  burstLeft: number;
  awaiting: boolean;
  nonceHigh: number;
  nonceLow: number;
  sentAt: number;
  /** When the last request went out (the steady interval counts from it, also across re-resolution). */
  lastRequestAt: number;
  timeoutAt: number;
  stable: number;
  failuresInRow: number;
}

/** Tolerated negative delay (timestamp noise); below it the reply is refused. */
const NEGATIVE_DELAY_TOLERANCE_MS = 1;
const SOCKET_RETRY_MS = 5000;

/**
 * SNTP v4 client (RFC 4330 with RFC 5905's checks), engine-neutral and
 * timer-free: the host calls `tick()` often (every 50-250 ms, or at
 * `nextActionAt()`); datagrams and name lookups arrive through the ports.
 * The client reads the monotonic clock itself at send (T1) and at receipt
 * (T4), so neither depends on when `tick()` runs.
 *
 * Requests carry a random 64-bit transmit timestamp; a reply counts only if
 * it comes from the server's address and port, echoes it as originate, has
 * mode 4, version 3/4, stratum 1-15, leap indicator ≠ 3, non-zero receive and
 * transmit times, a non-negative delay and a root distance within limits.
 * Every refused datagram is counted under its `SntpRejectReason`; a spoofed
 * reply (wrong originate) leaves the request waiting for the genuine one.
 * Kiss-o'-Death (stratum 0, origin checked first): DENY and RSTR drop the
 * server (its name is looked up again after `reresolveMs`; the same address
 * stays dropped), RATE doubles its minimum poll interval.
 *
 * Schedule:
 * - Burst, while the clock wants one (before the first sync, when it
 *   re-acquires): every usable server gets `burstSamples` requests
 *   `burstSpacingMs` apart (default 4 × 2 s, as ntpd's iburst and chrony's
 *   burst do: a fast first fix without keeping up that rate). When all are
 *   answered or lost the clock is told (`burstComplete`); if it is still
 *   unsynced, the next burst follows after a backoff from minPoll doubling
 *   to maxPoll.
 * - Steady: each server is polled on its own interval, staggered so the
 *   servers take turns. The interval starts at `minPollMs` (>= 15 s, default
 *   32 s) and adapts like ntpd's: a used sample within
 *   `pollBackoffResidualMs` of the clock's prediction counts +1, any other
 *   sample −1; at ±`stablePollsToBackOff` the interval doubles (up to
 *   `maxPollMs`, default 1024 s) or halves (not below minPollMs). Quiet paths
 *   back off; noisy ones keep the sample rate the filter needs. Lost polls
 *   never speed polling up. RATE raises that server's floor.
 *
 * Reachability: a server answers if one of its last two polls gave a usable
 * sample; when none does, the clock is told (holdover).
 *
 * Nothing throws out of the client after the constructor (RangeError for
 * impossible options): failures are counted.
 */
export class SntpClient {
  readonly counters: SntpClientCounters = {
    requests: 0,
    datagrams: 0,
    samples: 0,
    used: 0,
    pending: 0,
    outliers: 0,
    timeouts: 0,
    sendFailures: 0,
    socketFailures: 0,
    resolveFailures: 0,
    bursts: 0,
    serversDropped: 0,
    internalErrors: 0,
    rejects: createSntpRejectCounts(),
    lastStratum: 0,
    lastDelayMs: 0,
  };
  readonly options: ResolvedSntpClientOptions;

  private readonly clock: MonotonicClockPort;
  private readonly udp: DatagramSocketFactory;
  private readonly resolver: ResolverPort;
  private readonly random: RandomPort;
  private readonly sink: ClockSampleSink;
  private readonly entries: ServerEntry[] = [];
  private readonly tx = new Uint8Array(NTP_PACKET_SIZE);
  private readonly reply = createSntpReply();
  private readonly sample = createClockSample();
  private readonly handlers: DatagramHandlers;
  private socket: DatagramSocket | null = null;
  private nextSocketAt = 0;
  private started = false;
  private bursting = false;
  private nextBurstAt = 0;
  private burstRetryMs: number;
  private reachableReported: boolean | null = null;

  constructor(options: SntpClientOptions, ports: SntpClientPorts, sink: ClockSampleSink) {
    this.options = resolveSntpClientOptions(options);
    if (typeof ports?.clock?.nowMs !== "function") throw new RangeError("ports.clock must be a MonotonicClockPort");
    if (typeof ports.udp !== "function") throw new RangeError("ports.udp must be a datagram socket factory");
    if (typeof ports.resolver?.resolve !== "function") throw new RangeError("ports.resolver must be a ResolverPort");
    if (typeof ports.random?.nextUint32 !== "function") throw new RangeError("ports.random must be a RandomPort");
    if (typeof sink?.addSample !== "function") throw new RangeError("sink must be a ClockSampleSink");
    this.clock = ports.clock;
    this.udp = ports.udp;
    this.resolver = ports.resolver;
    this.random = ports.random;
    this.sink = sink;
    this.burstRetryMs = this.options.minPollMs;
    const o = this.options;
    for (let i = 0; i < o.servers.length; i++) {
      this.entries.push({
        index: i, name: o.servers[i]!, address: null, state: SntpServerState.UNRESOLVED,
        intervalMs: o.minPollMs, minIntervalMs: o.minPollMs, reach: 0, requests: 0, samples: 0, timeouts: 0, rejects: 0,
        deniedAddress: null, resolveGen: 0, resolveDeadline: 0, nextResolveAt: 0, resolveRetryMs: o.burstSpacingMs,
        nextPollAt: 0, burstLeft: 0, awaiting: false, nonceHigh: 0, nonceLow: 0, sentAt: 0, lastRequestAt: -Infinity, timeoutAt: 0,
        stable: 0, failuresInRow: 0,
      });
    }
    this.handlers = { onDatagram: (bytes, address, port) => this.handleDatagram(bytes, address, port) };
  }

  /** Per-server status, in the order of `options.servers`. */
  get servers(): readonly SntpServerStatus[] {
    return this.entries;
  }

  /** True while a burst runs. */
  get inBurst(): boolean {
    return this.bursting;
  }

  /** True when at least one server answered one of its last two polls with a usable sample. */
  get reachable(): boolean {
    const list = this.entries;
    for (let i = 0; i < list.length; i++) if (list[i]!.state === SntpServerState.READY && list[i]!.reach !== 0) return true;
    return false;
  }

  /** Opens the socket and looks up every server; the first burst starts as soon as one has an address. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.guard(() => {
      const now = this.clock.nowMs();
      this.bursting = false;
      this.nextBurstAt = now;
      this.burstRetryMs = this.options.minPollMs;
      this.openSocket(now);
      for (const s of this.entries) {
        s.awaiting = false;
        s.reach = 0;
        s.stable = 0;
        s.failuresInRow = 0;
        if (s.state !== SntpServerState.DENIED) this.startResolve(s, now);
      }
    });
  }

  /** Closes the socket; outstanding requests and lookups are forgotten. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.bursting = false;
    for (const s of this.entries) {
      s.awaiting = false;
      s.resolveGen++;
      if (s.state === SntpServerState.RESOLVING) s.state = SntpServerState.UNRESOLVED;
    }
    const sock = this.socket;
    this.socket = null;
    if (sock !== null) {
      try {
        sock.close();
      } catch {
        // best effort
      }
    }
  }

  /** Sends due requests, expires lost ones, retries lookups. */
  tick(): void {
    if (!this.started) return;
    try {
      this.runTick();
    } catch {
      this.counters.internalErrors++;
    }
  }

  private runTick(): void {
    {
      const now = this.clock.nowMs();
      if (this.socket === null && now >= this.nextSocketAt) this.openSocket(now);
      const wants = this.sink.wantsBurst();
      if (wants && !this.bursting && now >= this.nextBurstAt && this.anyReady()) this.startBurst(now);
      const list = this.entries;
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!;
        switch (s.state) {
          case SntpServerState.RESOLVING:
            if (now >= s.resolveDeadline) {
              s.resolveGen++;
              this.resolveFailed(s, now);
            }
            break;
          case SntpServerState.UNRESOLVED:
          case SntpServerState.DENIED:
            if (now >= s.nextResolveAt) this.startResolve(s, now);
            break;
          case SntpServerState.READY:
            if (s.awaiting && now >= s.timeoutAt) {
              s.awaiting = false;
              s.timeouts++;
              this.counters.timeouts++;
              this.pollDone(s, false);
            }
            if (!s.awaiting && now >= s.nextPollAt && this.mayPoll(s, wants)) this.poll(s);
            break;
        }
      }
      this.afterEvent(now);
    }
  }

  /**
   * The monotonic time of the next scheduled action (request, timeout,
   * lookup retry, burst); Infinity when nothing is scheduled. Calling
   * `tick()` earlier is harmless, later delays that action.
   */
  nextActionAt(): number {
    if (!this.started) return Infinity;
    let t = Infinity;
    if (this.socket === null && this.nextSocketAt < t) t = this.nextSocketAt;
    const wants = this.sink.wantsBurst();
    const ready = this.anyReady();
    if (wants && !this.bursting && ready && this.nextBurstAt < t) t = this.nextBurstAt;
    const list = this.entries;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      let at = Infinity;
      if (s.state === SntpServerState.RESOLVING) at = s.resolveDeadline;
      else if (s.state === SntpServerState.UNRESOLVED || s.state === SntpServerState.DENIED) at = s.nextResolveAt;
      else if (s.awaiting) at = s.timeoutAt;
      else if (this.mayPoll(s, wants)) at = s.nextPollAt;
      if (at < t) t = at;
    }
    return t;
  }

  // ------------------------------------------------------------ schedule

  private anyReady(): boolean {
    const list = this.entries;
    for (let i = 0; i < list.length; i++) if (list[i]!.state === SntpServerState.READY) return true;
    return false;
  }

  private mayPoll(s: ServerEntry, wants: boolean): boolean {
    return this.bursting ? s.burstLeft > 0 : !wants;
  }

  private startBurst(now: number): void {
    this.bursting = true;
    this.counters.bursts++;
    for (const s of this.entries) {
      s.intervalMs = Math.max(this.options.minPollMs, s.minIntervalMs);
      s.stable = 0;
      if (s.state === SntpServerState.READY) this.joinBurst(s, now);
    }
  }

  private joinBurst(s: ServerEntry, now: number): void {
    // A server that sent RATE keeps to its own floor even in a burst.
    s.burstLeft = s.minIntervalMs > this.options.minPollMs ? 0 : this.options.burstSamples;
    if (!s.awaiting && s.nextPollAt > now) s.nextPollAt = now;
  }

  /** Burst over when no ready server has requests left or outstanding and no lookup is under way. */
  private burstDone(): boolean {
    const list = this.entries;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.state === SntpServerState.RESOLVING) return false;
      if (s.state === SntpServerState.READY && (s.burstLeft > 0 || s.awaiting)) return false;
    }
    return true;
  }

  private finishBurst(now: number): void {
    this.bursting = false;
    this.sink.burstComplete();
    const o = this.options;
    if (this.sink.wantsBurst()) {
      this.nextBurstAt = now + this.burstRetryMs;
      this.burstRetryMs = Math.min(this.burstRetryMs * 2, o.maxPollMs);
      return;
    }
    this.burstRetryMs = o.minPollMs;
    let ready = 0;
    for (const s of this.entries) if (s.state === SntpServerState.READY) ready++;
    let k = 0;
    for (const s of this.entries) {
      if (s.state !== SntpServerState.READY) continue;
      // Staggered, so the servers take turns; never sooner than 15 s after the burst.
      const first = (s.intervalMs * (k + 1)) / ready;
      s.nextPollAt = now + (first > MIN_STEADY_POLL_MS ? first : MIN_STEADY_POLL_MS);
      k++;
    }
  }

  /** Burst completion and reachability, after anything that may change them. */
  private afterEvent(now: number): void {
    if (this.bursting && this.burstDone()) this.finishBurst(now);
    const r = this.reachable;
    if (r !== this.reachableReported) {
      this.reachableReported = r;
      this.sink.setReachable(r);
    }
  }

  private poll(s: ServerEntry): void {
    const sock = this.socket;
    if (sock === null || s.address === null) return;
    let high = this.random.nextUint32() >>> 0;
    const low = this.random.nextUint32() >>> 0;
    if (high === 0 && low === 0) high = 1;
    encodeSntpRequest(this.tx, high, low);
    this.counters.requests++;
    s.requests++;
    const t1 = this.clock.nowMs();
    s.lastRequestAt = t1;
    let ok: boolean;
    try {
      ok = sock.send(this.tx, s.address, this.options.port) !== false;
    } catch {
      ok = false;
    }
    if (this.bursting) {
      s.burstLeft--;
      s.nextPollAt = t1 + this.options.burstSpacingMs;
    } else {
      s.nextPollAt = t1 + s.intervalMs;
    }
    if (!ok) {
      this.counters.sendFailures++;
      this.pollDone(s, false);
      return;
    }
    s.awaiting = true;
    s.nonceHigh = high;
    s.nonceLow = low;
    s.sentAt = t1;
    s.timeoutAt = t1 + this.options.responseTimeoutMs;
  }

  /**
   * Book-keeping when a poll ends: reachability, adaptive interval,
   * re-resolution. `quiet`: a used sample close to the clock's prediction.
   * Lost polls leave the interval alone (no faster polling of a dead server).
   */
  private pollDone(s: ServerEntry, usable: boolean, quiet = false): void {
    s.reach = ((s.reach << 1) | (usable ? 1 : 0)) & 3;
    if (!this.bursting && usable) {
      const o = this.options;
      s.stable += quiet ? 1 : -1;
      if (s.stable >= o.stablePollsToBackOff) {
        s.stable = 0;
        s.intervalMs = Math.min(s.intervalMs * 2, o.maxPollMs);
      } else if (s.stable <= -o.stablePollsToBackOff) {
        s.stable = 0;
        const floor = Math.max(o.minPollMs, s.minIntervalMs);
        s.intervalMs = Math.max(s.intervalMs / 2, floor);
      }
    }
    if (usable) {
      s.failuresInRow = 0;
    } else {
      if (++s.failuresInRow >= this.options.reresolveAfterFailures) {
        s.failuresInRow = 0;
        this.startResolve(s, this.clock.nowMs());
      }
    }
  }

  // ------------------------------------------------------------ names

  private startResolve(s: ServerEntry, now: number): void {
    const gen = ++s.resolveGen;
    s.state = SntpServerState.RESOLVING;
    s.awaiting = false;
    s.burstLeft = 0;
    s.resolveDeadline = now + this.options.resolveTimeoutMs;
    try {
      this.resolver.resolve(s.name, (address) => {
        if (gen !== s.resolveGen || !this.started) return;
        this.guard(() => {
          const t = this.clock.nowMs();
          this.resolved(s, address, t);
          this.afterEvent(t);
        });
      });
    } catch {
      if (gen === s.resolveGen) {
        s.resolveGen++;
        this.resolveFailed(s, now);
      }
    }
  }

  private resolved(s: ServerEntry, address: string | null, now: number): void {
    s.resolveGen++; // one answer per lookup
    if (typeof address !== "string" || address.length === 0) {
      this.resolveFailed(s, now);
      return;
    }
    if (address === s.deniedAddress) {
      s.state = SntpServerState.DENIED;
      s.nextResolveAt = now + this.options.reresolveMs;
      return;
    }
    const fresh = address !== s.address;
    if (fresh) s.lastRequestAt = -Infinity;
    s.address = address;
    s.state = SntpServerState.READY;
    s.deniedAddress = null;
    s.resolveRetryMs = this.options.burstSpacingMs;
    s.awaiting = false;
    s.intervalMs = Math.max(this.options.minPollMs, s.minIntervalMs);
    // A new address is polled at once, an old one not sooner than its interval allows.
    const earliest = s.lastRequestAt + s.intervalMs;
    s.nextPollAt = earliest > now ? earliest : now;
    // A new address joins a running burst. The same one again (looked up after failed polls) does
    // not: its burst would start over at every lookup and never end while the polls fail.
    if (this.bursting && fresh) this.joinBurst(s, now);
  }

  private resolveFailed(s: ServerEntry, now: number): void {
    this.counters.resolveFailures++;
    s.state = SntpServerState.UNRESOLVED;
    s.nextResolveAt = now + s.resolveRetryMs;
    s.resolveRetryMs = Math.min(s.resolveRetryMs * 2, this.options.maxPollMs);
  }

  // ------------------------------------------------------------ replies

  private reject(reason: SntpRejectReason, s: ServerEntry | null): void {
    this.counters.rejects[reason]++;
    if (s !== null) s.rejects++;
  }

  private handleDatagram(bytes: Uint8Array, address: string, port: number): void {
    if (!this.started) return;
    try {
      const t4 = this.clock.nowMs();
      this.counters.datagrams++;
      this.receive(bytes, address, port, t4);
      this.afterEvent(t4);
    } catch {
      this.counters.internalErrors++;
    }
  }

  private receive(bytes: Uint8Array, address: string, port: number, t4: number): void {
    // Which outstanding request may this answer? Source first, then the echoed nonce.
    let source: ServerEntry | null = null;
    let s: ServerEntry | null = null;
    const long = bytes != null && bytes.length >= NTP_PACKET_SIZE;
    const echoHigh = long ? readUint32(bytes, 24) : -1;
    const echoLow = long ? readUint32(bytes, 28) : -1;
    const list = this.entries;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.state !== SntpServerState.READY || !e.awaiting || e.address !== address || port !== this.options.port) continue;
      source ??= e;
      if (s === null && e.nonceHigh === echoHigh && e.nonceLow === echoLow) s = e;
    }
    if (source === null) {
      this.reject(SntpRejectReason.UNSOLICITED, null);
      return;
    }
    const r = this.reply;
    if (!decodeSntpReply(bytes, r)) {
      this.reject(SntpRejectReason.TOO_SHORT, source);
      return;
    }
    const target = s ?? source;
    const reason = checkSntpReply(r, target.nonceHigh, target.nonceLow);
    if (s === null) {
      // Not an answer to any request of ours: the genuine reply may still come.
      this.reject(reason ?? SntpRejectReason.ORIGIN_MISMATCH, source);
      return;
    }
    s.awaiting = false;
    if (reason !== null) {
      this.reject(reason, s);
      if (reason === SntpRejectReason.KOD_DENY || reason === SntpRejectReason.KOD_RSTR) this.dropServer(s, t4);
      else if (reason === SntpRejectReason.KOD_RATE) this.slowDown(s, t4);
      else this.pollDone(s, false);
      return;
    }
    const o = this.options;
    let pivot = this.sink.utcEstimate(t4);
    if (!Number.isFinite(pivot)) pivot = o.eraPivotUtcMs;
    const t3 = ntpToUtcMs(r.transmitSeconds, r.transmitFraction, pivot);
    const t2 = ntpToUtcMs(r.receiveSeconds, r.receiveFraction, t3);
    const t1 = s.sentAt;
    let delay = t4 - t1 - (t3 - t2);
    if (delay < -NEGATIVE_DELAY_TOLERANCE_MS) {
      this.reject(SntpRejectReason.NEGATIVE_DELAY, s);
      this.pollDone(s, false);
      return;
    }
    if (delay < 0) delay = 0;
    const rootDistance = r.rootDelayMs / 2 + r.rootDispersionMs;
    if (rootDistance > o.maxRootDistanceMs) {
      this.reject(SntpRejectReason.ROOT_DISTANCE, s);
      this.pollDone(s, false);
      return;
    }
    const sample = this.sample;
    sample.monoMs = (t1 + t4) / 2;
    sample.offsetMs = (t2 - t1 + (t3 - t4)) / 2;
    sample.delayMs = delay;
    sample.rootDistanceMs = rootDistance;
    sample.server = s.index;
    this.counters.samples++;
    this.counters.lastStratum = r.stratum;
    this.counters.lastDelayMs = delay;
    s.samples++;
    const predicted = this.sink.utcEstimate(sample.monoMs);
    const residual = sample.offsetMs + sample.monoMs - predicted;
    const verdict = this.sink.addSample(sample);
    if (verdict === SampleVerdict.USED) this.counters.used++;
    else if (verdict === SampleVerdict.PENDING) this.counters.pending++;
    else this.counters.outliers++;
    const quiet = verdict === SampleVerdict.USED && residual <= o.pollBackoffResidualMs && residual >= -o.pollBackoffResidualMs;
    this.pollDone(s, verdict !== SampleVerdict.OUTLIER, quiet);
  }

  private dropServer(s: ServerEntry, now: number): void {
    this.counters.serversDropped++;
    s.state = SntpServerState.DENIED;
    s.deniedAddress = s.address;
    s.address = null;
    s.reach = 0;
    s.burstLeft = 0;
    s.nextResolveAt = now + this.options.reresolveMs;
  }

  private slowDown(s: ServerEntry, now: number): void {
    const cap = this.options.maxPollMs * 4;
    const floor = Math.max(s.minIntervalMs * 2, s.intervalMs * 2);
    s.minIntervalMs = floor < cap ? floor : cap;
    if (s.intervalMs < s.minIntervalMs) s.intervalMs = s.minIntervalMs;
    s.burstLeft = 0;
    s.nextPollAt = now + s.intervalMs;
    s.reach = (s.reach << 1) & 3;
    s.stable = 0;
  }

  // ------------------------------------------------------------ failures

  private openSocket(now: number): void {
    try {
      this.socket = this.udp(this.handlers);
    } catch {
      this.socket = null;
      this.counters.socketFailures++;
      this.nextSocketAt = now + SOCKET_RETRY_MS;
    }
  }

  /** Runs client code; a bug caught here is counted instead of escaping. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch {
      this.counters.internalErrors++;
    }
  }
}
