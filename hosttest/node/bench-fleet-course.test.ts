/**
 * bench:fleet's course scenario, small: terminals in two worker processes, sharded over two real
 * mosquitto brokers, fed at a rate, then every broker restarted at once while swipes go on. Figures
 * are not judged here (docs/benchmarks.md has them), only that every terminal connected and
 * reconnected, every accepted swipe was received or is still held (lost 0), and the report holds
 * together.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findMosquitto, findMosquittoTool, MOSQUITTO_MISSING } from "../../src/host/mosquitto-broker";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const available = findMosquitto() !== null && findMosquittoTool("mosquitto_pub") !== null;
if (!available && process.env.CI === "true") throw new Error(`CI=true: ${MOSQUITTO_MISSING}`);
if (!available) console.log(`skipped bench:fleet course smoke run: ${MOSQUITTO_MISSING}`);

describe.skipIf(!available)("bench:fleet --scenario course, small", () => {
  it("connects every terminal over sharded brokers, delivers every accepted swipe, and reconnects the herd after the brokers restart", () => {
    const args = ["--terminals", "300", "--processes", "2", "--per-broker", "200", "--rate", "300", "--duration", "3", "--storm", "4", "--json"];
    const r = spawnSync(process.execPath, ["src/host/paycard.mjs", "bench-fleet", "--scenario", "course", ...args], { cwd: root, encoding: "utf8", timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as Record<string, unknown> & {
      storm: { reconnected: number; reconnect_s: number; swipes: number };
      latency_ms: { samples: number; p99: number };
    };
    expect(out.terminals).toBe(300);
    expect(out.brokers).toBe(2);
    expect(out.processes).toBe(2);
    expect(out.connected).toBe(300);
    expect(out.storm.reconnected).toBe(300);
    expect(out.storm.reconnect_s).toBeGreaterThan(0);
    expect(out.swipes as number).toBeGreaterThan(500); // 3 s at 300/s
    expect(out.storm.swipes).toBeGreaterThan(700); // 4 s at 300/s
    expect(out.lost).toBe(0);
    expect((out.received as number) + (out.held_at_end as number)).toBe(out.accepted);
    expect(out.accepted as number).toBeGreaterThanOrEqual((out.swipes as number) + out.storm.swipes - (out.declined as number));
    expect(out.latency_ms.samples).toBeGreaterThan(0);
    expect(out.broker_ceiling_msgs_per_s as number).toBeGreaterThan(0);
    expect(out.rss_per_terminal_kb as number).toBeGreaterThan(0);
    expect(r.stdout).toContain("storm ");
  }, 260_000);

  it("refuses options of the other scenario, and more terminals a process than the open-files limit allows", () => {
    const a = spawnSync(process.execPath, ["src/host/paycard.mjs", "bench-fleet", "--storm", "3"], { cwd: root, encoding: "utf8" });
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("--storm belongs to --scenario course");
    const b = spawnSync(process.execPath, ["src/host/paycard.mjs", "bench-fleet", "--scenario", "course", "--terminals", "100000", "--processes", "1"], { cwd: root, encoding: "utf8" });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/open-files limit/);
  });
});
