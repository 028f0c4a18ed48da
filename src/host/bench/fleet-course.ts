/**
 * bench:fleet's course scenario (`npm run bench:fleet -- --scenario course`): the course's fleet on
 * one host. T terminals (default 50 000), each a whole TerminalApp with its own MQTT session,
 * request ids and journal, spread over P worker processes (fleet-course-worker.ts) and over
 * several loopback source addresses, connected to real mosquitto brokers on 127.0.0.1; R swipes/s
 * in total (default 2 000) for D seconds, measured by one subscriber per broker.
 *
 * Why several brokers and processes: a process here may hold at most RLIMIT_NOFILE descriptors
 * (its hard limit, which only CAP_SYS_RESOURCE raises), so one mosquitto holds at most that many
 * connections, less a few; the terminals are sharded over ceil(T / per-broker) brokers, terminal i
 * on broker i mod K, as a fleet's terminals are sharded over a cluster's nodes. A worker holds two
 * descriptors a terminal (its socket and its journal).
 *
 * Phases: connect (every terminal's session up; the time it took), feed (D s at R: latency
 * swipe-to-subscriber, lost), storm (the brokers restarted at once while feeding goes on: every
 * link cut, then the herd reconnecting with full-jitter backoff; the time until every terminal is
 * connected again), drain (every outbox empty), then the accounting: an accepted swipe is
 * received by a subscriber, still held by its terminal, or lost (must be 0). The broker's own
 * ceiling is measured on one of the run's brokers with mosquitto_pub, flat out, before the
 * terminals connect; the rate is reported as a share of it.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FleetSubscriber, percentile } from "../fleet-subscriber";
import { findMosquittoTool, Mosquitto } from "../mosquitto-broker";
import type { CourseWorkerSetup } from "./fleet-course-worker";
import { makePayload } from "./mqtt-codec-bench";
import { runMosquittoPub } from "./mqtt-qos1-clients";

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(here, "fleet-course-worker.ts");

export interface CourseOptions {
  terminals: number;
  /** Swipes per second, all terminals together. */
  rate: number;
  durationS: number;
  /** Feeding goes on this long around the storm (0: no storm). */
  stormS: number;
  processes: number;
  /** Connections one broker takes at most. */
  perBroker: number;
  sources: string[];
  seed: number;
  /** Longest wait for every terminal to connect, and again after the storm. */
  connectTimeoutMs: number;
  onLine?: (line: string) => void;
}

export interface CourseResult {
  terminals: number;
  connected: number;
  connect_s: number;
  /** Connection requests dropped at a full accept queue while connecting (host-wide; -1: unknown). */
  connect_listen_overflows: number;
  brokers: number;
  processes: number;
  rate: number;
  duration_s: number;
  swipes: number;
  achieved_rate: number;
  accepted: number;
  received: number;
  lost: number;
  held_at_end: number;
  duplicates_received: number;
  latency_ms: { p50: number; p99: number; max: number; samples: number };
  feed_lag_p99_ms: number;
  broker_ceiling_msgs_per_s: number;
  rate_share_of_broker_ceiling: number;
  rss_per_terminal_kb: number;
  heap_per_terminal_kb: number;
  brokers_rss_per_connection_kb: number;
  /** reconnect_s and brokers_back_s count from the cut (SIGTERM to every broker). */
  storm: { reconnected: number; reconnect_s: number; brokers_back_s: number; listen_overflows: number; swipes: number; latency_p99_ms: number } | null;
  retransmits: number;
  reconnects: number;
  declined: number;
  cpus: number;
}

interface Fed {
  swipes: number;
  feedLagP99: number;
}

interface Worker {
  proc: ChildProcess;
  connected: number;
  /** CONNACKs its terminals have had so far. */
  connects: number;
  outboxDepth: number;
  /** Sends a feed command; resolves when the worker has fed it. */
  feed(seconds: number, rate: number): Promise<Fed>;
  report: Promise<WorkerReport>;
}

