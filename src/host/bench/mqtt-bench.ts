/**
 * `npm run bench:mqtt [-- --json] [--messages N] [--window W] [--payload BYTES] [--rate R] [--rounds R] [--codec-processes P]`
 *
 * What a QoS 1 client costs, apart from the broker it talks to. One mosquitto on 127.0.0.1 takes
 * every client's messages at about the same rate (its own ceiling, reported apart), so throughput
 * says little about a client; its CPU time per message does.
 *
 * 1. CPU per QoS 1 message (PUBLISH sent, PUBACK handled) of each client's own process, N messages
 *    with in-flight window W: paycard's MqttSession over the Node TCP transport and MQTT.js, each
 *    alone in a fresh Node process (mqtt-bench-worker.ts, `process.cpuUsage()` after warm-up runs
 *    that bring V8 to its steady state), and `mosquitto_pub -l -M W` (getrusage of the child, net
 *    of its fixed costs: t(2N) - t(N)). Two loads: paced (R messages a second offered to each
 *    client: the same work in the same time, the targets' figure) and flat out (the broker sets
 *    the pace: a client that is quicker than the broker waits on it more often and pays a wake-up,
 *    a read and a write for fewer messages each time, so CPU per message there mixes the client's
 *    own cost with the broker's pace). Rounds interleave the three in a rotating order; medians and
 *    ranges are printed, and the ratios are the median of each round's (the clients of a round ran
 *    back to back). The broker's CPU per message (from /proc) and the highest median flat-out rate
 *    of a client are reported apart.
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
import { type ClientRun, type Load, runMosquittoPub, runToEnd, WARMUP_RUNS, warmupMessages } from "./mqtt-qos1-clients";

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
type Regime = "paced" | "flat";
const REGIMES: Regime[] = ["paced", "flat"];
/** Lines mosquitto_pub -l can take in one run without packet ids wrapping (see runMqttBench). */
const MAX_MOSQUITTO_PUB_LINES = 65_535;
/** A paced run that reached less than this share of the offered rate did not do the same work in the same time. */
const KEPT_RATE = 0.95;

