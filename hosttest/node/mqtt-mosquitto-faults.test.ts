// Node-only, no broker mocks: a terminal (FileJournal + Outbox + MqttSession
// + OutboxPublisher, in a child process) publishes 10 000 transaction events
// through a fault proxy (random cuts, fragments, delays) to a real mosquitto
// with persistence, while the test SIGKILLs and restarts mosquitto, cuts the
// proxy, and SIGKILLs the terminal once (restarted on the same journal). An
// MQTT.js subscriber (QoS 1, cleanSession=false, fixed id) records what
// arrives. Every accepted event must arrive, exactly once after dedup on
// its request id; the outbox bounds must hold; the counters must add up.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/sim/seeded-random";
import { FileJournal } from "../../src/host/file-journal";
import { FaultProxy } from "../support/node/fault-proxy";
import { findMosquitto, Mosquitto, MOSQUITTO_MISSING } from "../../src/host/mosquitto-broker";
import { CHILD_BOUNDS, requestIdFor } from "../support/node/terminal-child";
import { TerminalProcess } from "../support/node/terminal-process";
import { sleep, waitFor } from "../support/node/wait-for";

const N = 10_000;
const TERMINAL = "term_f";
const SEED = 20260110;
const BROKER_KILLS_AT = [1200, 3200, 5600, 8200]; // distinct arrivals
const PROXY_CUTS_AT = [600, 2500, 4400, 7000, 9300];
const CLIENT_KILL_AT = 4800; // events accepted by the first terminal process

const binary = findMosquitto(); // throws under CI=true when missing
if (binary === null) console.log(`skipped mosquitto fault suite: ${MOSQUITTO_MISSING}`);

interface Subscriber {
  client: MqttClient;
  arrivals: Map<string, number>;
  total: number;
  unknown: string[];
  /** sessionPresent of each reconnect (the first CONNACK is not recorded). */
  sessionPresent: boolean[];
}

async function subscriber(port: number): Promise<Subscriber> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `paycard-observer-${TERMINAL}`,
    clean: false,
    reconnectPeriod: 100,
    connectTimeout: 2000,
  });
  const s: Subscriber = { client, arrivals: new Map(), total: 0, unknown: [], sessionPresent: [] };
  client.on("error", () => {});
  client.on("connect", (ck) => s.sessionPresent.push(ck.sessionPresent));
  client.on("message", (_topic, payload) => {
    s.total++;
    let id = "?";
    try {
      id = (JSON.parse(payload.toString()) as { request_id: string }).request_id;
    } catch {
      s.unknown.push(payload.toString().slice(0, 80));
      return;
    }
    s.arrivals.set(id, (s.arrivals.get(id) ?? 0) + 1);
  });
  await client.subscribeAsync(`paycard/${TERMINAL}/tx`, { qos: 1 });
  return s;
}

