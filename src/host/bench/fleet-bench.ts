/**
 * `npm run bench:fleet [-- --json] [-- --duration S] [-- --rates a,b,c] [-- --terminals N]`:
 * N terminals in one process against a real mosquitto on loopback at rising
 * rates, each held for `duration` seconds (default 30), measured end to end
 * by a subscriber. A rate counts as sustained when the process kept the
 * generators' schedule (p99 feed lag under 20 ms), every accepted swipe
 * arrived, nothing was lost and p99 swipe-to-subscriber latency stayed under
 * 50 ms; the figure is the rate achieved then (the generators' whole-ms
 * arrival times run a few % below the rate asked for). Prints a table; with
 * --json one JSON object last.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { intOption, type ParsedArgs, parseArgs, stringOption, UsageError } from "../cli-args";
import { runCourse } from "./fleet-course";
import { OsEventClock } from "../os-event-clock";
import { runFleet, type FleetSummary } from "../terminal-fleet";
import { findMosquitto, Mosquitto, MOSQUITTO_MISSING } from "../mosquitto-broker";

const SUSTAINED_P99_MS = 50;
const KEPT_UP_FEED_LAG_P99_MS = 20;

function sustained(s: FleetSummary): boolean {
  return s.drained && s.lost === 0 && s.feed_lag_ms.p99 < KEPT_UP_FEED_LAG_P99_MS && s.latency_ms.p99 < SUSTAINED_P99_MS;
}

export async function runFleetBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    json: "flag",
    duration: "value",
    rates: "value",
    terminals: "value",
    scenario: "value",
    rate: "value",
    storm: "value",
    processes: "value",
    "per-broker": "value",
    sources: "value",
  });
  const scenario = stringOption(args, "scenario", "rates");
  if (scenario === "course") return await courseBench(args);
  if (scenario !== "rates") throw new UsageError(`--scenario is rates (default) or course, not ${scenario}`);
  for (const o of ["rate", "storm", "processes", "per-broker", "sources"]) {
    if (args.options.has(o)) throw new UsageError(`--${o} belongs to --scenario course`);
  }
  const duration = intOption(args, "duration", 30, 1, 3_600);
  const terminals = intOption(args, "terminals", 40, 1, 1_000);
  const rates = stringOption(args, "rates", "2000,5000,8000,10500,12500,14000,16000").split(",").map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new UsageError("--rates must be a comma-separated list of positive numbers");
  if (findMosquitto() === null) {
    process.stderr.write(`bench:fleet needs mosquitto: ${MOSQUITTO_MISSING}\n`);
    return 2;
  }
  const rows: FleetSummary[] = [];
  const lines = [
    `paycard fleet benchmark: ${terminals} terminals in one process → mosquitto (127.0.0.1) → subscriber; ${duration} s per rate; ${os.cpus().length} CPUs`,
    "",
    "   rate/s  achieved/s  feed lag p99     p50 ms     p99 ms     max ms   lost  held at end  dup effects  outbox peak  drained  sustained",
  ];
  process.stdout.write(lines.join("\n") + "\n");
  for (const rate of rates) {
    // The measuring subscriber shares the CPU with 40 terminals and may lag:
    // mosquitto's default queue of 1 000 messages per client would then drop
    // what it cannot queue for it (after PUBACKing the terminal), which is the
    // broker's policy, not a loss by the terminals. Let it queue.
    const m = await Mosquitto.start({ extra: ["max_queued_messages 0"] });
    const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-fleet-bench-"));
    try {
      const s = await runFleet({
        terminals, rate, durationS: duration, seed: 1, stateDir: dir, configOverrides: {},
        broker: { host: "127.0.0.1", port: m.port, tls: false, username: "", password: "" },
        clock: () => new OsEventClock(),
        drainTimeoutMs: 30_000,
      });
      rows.push(s);
      const line =
        `${String(rate).padStart(9)} ${String(s.achieved_rate).padStart(11)} ${s.feed_lag_ms.p99.toFixed(2).padStart(13)} ${s.latency_ms.p50.toFixed(2).padStart(10)} ` +
        `${s.latency_ms.p99.toFixed(2).padStart(10)} ${s.latency_ms.max.toFixed(2).padStart(10)} ${String(s.lost).padStart(6)} ` +
        `${String(s.undelivered_at_end).padStart(12)} ${String(s.dup_effects).padStart(12)} ${String(s.outbox_peak_messages).padStart(12)}  ` +
        `${(s.drained ? "yes" : "no").padStart(7)}  ${sustained(s) ? "yes" : "no"}`;
      process.stdout.write(line + "\n");
    } finally {
      await m.stop();
      await m.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const ok = rows.filter(sustained);
  const at2000 = rows.find((r) => r.rate === 2000);
  const result = {
    max_swipes_per_s: ok.length === 0 ? 0 : Math.max(...ok.map((r) => r.achieved_rate)),
    p50_ms_at_2000: at2000 === undefined ? null : at2000.latency_ms.p50,
    p99_ms_at_2000: at2000 === undefined ? null : at2000.latency_ms.p99,
    lost: rows.reduce((n, r) => n + r.lost, 0),
    dup_effects: rows.reduce((n, r) => n + r.dup_effects, 0),
    terminals,
    duration_s: duration,
  };
  process.stdout.write(
    `\nmax sustained: ${result.max_swipes_per_s} swipes/s (target ≥ 10000); at 2000/s p99 ${result.p99_ms_at_2000} ms (target < 20); lost ${result.lost} (target 0)\n`,
  );
  if (args.options.has("json")) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}

/** This process's open-files limit (RLIMIT_NOFILE, soft), which children inherit. */
function openFilesLimit(): number {
  const r = spawnSync("bash", ["-c", "ulimit -n"], { encoding: "utf8" });
  const n = Number(r.stdout.trim());
  return Number.isInteger(n) && n > 0 ? n : 1_024;
}

