// Store and forward on the host, no broker mocks: a terminal in a child
// process (terminal-child.ts, "segments": the device's outbox bounds and
// flash sizes, a SegmentedJournal over files) takes 2 400 transactions while
// its broker is down, SIGKILLed twice while it stores them; then a real
// mosquitto comes back and the backlog drains, with one more SIGKILL in the
// middle of the drain. An MQTT.js subscriber (QoS 1, persistent session)
// checks every request id arrives.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import mqtt from "mqtt";
import { describe, expect, it } from "vitest";
import { deviceOutboxOverrides, deviceStorageOptions } from "../../src/core/settings/device-config";
import { findMosquitto, Mosquitto, MOSQUITTO_MISSING } from "../../src/host/mosquitto-broker";
import { requestIdFor } from "../support/node/terminal-child";
import { TerminalProcess } from "../support/node/terminal-process";
import { waitFor } from "../support/node/wait-for";

const N = 2_400;
const TERMINAL = "term_sf";
const KILLS_WHILE_STORING = [700, 1_700];
const binary = findMosquitto(); // throws under CI=true when missing
if (binary === null) console.log(`skipped store-and-forward suite: ${MOSQUITTO_MISSING}`);

describe.skipIf(binary === null)("store and forward with the device's sizes, against mosquitto", () => {
  it(`holds ${N} transactions through an outage (two kill -9 while storing), then drains every one (a kill -9 mid-drain)`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-saf-"));
    const journal = path.join(dir, "journal");
    const broker = await Mosquitto.start({ binary: binary!, extra: ["max_inflight_messages 0", "max_queued_messages 0"] });
    const arrivals = new Map<string, number>();
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: `observer-${TERMINAL}`, clean: false, reconnectPeriod: 100 });
    sub.on("error", () => {});
    sub.on("message", (_t, payload) => {
      const id = (JSON.parse(payload.toString()) as { request_id: string }).request_id;
      arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
    });
    await sub.subscribeAsync(`paycard/${TERMINAL}/tx`, { qos: 1 });
    const procs: TerminalProcess[] = [];
    const start = (seed: number) => {
      const t = new TerminalProcess(journal, broker.port, TERMINAL, N, seed, "segments");
      procs.push(t);
      return t;
    };
    const log: string[] = [];
    try {
      await broker.stop(); // the outage: the subscriber's session stays in mosquitto's persistence file
      // ---- storing: every transaction accepted offline, the process killed twice
      let t = start(1);
      for (const at of KILLS_WHILE_STORING) {
        await waitFor(() => (t.last?.seq ?? 0) >= at || t.error !== "", 60_000, () => `seq ${t.last?.seq} ${t.error} ${t.stderr}`);
        await t.kill9();
        const killedAt = t.last!;
        t = start(procs.length + 1);
        await waitFor(() => t.ready !== null || t.error !== "", 30_000, () => `READY ${t.error} ${t.stderr}`);
        const ready = t.ready!;
        // Nothing was acknowledged: everything accepted before the kill is back, in RAM or in the backlog.
        expect(ready.restored + ready.backlog).toBe(ready.resume);
        expect(ready.resume).toBeGreaterThanOrEqual(killedAt.seq);
        log.push(`kill -9 at ${killedAt.seq} accepted: restored ${ready.restored} to RAM, ${ready.backlog} in the backlog, discarded ${ready.discardedBytes} B`);
      }
      await waitFor(() => t.last?.seq === N || t.error !== "", 120_000, () => `all accepted offline: seq ${t.last?.seq} ${t.error}`);
      const offline = t.last!;
      expect(offline.held).toBeLessThanOrEqual(deviceOutboxOverrides().maxMessages);
      expect(offline.held + offline.backlog).toBe(N);
      expect(offline.storageBytes).toBeLessThanOrEqual(deviceStorageOptions().maxBytes);
      expect(offline.refused).toBe(0);
      expect(offline.boundViolations).toBe(0);
      log.push(`offline: ${N} accepted, ${offline.held} in RAM, ${offline.backlog} in the backlog, ${offline.storageBytes} B of segments`);

      // ---- the broker returns: drain, killed once in the middle
      await broker.restart();
      const distinct = () => arrivals.size;
      await waitFor(() => distinct() >= N / 3 || t.error !== "", 120_000, () => `a third delivered: ${distinct()} ${t.error}`);
      await t.kill9();
      log.push(`kill -9 while draining at ${distinct()} delivered`);
      t = start(procs.length + 1);
      await waitFor(() => t.done !== null || t.error !== "" || !t.alive, 180_000, () => `drained: ${distinct()} delivered, ${JSON.stringify(t.last)} ${t.error}`);
      expect(t.error).toBe("");
      await waitFor(() => distinct() >= N, 20_000, () => `${distinct()} of ${N} at the subscriber`);
      const missing: number[] = [];
      let duplicates = 0;
      for (let seq = 0; seq < N; seq++) {
        const n = arrivals.get(requestIdFor(TERMINAL, seq)) ?? 0;
        if (n === 0) missing.push(seq);
        else duplicates += n - 1;
      }
      expect(missing).toEqual([]);
      expect(arrivals.size).toBe(N);
      const done = t.done!;
      expect(done.backlog).toBe(0);
      expect(done.held).toBe(0);
      expect(done.boundViolations).toBe(0);
      log.push(`drained: ${N} of ${N} request ids at the subscriber, ${duplicates} duplicates (sent again after the kill, deduped by request id); storage now ${done.storageBytes} B`);
      console.log(`store and forward: ${log.join("; ")}`);
    } finally {
      for (const p of procs) await p.kill9();
      sub.end(true);
      await broker.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);
});
