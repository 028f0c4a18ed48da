/**
 * `npm run bench:mqtt [-- --json] [--messages N] [--window W] [--payload BYTES] [--rounds R] [--codec-processes P]`
 *
 * What a QoS 1 client costs, apart from the broker it talks to. One mosquitto on 127.0.0.1 takes
 * every client's messages at about the same rate (its own ceiling, reported apart), so throughput
 * says little about a client; its CPU time per message does.
 *
 * 1. CPU per QoS 1 message (PUBLISH sent, PUBACK handled) of each client's own process, N messages
 *    with in-flight window W: paycard's MqttSession over the Node TCP transport and MQTT.js, each
 *    alone in a fresh Node process (mqtt-bench-worker.ts, `process.cpuUsage()` after a warm-up),
 *    and `mosquitto_pub -l -M W` (getrusage of the child, net of its fixed costs: t(2N) - t(N)).
 *    Rounds interleave the three in a rotating order; medians and ranges are printed, and the
 *    ratios are the median of each round's (the clients of a round ran back to back). The broker's
 *    CPU per message (from /proc) and the highest median rate of a client are reported apart.
 * 2. Codec: encode + parse of PUBLISH and PUBACK against mqtt-packet (mqtt-codec-bench.ts), in P
 *    fresh processes: the median of their ratios, with the range.
 * 3. XS steps per QoS 1 message of the device's MqttSession (deterministic; the far end's own steps
 *    measured apart and left out).
 *
 * In the warm-up round a subscriber counts what the broker delivers for each client; the bench
 * fails unless all arrived. Prints a table; with --json, one JSON object on the last line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { intOption, parseArgs } from "../cli-args";
import { findMosquittoTool, Mosquitto } from "../mosquitto-broker";
import { makePayload, MIN_MEASURE_MS, median, TOPIC } from "./mqtt-codec-bench";
import { type ClientRun, runMosquittoPub, runToEnd } from "./mqtt-qos1-clients";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..", "..");
const WORKER = path.join(here, "mqtt-bench-worker.ts");
const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
const nowMs = () => performance.now();

/** Runs mqtt-bench-worker.ts in a fresh Node process and returns what it printed. */
async function inFreshProcess<T>(args: string[]): Promise<T> {
  const out = await runToEnd(`bench worker ${args[0]}`, process.execPath, ["--import", "tsx", WORKER, ...args], root);
  return JSON.parse(out.trim().split("\n").pop() as string) as T;
}

/** CPU time (user + system) a process has used so far, µs, from /proc (clock ticks of 10 ms). */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

// ------------------------------------------------------------------ verification

interface Counter {
  count(): number;
  reset(): void;
  close(): Promise<void>;
}

