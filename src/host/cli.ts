import { createReadStream, existsSync } from "node:fs";
import { ConfigError } from "../core/pipeline/pipeline-config";
import { intOption, parseArgs, stringOption, UsageError } from "./cli-args";
import { LineWriter } from "./line-writer";
import { loadConfig } from "./pipeline-config-file";
import { replay } from "./replay";

const USAGE = `paycard — ESP32 payment terminal firmware, host tools

Usage:
  paycard replay [--config cfg.json] [--terminal ID] [--boot N] [--events] [file.jsonl]
      Run JSONL swipes (stdin when no file) through the core pipeline and
      print windows, alerts, late data, rejects and a summary as JSON lines.
  paycard run [--terminals N] [--rate R] [--duration S] [--seed N]
              [--broker mqtt://host:port] [--ntp host:port] [--config terminal.json]
              [--state-dir DIR] [--json] [--quiet]
      Run N terminals on this host against an embedded aedes broker (or
      --broker), fed by seeded swipes with injected card-testing bursts and
      big tickets; a subscriber measures what arrives. Default: 1 terminal,
      20 swipes/s, 20 s. This is \`npm start\`.
  paycard simulate [--seed N] [--rate R] [--duration S] [--config cfg.json] [--json]
      The core pipeline alone in simulated time (hours in seconds): detection
      quality against the injected truth.
  paycard build
      Compile src/core and src/device to build/dist for the Moddable manifest.
  paycard build-esp32 | flash | build-lin | build-lin-instrumented [key=value ...]
      Device builds with the Moddable SDK (manifest.json): the instrumented
      ESP32 image, copied to build/wokwi for Wokwi; the same image flashed
      over USB, then the serial monitor; or a build for the Linux simulator
      (mcsim), plain or instrumented (its STATUS lines show the heap's peaks).
      key=value overrides a manifest config entry (wifiSsid=...).
  paycard bench-core [--json] [--swipes N]
      Window-engine benchmark under the XS engine (see README).
  paycard bench-device32 [--json] [--rounds N] [--swipes N] [--outage N] [--headroom PCT]
      The device app on a 32-bit XS with the ESP32's fixed heap (needs gcc-multilib; see README).
  paycard bench-mqtt [--json] [--messages N] [--window W] [--payload BYTES] [--rounds R]
      MQTT codec vs mqtt-packet; QoS 1 to mosquitto vs MQTT.js and mosquitto_pub.
  paycard bench-clock [--json] [--hours H] [--seeds N]
      SNTP client + disciplined clock in the seeded network simulation (see README).
  paycard bench-fleet [--json] [--duration S] [--rates a,b,...] [--terminals N]
      Terminals against mosquitto at rising rates: max sustained rate, latency.
  paycard help`;

async function runReplay(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { config: "value", terminal: "value", boot: "value", events: "flag" });
  if (args.positional.length > 1) throw new UsageError("replay takes at most one input file");
  const config = loadConfig(args.options.get("config") as string | undefined);
  const file = args.positional[0];
  if (file !== undefined && file !== "-" && !existsSync(file)) throw new UsageError(`input file not found: ${file}`);
  const input = file === undefined || file === "-" ? process.stdin : createReadStream(file);
  await replay(input, new LineWriter(process.stdout), {
    config,
    terminalId: stringOption(args, "terminal", "replay"),
    boot: intOption(args, "boot", 1, 0, 2 ** 31 - 1),
    events: args.options.has("events"),
  });
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
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
      case undefined:
      case "help":
      case "--help":
        process.stdout.write(USAGE + "\n");
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof RangeError) {
      process.stderr.write(`paycard: ${e.message}\n`);
      if (e instanceof UsageError) process.stderr.write(`run "paycard help" for usage\n`);
      return 2;
    }
    throw e;
  }
}