interface Spread {
  median: number;
  min: number;
  max: number;
}
const spreadOf = (xs: number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
type PerClient<T> = Record<ClientName, T>;
const perClient = <T>(f: (who: ClientName) => T): PerClient<T> => ({ paycard: f("paycard"), mqttjs: f("mqttjs"), mosquitto_pub: f("mosquitto_pub") });

/** mosquitto_pub's CPU per message under a load of N (runs of N and 2N, whose difference is N messages without the process's fixed costs) and the 2N run's rate. */
async function mosquittoPubNet(bin: string, port: number, load: Load, line: string, files: [string, string], id: string): Promise<{ perMessageUs: number; rate: number }> {
  const one = await runMosquittoPub(bin, port, load, line, files[0], id);
  const two = await runMosquittoPub(bin, port, { ...load, n: 2 * load.n }, line, files[1], `${id}-2n`);
  return { perMessageUs: (two.cpuUs - one.cpuUs) / load.n, rate: (2 * load.n * 1000) / two.ms };
}

export async function runMqttBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { json: "flag", messages: "value", window: "value", payload: "value", rate: "value", rounds: "value", "codec-processes": "value" });
  // mosquitto_pub -l queues every line of its input at once, each with a packet id: past 65 535
  // queued the ids wrap and messages vanish (100 000 lines: 34 472 arrive, exit status 0). Its 2N
  // run must stay under that.
  const n = intOption(args, "messages", 20_000, 100, MAX_MOSQUITTO_PUB_LINES >> 1);
  const window = intOption(args, "window", 32, 1, 65_535);
  const payloadBytes = intOption(args, "payload", 256, 1, 65_000);
  const offered = intOption(args, "rate", 10_000, 100, 1_000_000);
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
  const files: [string, string] = [path.join(tmp, "lines.txt"), path.join(tmp, "lines2.txt")];
  const line = payload.toString("latin1");
  writeFileSync(files[0], (line + "\n").repeat(n));
  writeFileSync(files[1], (line + "\n").repeat(2 * n));
  const cpu: Record<Regime, PerClient<number[]>> = { paced: perClient(() => []), flat: perClient(() => []) };
  const rates: Record<Regime, PerClient<number[]>> = { paced: perClient(() => []), flat: perClient(() => []) };
  const brokerCpu: number[] = [];
  const delivered = perClient(() => 0);
  // In-process clients: the warm-up runs, then N flat out and N paced; mosquitto_pub: N + 2N of each.
  const inProcess = WARMUP_RUNS * warmupMessages(n) + 2 * n;
  const expected: PerClient<number> = { paycard: inProcess, mqttjs: inProcess, mosquitto_pub: 6 * n };
  try {
    let obs: Counter | null = await subscriber(broker.port);
    for (let r = 0; r <= rounds; r++) {
      // Rotate the order so no client always runs first after a pause.
      const rot = CLIENTS.map((_, i) => CLIENTS[(i + r) % CLIENTS.length]!);
      for (const who of rot) {
        obs?.reset();
        const id = `bench-${who}-${r}`;
        const b0 = processCpuUs(brokerPid);
        const got = {} as Record<Regime, { perMessageUs: number; rate: number }>;
        if (who === "mosquitto_pub") {
          got.flat = await mosquittoPubNet(pubBin, broker.port, { n, window, rate: 0 }, line, files, `${id}-flat`);
          got.paced = await mosquittoPubNet(pubBin, broker.port, { n, window, rate: offered }, line, files, `${id}-paced`);
        } else {
          const run = await inFreshProcess<Record<Regime, ClientRun>>([who, String(broker.port), String(n), String(window), String(payloadBytes), String(offered), id]);
          for (const g of REGIMES) got[g] = { perMessageUs: run[g].cpuUs / n, rate: (n * 1000) / run[g].ms };
        }
        const brokerUs = processCpuUs(brokerPid) - b0;
        if (obs !== null) delivered[who] = await awaitCount(obs, expected[who]);
        if (r === 0) continue;
        for (const g of REGIMES) {
          cpu[g][who].push(got[g].perMessageUs);
          rates[g][who].push(got[g].rate);
        }
        brokerCpu.push(brokerUs / expected[who]);
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

  const figures = (g: Regime) => {
    const c = perClient((who) => spreadOf(cpu[g][who]));
    const rate = perClient((who) => spreadOf(rates[g][who]));
    // Ratios per round (the clients ran back to back in it), then their median: a machine that is
    // busier in one round than in another moves both sides of that round's ratio.
    const perRound = (other: ClientName) => spreadOf(cpu[g].paycard.map((x, i) => x / cpu[g][other][i]!));
    return { c, rate, vsMqttjs: perRound("mqttjs"), vsMosquittoPub: perRound("mosquitto_pub") };
  };
  const paced = figures("paced");
  const flat = figures("flat");
  const keptRate = CLIENTS.every((who) => paced.rate[who].min >= KEPT_RATE * offered);
  const ceiling = Math.max(...CLIENTS.map((who) => flat.rate[who].median));
  const brokerPerMsg = spreadOf(brokerCpu);
  const codecMedian = (k: "ours" | "oursAlloc" | "theirs") => median(codecRuns.map((x) => x[k]));
  const pair = (s: Spread, d = 2) => [round(s.min, d), round(s.max, d)];
  const usOf = (f: ReturnType<typeof figures>) => perClient((who) => round(f.c[who].median, 2));
  const spreadUsOf = (f: ReturnType<typeof figures>) => perClient((who) => pair(f.c[who]));
  const rateOf = (f: ReturnType<typeof figures>) => perClient((who) => round(f.rate[who].median));
  const result = {
    cpu_per_msg_ratio_vs_mqttjs: round(paced.vsMqttjs.median, 2),
    cpu_per_msg_ratio_vs_mqttjs_spread: pair(paced.vsMqttjs),
    cpu_per_msg_ratio_vs_mosquitto_pub: round(paced.vsMosquittoPub.median, 2),
    cpu_per_msg_ratio_vs_mosquitto_pub_spread: pair(paced.vsMosquittoPub),
    codec_ratio_vs_mqtt_packet: round(codecRatio.median, 2),
    codec_ratio_spread: pair(codecRatio),
    xs_steps_per_qos1_message: round(xs.session, 1),
    xs_steps_far_end_per_message: round(xs.farEnd, 1),
    offered_rate_msgs_per_s: offered,
    paced_kept_offered_rate: keptRate,
    cpu_per_msg_us: usOf(paced),
    cpu_per_msg_spread_us: spreadUsOf(paced),
    msgs_per_s: rateOf(paced),
    flat_out: {
      cpu_per_msg_ratio_vs_mqttjs: round(flat.vsMqttjs.median, 2),
      cpu_per_msg_ratio_vs_mqttjs_spread: pair(flat.vsMqttjs),
      cpu_per_msg_ratio_vs_mosquitto_pub: round(flat.vsMosquittoPub.median, 2),
      cpu_per_msg_ratio_vs_mosquitto_pub_spread: pair(flat.vsMosquittoPub),
      cpu_per_msg_us: usOf(flat),
      cpu_per_msg_spread_us: spreadUsOf(flat),
      msgs_per_s: rateOf(flat),
    },
    broker: { ceiling_msgs_per_s: round(ceiling), cpu_per_msg_us: round(brokerPerMsg.median, 2) },
    codec_ops_per_s: round(codecMedian("ours")),
    codec_alloc_ops_per_s: round(codecMedian("oursAlloc")),
    mqtt_packet_ops_per_s: round(codecMedian("theirs")),
    messages: n,
    window,
    payload_bytes: payloadBytes,
    warmup_runs: WARMUP_RUNS,
    rounds,
    codec_processes: codecProcesses,
    cpus: os.cpus().length,
    delivered_in_warmup: delivered,
  };

  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  const pad = (s: string, w: number) => s.padEnd(w);
  const num = (x: number, d = 0) => round(x, d).toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d }).padStart(10);
  const range = (s: Spread, d = 0) => `${round(s.min, d).toLocaleString("en")}..${round(s.max, d).toLocaleString("en")}`;
  const LABELS: PerClient<string> = {
    paycard: "paycard MqttSession + NodeTcpTransport",
    mqttjs: "MQTT.js (mqtt) publishAsync, W outstanding",
    mosquitto_pub: "mosquitto_pub -l -M W (C), net: t(2N) - t(N)",
  };
  const table = (f: ReturnType<typeof figures>) => [
    `${pad("CPU of the client's own process per message", 46)} µs/msg      range         msgs/s`,
    ...CLIENTS.map((who) => `${pad(LABELS[who], 46)}${num(f.c[who].median, 2)}   ${pad(range(f.c[who], 2), 12)}${num(f.rate[who].median)}`),
    `paycard / MQTT.js per round: median ${f.vsMqttjs.median.toFixed(2)}x, range ${range(f.vsMqttjs, 2)}; paycard / mosquitto_pub: median ${f.vsMosquittoPub.median.toFixed(2)}x, range ${range(f.vsMosquittoPub, 2)}`,
  ];
  const lines = [
    `paycard MQTT benchmark — ${rounds} round(s) after a warm-up round, ${os.cpus().length} CPUs`,
    "",
    `QoS 1: ${n.toLocaleString("en")} messages of ${payloadBytes} B to mosquitto on 127.0.0.1, in-flight window ${window}; in-process clients after ${WARMUP_RUNS} warm-up runs`,
    "",
    `paced: ${offered.toLocaleString("en")} messages/s offered to every client (the same work in the same time)`,
    ...table(paced),
    ...(keptRate ? [] : [`  a client fell below ${KEPT_RATE * 100} % of the offered rate: these figures are not at equal load (lower --rate)`]),
    "",
    "flat out: a message as soon as the window has room; the broker sets the pace, and a client that waits on it more often pays more wake-ups a message",
    ...table(flat),
    "",
    `broker (mosquitto): ${brokerPerMsg.median.toFixed(2)} µs of its CPU per message; ceiling ${round(ceiling).toLocaleString("en")} msgs/s (the highest median flat-out rate of a client)`,
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
    "targets (paced)",
    `  CPU per message vs MQTT.js        ${result.cpu_per_msg_ratio_vs_mqttjs.toFixed(2)}x  (<= 0.6x)  ${met(keptRate && result.cpu_per_msg_ratio_vs_mqttjs <= 0.6)}`,
    `  CPU per message vs mosquitto_pub  ${result.cpu_per_msg_ratio_vs_mosquitto_pub.toFixed(2)}x  (<= 2x)    ${met(keptRate && result.cpu_per_msg_ratio_vs_mosquitto_pub <= 2)}`,
    `  codec vs mqtt-packet (median)     ${result.codec_ratio_vs_mqtt_packet.toFixed(2)}x  (>= 2x)    ${met(result.codec_ratio_vs_mqtt_packet >= 2)}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  if (args.options.has("json")) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
