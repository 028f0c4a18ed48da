/**
 * Captures the lab guide's serial transcript (docs/lab-guide.md) from a real run of the `lin`
 * firmware: mosquitto and chronyd on loopback, the lab's swipe script (swipes, a card test, a big
 * ticket), the broker stopped for 30 s (with 20 swipes typed on the console meanwhile, more than
 * the outbox keeps in RAM) and started again, and a watcher subscribed to
 * `paycard/#` as `mosquitto_sub -v` would be. Prints the firmware's lines and what the watcher
 * received, each with its second since boot.
 *
 *   MODDABLE=<sdk> PATH=$MODDABLE/build/bin/lin/release:$PATH npx tsx hosttest/support/node/capture-lab-transcript.ts
 *
 * Needs what the lin suite needs (the SDK's Linux tools, xvfb-run, mosquitto, chronyd); about
 * three minutes. It replaces lin's preferences and the lab journal in /tmp for the run and puts
 * the preferences back.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { Mosquitto } from "../../../src/host/mosquitto-broker";
import { Chrony } from "./chrony";
import { buildLin, freshPreferences, LIN_AVAILABLE, LIN_MISSING, removeJournal, startLin } from "./lin-firmware";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const JOURNAL = "paycard-lab-tx.jnl";
const RUN_S = 170;
const OFFLINE_AT_S = 75;
const ONLINE_AT_S = 105;
/** Swipes typed on the console while offline: more than the outbox holds in RAM (14), so some wait in flash. */
const OFFLINE_SWIPES = 20;
const typedSwipes = Array.from({ length: OFFLINE_SWIPES }, (_, i) => `{"transaction_id":"typed_${i + 1}","card_hash":"hash_walkin_${i + 1}","amount_cents":${1_000 + 37 * i}}`).join("\n");
/** Console lines typed during the run: [second, line]. */
const TYPED: [number, string][] = [
  [70, "status"],
  [85, typedSwipes],
  [100, "status"],
  [135, "status"],
];

if (!LIN_AVAILABLE) {
  console.error(`capture-lab-transcript: ${LIN_MISSING}`);
  process.exit(2);
}

const restorePrefs = freshPreferences();
removeJournal(JOURNAL);
const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-lab-transcript-"));
const consoleFile = path.join(dir, "console.txt");
writeFileSync(consoleFile, "");
const broker = await Mosquitto.start();
const chrony = await Chrony.start();
const transcript: string[] = [];
let t0 = 0;
const stamp = () => (t0 === 0 ? "   -" : `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}`);
const watcher = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { clientId: "lab-watcher", clean: false, reconnectPeriod: 500 });
watcher.on("error", () => {});
watcher.on("message", (topic, payload) => {
  const text = payload.toString();
  transcript.push(`${stamp()}  [mosquitto_sub] ${topic} ${text.length > 150 ? text.slice(0, 150) + "…" : text}`);
});
try {
  await new Promise<void>((resolve, reject) => {
    watcher.once("connect", () => watcher.subscribe("paycard/#", { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  });
  buildLin(root, [`brokerPort=${broker.port}`, `ntpPort=${chrony.port}`, `consoleFile=${consoleFile}`, `journalFile=${JOURNAL}`, `scriptSeconds=${RUN_S - 30}`, "brokerBackoffCapMs=2000"]);
  t0 = Date.now();
  const timers = [
    ...TYPED.map(([s, line]) => setTimeout(() => appendFileSync(consoleFile, `${line}\n`), s * 1000)),
    setTimeout(() => {
      transcript.push(`${stamp()}  [lab] mosquitto stopped: the terminal is offline`);
      void broker.stop();
    }, OFFLINE_AT_S * 1000),
    setTimeout(() => {
      transcript.push(`${stamp()}  [lab] mosquitto started again`);
      void broker.restart();
    }, ONLINE_AT_S * 1000),
  ];
  const run = startLin(root, RUN_S, undefined, (l) => transcript.push(`${stamp()}  ${l}`));
  try {
    await run.lines;
  } finally {
    for (const t of timers) clearTimeout(t);
  }
  console.log(transcript.join("\n"));
} finally {
  watcher.end(true);
  await chrony.cleanup();
  await broker.cleanup();
  restorePrefs();
  removeJournal(JOURNAL);
  rmSync(dir, { recursive: true, force: true });
}
