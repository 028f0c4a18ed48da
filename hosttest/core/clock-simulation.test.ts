// Engine-neutral, seeded simulations of the SNTP client and the disciplined
// clock (src/sim/ntp-simulation.ts): a monotonic clock off by
// ±100 ppm, asymmetric paths with up to 50 ms of queueing each way, loss,
// spoofed replies, Kiss-o'-Death, a server that steps, an outage (holdover),
// the 2036 era rollover. Sized to run in a few seconds under XS too.
import { describe, expect, it } from "vitest";
import { ClockState } from "../../src/core/clock/clock-reading";
import type { SimResult, SimScenario } from "../../src/sim/ntp-simulation";
import { runNtpSimulation, threeServers } from "../../src/sim/ntp-simulation";

function expectSound(r: SimResult): void {
  expect(r.monotonicViolations).toBe(0);
  expect(r.boundViolations).toBe(0);
  expect(r.client.internalErrors).toBe(0);
  // Outside bursts, no server is polled faster than every 15 s.
  expect(r.minSteadySpacingS).toBeGreaterThanOrEqual(15);
}

describe("clock simulation: 50 ms jitter, ±100 ppm, 5 % loss, 3 servers", () => {
  const base: SimScenario = { seed: 3, durationS: 6 * 3600, driftPpm: 100, wanderPpm: 1, wanderPeriodS: 86400, jitterMs: 50, lossRate: 0.05, servers: threeServers() };

  it("converges within 5 minutes and keeps event-time p99 under 10 ms", () => {
    const r = runNtpSimulation(base);
    expectSound(r);
    expect(r.firstSyncS).toBeLessThan(30);
    expect(r.convergeS).toBeLessThan(300);
    expect(r.scored).toBeGreaterThan(3000);
    expect(r.p99Ms).toBeLessThan(10);
    expect(r.p50Ms).toBeLessThan(4);
    expect(r.finalState).toBe(ClockState.SYNCED);
    // It learned the frequency: the monotonic clock runs 100 ppm fast, so UTC runs 100 ppm slower than it.
    expect(r.telemetry.frequencyPpm).toBeGreaterThan(-110);
    expect(r.telemetry.frequencyPpm).toBeLessThan(-90);
    // High jitter keeps the poll interval short (adaptive backoff), all three servers take turns.
    for (const n of r.serverRequests) expect(n).toBeGreaterThan(400);
    expect(r.client.timeouts).toBeGreaterThan(0); // loss happened
  });

  it("does as well with the clock 100 ppm slow", () => {
    const r = runNtpSimulation({ ...base, seed: 11, durationS: 3 * 3600, driftPpm: -100 });
    expectSound(r);
    expect(r.convergeS).toBeLessThan(300);
    expect(r.p99Ms).toBeLessThan(10);
    expect(r.telemetry.frequencyPpm).toBeGreaterThan(90);
    expect(r.telemetry.frequencyPpm).toBeLessThan(110);
  });
});

