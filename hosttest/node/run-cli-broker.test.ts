/**
 * Black-box tests of `paycard run` (npm start) against real brokers, as a child process: where to
 * watch and `--watch` (embedded aedes); a broker that refuses, cannot be reached or fails TLS is
 * one line and exit 2; a run's end is a graceful leave (the terminals' own "offline" status, then
 * DISCONNECT: mosquitto says "disconnected", not "closed its connection", and publishes no Will).
 */
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import type { FleetSummary } from "../../src/host/terminal-fleet";
import { TempTrees } from "../support/node/temp-tree";
import { findMosquitto, findMosquittoTool, freePort, Mosquitto, MOSQUITTO_MISSING } from "../../src/host/mosquitto-broker";
import { FaultProxy } from "../support/node/fault-proxy";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = path.join(root, "src", "host", "paycard.mjs");
const temps = new TempTrees("paycard-run-cli-");
afterAll(() => temps.removeAll());
const tempDir = (): string => temps.make({});

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

function paycardRun(args: string[], during?: () => void): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, "run", "--state-dir", tempDir(), ...args], { cwd: root });
    let out = "";
    let err = "";
    p.stdout.on("data", (b) => (out += b));
    p.stderr.on("data", (b) => (err += b));
    p.on("close", (code) => resolve({ code, out, err }));
    during?.();
  });
}

const binary = findMosquitto();
if (binary === null && process.env.CI === "true") throw new Error(`CI=true: ${MOSQUITTO_MISSING}`);
if (binary === null) console.log(`skipped paycard run against mosquitto: ${MOSQUITTO_MISSING}`);

describe("npm start: where to watch, and --watch", () => {
  it("says where to watch before the run, and prints each alert as it arrives, one readable line", async () => {
    const r = await paycardRun(["--duration", "4", "--watch"]);
    expect(r.code).toBe(0);
    const first = r.err.split("\n").slice(0, 2);
    expect(first[0]).toMatch(/^paycard run: broker embedded aedes mqtt:\/\/127\.0\.0\.1:(\d+); watch what the terminals publish with$/);
    const port = /:(\d+);/.exec(first[0]!)?.[1];
    expect(first[1]).toBe(`  mosquitto_sub -h 127.0.0.1 -p ${port} -t 'paycard/#' -v`);
    const alerts = r.out.split("\n").filter((l) => / ALERT {2}/.test(l));
    // The burst's first firing window may hold part of it (window edges follow the wall clock).
    expect(alerts.some((l) => /^\d\d:\d\d:\d\d ALERT {2}BURST_ATTACK card_hash=\S+ \(terminal term_1\): \d+ swipes in /.test(l)), r.out).toBe(true);
    // The summary still follows, and counts the same alerts.
    const total = Number(/alerts\s+(\d+)\s+received/.exec(r.out)?.[1]);
    expect(alerts).toHaveLength(total);
  }, 60_000);
});

