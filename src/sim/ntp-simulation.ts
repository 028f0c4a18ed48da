/**
 * Deterministic simulation of the SNTP client and the disciplined clock
 * against simulated NTP servers, engine-neutral (runs under XS too) and
 * seeded: the same scenario gives the same numbers everywhere.
 *
 * Model:
 * - True time t (ms since the start); true UTC = startUtcMs + t.
 * - The terminal's monotonic clock runs fast by driftPpm plus a sinusoidal
 *   wander (temperature) of ±wanderPpm over wanderPeriodS:
 *     mono(t) = mono0 + t·(1 + drift) + wander·P/2π·(1 − cos 2πt/P).
 * - Each datagram is lost with probability lossRate; otherwise it takes the
 *   path's base one-way delay plus a queueing delay drawn uniformly from
 *   [0, jitter] (independently per direction: "jitter up to J ms"), so the
 *   exchange is asymmetric both by construction (outMs ≠ backMs) and by
 *   chance. Servers answer after 0.05-0.5 ms of processing.
 * - Servers can lie (offsetMs), step (stepAtS/stepMs), go silent, send
 *   Kiss-o'-Death, echo a wrong originate, and an attacker can inject a
 *   forged reply ahead of each genuine one.
 * - Events (the app reading the clock, "swipes") come at exponential
 *   intervals; each is scored against true UTC.
 * The client is driven exactly at `nextActionAt()`; datagrams are delivered
 * at their exact arrival times.
 */
import type { ClockDisciplineOptions } from "../core/clock/discipline/clock-discipline-options";
import type { DatagramHandlers, DatagramSocket } from "../core/clock/clock-ports";
import type { ClockReading } from "../core/clock/clock-reading";
import { ClockState, createClockReading } from "../core/clock/clock-reading";
import type { DisciplinedClockTelemetry } from "../core/clock/discipline/disciplined-clock";
import { DisciplinedClock } from "../core/clock/discipline/disciplined-clock";
import { writeNtpTimestamp, writeUint32 } from "../core/clock/sntp/ntp-timestamp";
import type { SntpClientCounters } from "../core/clock/sntp/sntp-client";
import { SntpClient } from "../core/clock/sntp/sntp-client";
import type { SntpClientOptions } from "../core/clock/sntp/sntp-client-options";
import { KISS_DENY, KISS_RATE, KISS_RSTR } from "../core/clock/sntp/sntp-reply-check";
import { SeededRandom } from "./seeded-random";

export interface SimServer {
  /** Name given to the client; the resolver maps it to `address`. */
  name: string;
  address: string;
  /** Base one-way delays, client to server and back. */
  outMs: number;
  backMs: number;
  /** Largest queueing delay per direction; default the scenario's jitterMs. */
  jitterOutMs?: number;
  jitterBackMs?: number;
  /** The server's clock error (a falseticker when large). */
  offsetMs?: number;
  /** From stepAtS on, the server's clock is off by a further stepMs. */
  stepAtS?: number;
  stepMs?: number;
  /** No answers in [silentFromS, silentToS). */
  silentFromS?: number;
  silentToS?: number;
  /** Kiss-o'-Death instead of answers in [fromS, toS). */
  kod?: { code: "DENY" | "RSTR" | "RATE"; fromS: number; toS?: number };
  /** The server echoes a wrong originate in every reply. */
  wrongOrigin?: boolean;
  /** An attacker on the path injects a forged reply (wrong originate, time +5 s) 1 ms before each genuine one. */
  spoofer?: boolean;
  stratum?: number;
  leap?: number;
  rootDelayMs?: number;
  rootDispersionMs?: number;
}

export interface SimScenario {
  name?: string;
  seed: number;
  durationS: number;
  /** True UTC at the start. Default 2026-03-01T00:00:00Z. */
  startUtcMs?: number;
  /** The monotonic clock runs fast by this (negative: slow). */
  driftPpm: number;
  wanderPpm?: number;
  wanderPeriodS?: number;
  /** Default largest queueing delay per direction. */
  jitterMs: number;
  lossRate?: number;
  servers: SimServer[];
  /** Every server silent in [fromS, toS). */
  outage?: { fromS: number; toS: number };
  /** Mean seconds between event reads. Default 5. */
  probeMeanS?: number;
  /** Convergence: |error| within this ... Default 10 ms. */
  convergeToleranceMs?: number;
  /** ... for this long. Default 300 s. */
  convergeHoldS?: number;
  resolveDelayMs?: number;
  client?: Partial<SntpClientOptions>;
  clock?: ClockDisciplineOptions;
}

