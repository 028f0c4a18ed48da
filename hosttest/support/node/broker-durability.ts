/**
 * What "nothing lost" needs from the broker, measured (docs/brokers.md): `paycard run` (4 terminals,
 * 60 swipes/s, 8 s) against a real mosquitto, an independent consumer with a persistent session
 * that is away from 2 s to 5.5 s, and the broker restarted at 4 s: gracefully or by SIGKILL, with
 * persistence on (default autosave, or on every change) or off. Prints, per configuration, how many
 * accepted swipes the run's subscriber and the independent consumer got.
 *
 *   npx tsx hosttest/support/node/broker-durability.ts
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { Mosquitto } from "../../../src/host/mosquitto-broker";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
async function trial(name: string, extra: string[], how: "restart" | "kill") {
  const b = await Mosquitto.start({ extra });
  const ids = new Set<string>();
  const ind = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { clientId: "independent", clean: false, reconnectPeriod: 200 });
  ind.on("message", (_t, p) => ids.add(String(JSON.parse(p.toString()).request_id)));
  await ind.subscribeAsync("paycard/+/tx", { qos: 1 });
  // Take the independent consumer away during the outage window, so messages queue for it.
  const out = await new Promise<string>((resolve) => {
    const p = spawn(process.execPath, [path.join(root, "src/host/paycard.mjs"), "run", "--broker", `mqtt://127.0.0.1:${b.port}`, "--terminals", "4", "--rate", "60", "--duration", "8", "--quiet", "--json", "--state-dir", mkdtempSync(path.join(os.tmpdir(), "br-"))]);
    let o = ""; p.stdout.on("data", (d) => (o += d)); p.on("close", () => resolve(o));
    setTimeout(() => { ind.end(true); }, 2000);
    setTimeout(async () => { if (how === "kill") { await b.kill(); await b.restart(); } else await b.restart(); }, 4000);
    setTimeout(() => { ind.reconnect(); }, 5500);
  });
  const s = JSON.parse(out.trim().split("\n").pop()!);
  for (let i = 0; i < 50 && ids.size < s.accepted; i++) await new Promise((r) => setTimeout(r, 100));
  console.log(`${name.padEnd(44)} accepted ${s.accepted}  run's subscriber received ${s.received} lost ${s.lost}  independent got ${ids.size} (missing ${s.accepted - ids.size})`);
  ind.end(true); await b.stop(); await b.cleanup();
}
await trial("persistence true, graceful restart", [], "restart");
await trial("persistence true, SIGKILL (autosave 1800 s)", [], "kill");
await trial("persistence true, SIGKILL, autosave on changes 1", ["autosave_interval 1", "autosave_on_changes true"], "kill");
await trial("persistence false, graceful restart", ["persistence false"], "restart");
