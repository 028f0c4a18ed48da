/**
 * End to end: terminal apps on this host (src/host/terminal-fleet.ts) against
 * a real broker — the embedded aedes and an external mosquitto — measured by
 * a real subscriber; and `npm start` itself (the README's command) in a
 * short run, as a child process. No broker is mocked.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedBroker } from "../../src/host/embedded-broker";
import { OsEventClock } from "../../src/host/os-event-clock";
import { runFleet, type FleetSummary } from "../../src/host/terminal-fleet";
import { TempTrees } from "../support/node/temp-tree";
import { Chrony, CHRONYD_MISSING, findChronyd } from "../support/node/chrony";
import { findMosquitto, Mosquitto, MOSQUITTO_MISSING } from "../../src/host/mosquitto-broker";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const temps = new TempTrees("paycard-fleet-");
afterAll(() => temps.removeAll());
const stateDir = (): string => temps.make({});

/** A few seconds of traffic with frequent bursts and big tickets. */
async function shortRun(host: string, port: number, terminals: number): Promise<FleetSummary> {
  return runFleet({
    terminals, rate: 200, durationS: 4, seed: 11, stateDir: stateDir(), configOverrides: {},
    broker: { host, port, tls: false, username: "", password: "" },
    clock: () => new OsEventClock(),
    traffic: { burstEveryMs: 1_200, anomalyEveryMs: 1_500 },
  });
}

function expectHealthy(s: FleetSummary): void {
  expect(s.drained).toBe(true);
  expect(s.accepted).toBeGreaterThan(500);
  expect(s.lost).toBe(0);
  expect(s.dup_effects).toBe(0);
  expect(s.received).toBe(s.accepted);
  expect(s.acked).toBeGreaterThanOrEqual(s.accepted);
  expect(s.alerts.burst.injected).toBeGreaterThan(0);
  expect(s.alerts.burst.recall).toBe(1);
  expect(s.alerts.burst.precision).toBe(1);
  expect(s.alerts.anomaly.detected).toBeGreaterThan(0);
  expect(s.alerts.anomaly.precision).toBe(1);
  expect(s.latency_ms.samples).toBe(s.received);
}

describe("terminal fleet against the embedded aedes broker", () => {
  it("delivers every accepted swipe once after dedup and detects the injected bursts", async () => {
    const broker = await EmbeddedBroker.start();
    try {
      expectHealthy(await shortRun("127.0.0.1", broker.port, 3));
    } finally {
      await broker.stop();
    }
  }, 30_000);
});

const mosquittoBinary = findMosquitto();
if (mosquittoBinary === null) console.log(`skipped fleet-against-mosquitto test: ${MOSQUITTO_MISSING}`);

describe.skipIf(mosquittoBinary === null)("terminal fleet against mosquitto", () => {
  it("delivers every accepted swipe once after dedup and detects the injected bursts", async () => {
    const m = await Mosquitto.start();
    try {
      expectHealthy(await shortRun("127.0.0.1", m.port, 4));
    } finally {
      await m.stop();
      await m.cleanup();
    }
  }, 30_000);
});

const chronyd = findChronyd();
if (chronyd === null) console.log(`skipped paycard run --ntp test: ${CHRONYD_MISSING}`);

describe.skipIf(chronyd === null)("paycard run --ntp against chronyd", () => {
  it("syncs each terminal's own disciplined clock first, then loses nothing", async () => {
    const chrony = await Chrony.start(chronyd);
    try {
      const p = spawn(
        process.execPath,
        [path.join(root, "src/host/paycard.mjs"), "run", "--duration", "2", "--terminals", "2", "--ntp", `127.0.0.1:${chrony.port}`, "--state-dir", stateDir(), "--json", "--quiet"],
        { cwd: root },
      );
      let out = "";
      p.stdout.on("data", (b) => (out += b));
      const code = await new Promise((r) => p.on("close", r));
      expect(code).toBe(0);
      const s = JSON.parse(out.trim().split("\n").pop() as string) as FleetSummary;
      expect(s.clock_sync_s).toBeGreaterThan(0);
      expect(s.clock_sync_s).toBeLessThan(20);
      expect(s.held_for_time).toBe(0);
      expect(s.lost).toBe(0);
      expect(s.accepted).toBeGreaterThan(10);
    } finally {
      await chrony.cleanup();
    }
  }, 60_000);
});

describe("npm start (paycard run), short", () => {
  it("shows the progress line and a summary with lost = 0, and --json matches", async () => {
    const dir = stateDir();
    const run = (extra: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [path.join(root, "src/host/paycard.mjs"), "run", "--duration", "3", "--state-dir", dir, ...extra], { cwd: root });
        let out = "";
        let err = "";
        p.stdout.on("data", (b) => (out += b));
        p.stderr.on("data", (b) => (err += b));
        p.on("close", (code) => resolve({ code, out, err }));
      });
    const text = await run([]);
    expect(text.code).toBe(0);
    expect(text.err).toMatch(/\[\s*\d+\.\d s\] swipes \d+ {2}accepted \d+ {2}published \d+ {2}acked \d+ {2}outbox \d+ {2}alerts \d+/);
    expect(text.out).toContain("broker embedded aedes mqtt://127.0.0.1:");
    expect(text.out).toMatch(/lost\s+0\s+still held \(journaled\) 0\s+duplicates received \d+\s+duplicate effects after dedup 0/);
    expect(text.out).toContain("drained: every accepted swipe reached the subscriber");
    const json = await run(["--json", "--quiet"]);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.out.trim().split("\n").pop() as string) as FleetSummary;
    expect(s.lost).toBe(0);
    expect(s.terminals).toBe(1);
    expect(s.accepted).toBeGreaterThan(20);
    expect(json.err).toBe("");
  }, 60_000);

  it("refuses bad options with a clear message", async () => {
    const p = spawn(process.execPath, [path.join(root, "src/host/paycard.mjs"), "run", "--broker", "http://x"], { cwd: root });
    let err = "";
    p.stderr.on("data", (b) => (err += b));
    const code = await new Promise((r) => p.on("close", r));
    expect(code).toBe(2);
    expect(err).toContain("--broker must use mqtt:// or mqtts://");
  });
});