export interface SimResult {
  name: string;
  /** Seconds from start until |error| stayed within the tolerance for convergeHoldS (default 10 ms for 5 min); NaN if never. */
  convergeS: number;
  /** Seconds from start until the first sync; NaN if never. */
  firstSyncS: number;
  /** |event-time error| after convergence, outside holdover. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  scored: number;
  probes: number;
  /** Synced or holdover readings whose |error| exceeded their error bound. */
  boundViolations: number;
  /** Largest |error| / bound ratio over synced and holdover readings. */
  worstBoundRatio: number;
  holdoverProbes: number;
  holdoverBoundViolations: number;
  holdoverMaxErrorMs: number;
  holdoverMaxBoundMs: number;
  /** Readings not strictly above the previous one (expected 0). */
  monotonicViolations: number;
  /** Events read before the first sync, back-dated at the first synced reading. */
  backdated: number;
  backdateMaxErrorMs: number;
  backdateBoundViolations: number;
  /** Median error bound of scored readings. */
  medianBoundMs: number;
  finalState: ClockState;
  spoofsSent: number;
  serverRequests: number[];
  /** Smallest spacing between two requests to one server outside bursts, s. */
  minSteadySpacingS: number;
  client: SntpClientCounters;
  telemetry: DisciplinedClockTelemetry;
  /** Last state seen while the outage lasted (if any). */
  stateInOutage: ClockState | "";
}

const DEFAULT_START_UTC_MS = 1772323200000; // 2026-03-01T00:00:00Z
const MONO0 = 5000;
const TWO_PI = 2 * Math.PI;

interface SimEvent {
  at: number;
  fn: () => void;
}

