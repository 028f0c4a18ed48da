/**
 * One measurement of bench:mqtt in a fresh process (spawned by mqtt-bench.ts with
 * `node --import tsx`), so that no client or codec shares a V8 heap, JIT state or event loop with
 * another; prints one JSON object.
 *
 *   mqtt-bench-worker.ts codec <payload bytes> <rounds>        -> { ours, oursAlloc, theirs } ops/s
 *   mqtt-bench-worker.ts xs <payload bytes> <window>           -> { session, farEnd } XS steps a message
 *   mqtt-bench-worker.ts paycard|mqttjs <port> <messages> <window> <payload bytes> <rate> <client id>
 *                                                              -> { flat, paced }: { ms, cpuUs } of each measured run
 *
 * A client first runs WARMUP_RUNS flat-out runs of at least 1 000 messages, each on its own
 * connection as the measured runs are, until V8 has compiled its paths (a client's CPU per message
 * falls over its first three or four runs of 20 000 in one process, MQTT.js's longer than
 * paycard's), then one flat-out and one paced run.
 */
import { codecFigures, makePayload } from "./mqtt-codec-bench";
import { type ClientRun, type Load, runMqttJs, runPaycard, WARMUP_RUNS, warmupMessages } from "./mqtt-qos1-clients";

async function main(argv: string[]): Promise<unknown> {
  const [mode, ...rest] = argv;
  if (mode === "codec") return codecFigures(Number(rest[0]), Number(rest[1]));
  if (mode === "xs") {
    await import("@endo/init");
    const { xsStepsPerMessage } = await import("./mqtt-xs-steps");
    return await xsStepsPerMessage(Number(rest[0]), Number(rest[1]));
  }
  if (mode !== "paycard" && mode !== "mqttjs") throw new Error(`mqtt-bench-worker: unknown mode ${String(mode)}`);
  const [port, n, window, bytes, rate] = rest.slice(0, 5).map(Number) as [number, number, number, number, number];
  const clientId = rest[5] ?? `bench-${mode}`;
  const payload = makePayload(bytes);
  const run = (load: Load, id: string): Promise<ClientRun> =>
    mode === "paycard" ? runPaycard(port, load, new Uint8Array(payload), id) : runMqttJs(port, load, payload, id);
  for (let i = 0; i < WARMUP_RUNS; i++) await run({ n: warmupMessages(n), window, rate: 0 }, `${clientId}-warm${i}`);
  const flat = await run({ n, window, rate: 0 }, `${clientId}-flat`);
  const paced = await run({ n, window, rate }, `${clientId}-paced`);
  return { flat, paced };
}

main(process.argv.slice(2)).then(
  (r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  },
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