/** A QoS 0 subscriber on TOPIC (the broker's queue limit is lifted, so nothing is dropped for it). Warm-up round only. */
async function subscriber(port: number): Promise<Counter> {
  let n = 0;
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bench-observer-${process.pid}`, clean: true, reconnectPeriod: 0 });
  c.on("message", () => n++);
  await c.subscribeAsync(TOPIC, { qos: 0 });
  return { count: () => n, reset: () => (n = 0), close: () => c.endAsync() };
}

async function awaitCount(c: Counter, n: number, idleMs = 2_000): Promise<number> {
  let last = -1;
  let since = nowMs();
  while (c.count() < n) {
    if (c.count() !== last) {
      last = c.count();
      since = nowMs();
    } else if (nowMs() - since > idleMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100)); // would catch duplicates arriving late
  return c.count();
}

// ------------------------------------------------------------------ main

type ClientName = "paycard" | "mqttjs" | "mosquitto_pub";
const CLIENTS: ClientName[] = ["paycard", "mqttjs", "mosquitto_pub"];
/** Messages a fresh-process client sends before its measured run (mqtt-bench-worker.ts). */
const warmupOf = (n: number) => Math.max(1_000, n);
/** Lines mosquitto_pub -l can take in one run without packet ids wrapping (see runMqttBench). */
const MAX_MOSQUITTO_PUB_LINES = 65_535;

interface Spread {
  median: number;
  min: number;
  max: number;
}
const spreadOf = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

export async function runMqttBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { json: "flag", messages: "value", window: "value", payload: "value", rounds: "value", "codec-processes": "value" });
  // mosquitto_pub -l queues every line of its input at once, each with a packet id: past 65 535
  // queued the ids wrap and messages vanish (100 000 lines: 34 472 arrive, exit status 0). Its 2N
  // run must stay under that.
  const n = intOption(args, "messages", 20_000, 100, MAX_MOSQUITTO_PUB_LINES >> 1);
  const window = intOption(args, "window", 32, 1, 65_535);
  const payloadBytes = intOption(args, "payload", 256, 1, 65_000);
  const rounds = intOption(args, "rounds", 5, 1, 101);
  const codecProcesses = intOption(args, "codec-processes", 5, 1, 101);
  const payload = makePayload(payloadBytes);

  // ---- codec, in fresh processes
  const codecRuns: { ours: number; oursAlloc: number; theirs: number }[] = [];
  for (let i = 0; i < codecProcesses; i++) codecRuns.push(await inFreshProcess(["codec", String(payloadBytes), "3"]));
  const codecRatio = spreadOf(codecRuns.map((c) => c.ours / c.theirs));

  // ---- XS steps, in a fresh process (XS needs a locked realm)
  const xs = await inFreshProcess<{ session: number; farEnd: number }>(["xs", String(payloadBytes), "8"]);

  // ---- QoS 1 clients against one mosquitto
  const pubBin = findMosquittoTool("mosquitto_pub");
  if (pubBin === null) throw new Error("mosquitto_pub not found: install the Debian package mosquitto-clients");
  // max_queued_messages only bounds the broker's outgoing queue to the verifying subscriber
  // (default 1000: QoS 0 messages past it are dropped); the publishers' path does not use it.
  const broker = await Mosquitto.start({ extra: ["max_queued_messages 0"] });
  const brokerPid = broker.pid as number;
  const tmp = mkdtempSync(path.join(os.tmpdir(), "paycard-bench-mqtt-"));
  const linesFile = path.join(tmp, "lines.txt");
  const doubleFile = path.join(tmp, "lines2.txt");
  const line = payload.toString("latin1");
  writeFileSync(linesFile, (line + "\n").repeat(n));
  writeFileSync(doubleFile, (line + "\n").repeat(2 * n));
  const cpu: Record<ClientName, number[]> = { paycard: [], mqttjs: [], mosquitto_pub: [] };
  const rates: Record<ClientName, number[]> = { paycard: [], mqttjs: [], mosquitto_pub: [] };
  const brokerCpu: number[] = [];
  const delivered: Record<ClientName, number> = { paycard: 0, mqttjs: 0, mosquitto_pub: 0 };
  const expected: Record<ClientName, number> = { paycard: n + warmupOf(n), mqttjs: n + warmupOf(n), mosquitto_pub: 3 * n };
  try {
    let obs: Counter | null = await subscriber(broker.port);
    for (let r = 0; r <= rounds; r++) {
      // Rotate the order so no client always runs first after a pause.
      const rot = CLIENTS.map((_, i) => CLIENTS[(i + r) % CLIENTS.length]!);
      for (const who of rot) {
        obs?.reset();
        const id = `bench-${who}-${r}`;
        const b0 = processCpuUs(brokerPid);
        let perMessageUs: number;
        let rate: number;
        let brokerMessages = n;
        if (who === "mosquitto_pub") {
          // N and 2N lines: the difference is N messages without the process's fixed costs.
          const one: ClientRun = await runMosquittoPub(pubBin, broker.port, window, linesFile, id);
          const two: ClientRun = await runMosquittoPub(pubBin, broker.port, window, doubleFile, `${id}-2n`);
          perMessageUs = (two.cpuUs - one.cpuUs) / n;
          rate = (n * 1000) / Math.max(1e-3, two.ms - one.ms);
          brokerMessages = 3 * n;
        } else {
          const run = await inFreshProcess<ClientRun>([who, String(broker.port), String(n), String(window), String(payloadBytes), id]);
          perMessageUs = run.cpuUs / n;
          rate = (n * 1000) / run.ms;
          brokerMessages = n + warmupOf(n);
        }
        const brokerUs = processCpuUs(brokerPid) - b0;
        if (obs !== null) delivered[who] = await awaitCount(obs, expected[who]);
        if (r === 0) continue;
        cpu[who].push(perMessageUs);
        rates[who].push(rate);
        brokerCpu.push(brokerUs / brokerMessages);
      }
      if (r === 0) {
        // Warm-up round done: every client's messages must all have arrived.
        await obs!.close();
        obs = null;
        for (const who of CLIENTS) {
          if (delivered[who] !== expected[who]) throw new Error(`bench: subscriber saw ${delivered[who]} of ${expected[who]} messages from ${who}`);
        }
      }
    }
  } finally {
    await broker.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }

  const c = { paycard: spreadOf(cpu.paycard), mqttjs: spreadOf(cpu.mqttjs), mosquitto_pub: spreadOf(cpu.mosquitto_pub) };
  const rate = { paycard: spreadOf(rates.paycard), mqttjs: spreadOf(rates.mqttjs), mosquitto_pub: spreadOf(rates.mosquitto_pub) };
  // Ratios per round (the clients ran back to back in it), then their median: a machine that is
  // busier in one round than in another moves both sides of that round's ratio.
  const perRound = (other: ClientName) => spreadOf(cpu.paycard.map((x, i) => x / cpu[other][i]!));
  const vsMqttjs = perRound("mqttjs");
  const vsMosquittoPub = perRound("mosquitto_pub");
  const ceiling = Math.max(rate.paycard.median, rate.mqttjs.median, rate.mosquitto_pub.median);
  const brokerPerMsg = spreadOf(brokerCpu);
  const codecMedian = (k: "ours" | "oursAlloc" | "theirs") => median(codecRuns.map((x) => x[k]));
  const result = {
    cpu_per_msg_ratio_vs_mqttjs: round(vsMqttjs.median, 2),
    cpu_per_msg_ratio_vs_mqttjs_spread: [round(vsMqttjs.min, 2), round(vsMqttjs.max, 2)],
    cpu_per_msg_ratio_vs_mosquitto_pub: round(vsMosquittoPub.median, 2),
    cpu_per_msg_ratio_vs_mosquitto_pub_spread: [round(vsMosquittoPub.min, 2), round(vsMosquittoPub.max, 2)],
    codec_ratio_vs_mqtt_packet: round(codecRatio.median, 2),
    codec_ratio_spread: [round(codecRatio.min, 2), round(codecRatio.max, 2)],
    xs_steps_per_qos1_message: round(xs.session, 1),
    xs_steps_far_end_per_message: round(xs.farEnd, 1),
    cpu_per_msg_us: { paycard: round(c.paycard.median, 2), mqttjs: round(c.mqttjs.median, 2), mosquitto_pub: round(c.mosquitto_pub.median, 2) },
    cpu_per_msg_spread_us: {
      paycard: [round(c.paycard.min, 2), round(c.paycard.max, 2)],
      mqttjs: [round(c.mqttjs.min, 2), round(c.mqttjs.max, 2)],
      mosquitto_pub: [round(c.mosquitto_pub.min, 2), round(c.mosquitto_pub.max, 2)],
    },
    broker: { ceiling_msgs_per_s: round(ceiling), cpu_per_msg_us: round(brokerPerMsg.median, 2) },
    msgs_per_s: { paycard: round(rate.paycard.median), mqttjs: round(rate.mqttjs.median), mosquitto_pub: round(rate.mosquitto_pub.median) },
    codec_ops_per_s: round(codecMedian("ours")),
    codec_alloc_ops_per_s: round(codecMedian("oursAlloc")),
    mqtt_packet_ops_per_s: round(codecMedian("theirs")),
    messages: n,
    window,
    payload_bytes: payloadBytes,
    rounds,
    codec_processes: codecProcesses,
    cpus: os.cpus().length,
    delivered_in_warmup: delivered,
  };

  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  const pad = (s: string, w: number) => s.padEnd(w);
  const num = (x: number, d = 0) => round(x, d).toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d }).padStart(10);
  const range = (s: Spread, d = 0) => `${round(s.min, d).toLocaleString("en")}..${round(s.max, d).toLocaleString("en")}`;
  const lines = [
    `paycard MQTT benchmark — ${rounds} round(s) after a warm-up round, ${os.cpus().length} CPUs`,
    "",
    `QoS 1: ${n.toLocaleString("en")} messages of ${payloadBytes} B to mosquitto on 127.0.0.1, in-flight window ${window}`,
    `${pad("CPU of the client's own process per message", 46)} µs/msg      range    (msgs/s: the broker's pace)`,
    `${pad("paycard MqttSession + NodeTcpTransport", 46)}${num(c.paycard.median, 2)}   ${range(c.paycard, 2)}    ${num(rate.paycard.median)}`,
    `${pad("MQTT.js (mqtt) publishAsync, W outstanding", 46)}${num(c.mqttjs.median, 2)}   ${range(c.mqttjs, 2)}    ${num(rate.mqttjs.median)}`,
    `${pad("mosquitto_pub -l -M W (C), net: t(2N) - t(N)", 46)}${num(c.mosquitto_pub.median, 2)}   ${range(c.mosquitto_pub, 2)}    ${num(rate.mosquitto_pub.median)}`,
    `paycard / MQTT.js per round: median ${vsMqttjs.median.toFixed(2)}x, range ${range(vsMqttjs, 2)}; paycard / mosquitto_pub: median ${vsMosquittoPub.median.toFixed(2)}x, range ${range(vsMosquittoPub, 2)}`,
    `broker (mosquitto): ${brokerPerMsg.median.toFixed(2)} µs of its CPU per message; ceiling ${round(ceiling).toLocaleString("en")} msgs/s (the highest median rate of a client)`,
    `delivered to a subscriber in the warm-up round: ${CLIENTS.map((w) => `${w} ${delivered[w]}/${expected[w]}`).join(", ")}`,
    "",
    `codec: encode + parse of PUBLISH (QoS 1, ${TOPIC}, ${payloadBytes} B) and PUBACK, ${codecProcesses} fresh processes, each measurement >= ${MIN_MEASURE_MS} ms`,
    `  paycard encodeInto + PacketParser       ${num(codecMedian("ours"))} ops/s`,
    `  paycard encodePacket (allocating)       ${num(codecMedian("oursAlloc"))} ops/s`,
    `  mqtt-packet generate + parser().parse   ${num(codecMedian("theirs"))} ops/s`,
    `  ratio per process: median ${codecRatio.median.toFixed(2)}x, range ${range(codecRatio, 2)}`,
    "",
    `device (XS steps, deterministic): ${round(xs.session, 1)} steps per QoS 1 message (MqttSession, codec, publish store), the far end's ${round(xs.farEnd, 1)} left out`,
    "",
    "targets",
    `  CPU per message vs MQTT.js        ${result.cpu_per_msg_ratio_vs_mqttjs.toFixed(2)}x  (<= 0.6x)  ${met(result.cpu_per_msg_ratio_vs_mqttjs <= 0.6)}`,
    `  CPU per message vs mosquitto_pub  ${result.cpu_per_msg_ratio_vs_mosquitto_pub.toFixed(2)}x  (<= 2x)    ${met(result.cpu_per_msg_ratio_vs_mosquitto_pub <= 2)}`,
    `  codec vs mqtt-packet (median)     ${result.codec_ratio_vs_mqtt_packet.toFixed(2)}x  (>= 2x)    ${met(result.codec_ratio_vs_mqtt_packet >= 2)}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  if (args.options.has("json")) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
