import { existsSync, readFileSync } from "node:fs";
import type { EventClockPort } from "../core/app/event-clock";
import { intOption, numberOption, parseArgs, stringOption, UsageError } from "./cli-args";
import { checkBroker } from "./broker-preflight";
import { EmbeddedBroker } from "./embedded-broker";
import type { BrokerAddress } from "./fleet-subscriber";
import { OsEventClock } from "./os-event-clock";
import { runFleet, type FleetProgress, type FleetSummary } from "./terminal-fleet";
import type { DetectionScore } from "./detection-score";
import { mosquittoSubLine, watchLine } from "./watch-lines";

/** mqtt://[user[:password]@]host[:port] or mqtts://… */
export function parseBrokerUrl(url: string): BrokerAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--broker must be a URL like mqtt://127.0.0.1:1883, got ${url}`);
  }
  if (u.protocol !== "mqtt:" && u.protocol !== "mqtts:") throw new UsageError(`--broker must use mqtt:// or mqtts://, got ${u.protocol}//`);
  const tls = u.protocol === "mqtts:";
  const port = u.port === "" ? (tls ? 8883 : 1883) : Number(u.port);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port,
    tls,
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

function fmt(v: number | null): string {
  return v === null ? "-" : String(v);
}

function progressLine(p: FleetProgress): string {
  return (
    `[${p.elapsedS.toFixed(1).padStart(5)} s] swipes ${p.swipes}  accepted ${p.accepted}  published ${p.published}  ` +
    `acked ${p.acked}  outbox ${p.outboxDepth}  alerts ${p.alerts}`
  );
}

export function summaryTable(s: FleetSummary, brokerName: string): string {
  const row = (name: string, d: DetectionScore) =>
    `  ${name.padEnd(14)} ${String(d.injected).padStart(8)} ${String(d.detected).padStart(9)} ${String(d.alerts).padStart(7)} ${fmt(d.precision).padStart(10)} ${fmt(d.recall).padStart(7)}`;
  return [
    `paycard run: ${s.terminals} terminal(s), ${s.rate} swipes/s for ${s.duration_s} s (seed ${s.seed}), broker ${brokerName}`,
    `  swipes      ${String(s.swipes).padStart(9)}   (${s.achieved_rate}/s achieved)`,
    `  accepted    ${String(s.accepted).padStart(9)}   declined ${s.declined}   rejected ${s.rejects}   held for time ${s.held_for_time}`,
    `  published   ${String(s.published).padStart(9)}   acked ${s.acked}   received ${s.received}   retransmits ${s.retransmits}   reconnects ${s.reconnects}`,
    `  late        ${String(s.late).padStart(9)}   telemetry dropped ${s.telemetry_dropped}   outbox peak ${s.outbox_peak_messages} msgs`,
    `  latency     p50 ${s.latency_ms.p50} ms   p99 ${s.latency_ms.p99} ms   max ${s.latency_ms.max} ms   (swipe to subscriber, ${s.latency_ms.samples} samples)`,
    ...(s.earlier_runs_delivered > 0 ? [`  earlier     ${String(s.earlier_runs_delivered).padStart(9)}   swipes a previous run left in its journals, delivered now`] : []),
    `  lost        ${String(s.lost).padStart(9)}   still held (journaled) ${s.undelivered_at_end}   duplicates received ${s.duplicates_received}   duplicate effects after dedup ${s.dup_effects}`,
    `  alerts      ${String(s.alerts.total_received).padStart(9)}   received (clock drift ${s.alerts.clock_drift})`,
    `  detector        injected  detected  alerts  precision  recall`,
    row("card testing", s.alerts.burst),
    row("big tickets", s.alerts.anomaly) + (s.alerts.anomalies_during_warmup > 0 ? `   (+${s.alerts.anomalies_during_warmup} injected during the detector's warm-up, not scored)` : ""),
    s.drained ? `  drained: every accepted swipe reached the subscriber` : `  NOT drained within the timeout: ${notDrained(s)}`,
  ].join("\n");
}

/** What a run that did not drain left behind, in the terms the summary's "lost" line uses. */
function notDrained(s: FleetSummary): string {
  const parts: string[] = [];
  if (s.undelivered_at_end > 0) parts.push(`${s.undelivered_at_end} accepted swipes still held in the journals (delivered at the next run on this --state-dir)`);
  if (s.lost > 0) parts.push(`${s.lost} accepted swipes acknowledged by the broker never reached the subscriber (lost)`);
  if (parts.length === 0) parts.push("every accepted swipe arrived, but not every queued alert");
  return parts.join("; ");
}

