import { createReadStream, existsSync, readFileSync } from "node:fs";
import { isIdentifier } from "../core/app/terminal-config";
import { ConfigError } from "../core/pipeline/pipeline-config";
import { BrokerRefusal } from "./broker-refusal";
import { intOption, parseArgs, stringOption, UsageError } from "./cli-args";
import { COMMAND_USAGE, overview } from "./cli-usage";
import { LineWriter } from "./line-writer";
import { loadConfig } from "./pipeline-config-file";
import { RECORD_TYPES, type RecordType, replay } from "./replay";

/** `--only a,b`: record types, each one replay writes. */
function onlyTypes(v: string | true | undefined): ReadonlySet<RecordType> | null {
  if (v === undefined) return null;
  const types = String(v).split(",").map((t) => t.trim());
  for (const t of types) if (!(RECORD_TYPES as readonly string[]).includes(t)) throw new UsageError(`--only takes ${RECORD_TYPES.join(", ")} (comma-separated), got ${JSON.stringify(t)}`);
  return new Set(types as RecordType[]);
}

async function runReplay(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { config: "value", terminal: "value", boot: "value", events: "flag", only: "value", iso: "flag", strict: "flag" });
  if (args.positional.length > 1) throw new UsageError("replay takes at most one input file");
  const config = loadConfig(args.options.get("config") as string | undefined);
  const terminalId = stringOption(args, "terminal", "replay");
  const maxId = Math.min(64, config.validation.maxIdLength);
  if (terminalId.length > maxId || !isIdentifier(terminalId)) {
    throw new UsageError(`--terminal ${JSON.stringify(terminalId)} is no terminal id: 1-${maxId} letters, digits and _ - . : (the rule for a swipe's terminal_id; it goes into request ids and topics)`);
  }
  const only = onlyTypes(args.options.get("only"));
  const file = args.positional[0];
  if (file !== undefined && file !== "-" && !existsSync(file)) throw new UsageError(`input file not found: ${file}`);
  const fromStdin = file === undefined || file === "-";
  if (fromStdin && process.stdin.isTTY === true) {
    process.stderr.write("paycard replay: reading swipes from the terminal, one JSON object per line; Ctrl-D ends (or give a file: paycard replay examples/swipes.jsonl)\n");
  }
  const summary = await replay(fromStdin ? process.stdin : createReadStream(file), new LineWriter(process.stdout), {
    config,
    terminalId,
    boot: intOption(args, "boot", 1, 0, 2 ** 31 - 1),
    events: args.options.has("events"),
    only,
    iso: args.options.has("iso"),
  });
  if (args.options.has("strict") && summary.rejected > 0) {
    process.stderr.write(`paycard replay: ${summary.rejected} of ${summary.lines - summary.blank_lines} line(s) rejected (--strict)\n`);
    return 1;
  }
  return 0;
}

/** package.json's version. */
export function paycardVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/** `--help` or `-h` among a command's arguments (before a `--`). */
function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd !== undefined && cmd in COMMAND_USAGE && wantsHelp(rest)) {
      process.stdout.write(`${COMMAND_USAGE[cmd]}\n`);
      return 0;
    }
    switch (cmd) {
      case "replay":
        return await runReplay(rest);
      case "run": {
        const { runTerminals } = await import("./run-command");
        return await runTerminals(rest);
      }
      case "simulate": {
        const { runSimulation } = await import("./simulate");
        return await runSimulation(rest);
      }
      case "build": {
        parseArgs(rest, {});
        const { runBuild } = await import("./build");
        return await runBuild();
      }
      case "build-esp32":
      case "flash":
      case "build-lin":
      case "build-lin-instrumented": {
        const { runDeviceBuild } = await import("./device-build");
        const target = cmd === "build-esp32" ? "esp32" : cmd === "flash" ? "flash" : cmd === "build-lin" ? "lin" : "lin-instrumented";
        return await runDeviceBuild(target, rest);
      }
      case "bench-core": {
        const { runCoreBench } = await import("./bench/core-bench");
        return await runCoreBench(rest);
      }
      case "bench-device32": {
        const { runDevice32Bench } = await import("./bench/device32-bench");
        return await runDevice32Bench(rest);
      }
      case "bench-fleet": {
        const { runFleetBench } = await import("./bench/fleet-bench");
        return await runFleetBench(rest);
      }
      case "bench-clock": {
        const { runClockBench } = await import("./bench/clock-bench");
        return await runClockBench(rest);
      }
      case "bench-mqtt": {
        const { runMqttBench } = await import("./bench/mqtt-bench");
        return await runMqttBench(rest);
      }
      case "--version":
      case "-V":
      case "version":
        process.stdout.write(`paycard ${paycardVersion()}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(overview(paycardVersion()) + "\n");
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${cmd} (commands: replay, run, simulate, build, build-esp32, flash, build-lin, build-lin-instrumented, ${Object.keys(COMMAND_USAGE).filter((c) => c.startsWith("bench-")).join(", ")}, help)`);
    }
  } catch (e) {
    if (e instanceof BrokerRefusal) {
      process.stderr.write(`paycard: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof RangeError) {
      process.stderr.write(`paycard: ${e.message}\n`);
      if (e instanceof UsageError) process.stderr.write(cmd !== undefined && cmd in COMMAND_USAGE ? `run "paycard ${cmd} --help" for its options\n` : `run "paycard help" for the commands\n`);
      return 2;
    }
    throw e;
  }
}