/** The simulation's pending events, earliest first. */
class EventQueue {
  private readonly items: SimEvent[] = [];
  get nextAt(): number {
    return this.items.length === 0 ? Infinity : this.items[0]!.at;
  }
  push(at: number, fn: () => void): void {
    const a = this.items;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    a.splice(lo, 0, { at, fn });
  }
  pop(): SimEvent {
    return this.items.shift()!;
  }
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function runNtpSimulation(sc: SimScenario): SimResult {
  const rnd = new SeededRandom(sc.seed);
  const clientRandom = new SeededRandom((sc.seed * 2654435761) >>> 0);
  const startUtc = sc.startUtcMs ?? DEFAULT_START_UTC_MS;
  const drift = sc.driftPpm * 1e-6;
  const wander = (sc.wanderPpm ?? 0) * 1e-6;
  const period = (sc.wanderPeriodS ?? 6 * 3600) * 1000;
  const loss = sc.lossRate ?? 0;
  const endMs = sc.durationS * 1000;
  const probeMeanMs = (sc.probeMeanS ?? 5) * 1000;
  const tol = sc.convergeToleranceMs ?? 10;
  const holdMs = (sc.convergeHoldS ?? 300) * 1000;
  const resolveDelay = sc.resolveDelayMs ?? 20;

  let t = 0;
  const monoAt = (x: number): number => MONO0 + x * (1 + drift) + (wander * period / TWO_PI) * (1 - Math.cos((TWO_PI * x) / period));
  const trueAtMono = (m: number): number => {
    if (!Number.isFinite(m)) return m;
    let x = (m - MONO0) / (1 + drift);
    for (let i = 0; i < 4; i++) x -= (monoAt(x) - m) / (1 + drift + wander * Math.sin((TWO_PI * x) / period));
    return x;
  };

  const queue = new EventQueue();
  const clockPort = { nowMs: () => monoAt(t) };
  const clock = new DisciplinedClock(clockPort, sc.clock ?? {});
  let handlers: DatagramHandlers | null = null;
  let spoofsSent = 0;
  const serverRequests = sc.servers.map(() => 0);
  const lastSteadyRequestAt = sc.servers.map(() => -Infinity);
  let minSteadySpacing = Infinity;
  const byAddress = new Map<string, number>();
  sc.servers.forEach((s, i) => byAddress.set(s.address, i));

  const inOutage = (x: number): boolean => sc.outage !== undefined && x >= sc.outage.fromS * 1000 && x < sc.outage.toS * 1000;

  const client = new SntpClient(
    { servers: sc.servers.map((s) => s.name), ...(sc.client ?? {}) },
    {
      clock: clockPort,
      random: clientRandom,
      resolver: {
        resolve(name, done) {
          const s = sc.servers.find((x) => x.name === name);
          queue.push(t + resolveDelay, () => done(s === undefined ? null : s.address));
        },
      },
      udp: (h) => {
        handlers = h;
        const socket: DatagramSocket = {
          send(bytes, address, port) {
            const i = byAddress.get(address);
            if (i === undefined) return true;
            const copy = bytes.slice();
            serverRequests[i]!++;
            if (!client.inBurst) {
              const spacing = t - lastSteadyRequestAt[i]!;
              if (spacing < minSteadySpacing) minSteadySpacing = spacing;
              lastSteadyRequestAt[i] = t;
            } else {
              lastSteadyRequestAt[i] = -Infinity;
            }
            serve(i, copy, port);
            return true;
          },
          close() {
            handlers = null;
          },
        };
        return socket;
      },
    },
    clock,
  );

  function serve(i: number, request: Uint8Array, port: number): void {
    const s = sc.servers[i]!;
    if (rnd.next() < loss) return;
    const jOut = s.jitterOutMs ?? sc.jitterMs;
    const jBack = s.jitterBackMs ?? sc.jitterMs;
    const arrive = t + s.outMs + jOut * rnd.next();
    const arriveS = arrive / 1000;
    const proc = 0.05 + 0.45 * rnd.next();
    const back = s.backMs + jBack * rnd.next();
    const lostBack = rnd.next() < loss;
    const nonce = rnd.nextUint32();
    if (inOutage(arrive)) return;
    if (s.silentFromS !== undefined && arriveS >= s.silentFromS && arriveS < (s.silentToS ?? Infinity)) return;
    if (request.length < 48 || (request[0]! & 7) !== 3 || ((request[0]! >> 3) & 7) !== 4) return;
    let serverOffset = s.offsetMs ?? 0;
    if (s.stepAtS !== undefined && arriveS >= s.stepAtS) serverOffset += s.stepMs ?? 0;
    const t2 = startUtc + arrive + serverOffset;
    const t3 = t2 + proc;
    const reply = new Uint8Array(48);
    const kod = s.kod !== undefined && arriveS >= s.kod.fromS && arriveS < (s.kod.toS ?? Infinity) ? s.kod.code : null;
    reply[0] = ((s.leap ?? 0) << 6) | (4 << 3) | 4;
    reply[1] = kod !== null ? 0 : (s.stratum ?? 2);
    reply[2] = 6;
    reply[3] = 0xec; // precision 2^-20 s
    writeUint32(reply, 4, Math.round(((s.rootDelayMs ?? 1) * 65536) / 1000));
    writeUint32(reply, 8, Math.round(((s.rootDispersionMs ?? 0.5) * 65536) / 1000));
    writeUint32(reply, 12, kod === "DENY" ? KISS_DENY : kod === "RSTR" ? KISS_RSTR : kod === "RATE" ? KISS_RATE : 0xc0a80001);
    writeNtpTimestamp(reply, 16, t2 - 16000);
    reply.set(request.subarray(40, 48), 24);
    if (s.wrongOrigin === true) writeUint32(reply, 28, nonce);
    writeNtpTimestamp(reply, 32, t2);
    writeNtpTimestamp(reply, 40, t3);
    const deliverAt = arrive + proc + back;
    if (s.spoofer === true) {
      const forged = reply.slice();
      writeUint32(forged, 24, nonce);
      writeNtpTimestamp(forged, 32, t2 + 5000);
      writeNtpTimestamp(forged, 40, t3 + 5000);
      spoofsSent++;
      queue.push(deliverAt - 1, () => handlers?.onDatagram(forged, s.address, port));
    }
    if (lostBack) return;
    queue.push(deliverAt, () => handlers?.onDatagram(reply, s.address, port));
  }

  // Scoring.
  const times: number[] = [];
  const errors: number[] = [];
  const bounds: number[] = [];
  const states: ClockState[] = [];
  const reading: ClockReading = createClockReading();
  const second: ClockReading = createClockReading();
  let lastUtc = -Infinity;
  let monotonicViolations = 0;
  const unsyncedMono: number[] = [];
  const unsyncedTrue: number[] = [];
  let backdateMaxError = 0;
  let backdateViolations = 0;
  let backdated = 0;
  let firstSyncS = NaN;
  let stateInOutage: ClockState | "" = "";
  const back = createClockReading();

  const probe = (): void => {
    clock.now(reading);
    const trueUtc = startUtc + t;
    if (!(reading.utcMs > lastUtc)) monotonicViolations++;
    clock.now(second); // same instant: must still be strictly later
    if (!(second.utcMs > reading.utcMs)) monotonicViolations++;
    lastUtc = second.utcMs;
    if (inOutage(t)) stateInOutage = reading.state;
    if (reading.state === ClockState.UNSYNCED) {
      unsyncedMono.push(reading.monoMs);
      unsyncedTrue.push(trueUtc);
    } else {
      if (Number.isNaN(firstSyncS)) firstSyncS = t / 1000;
      if (unsyncedMono.length > 0) {
        for (let i = 0; i < unsyncedMono.length; i++) {
          const r = clock.utcAtMonotonic(unsyncedMono[i]!, back);
          if (r === null) continue;
          const e = Math.abs(r.utcMs - unsyncedTrue[i]!);
          backdated++;
          if (e > backdateMaxError) backdateMaxError = e;
          if (e > r.errorBoundMs) backdateViolations++;
        }
        unsyncedMono.length = 0;
        unsyncedTrue.length = 0;
      }
    }
    times.push(t);
    errors.push(reading.utcMs - trueUtc);
    bounds.push(reading.errorBoundMs);
    states.push(reading.state);
  };

  client.start();
  let nextProbe = -Math.log(1 - rnd.next()) * probeMeanMs;
  let lastTickAt = -1;
  while (t < endMs) {
    let tickAt = trueAtMono(client.nextActionAt());
    if (tickAt <= lastTickAt) tickAt = lastTickAt + 1;
    const evAt = queue.nextAt;
    const next = Math.min(evAt, tickAt, nextProbe, endMs);
    if (next > t) t = next;
    if (t >= endMs) break;
    if (evAt <= t && evAt <= tickAt && evAt <= nextProbe) {
      queue.pop().fn();
    } else if (tickAt <= t && tickAt <= nextProbe) {
      lastTickAt = t;
      client.tick();
    } else {
      probe();
      nextProbe = t + -Math.log(1 - rnd.next()) * probeMeanMs;
    }
  }

  // Convergence: first synced reading after which |error| stayed within tol for holdMs.
  const n = times.length;
  let convergeIndex = -1;
  let runStart = -1;
  for (let i = 0; i < n; i++) {
    const ok = states[i] !== ClockState.UNSYNCED && Math.abs(errors[i]!) <= tol;
    if (!ok) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = i;
    if (times[i]! - times[runStart]! >= holdMs) {
      convergeIndex = runStart;
      break;
    }
  }
  let boundViolations = 0;
  let worstRatio = 0;
  let holdoverProbes = 0;
  let holdoverViolations = 0;
  let holdoverMaxError = 0;
  let holdoverMaxBound = 0;
  for (let i = 0; i < n; i++) {
    if (states[i] === ClockState.UNSYNCED) continue;
    const e = Math.abs(errors[i]!);
    const ratio = e / bounds[i]!;
    if (ratio > worstRatio) worstRatio = ratio;
    if (e > bounds[i]!) boundViolations++;
    if (states[i] === ClockState.HOLDOVER) {
      holdoverProbes++;
      if (e > bounds[i]!) holdoverViolations++;
      if (e > holdoverMaxError) holdoverMaxError = e;
      if (bounds[i]! > holdoverMaxBound) holdoverMaxBound = bounds[i]!;
    }
  }
  const scored: number[] = [];
  const scoredBounds: number[] = [];
  if (convergeIndex >= 0) {
    for (let i = convergeIndex; i < n; i++) {
      if (states[i] !== ClockState.SYNCED) continue;
      scored.push(Math.abs(errors[i]!));
      scoredBounds.push(bounds[i]!);
    }
  }
  const sorted = Float64Array.from(scored).sort();
  const sortedBounds = Float64Array.from(scoredBounds).sort();
  return {
    name: sc.name ?? "",
    convergeS: convergeIndex >= 0 ? times[convergeIndex]! / 1000 : NaN,
    firstSyncS,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
    scored: sorted.length,
    probes: n,
    boundViolations,
    worstBoundRatio: worstRatio,
    holdoverProbes,
    holdoverBoundViolations: holdoverViolations,
    holdoverMaxErrorMs: holdoverMaxError,
    holdoverMaxBoundMs: holdoverMaxBound,
    monotonicViolations,
    backdated,
    backdateMaxErrorMs: backdateMaxError,
    backdateBoundViolations: backdateViolations,
    medianBoundMs: percentile(sortedBounds, 0.5),
    finalState: clock.state,
    spoofsSent,
    serverRequests,
    minSteadySpacingS: minSteadySpacing / 1000,
    client: client.counters,
    telemetry: { ...clock.telemetry() },
    stateInOutage,
  };
}

/** Three well-behaved servers with different, asymmetric paths. */
export function threeServers(): SimServer[] {
  return [
    { name: "0.pool.example", address: "192.0.2.10", outMs: 6, backMs: 9 },
    { name: "1.pool.example", address: "192.0.2.20", outMs: 14, backMs: 11 },
    { name: "2.pool.example", address: "192.0.2.30", outMs: 22, backMs: 25 },
  ];
}