interface WorkerReport {
  accepted: string[];
  held: string[];
  rssBytes: number;
  heapBytes: number;
  counters: { retransmits: number; reconnects: number; declined: number; rejected: number; internalErrors: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Connection requests the host's listening sockets dropped so far because their accept queue was
 * full (TcpExt ListenOverflows in /proc/net/netstat; -1 when unreadable). mosquitto listens with a
 * backlog of 100: a herd past that waits for its SYN to be retransmitted (1 s, 3 s, 7 s, ...).
 */
function listenOverflows(): number {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((l) => l.startsWith("TcpExt:"));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const i = names.indexOf("ListenOverflows");
    return i < 0 ? -1 : Number(values[i]);
  } catch {
    return -1;
  }
}
const overflowsSince = (before: number) => (before < 0 ? -1 : listenOverflows() - before);

function rssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

function startWorker(setup: CourseWorkerSetup): Worker {
  const proc = fork(WORKER, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let resolveReport!: (r: WorkerReport) => void;
  let rejectReport!: (e: Error) => void;
  let resolveFed: ((f: Fed) => void) | null = null;
  const w: Worker = {
    proc,
    connected: 0,
    connects: 0,
    outboxDepth: 0,
    feed: (seconds, rate) => {
      const fed = new Promise<Fed>((r) => (resolveFed = r));
      proc.send({ type: "feed", seconds, rate });
      return fed;
    },
    report: new Promise<WorkerReport>((res, rej) => {
      resolveReport = res;
      rejectReport = rej;
    }),
  };
  w.report.catch(() => {});
  proc.on("message", (m: { type: string } & Record<string, unknown>) => {
    if (m.type === "progress") {
      w.connected = m.connected as number;
      w.connects = m.connects as number;
      w.outboxDepth = m.outboxDepth as number;
    } else if (m.type === "fed") resolveFed?.(m as never);
    else if (m.type === "report") resolveReport(m as never);
  });
  proc.on("exit", (code) => rejectReport(new Error(`course worker from terminal ${setup.first} exited (${String(code)}) before reporting`)));
  proc.send({ type: "setup", setup });
  return w;
}

/** Waits until `what()` holds (true) or `timeoutMs` has passed (false), calling `meanwhile` every 10 s. */
async function until(what: () => boolean, timeoutMs: number, meanwhile: () => void = () => {}): Promise<boolean> {
  const start = performance.now();
  let told = start;
  while (!what()) {
    const now = performance.now();
    if (now - start > timeoutMs) return false;
    if (now - told >= 10_000) {
      told = now;
      meanwhile();
    }
    await sleep(50);
  }
  return true;
}

export async function runCourse(o: CourseOptions): Promise<CourseResult> {
  const say = o.onLine ?? (() => {});
  const brokerCount = Math.ceil(o.terminals / o.perBroker);
  const brokers: Mosquitto[] = [];
  const subscribers: FleetSubscriber[] = [];
  const workers: Worker[] = [];
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "paycard-fleet-course-"));
  try {
    for (let k = 0; k < brokerCount; k++) {
      // max_queued_messages 0: the subscriber's queue is not the terminals' loss (see fleet-bench.ts).
      brokers.push(await Mosquitto.start({ extra: ["max_queued_messages 0", "max_connections -1"] }));
    }
    // The broker's ceiling, on the first broker, before the terminals.
    const pub = findMosquittoTool("mosquitto_pub");
    let ceiling = 0;
    if (pub !== null) {
      const n = 20_000;
      const lines = path.join(stateDir, "ceiling.txt");
      const payload = makePayload(256).toString("latin1");
      writeFileSync(lines, `${payload}\n`.repeat(n));
      const run = await runMosquittoPub(pub, brokers[0]!.port, { n, window: 32, rate: 0 }, payload, lines, `course-ceiling-${process.pid}`);
      ceiling = Math.round((n * 1000) / run.ms);
    }
    say(`brokers: ${brokerCount} mosquitto on 127.0.0.1 (at most ${o.perBroker} connections each); ceiling ${ceiling.toLocaleString("en")} msgs/s (mosquitto_pub, flat out)`);

    const all = { has: () => true };
    for (const b of brokers) {
      const s = await FleetSubscriber.connect({ host: "127.0.0.1", port: b.port, tls: false, username: "", password: "" }, "paycard");
      s.expected = all;
      subscribers.push(s);
    }

    // ---- connect
    const per = Math.ceil(o.terminals / o.processes);
    const t0 = performance.now();
    const overflowsAtStart = listenOverflows();
    for (let p = 0; p < o.processes; p++) {
      const first = p * per;
      const count = Math.min(per, o.terminals - first);
      if (count <= 0) break;
      workers.push(
        startWorker({
          first,
          count,
          brokers: brokers.map((b) => b.port),
          sources: o.sources,
          stateDir,
          seed: o.seed,
          startPerTick: 100,
        }),
      );
    }
    const connectedNow = () => workers.reduce((n, w) => n + w.connected, 0);
    const connectsNow = () => workers.reduce((n, w) => n + w.connects, 0);
    const allUp = await until(
      () => connectedNow() === o.terminals,
      o.connectTimeoutMs,
      () => say(`connecting: ${connectedNow()} of ${o.terminals} after ${((performance.now() - t0) / 1_000).toFixed(0)} s`),
    );
    const connectS = (performance.now() - t0) / 1_000;
    const connected = connectedNow();
    const connectOverflows = overflowsSince(overflowsAtStart);
    say(`connected: ${connected} of ${o.terminals} in ${connectS.toFixed(1)} s over ${workers.length} processes${allUp ? "" : " (timed out)"}`);

    // ---- feed
    const feed = async (seconds: number, during?: () => Promise<void>) => {
      const fed = Promise.all(workers.map((w) => w.feed(seconds, o.rate / workers.length)));
      if (during !== undefined) await during();
      return await fed;
    };
    const latencies = () => subscribers.flatMap((s) => s.latencies);
    const fed = await feed(o.durationS);
    const steadyLatencies = latencies();
    const swipes = fed.reduce((n, f) => n + f.swipes, 0);
    // Workers count their swipes from the start: the storm's are what its feed added.
    say(`fed: ${swipes} swipes in ${o.durationS} s; p99 latency so far ${percentile(steadyLatencies, 99).toFixed(1)} ms`);

    // ---- storm
    let storm: CourseResult["storm"] = null;
    if (o.stormS > 0) {
      const before = steadyLatencies.length;
      let reconnectS = Number.NaN;
      let brokersBackS = Number.NaN;
      let stormOverflows = -1;
      let reconnected = 0;
      const stormFed = await feed(o.stormS, async () => {
        await sleep(1_000);
        const cut = performance.now();
        const connectsBefore = connectsNow();
        const overflowsBefore = listenOverflows();
        // A broker with ~20 000 persistent sessions takes seconds to save them at SIGTERM: let it.
        await Promise.all(brokers.map((b) => b.restart(60_000)));
        brokersBackS = (performance.now() - cut) / 1_000;
        // Every terminal has had a CONNACK since the cut (the progress reports are up to 250 ms old).
        const ok = await until(
          () => connectsNow() - connectsBefore >= o.terminals && connectedNow() === o.terminals,
          o.connectTimeoutMs,
          () => say(`storm: ${connectedNow()} of ${o.terminals} connected after ${((performance.now() - cut) / 1_000).toFixed(0)} s`),
        );
        reconnected = connectedNow();
        reconnectS = (performance.now() - cut) / 1_000;
        stormOverflows = overflowsSince(overflowsBefore);
        say(`storm: every broker restarted (accepting again ${brokersBackS.toFixed(1)} s after the cut); ${reconnected} of ${o.terminals} reconnected ${reconnectS.toFixed(1)} s after the cut${ok ? "" : " (timed out)"}`);
      });
      storm = {
        reconnected,
        reconnect_s: Math.round(reconnectS * 10) / 10,
        brokers_back_s: Math.round(brokersBackS * 10) / 10,
        listen_overflows: stormOverflows,
        swipes: stormFed.reduce((n, f) => n + f.swipes, 0) - swipes,
        latency_p99_ms: Math.round(percentile(latencies().slice(before), 99) * 10) / 10,
      };
    }

    // ---- drain and account
    const brokerRssKb = brokers.reduce((n, b) => n + rssKb(b.pid ?? 0), 0);
    for (const w of workers) w.proc.send({ type: "drain", timeoutMs: 30_000 });
    const reports = await Promise.all(workers.map((w) => w.report));
    await sleep(500); // the last PUBACKed messages on their way to the subscribers
    const received = new Set<string>();
    let duplicates = 0;
    for (const s of subscribers) {
      for (const id of s.requestIds) received.add(id);
      duplicates += s.tally.txDuplicates;
    }
    const held = new Set<string>();
    for (const r of reports) for (const id of r.held) held.add(id);
    let accepted = 0;
    let lost = 0;
    let heldAtEnd = 0;
    for (const r of reports) {
      for (const id of r.accepted) {
        accepted++;
        if (received.has(id)) continue;
        if (held.has(id)) heldAtEnd++;
        else lost++;
      }
    }
    const sum = (f: (r: WorkerReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    const r1 = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : -1);
    return {
      terminals: o.terminals,
      connected,
      connect_s: r1(connectS),
      connect_listen_overflows: connectOverflows,
      brokers: brokerCount,
      processes: workers.length,
      rate: o.rate,
      duration_s: o.durationS,
      swipes,
      achieved_rate: Math.round(swipes / o.durationS),
      accepted,
      received: received.size,
      lost,
      held_at_end: heldAtEnd,
      duplicates_received: duplicates,
      latency_ms: { p50: r1(percentile(steadyLatencies, 50)), p99: r1(percentile(steadyLatencies, 99)), max: r1(percentile(steadyLatencies, 100)), samples: steadyLatencies.length },
      feed_lag_p99_ms: r1(Math.max(...fed.map((f) => f.feedLagP99))),
      broker_ceiling_msgs_per_s: ceiling,
      rate_share_of_broker_ceiling: ceiling > 0 ? Math.round((o.rate / ceiling) * 1_000) / 1_000 : -1,
      rss_per_terminal_kb: r1(sum((r) => r.rssBytes) / 1024 / o.terminals),
      heap_per_terminal_kb: r1(sum((r) => r.heapBytes) / 1024 / o.terminals),
      brokers_rss_per_connection_kb: r1(brokerRssKb / o.terminals),
      storm,
      retransmits: sum((r) => r.counters.retransmits),
      reconnects: sum((r) => r.counters.reconnects),
      declined: sum((r) => r.counters.declined),
      cpus: os.cpus().length,
    };
  } finally {
    for (const w of workers) if (w.proc.exitCode === null) w.proc.kill("SIGKILL");
    for (const s of subscribers) await s.close().catch(() => {});
    for (const b of brokers) await b.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
