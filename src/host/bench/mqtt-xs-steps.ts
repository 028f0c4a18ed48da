/**
 * bench:mqtt's device figure, run by mqtt-bench-worker.ts in its own process (XS on the host needs
 * `@endo/init`, which locks the realm: the worker imports it first, then this module).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleForXs, startXsWorker } from "../xs-engine";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The device's MqttSession in XS: steps per QoS 1 message, and the far end's steps apart. */
export async function xsStepsPerMessage(payloadBytes: number, window: number): Promise<{ session: number; farEnd: number }> {
  const code = await bundleForXs(path.join(here, "..", "..", "sim", "bench-entries", "mqtt-session-entry.ts"), { globalName: "mq" });
  const w = await startXsWorker("paycard-bench-mqtt");
  try {
    await w.evaluate(code);
    await w.evaluate(`if (mq.setup(${payloadBytes}, ${window}) !== 1) throw new Error("the session did not connect")`);
    const n = 20_000;
    await w.evaluate("mq.run(2000)");
    const total = await w.evaluate(`if (mq.run(${n}) < ${n + 2000}) throw new Error("PUBACKs missing")`);
    await w.evaluate("mq.setupFarEnd(); mq.runFarEnd(2000)");
    const far = await w.evaluate(`if (mq.runFarEnd(${n}) !== ${n}) throw new Error("far end: PUBACKs missing")`);
    return { session: (total.compute - far.compute) / n, farEnd: far.compute / n };
  } finally {
    await w.close();
  }
}