describe.skipIf(binary === null)("terminal against mosquitto under faults", () => {
  it(`delivers ${N} events exactly once after dedup through broker kills, proxy cuts and a client kill -9`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-faults-"));
    const journalFile = path.join(dir, "outbox.journal");
    const rnd = new SeededRandom(SEED);
    let broker: Mosquitto | null = null;
    let proxy: FaultProxy | null = null;
    let sub: Subscriber | null = null;
    const terminals: TerminalProcess[] = [];
    const deadline = Date.now() + 75_000;
    try {
      // Unlimited in-flight and queue towards subscribers: mosquitto then writes every
      // message to an online subscriber at once instead of holding it in memory, where
      // a SIGKILL would lose it after it was PUBACKed to the terminal.
      broker = await Mosquitto.start({ binary: binary!, extra: ["max_inflight_messages 0", "max_queued_messages 0"] });
      const b = broker;
      sub = await subscriber(b.port);
      const s = sub;
      // A graceful restart writes the subscriber's session (and its subscription) to the
      // persistence file, so every SIGKILL restart below brings it back.
      await b.restart();
      await waitFor(() => s.client.connected, 10_000, () => "the subscriber to reconnect after a graceful restart");

      proxy = new FaultProxy(b.port, { seed: SEED, fragmentMax: 200, delayProbability: 0.02, delayMaxMs: 3, cutEveryBytes: { min: 60_000, max: 300_000 } });
      await proxy.listen();
      const p = proxy;

      terminals.push(new TerminalProcess(journalFile, p.port, TERMINAL, N, SEED));
      const brokerKills = BROKER_KILLS_AT.slice();
      const proxyCuts = PROXY_CUTS_AT.slice();
      let clientKilled = false;
      const events: string[] = [];
      let doneAt: number | null = null;
      for (;;) {
        const t = terminals[terminals.length - 1]!;
        if (t.error !== "") throw new Error(`terminal: ${t.error}\n${t.stderr}`);
        if (!t.alive && t.done === null && !(terminals.length === 1 && clientKilled)) {
          throw new Error(`terminal exited (${t.exitCode ?? t.signal}) before DONE\n${t.stderr}`);
        }
        if (t.done !== null && s.arrivals.size >= N) break;
        if (t.done !== null) doneAt ??= Date.now();
        // Bounded: the whole run, and 15 s for the last deliveries once the terminal is done.
        if (Date.now() > deadline || (doneAt !== null && Date.now() - doneAt > 15_000)) {
          const miss: number[] = [];
          for (let q = 0; q < N; q++) if (!s.arrivals.has(requestIdFor(TERMINAL, q))) miss.push(q);
          throw new Error(
            `run did not finish: arrivals ${s.arrivals.size}/${N}, missing ${miss.length} (first ${miss.slice(0, 10).join(",")}), ` +
              `faults ${JSON.stringify(events)}, subscriber sessionPresent ${JSON.stringify(s.sessionPresent)}, terminal ${JSON.stringify(t.last)}\n${b.logTail()}`,
          );
        }
        await sleep(10);
        if (!clientKilled && (t.last?.accepted ?? 0) >= CLIENT_KILL_AT) {
          clientKilled = true;
          events.push(`client@${s.arrivals.size}`);
          // Hold the link so the terminal surely dies with unacknowledged messages in its journal.
          p.accepting = false;
          p.killAll();
          // Two progress lines after the cut (~200 ms): the second was written after the
          // terminal saw its link close, so no PUBACK can lower what it holds any more.
          // Its seq need not move: the outbox may already be full and refusing.
          const reportsAtCut = t.reports;
          await waitFor(
            () => t.reports >= reportsAtCut + 2 && t.last!.held > 0,
            5000,
            () => `the terminal to hold messages while the link is down (last progress ${JSON.stringify(t.last)})`,
          );
          await t.kill9();
          p.accepting = true;
          terminals.push(new TerminalProcess(journalFile, p.port, TERMINAL, N, SEED + 1));
          continue;
        }
        const distinct = s.arrivals.size;
        if (brokerKills.length > 0 && distinct >= brokerKills[0]! && s.client.connected) {
          brokerKills.shift();
          events.push(`kill@${distinct}/${s.total}`);
          // What mosquitto has acknowledged to the terminal but not yet written to the subscriber
          // dies with it under SIGKILL: the broker's window, not the terminal's, and under load it
          // opened (2 of 7 full runs lost 2-11 events here). So the terminal's link is cut first
          // and the subscriber left to catch up; the kill then tests what it is for: the
          // terminal's resend of what it holds, and the subscriber's session from the persistence
          // file.
          p.accepting = false;
          p.killAll();
          for (let last = -1, quietSince = Date.now(), until = Date.now() + 5_000; Date.now() < until; await sleep(20)) {
            if (s.total !== last) {
              last = s.total;
              quietSince = Date.now();
            } else if (Date.now() - quietSince >= 300) break;
          }
          await b.kill();
          await sleep(100 + rnd.below(400));
          await b.restart();
          p.accepting = true;
        }
        if (proxyCuts.length > 0 && distinct >= proxyCuts[0]!) {
          proxyCuts.shift();
          events.push(`cut@${distinct}`);
          p.killAll();
        }
      }

      // ---- what the subscriber saw
      const missing: number[] = [];
      let duplicates = 0;
      for (let seq = 0; seq < N; seq++) {
        const n = s.arrivals.get(requestIdFor(TERMINAL, seq)) ?? 0;
        if (n === 0) missing.push(seq);
        else duplicates += n - 1;
      }
      expect(missing).toEqual([]);
      expect(s.arrivals.size).toBe(N); // nothing but the accepted events, each exactly once after dedup
      expect(s.unknown).toEqual([]);
      expect(s.total).toBe(N + duplicates);
      // The subscriber's session survived every broker restart (from the persistence file):
      // otherwise what the terminal published before the subscriber came back would be lost.
      expect(s.sessionPresent.length).toBeGreaterThanOrEqual(b.kills + 1);
      expect(s.sessionPresent).not.toContain(false);

      // ---- the two terminal processes
      expect(terminals).toHaveLength(2);
      const [first, second] = terminals as [TerminalProcess, TerminalProcess];
      expect(first.signal).toBe("SIGKILL");
      const before = first.last!;
      const ready = second.ready!;
      const done = second.done!;
      expect(before.accepted).toBeGreaterThanOrEqual(CLIENT_KILL_AT);
      expect(ready.resume).toBeGreaterThanOrEqual(before.accepted); // nothing accepted was forgotten
      expect(ready.restored).toBeGreaterThan(0); // it was killed with messages unacknowledged
      expect(ready.resume + done.accepted).toBe(N); // accepted across both lives
      expect(done.restored).toBe(ready.restored);
      expect(done.acknowledged).toBe(done.restored + done.accepted); // counters add up
      expect(done.held).toBe(0);
      expect(done.journal).toBe(0);
      expect(done.publisher.unknownAcks).toBe(0);
      expect(done.publisher.republishedFromOutbox).toBe(ready.restored);
      for (const x of [before, done]) {
        expect(x.boundViolations).toBe(0);
        expect(x.inconsistent).toBe(0);
        expect(x.maxMessages).toBeLessThanOrEqual(CHILD_BOUNDS.maxMessages);
        expect(x.maxBytes).toBeLessThanOrEqual(CHILD_BOUNDS.maxBytes);
        expect(x.highWaterMessages).toBeLessThanOrEqual(CHILD_BOUNDS.maxMessages);
        expect(x.highWaterBytes).toBeLessThanOrEqual(CHILD_BOUNDS.maxBytes);
      }
      const refused = before.refused + done.refused;
      expect(refused).toBeGreaterThan(0); // backpressure happened and was retried
      expect(before.backpressureCount + before.backpressureBytes).toBe(before.refused);
      expect(done.backpressureCount + done.backpressureBytes).toBe(done.refused);
      // The journal on disk is empty too.
      const j = new FileJournal(journalFile);
      expect(j.replay()).toHaveLength(0);
      expect(j.highestId()).toBe(N);
      j.close();

      // ---- the faults really happened
      expect(b.kills).toBeGreaterThanOrEqual(3);
      expect(p.cuts).toBeGreaterThanOrEqual(3);
      const reconnects = before.session.connects + done.session.connects;
      expect(reconnects).toBeGreaterThan(b.kills + PROXY_CUTS_AT.length);
      console.log(
        `mosquitto faults: ${N} events, ${s.total} deliveries (${duplicates} duplicates), ${b.kills} broker SIGKILLs, ` +
          `${p.cuts} proxy cuts (${p.randomCuts} random), 1 client SIGKILL (restored ${ready.restored}), ${refused} enqueues refused by backpressure, ` +
          `retransmits ${before.session.retransmits + done.session.retransmits}, republished ${before.session.republished + done.session.republished}, ` +
          `connects ${reconnects}, outbox high water ${Math.max(before.highWaterMessages, done.highWaterMessages)} msgs / ${Math.max(before.highWaterBytes, done.highWaterBytes)} B`,
      );
    } finally {
      for (const t of terminals) await t.kill9();
      await sub?.client.endAsync(true).catch(() => {});
      await proxy?.close();
      await broker?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 100_000);
});