describe.skipIf(binary === null)("paycard run against mosquitto", () => {
  it("a broker that refuses, is not there or fails TLS: one line naming it and why, exit 2", async () => {
    const passwd = findMosquittoTool("mosquitto_passwd");
    if (passwd === null) throw new Error("mosquitto_passwd not found: install the Debian package `mosquitto`");
    const dir = tempDir();
    const pwFile = path.join(dir, "passwd");
    spawnSync(passwd, ["-c", "-b", pwFile, "term", "right-password"]);
    const broker = await Mosquitto.start({ binary: binary!, passwordFile: pwFile });
    try {
      const p = broker.port;
      const cases: [string, string][] = [
        [`mqtt://127.0.0.1:${p}`, `paycard: broker mqtt://127.0.0.1:${p}: not authorised (CONNACK 5): give a user name and password in the URL, mqtt://user:password@host:port\n`],
        [`mqtt://term:wrong@127.0.0.1:${p}`, `paycard: broker mqtt://127.0.0.1:${p}: not authorised (CONNACK 5)`],
        [`mqtts://127.0.0.1:${p}`, `paycard: broker mqtts://127.0.0.1:${p}: it closed the connection at once (ECONNRESET: a TLS port spoken to without TLS, or the other way round?)\n`],
      ];
      const nobody = await freePort();
      cases.push([`mqtt://127.0.0.1:${nobody}`, `paycard: broker mqtt://127.0.0.1:${nobody}: nothing listens there (connection refused)\n`]);
      for (const [url, said] of cases) {
        const r = await paycardRun(["--broker", url, "--duration", "1", "--quiet"]);
        expect(r.code, url).toBe(2);
        expect(r.err.startsWith(said), `${url}: ${r.err}`).toBe(true);
        expect(r.err.split("\n").filter((l) => l !== "")).toHaveLength(1); // no stack trace
        expect(r.err.includes("wrong")).toBe(false); // never the password
        expect(r.out).toBe("");
      }
      // The right password passes the check and runs.
      const ok = await paycardRun(["--broker", `mqtt://term:right-password@127.0.0.1:${p}`, "--duration", "1", "--quiet", "--json"]);
      expect(ok.code).toBe(0);
    } finally {
      await broker.stop();
      await broker.cleanup();
    }
  }, 90_000);

  it("counts as lost only what never arrived: links cut and the broker restarted, checked against an independent subscriber", async () => {
    const broker = await Mosquitto.start({ binary: binary! });
    const proxy = new FaultProxy(broker.port, { seed: 7 });
    await proxy.listen();
    // An independent consumer with its own persistent session, straight to the broker.
    const ids = new Set<string>();
    const independent = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: `independent-${process.pid}`, clean: false, reconnectPeriod: 200 });
    independent.on("message", (_t, payload) => ids.add(String(JSON.parse(payload.toString()).request_id)));
    await independent.subscribeAsync("paycard/+/tx", { qos: 1 });
    const timers: NodeJS.Timeout[] = [];
    try {
      // Terminals and the run's own subscriber go through the proxy: cut together at 2.5 s; the broker restarts at 4.5 s.
      const r = await paycardRun(["--broker", `mqtt://127.0.0.1:${proxy.port}`, "--terminals", "4", "--rate", "60", "--duration", "8", "--quiet", "--json"], () => {
        timers.push(setTimeout(() => proxy.killAll(), 2_500));
        timers.push(setTimeout(() => void broker.restart(), 4_500));
      });
      const s = JSON.parse(r.out.trim().split("\n").pop() as string) as FleetSummary;
      for (let i = 0; i < 100 && ids.size < s.accepted; i++) await new Promise((res) => setTimeout(res, 100));
      expect(proxy.cuts).toBe(1);
      expect(broker.starts).toBe(2);
      expect(s.reconnects).toBeGreaterThanOrEqual(8); // 4 terminals, twice each
      expect(s.accepted).toBeGreaterThan(300);
      // The independent consumer got every accepted swipe; so did the run's subscriber, and it says so.
      expect(ids.size).toBe(s.accepted);
      expect(s.received).toBe(s.accepted);
      expect(s.lost).toBe(s.accepted - ids.size);
      expect(s.lost).toBe(0);
      expect(s.drained).toBe(true);
      expect(r.code).toBe(0);
    } finally {
      for (const t of timers) clearTimeout(t);
      await independent.endAsync();
      await proxy.close();
      await broker.stop();
      await broker.cleanup();
    }
  }, 90_000);

  it("ends with the terminals' own retained offline status and DISCONNECT, so the broker publishes no Will", async () => {
    const broker = await Mosquitto.start({ binary: binary!, extra: ["log_type notice"] });
    try {
      const r = await paycardRun(["--broker", `mqtt://127.0.0.1:${broker.port}`, "--terminals", "3", "--duration", "2", "--quiet", "--json"]);
      expect(r.code).toBe(0);
      for (const t of ["term_1", "term_2", "term_3"]) {
        expect(broker.log.some((l) => l.endsWith(`Client paycard-${t} disconnected.`)), broker.log.join("\n")).toBe(true);
        expect(broker.log.some((l) => l.includes(`Client paycard-${t} closed its connection`))).toBe(false);
      }
      // What a consumer finds afterwards: each terminal's retained status says offline.
      const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
      const status = new Map<string, string>();
      sub.on("message", (topic, payload) => status.set(topic, String(JSON.parse(payload.toString()).status)));
      await sub.subscribeAsync("paycard/+/status", { qos: 1 });
      await new Promise((res) => setTimeout(res, 300));
      await sub.endAsync();
      expect(Object.fromEntries(status)).toEqual({ "paycard/term_1/status": "offline", "paycard/term_2/status": "offline", "paycard/term_3/status": "offline" });
    } finally {
      await broker.stop();
      await broker.cleanup();
    }
  }, 60_000);
});