describe("clock simulation: special conditions", () => {
  const quiet: SimScenario = { seed: 5, durationS: 2 * 3600, driftPpm: 100, jitterMs: 0, servers: threeServers() };

  it("without jitter converges at the boot burst and stays within the paths' asymmetry", () => {
    const r = runNtpSimulation(quiet);
    expectSound(r);
    expect(r.convergeS).toBeLessThan(30);
    // Asymmetry of the paths: ±1.5 ms, the floor of any NTP client.
    expect(r.p99Ms).toBeLessThan(3);
    // Quiet paths let the poll interval back off: far fewer requests than at 50 ms jitter.
    expect(r.client.requests).toBeLessThan(100);
    expect(r.client.bursts).toBe(1);
  });

  it("is deterministic for a seed", () => {
    const jittery = { ...quiet, durationS: 1800, jitterMs: 10, lossRate: 0.05 };
    const a = runNtpSimulation(jittery);
    const b = runNtpSimulation(jittery);
    expect(a.p99Ms).toBe(b.p99Ms);
    expect(a.client.requests).toBe(b.client.requests);
    const c = runNtpSimulation({ ...jittery, seed: 6 });
    expect(c.p99Ms === a.p99Ms && c.client.requests === a.client.requests).toBe(false);
  });

  it("holds over through a 90 minute outage with a bound that always covers the true error", () => {
    const r = runNtpSimulation({ seed: 7, durationS: 4 * 3600, driftPpm: -100, wanderPpm: 1, wanderPeriodS: 86400, jitterMs: 10, lossRate: 0.02, servers: threeServers(), outage: { fromS: 5400, toS: 10800 } });
    expectSound(r);
    expect(r.stateInOutage).toBe(ClockState.HOLDOVER);
    expect(r.holdoverProbes).toBeGreaterThan(300);
    expect(r.holdoverBoundViolations).toBe(0);
    // Bound grows (wander term alone: 10 ppm × 5400 s = 54 ms), error stays small thanks to the kept frequency.
    expect(r.holdoverMaxBoundMs).toBeGreaterThan(50);
    expect(r.holdoverMaxErrorMs).toBeLessThan(r.holdoverMaxBoundMs);
    expect(r.holdoverMaxErrorMs).toBeLessThan(20);
    expect(r.finalState).toBe(ClockState.SYNCED);
    expect(r.p99Ms).toBeLessThan(10);
  });

  it("refuses spoofed replies and a server that echoes a wrong originate", () => {
    const servers = threeServers();
    servers[0] = { ...servers[0]!, spoofer: true };
    servers[1] = { ...servers[1]!, wrongOrigin: true };
    const r = runNtpSimulation({ seed: 8, durationS: 3 * 3600, driftPpm: 100, jitterMs: 10, lossRate: 0.02, servers });
    expectSound(r);
    expect(r.spoofsSent).toBeGreaterThan(20);
    // Every forged reply and every reply of the confused server is an origin mismatch.
    expect(r.client.rejects.ORIGIN_MISMATCH).toBeGreaterThanOrEqual(r.spoofsSent + 20);
    expect(r.client.samples).toBeGreaterThan(40);
    // The forged replies say +5 s: none got in.
    expect(r.maxMs).toBeLessThan(10);
    expect(r.telemetry.steps).toBe(1);
  });

  it("obeys Kiss-o'-Death: RATE slows a server down, DENY drops it", () => {
    const servers = threeServers();
    servers[0] = { ...servers[0]!, kod: { code: "RATE", fromS: 600, toS: 1300 } };
    servers[1] = { ...servers[1]!, kod: { code: "DENY", fromS: 1200 } };
    const r = runNtpSimulation({ seed: 9, durationS: 3 * 3600, driftPpm: -100, jitterMs: 50, lossRate: 0.02, servers });
    expectSound(r);
    expect(r.client.rejects.KOD_RATE).toBeGreaterThanOrEqual(1);
    expect(r.client.rejects.KOD_DENY).toBe(1);
    expect(r.client.serversDropped).toBe(1);
    // Dropped at ~1200 s of 10 800: server 1 saw far fewer requests than server 2; the RATE server fewer too.
    expect(r.serverRequests[1]!).toBeLessThan(r.serverRequests[2]! / 4);
    expect(r.serverRequests[0]!).toBeLessThan(r.serverRequests[2]!);
    expect(r.p99Ms).toBeLessThan(10);
  });

  it("outvotes a server whose time steps by 3 s, and one that is 2.5 s off from the start", () => {
    const servers = threeServers();
    servers[1] = { ...servers[1]!, stepAtS: 3600, stepMs: 3000 };
    const r = runNtpSimulation({ seed: 10, durationS: 3 * 3600, driftPpm: 100, jitterMs: 10, lossRate: 0.02, servers });
    expectSound(r);
    expect(r.telemetry.outliers).toBeGreaterThan(10);
    expect(r.telemetry.reacquisitions).toBe(0);
    expect(r.telemetry.steps).toBe(1);
    expect(r.maxMs).toBeLessThan(10);

    const liars = threeServers();
    liars[2] = { ...liars[2]!, offsetMs: 2500 };
    const f = runNtpSimulation({ seed: 12, durationS: 3600, driftPpm: 100, jitterMs: 10, servers: liars });
    expectSound(f);
    expect(f.telemetry.falsetickers).toBe(1);
    expect(f.maxMs).toBeLessThan(10);
  });

  it("follows its only server when it steps back 2 s: re-acquires, steps, readings never go back", () => {
    const one = [{ ...threeServers()[0]!, stepAtS: 3600, stepMs: -2000 }];
    const r = runNtpSimulation({ seed: 13, durationS: 2 * 3600, driftPpm: 100, jitterMs: 5, servers: one });
    expect(r.monotonicViolations).toBe(0);
    expect(r.telemetry.reacquisitions).toBe(1);
    expect(r.telemetry.backwardSteps).toBe(1);
    expect(r.telemetry.steps).toBe(2);
    expect(r.telemetry.clampedReadings).toBeGreaterThanOrEqual(r.probes); // the second read of each probe (+ any read during the hold)
    // The clock now agrees with the server, 2 s behind true time.
    expect(r.finalState).toBe(ClockState.SYNCED);
    expect(Math.abs(r.telemetry.offsetMs)).toBeLessThan(10);
  });

  it("crosses the 2036 NTP era rollover without a hitch", () => {
    const r = runNtpSimulation({ seed: 14, durationS: 2 * 3600, startUtcMs: 2085978496000 - 3600_000, driftPpm: -100, jitterMs: 10, servers: threeServers() });
    expectSound(r);
    expect(r.convergeS).toBeLessThan(60);
    expect(r.maxMs).toBeLessThan(10);
    expect(r.telemetry.steps).toBe(1);
  });

  it("back-dates events read before the first sync", () => {
    const r = runNtpSimulation({ seed: 15, durationS: 600, driftPpm: 100, jitterMs: 10, probeMeanS: 0.5, servers: threeServers() });
    expectSound(r);
    expect(r.backdated).toBeGreaterThan(5);
    expect(r.backdateBoundViolations).toBe(0);
    expect(r.backdateMaxErrorMs).toBeLessThan(10);
  });
});
