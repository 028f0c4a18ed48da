// Node-only: the real MQTT session (src/core/mqtt/session/mqtt-session.ts) over the
// Node TCP transport against an in-process aedes broker, with an MQTT.js
// client as the observer. No broker mocks. The second and third tests put a
// loopback TCP proxy (support/fault-proxy.ts) between session and broker
// that cuts the link.
import net from "node:net";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import type { MqttSessionOptions } from "../../src/core/mqtt/session/mqtt-session";
import { MqttSession, SendOutcome } from "../../src/core/mqtt/session/mqtt-session";
import type { SessionError } from "../../src/core/mqtt/session/session-error";
import { SeededRandom } from "../../src/sim/seeded-random";
import { MemoryPublishStore } from "../../src/sim/memory-publish-store";
import { nodeTcpTransportFactory } from "../../src/host/node-tcp-transport";
import { FaultProxy } from "../support/node/fault-proxy";
import { waitFor } from "../support/node/wait-for";

const N = 2000;
const TICK_MS = 5;

interface Broker {
  port: number;
  close(): Promise<void>;
}

async function startBroker(): Promise<Broker> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

async function observer(port: number, topic: string): Promise<{ client: MqttClient; got: Array<{ topic: string; payload: string; retain: boolean }> }> {
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `observer-${Math.random().toString(36).slice(2)}`, clean: true, reconnectPeriod: 0 });
  client.on("message", (t, payload, packet) => got.push({ topic: t, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, got };
}

interface Driven {
  session: MqttSession;
  errors: SessionError[];
  acked: Set<number>;
  connects: boolean[];
  next: number;
  stop(): void;
}

/** Starts the session and a setInterval that ticks it and offers messages 0..count-1 while the window has room. */
function drive(port: number, options: Partial<MqttSessionOptions>, count: number, topic: string, subscribeTo?: string): Driven {
  const store = new MemoryPublishStore();
  const session = new MqttSession(
    {
      clientId: "term-aedes",
      keepAliveSec: 5,
      pingTimeoutMs: 2000,
      inFlightWindow: 16,
      maxPacketSize: 65536,
      backoff: { baseMs: 20, capMs: 400 },
      connectTimeoutMs: 3000,
      ...options,
    },
    { transport: nodeTcpTransportFactory({ host: "127.0.0.1", port }), random: new SeededRandom(42), store },
  );
  const d: Driven = {
    session,
    errors: [],
    acked: new Set(),
    connects: [],
    next: 0,
    stop: () => {
      clearInterval(timer);
      session.stop(Date.now());
    },
  };
  const offer = () => {
    while (d.next < count && session.canSend()) {
      const payload = new TextEncoder().encode(`{"seq":${d.next}}`);
      store.put(d.next, topic, payload);
      if (session.publish(topic, payload, 1, false, d.next).outcome !== SendOutcome.SENT) {
        store.clear(d.next);
        break;
      }
      d.next++;
    }
  };
  session.onError((e) => d.errors.push(e));
  session.onConnected((present) => {
    d.connects.push(present);
    offer();
  });
  session.onPuback((tag) => {
    store.clear(tag);
    d.acked.add(tag);
    offer();
  });
  const timer = setInterval(() => {
    session.tick(Date.now());
    offer();
  }, TICK_MS);
  if (subscribeTo !== undefined) session.subscribe(subscribeTo, 1); // sent with the first CONNACK
  session.start(Date.now());
  return d;
}

function seqs(got: Array<{ payload: string }>): number[] {
  return got.map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
}

describe("MqttSession against aedes", () => {
  it(`delivers ${N} QoS 1 messages with an in-flight window of 16`, async () => {
    const broker = await startBroker();
    let obs: Awaited<ReturnType<typeof observer>> | null = null;
    let d: Driven | null = null;
    try {
      obs = await observer(broker.port, "paycard/+/swipes");
      const o = obs;
      d = drive(broker.port, { clientId: "term-a" }, N, "paycard/term-a/swipes");
      const dd = d;
      await waitFor(() => dd.acked.size === N && o.got.length >= N, 30_000, () => `${N} PUBACKs and deliveries (have ${dd.acked.size} acks, ${o.got.length} delivered, errors ${JSON.stringify(dd.errors)})`);
      expect(d.session.counters.pubacks).toBe(N);
      expect(d.session.inFlightCount).toBe(0);
      expect(d.session.counters.connects).toBe(1);
      expect(d.errors).toEqual([]);
      const s = seqs(o.got);
      expect(s).toHaveLength(N);
      expect(new Set(s).size).toBe(N);
      for (let i = 0; i < N; i++) if (s[i] !== i) expect(s[i]).toBe(i); // in order on one link
    } finally {
      d?.stop();
      await obs?.client.endAsync(true);
      await broker.close();
    }
  });

  it(`delivers all ${N} messages exactly once after dedup while a proxy cuts the link at random points`, async () => {
    const broker = await startBroker();
    const proxy = new FaultProxy(broker.port, { seed: 1 });
    let obs: Awaited<ReturnType<typeof observer>> | null = null;
    let d: Driven | null = null;
    try {
      await proxy.listen();
      // Seeded cut points across the ~80 KB the session sends.
      const rnd = new SeededRandom(2024);
      const points: number[] = [];
      for (let i = 0; i < 5; i++) points.push(2000 + rnd.below(60_000));
      proxy.cutAtClientBytes(points);
      obs = await observer(broker.port, "paycard/+/swipes");
      const o = obs;
      // aedes 1.x answers sessionPresent=1 only for a session with subscriptions
      // (lib/handlers/connect.js, restoreSubs): the terminal's command topic gives it one.
      d = drive(proxy.port, { clientId: "term-b" }, N, "paycard/term-b/swipes", "paycard/term-b/cmd/#");
      const dd = d;
      await waitFor(
        () => dd.acked.size === N && dd.session.inFlightCount === 0 && new Set(seqs(o.got)).size === N,
        60_000,
        () => `all ${N} acknowledged and delivered (acks ${dd.acked.size}, distinct delivered ${new Set(seqs(o.got)).size}, cuts ${proxy.cuts}, errors ${dd.errors.length})`,
      );
      const s = seqs(o.got);
      expect(s.length).toBeGreaterThanOrEqual(N);
      const distinct = new Set(s);
      expect(distinct.size).toBe(N);
      for (const v of distinct) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(N);
      }
      expect(proxy.cuts).toBe(5);
      expect(d.session.counters.reconnects).toBeGreaterThanOrEqual(5);
      expect(d.session.counters.retransmits).toBeGreaterThan(0);
      expect(d.connects.slice(1)).not.toContain(false); // aedes kept the session every time
      expect(d.session.counters.republished).toBe(0);
      expect(d.session.counters.pubacks).toBe(N);
      expect(d.errors.every((e) => e.code === "TRANSPORT_CLOSED")).toBe(true);
    } finally {
      d?.stop();
      await obs?.client.endAsync(true);
      await proxy.close();
      await broker.close();
    }
  });

  it("the broker publishes the retained Last Will when the link dies abruptly", async () => {
    const broker = await startBroker();
    const proxy = new FaultProxy(broker.port, { seed: 1 });
    let obs: Awaited<ReturnType<typeof observer>> | null = null;
    let late: Awaited<ReturnType<typeof observer>> | null = null;
    let d: Driven | null = null;
    const status = "paycard/term-w/status";
    try {
      await proxy.listen();
      obs = await observer(broker.port, status);
      const o = obs;
      d = drive(
        proxy.port,
        { clientId: "term-w", will: { topic: status, payload: new TextEncoder().encode("offline"), qos: 1, retain: true } },
        0,
        "paycard/term-w/swipes",
      );
      const dd = d;
      await waitFor(() => dd.session.connected, 10_000, () => `the session to connect (errors ${JSON.stringify(dd.errors)})`);
      expect(o.got).toEqual([]);
      proxy.accepting = false; // no reconnect: the will must come from the dead link alone
      proxy.killAll();
      await waitFor(() => o.got.length > 0, 10_000, () => "the will on " + status);
      expect(o.got[0]!.topic).toBe(status);
      expect(o.got[0]!.payload).toBe("offline");
      // Retained: a subscriber arriving later gets it too.
      late = await observer(broker.port, status);
      const l = late;
      await waitFor(() => l.got.length > 0, 10_000, () => "the retained will for a late subscriber");
      expect(l.got[0]).toEqual({ topic: status, payload: "offline", retain: true });
    } finally {
      d?.stop();
      await obs?.client.endAsync(true);
      await late?.client.endAsync(true);
      await proxy.close();
      await broker.close();
    }
  });
});
