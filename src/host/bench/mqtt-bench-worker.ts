/**
 * One measurement of bench:mqtt in a fresh process (spawned by mqtt-bench.ts with
 * `node --import tsx`), so that no client or codec shares a V8 heap, JIT state or event loop with
 * another; prints one JSON object.
 *
 *   mqtt-bench-worker.ts codec <payload bytes> <rounds>        -> { ours, oursAlloc, theirs } ops/s
 *   mqtt-bench-worker.ts xs <payload bytes> <window>           -> { session, farEnd } XS steps a message
 *   mqtt-bench-worker.ts paycard|mqttjs <port> <messages> <window> <payload bytes> <client id>
 *                                                              -> { ms, cpuUs } of the measured run
 *
 * A client first sends as many messages (at least 1 000) as a warm-up on its own connection, so
 * that V8 has compiled its paths, then the measured run.
 */
import { codecFigures, makePayload } from "./mqtt-codec-bench";
import { type ClientRun, runMqttJs, runPaycard } from "./mqtt-qos1-clients";

async function main(argv: string[]): Promise<unknown> {
  const [mode, ...rest] = argv;
  if (mode === "codec") return codecFigures(Number(rest[0]), Number(rest[1]));
  if (mode === "xs") {
    await import("@endo/init");
    const { xsStepsPerMessage } = await import("./mqtt-xs-steps");
    return await xsStepsPerMessage(Number(rest[0]), Number(rest[1]));
  }
  if (mode !== "paycard" && mode !== "mqttjs") throw new Error(`mqtt-bench-worker: unknown mode ${String(mode)}`);
  const [port, n, window, bytes] = rest.slice(0, 4).map(Number) as [number, number, number, number];
  const clientId = rest[4] ?? `bench-${mode}`;
  const payload = makePayload(bytes);
  const run = (count: number, id: string): Promise<ClientRun> =>
    mode === "paycard" ? runPaycard(port, count, window, new Uint8Array(payload), id) : runMqttJs(port, count, window, payload, id);
  await run(Math.max(1_000, n), `${clientId}-warm`);
  return await run(n, clientId);
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