/**
 * `npm start` / `paycard run`: terminals on this host against an embedded
 * aedes broker (or --broker), fed by seeded traffic, measured by a
 * subscriber; a live progress line, then a summary (or --json).
 */
export async function runTerminals(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    terminals: "value", rate: "value", duration: "value", seed: "value", broker: "value", config: "value",
    "state-dir": "value", ntp: "value", json: "flag", quiet: "flag", watch: "flag",
  });
  if (args.positional.length > 0) throw new UsageError(`run takes no positional arguments, got ${args.positional.join(" ")}`);
  const terminals = intOption(args, "terminals", 1, 1, 1_000);
  const rate = numberOption(args, "rate", 20, 0.1, 1_000_000);
  const duration = numberOption(args, "duration", 20, 0.5, 86_400);
  const seed = intOption(args, "seed", 1, 0, 2 ** 31 - 1);
  const stateDir = stringOption(args, "state-dir", ".paycard");
  const json = args.options.has("json");
  let overrides: unknown = {};
  const cfgPath = args.options.get("config") as string | undefined;
  if (cfgPath !== undefined) {
    if (!existsSync(cfgPath)) throw new UsageError(`config file not found: ${cfgPath}`);
    try {
      overrides = JSON.parse(readFileSync(cfgPath, "utf8"));
    } catch (e) {
      throw new UsageError(`config file ${cfgPath} is not valid JSON: ${(e as Error).message}`);
    }
  }
  let clock: () => EventClockPort = () => new OsEventClock();
  const ntp = args.options.get("ntp") as string | undefined;
  if (ntp !== undefined) {
    const { sntpEventClockFactory } = await import("./sntp-event-clock");
    clock = sntpEventClockFactory(ntp);
  }

  let embedded: EmbeddedBroker | null = null;
  const brokerUrl = args.options.get("broker") as string | undefined;
  let broker: BrokerAddress;
  if (brokerUrl === undefined) {
    embedded = await EmbeddedBroker.start();
    broker = parseBrokerUrl(embedded.url);
  } else {
    broker = parseBrokerUrl(brokerUrl);
  }
  const brokerName = embedded !== null ? `embedded aedes ${embedded.url}` : `${broker.tls ? "mqtts" : "mqtt"}://${broker.host}:${broker.port}`;
  if (embedded === null) await checkBroker(broker, brokerName);
  // Where to watch, first: the embedded broker's port is new at each run.
  if (!args.options.has("quiet")) process.stderr.write(`paycard run: broker ${brokerName}; watch what the terminals publish with\n  ${mosquittoSubLine(broker, "paycard")}\n`);
  const watch = args.options.has("watch");

  const stop = { stopped: false };
  const onSigint = () => {
    if (stop.stopped) process.exit(130);
    stop.stopped = true;
    process.stderr.write("\nstopping: draining the outboxes (Ctrl-C again to quit at once)\n");
  };
  process.on("SIGINT", onSigint);
  const tty = process.stderr.isTTY === true;
  let lastLineAt = -Infinity;
  try {
    const summary = await runFleet({
      terminals, rate, durationS: duration, seed, broker, stateDir, configOverrides: overrides, clock, stop,
      waitForClockMs: ntp !== undefined ? 20_000 : 0,
      onRecord: watch
        ? (leaf, payload) => {
            const line = watchLine(leaf, payload, new Date());
            if (line === null) return;
            // Above the live progress line, which is redrawn after it.
            if (tty) process.stderr.write("\r\x1b[K");
            process.stdout.write(line + "\n");
          }
        : undefined,
      onProgress: args.options.has("quiet")
        ? undefined
        : (p) => {
            // One live line on a terminal; on a pipe, one line a second.
            if (tty) process.stderr.write("\r" + progressLine(p) + "  ");
            else if (p.elapsedS - lastLineAt >= 1) {
              lastLineAt = p.elapsedS;
              process.stderr.write(progressLine(p) + "\n");
            }
          },
    });
    if (tty && !args.options.has("quiet")) process.stderr.write("\n");
    process.stdout.write((json ? JSON.stringify(summary) : summaryTable(summary, brokerName)) + "\n");
    return summary.lost === 0 && summary.drained ? 0 : 1;
  } finally {
    process.off("SIGINT", onSigint);
    if (embedded !== null) await embedded.stop();
  }
}