/** Descriptors a process keeps for itself besides its connections (its files, pipes, epoll, the thread pool's). */
const SPARE_FDS = 200;

/**
 * `--scenario course`: the course's fleet, 50 000 terminals at 2 000 swipes/s (fleet-course.ts). A
 * broker or a worker process holds at most the open-files limit less SPARE_FDS; the defaults
 * follow from it (a worker keeps two descriptors a terminal: its socket and its journal).
 */
async function courseBench(args: ParsedArgs): Promise<number> {
  if (findMosquitto() === null) {
    process.stderr.write(`bench:fleet needs mosquitto: ${MOSQUITTO_MISSING}\n`);
    return 2;
  }
  const limit = openFilesLimit();
  const terminals = intOption(args, "terminals", 50_000, 1, 1_000_000);
  const perProcess = Math.max(1, Math.floor((limit - SPARE_FDS) / 2));
  const processes = intOption(args, "processes", Math.ceil(terminals / perProcess), 1, 256);
  if (Math.ceil(terminals / processes) > perProcess) {
    throw new UsageError(`--processes ${processes}: ${Math.ceil(terminals / processes)} terminals a process need more than the open-files limit (${limit}) allows (${perProcess})`);
  }
  const perBroker = intOption(args, "per-broker", limit - SPARE_FDS, 1, 1_000_000);
  const sourceList = stringOption(args, "sources", "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5");
  const sources = sourceList === "none" ? [] : sourceList.split(",");
  const o = {
    terminals,
    rate: intOption(args, "rate", 2_000, 1, 1_000_000),
    durationS: intOption(args, "duration", 60, 1, 3_600),
    stormS: intOption(args, "storm", 20, 0, 3_600),
    processes,
    perBroker,
    sources,
    seed: 1,
    connectTimeoutMs: 300_000,
  };
  process.stdout.write(
    `paycard fleet benchmark, course scenario: ${terminals} terminals in ${processes} processes, ${o.rate} swipes/s for ${o.durationS} s, storm ${o.stormS} s; open-files limit ${limit}; ${os.cpus().length} CPUs\n`,
  );
  const r = await runCourse({ ...o, onLine: (l) => process.stdout.write(`  ${l}\n`) });
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  process.stdout.write(
    [
      "",
      `connected        ${r.connected} of ${r.terminals} in ${r.connect_s} s (${r.brokers} brokers; ${r.connect_listen_overflows} connection requests dropped at a full accept queue)   ${met(r.connected === r.terminals)}`,
      `swipes           ${r.swipes} in ${r.duration_s} s (${r.achieved_rate}/s); accepted ${r.accepted} (storm included), received ${r.received}, held at end ${r.held_at_end}`,
      `lost             ${r.lost}   ${met(r.lost === 0)}`,
      `latency          p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, max ${r.latency_ms.max} ms (swipe to subscriber, ${r.latency_ms.samples} samples)   p99 < 200 ms ${met(r.latency_ms.p99 < 200)}`,
      `broker ceiling   ${r.broker_ceiling_msgs_per_s} msgs/s (mosquitto_pub on one of the run's brokers); the fleet's rate is ${(r.rate_share_of_broker_ceiling * 100).toFixed(1)} % of it`,
      `memory           ${r.rss_per_terminal_kb} KB RSS a terminal (workers' RSS / terminals; heap ${r.heap_per_terminal_kb} KB); brokers ${r.brokers_rss_per_connection_kb} KB a connection`,
      r.storm === null
        ? "storm            not run"
        : `storm            every broker restarted (back after ${r.storm.brokers_back_s} s): ${r.storm.reconnected} of ${r.terminals} reconnected ${r.storm.reconnect_s} s after the cut (${r.storm.listen_overflows} requests dropped at a full accept queue); ${r.storm.swipes} swipes meanwhile, their p99 ${r.storm.latency_p99_ms} ms`,
      "",
    ].join("\n"),
  );
  if (args.options.has("json")) process.stdout.write(JSON.stringify(r) + "\n");
  return 0;
}
