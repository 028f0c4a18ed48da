// Node-only integration: the real SNTP client (SntpClient + DisciplinedClock
// over the Node UDP, resolver and monotonic-clock adapters) against a real
// chronyd serving the host clock on a free loopback port. The disciplined
// clock must sync and agree with the host clock (Date.now) within 5 ms.
import { describe, expect, it } from "vitest";
import { ClockState, createClockReading } from "../../src/core/clock/clock-reading";
import { DisciplinedClock } from "../../src/core/clock/discipline/disciplined-clock";
import { SntpClient } from "../../src/core/clock/sntp/sntp-client";
import { SNTP_REJECT_REASONS } from "../../src/core/clock/sntp/sntp-reject-reason";
import { SeededRandom } from "../../src/sim/seeded-random";
import { NodeMonotonicClock } from "../../src/host/node-monotonic-clock";
import { nodeResolver } from "../../src/host/node-resolver";
import { nodeUdpSocketFactory } from "../../src/host/node-udp-port";
import { Chrony, CHRONYD_MISSING, findChronyd } from "../support/node/chrony";

const binary = findChronyd(); // throws under CI=true when missing
if (binary === null) console.log(`skipped chrony suite: ${CHRONYD_MISSING}`);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe.skipIf(binary === null)("SNTP client against chronyd on loopback", () => {
  it("syncs from a burst and agrees with the host clock within 5 ms", async () => {
    const chrony = await Chrony.start(binary);
    const mono = new NodeMonotonicClock();
    const clock = new DisciplinedClock(mono);
    // Two names for the one server: rotation over both, name resolution through the port.
    const client = new SntpClient(
      { servers: ["127.0.0.1", "localhost"], port: chrony.port, burstSpacingMs: 250, responseTimeoutMs: 1000 },
      { clock: mono, udp: nodeUdpSocketFactory({ bindAddress: "127.0.0.1" }), resolver: nodeResolver, random: new SeededRandom(Date.now() >>> 0) },
      clock,
    );
    const timer = setInterval(() => client.tick(), 10);
    try {
      expect(clock.now().state).toBe(ClockState.UNSYNCED);
      client.start();
      const t0 = Date.now();
      while (!clock.isSynced && Date.now() - t0 < 15_000) await sleep(20);
      expect(clock.isSynced).toBe(true);
      await sleep(100);
      // Compare at one instant: Date.now() has 1 ms resolution, so bracket the reading.
      let best = Infinity;
      let reading = createClockReading();
      for (let i = 0; i < 20; i++) {
        const a = Date.now();
        const r = clock.now(createClockReading());
        const b = Date.now();
        const diff = r.utcMs - (a + b + 1) / 2; // Date.now() truncates: the middle of [a, b + 1)
        if (Math.abs(diff) < Math.abs(best)) {
          best = diff;
          reading = r;
        }
        await sleep(5);
      }
      expect(Math.abs(best)).toBeLessThan(5);
      expect(reading.state).toBe(ClockState.SYNCED);
      expect(reading.errorBoundMs).toBeGreaterThan(0);
      expect(reading.errorBoundMs).toBeLessThan(50);

      const c = client.counters;
      expect(c.lastStratum).toBe(8);
      expect(c.samples).toBeGreaterThanOrEqual(4);
      for (const reason of SNTP_REJECT_REASONS) expect(`${reason}=${c.rejects[reason]}`).toBe(`${reason}=0`);
      expect(c.internalErrors).toBe(0);
      expect(client.servers.map((s) => s.state)).toEqual(["ready", "ready"]);
      expect(client.servers[1]!.address).toBe("127.0.0.1");
      expect(client.servers[0]!.samples).toBeGreaterThan(0);
      expect(client.servers[1]!.samples).toBeGreaterThan(0);
      const t = clock.telemetry();
      expect(t.steps).toBe(1);
      expect(Math.abs(t.frequencyPpm)).toBeLessThan(200);
    } finally {
      clearInterval(timer);
      client.stop();
      await chrony.cleanup();
    }
  });
});
