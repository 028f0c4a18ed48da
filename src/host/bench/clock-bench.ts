/**
 * `npm run bench:clock [-- --json] [-- --hours H] [-- --seeds N]`: the SNTP
 * client and disciplined clock in the seeded network simulation
 * (src/sim/ntp-simulation.ts): event-time error after
 * convergence for jitter 0/10/50 ms × drift 0/±100 ppm, then loss, holdover,
 * hostile servers. Deterministic. Prints a table; with --json, one JSON
 * object on the last line for the 50 ms-jitter, +100 ppm scenario (worst
 * over the seeds) and whether the holdover bound held in every run.
 */
import type { SimResult, SimScenario } from "../../sim/ntp-simulation";
import { runNtpSimulation, threeServers } from "../../sim/ntp-simulation";
import { intOption, parseArgs } from "../cli-args";

interface Row {
  name: string;
  runs: SimResult[];
}

const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const worst = (rs: SimResult[], f: (r: SimResult) => number) => rs.reduce((m, r) => (f(r) > m || Number.isNaN(f(r)) ? f(r) : m), -Infinity);

function scenario(name: string, base: Omit<SimScenario, "seed">, seeds: number): Row {
  const runs: SimResult[] = [];
  for (let s = 1; s <= seeds; s++) runs.push(runNtpSimulation({ ...base, seed: s * 7919, name }));
  return { name, runs };
}

export async function runClockBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { json: "flag", hours: "value", seeds: "value" });
  const hours = intOption(args, "hours", 12, 1, 240);
  const seeds = intOption(args, "seeds", 3, 1, 100);
  const durationS = hours * 3600;
  const common = { durationS, wanderPpm: 1, wanderPeriodS: 86_400, lossRate: 0.05 };

  const rows: Row[] = [];
  for (const jitterMs of [0, 10, 50]) {
    for (const driftPpm of [0, 100, -100]) {
      rows.push(scenario(`jitter ${jitterMs} ms, drift ${driftPpm > 0 ? "+" : ""}${driftPpm} ppm`, { ...common, jitterMs, driftPpm, servers: threeServers() }, seeds));
    }
  }
  const headline = rows.find((r) => r.name === "jitter 50 ms, drift +100 ppm")!;
  rows.push(scenario("50 ms, +100 ppm, 30 % loss", { ...common, jitterMs: 50, driftPpm: 100, lossRate: 0.3, servers: threeServers() }, seeds));
  const outage = { fromS: durationS / 2, toS: durationS / 2 + 7200 };
  const holdover = scenario("50 ms, +100 ppm, 2 h outage", { ...common, jitterMs: 50, driftPpm: 100, outage, servers: threeServers() }, seeds);
  rows.push(holdover);
  const hostile = threeServers();
  hostile[0] = { ...hostile[0]!, spoofer: true, kod: { code: "RATE", fromS: 600, toS: 1200 } };
  hostile[1] = { ...hostile[1]!, stepAtS: durationS / 3, stepMs: 3000 };
  rows.push(scenario("50 ms, -100 ppm, spoofer+RATE, 3 s step", { ...common, jitterMs: 50, driftPpm: -100, servers: hostile }, seeds));
  const deny = threeServers();
  deny[2] = { ...deny[2]!, kod: { code: "DENY", fromS: 1800 } };
  rows.push(scenario("10 ms, +100 ppm, one server DENY", { ...common, jitterMs: 10, driftPpm: 100, servers: deny }, seeds));

  const holdoverHeld = holdover.runs.every((r) => r.holdoverProbes > 0 && r.holdoverBoundViolations === 0);
  const result = {
    converge_s: round(worst(headline.runs, (r) => r.convergeS)),
    p50_ms: round(worst(headline.runs, (r) => r.p50Ms), 2),
    p99_ms: round(worst(headline.runs, (r) => r.p99Ms), 2),
    max_ms: round(worst(headline.runs, (r) => r.maxMs), 2),
    holdover_bound_held: holdoverHeld,
  };

  const lines = [
    `paycard clock benchmark — SNTP client + disciplined clock, seeded simulation (${hours} h per run, worst of ${seeds} seeds)`,
    "3 servers, asymmetric paths (±1.5 ms), queueing uniform in [0, jitter] each way, 5 % loss, wander ±1 ppm/24 h;",
    "errors are |event time − true UTC| after convergence (within 10 ms for 5 min), holdover readings excluded",
    "",
    "scenario                                   converge_s   p50_ms   p99_ms   max_ms  bound_p50  bound_ok  requests  rejects  outliers",
    ...rows.map((r) => {
      const rs = r.runs;
      const boundOk = rs.every((x) => x.boundViolations === 0 && x.monotonicViolations === 0);
      const rejects = rs.reduce((n, x) => n + Object.values(x.client.rejects).reduce((a, b) => a + b, 0), 0);
      return (
        `${r.name.padEnd(42)} ${String(round(worst(rs, (x) => x.convergeS))).padStart(10)} ${round(worst(rs, (x) => x.p50Ms), 2).toFixed(2).padStart(8)} ` +
        `${round(worst(rs, (x) => x.p99Ms), 2).toFixed(2).padStart(8)} ${round(worst(rs, (x) => x.maxMs), 2).toFixed(2).padStart(8)} ` +
        `${round(worst(rs, (x) => x.medianBoundMs), 1).toFixed(1).padStart(10)} ${(boundOk ? "yes" : "NO").padStart(9)} ` +
        `${String(Math.round(rs.reduce((n, x) => n + x.client.requests, 0) / rs.length)).padStart(9)} ${String(rejects).padStart(8)} ` +
        `${String(rs.reduce((n, x) => n + x.telemetry.outliers, 0)).padStart(9)}`
      );
    }),
    "",
    `holdover (2 h outage): bound held in every run: ${holdoverHeld ? "yes" : "NO"}; worst error ${round(worst(holdover.runs, (r) => r.holdoverMaxErrorMs), 2)} ms ` +
      `under a bound of up to ${round(worst(holdover.runs, (r) => r.holdoverMaxBoundMs), 1)} ms`,
    `headline (50 ms jitter, +100 ppm): p99 ${result.p99_ms} ms (target < 10 ms), converged within ${result.converge_s} s`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  if (args.options.has("json")) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
