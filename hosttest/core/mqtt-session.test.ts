// Engine-neutral tests of the MQTT session (src/core/mqtt/session/mqtt-session.ts),
// also run inside XS. The session is driven through a scripted in-memory
// transport whose far end plays the broker with the real codec
// (support/scripted-broker.ts): it decodes what the session writes and
// answers CONNACK / PUBACK / SUBACK / PINGRESP; it can fragment its bytes,
// drop the link, refuse with a CONNACK code, forget the session, hold PUBACKs
// back, accept only part of a write, or send garbage.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Backoff } from "../../src/core/mqtt/session/backoff";
import type { MqttSessionOptions } from "../../src/core/mqtt/session/mqtt-session";
import { MqttSession, MqttSessionState, SendOutcome } from "../../src/core/mqtt/session/mqtt-session";
import { encodePacket } from "../../src/core/mqtt/codec/packet-encoder";
import type { ConnackReturnCode } from "../../src/core/mqtt/codec/packet-types";
import type { SessionError } from "../../src/core/mqtt/session/session-error";
import { SeededRandom } from "../../src/sim/seeded-random";
import { Broker, bytes, Link, text } from "../../src/sim/scripted-broker";
import { MemoryPublishStore } from "../../src/sim/memory-publish-store";
import { HandLink, handConnected, handRig, SESSION_OPTIONS } from "../support/hand-driven-session";

// ---------------------------------------------------------------- helpers

const BASE = SESSION_OPTIONS;

interface Rig {
  session: MqttSession;
  broker: Broker;
  /** Holds each QoS 1 message from publishTagged to its PUBACK. */
  store: MemoryPublishStore;
  errors: SessionError[];
  acked: number[];
  connected: boolean[];
  now: number;
  /** Advances time in `step` ms ticks, pumping the network after each. */
  run(ms: number, step?: number): void;
}

function rig(overrides: Partial<MqttSessionOptions> = {}, seed = 1): Rig {
  const broker = new Broker(7);
  const store = new MemoryPublishStore();
  const session = new MqttSession({ ...BASE, ...overrides }, { transport: () => new Link(broker), random: new SeededRandom(seed), store });
  const r: Rig = {
    session,
    broker,
    store,
    errors: [],
    acked: [],
    connected: [],
    now: 1000,
    run(ms: number, step = 100) {
      const end = r.now + ms;
      broker.pump();
      while (r.now < end) {
        r.now += step;
        session.tick(r.now);
        broker.pump();
      }
    },
  };
  session.onError((e) => r.errors.push(e));
  session.onPuback((tag) => {
    store.clear(tag);
    r.acked.push(tag);
  });
  session.onConnected((present) => r.connected.push(present));
  return r;
}

function started(overrides: Partial<MqttSessionOptions> = {}, seed = 1): Rig {
  const r = rig(overrides, seed);
  r.session.start(r.now);
  r.run(100);
  return r;
}

/** The packet id when sent, else the outcome (LATER or INVALID). */
/**
 * A session with an in-flight window of `window` whose transport takes `budget` bytes a write
 * (and a pump), connected, then publishing tagged messages 1..count as it can take them, the
 * rig run `stepMs` between offers.
 */
function publishThroughShortWrites(window: number, budget: number, count: number, stepMs: number): Rig {
  const r = rig({ inFlightWindow: window });
  r.broker.writeBudget = budget;
  r.broker.budgetPerPump = budget;
  r.session.start(r.now);
  r.run(1000);
  expect(r.session.state).toBe(MqttSessionState.CONNECTED);
  let next = 1;
  for (let i = 0; i < 400 && next <= count; i++) {
    while (r.session.canSend() && next <= count) publishTagged(r, next++);
    r.run(stepMs);
  }
  return r;
}

function publishTagged(r: Rig, tag: number): number | SendOutcome {
  const topic = "paycard/term-1/swipes";
  const payload = bytes(`seq:${tag}`);
  r.store.put(tag, topic, payload);
  const res = r.session.publish(topic, payload, 1, false, tag);
  if (res.outcome !== SendOutcome.SENT) r.store.clear(tag);
  return res.outcome === SendOutcome.SENT ? res.packetId : res.outcome;
}

// ---------------------------------------------------------------- tests

describe("MqttSession: connecting", () => {
  it("sends CONNECT with cleanSession=false, keep-alive, credentials and will, then reports the session", () => {
    const r = started({
      username: "term-1",
      password: bytes("secret"),
      will: { topic: "paycard/term-1/status", payload: bytes("offline"), qos: 1, retain: true },
    });
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
    expect(r.broker.connects).toHaveLength(1);
    const c = r.broker.connects[0]!;
    expect(c.clientId).toBe("term-1");
    expect(c.cleanSession).toBe(false);
    expect(c.keepAlive).toBe(30);
    expect(c.username).toBe("term-1");
    expect(text(c.password!)).toBe("secret");
    expect(c.will!.topic).toBe("paycard/term-1/status");
    expect(text(c.will!.payload)).toBe("offline");
    expect(c.will!.retain).toBe(true);
    expect(c.will!.qos).toBe(1);
    expect(r.connected).toEqual([false]);
    expect(r.session.counters.connects).toBe(1);
    expect(r.session.counters.reconnects).toBe(0);
    expect(r.errors).toEqual([]);
  });

  it("refuses options that can never work, at construction", () => {
    const ports = { transport: () => new Link(new Broker(7)), random: new SeededRandom(1), store: new MemoryPublishStore() };
    expect(() => new MqttSession({ ...BASE, inFlightWindow: 0 }, ports)).toThrow("inFlightWindow");
    expect(() => new MqttSession({ ...BASE, inFlightWindow: 65536 }, ports)).toThrow("inFlightWindow");
    expect(() => new MqttSession({ ...BASE, clientId: "", cleanSession: false }, ports)).toThrow("CONNECT");
    expect(() => new MqttSession({ ...BASE, will: { topic: "a/+", payload: bytes("x"), qos: 0, retain: false } }, ports)).toThrow("CONNECT");
    expect(() => new MqttSession({ ...BASE, backoff: { baseMs: 10, capMs: 5 } }, ports)).toThrow("capMs");
    expect(() => new MqttSession(BASE, { transport: ports.transport, random: ports.random } as never)).toThrow("PublishStore");
  });

  const refusals: Array<[ConnackReturnCode, string]> = [
    [1, "UNACCEPTABLE_PROTOCOL_VERSION"],
    [2, "IDENTIFIER_REJECTED"],
    [3, "SERVER_UNAVAILABLE"],
    [4, "BAD_USERNAME_OR_PASSWORD"],
    [5, "NOT_AUTHORIZED"],
  ];
  for (const [rc, code] of refusals) {
    it(`surfaces CONNACK ${rc} as ${code}, counts it, and keeps retrying with backoff`, () => {
      const r = rig();
      r.broker.connackCode = rc;
      r.session.start(r.now);
      r.run(100);
      expect(r.session.state).toBe(MqttSessionState.BACKING_OFF);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]!.code).toBe(code);
      expect(r.errors[0]!.message).toContain(code);
      expect(r.session.counters.refusals[code]).toBe(1);
      expect(r.session.counters.connects).toBe(0);
      expect(r.connected).toEqual([]);
      r.run(200_000);
      expect(r.session.counters.refusals[code]).toBeGreaterThan(3);
      // Once the broker accepts, the session connects and the backoff resets.
      r.broker.connackCode = 0;
      r.run(130_000);
      expect(r.session.state).toBe(MqttSessionState.CONNECTED);
      expect(r.connected).toEqual([false]);
    });
  }

  it("times out a transport that never connects and tries again", () => {
    const r = rig({ connectTimeoutMs: 3000 });
    r.broker.silentTcp = true;
    r.session.start(r.now);
    r.run(3500);
    expect(r.errors[0]!.code).toBe("CONNECT_TIMEOUT");
    expect(r.session.counters.connectTimeouts).toBe(1);
    r.broker.silentTcp = false;
    r.run(5000);
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
  });

  it("reports a refused TCP connection as TRANSPORT_CLOSED and retries", () => {
    const r = rig();
    r.broker.down = true;
    r.session.start(r.now);
    r.run(100);
    expect(r.errors[0]!.code).toBe("TRANSPORT_CLOSED");
    expect(r.errors[0]!.message).toContain("ECONNREFUSED");
    r.broker.down = false;
    r.run(5000);
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
    expect(r.session.counters.transportCloses).toBe(1);
  });

  it("survives a transport factory or connect that throws", () => {
    const broker = new Broker(7);
    let calls = 0;
    const session = new MqttSession(BASE, {
      random: new SeededRandom(3),
      store: new MemoryPublishStore(),
      transport: () => {
        calls++;
        if (calls === 1) throw new Error("no sockets left");
        if (calls === 2) return { connect: () => { throw new Error("boom"); }, write: () => 0, close: () => {} };
        return new Link(broker);
      },
    });
    const errors: string[] = [];
    session.onError((e) => errors.push(e.code + " " + e.message));
    let now = 0;
    session.start(now);
    for (let i = 0; i < 100; i++) {
      now += 100;
      session.tick(now);
      broker.pump();
    }
    expect(errors[0]).toContain("no sockets left");
    expect(errors[1]).toContain("boom");
    expect(session.state).toBe(MqttSessionState.CONNECTED);
  });
});

describe("MqttSession: publishing", () => {
  it("publishes QoS 1 within the in-flight window and reports each PUBACK with its tag", () => {
    const r = started();
    r.broker.autoAck = false;
    const ids: number[] = [];
    for (let t = 1; t <= 4; t++) {
      expect(r.session.canSend()).toBe(true);
      ids.push(publishTagged(r, t) as number);
    }
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(r.session.canSend()).toBe(false);
    expect(publishTagged(r, 5)).toBe(SendOutcome.LATER);
    expect(r.session.inFlightCount).toBe(4);
    r.broker.pump();
    expect(r.broker.publishes.map((p) => p.payload)).toEqual(["seq:1", "seq:2", "seq:3", "seq:4"]);
    expect(r.broker.publishes.map((p) => p.dup)).toEqual([false, false, false, false]);
    r.broker.ackAll();
    r.broker.pump();
    expect(r.acked).toEqual([1, 2, 3, 4]);
    expect(r.session.inFlightCount).toBe(0);
    expect(r.session.canSend()).toBe(true);
    expect(r.session.counters.pubacks).toBe(4);
  });

  it("does not publish before CONNACK, and refuses invalid or oversized messages without throwing", () => {
    const r = rig({ maxPacketSize: 64 });
    expect(publishTagged(r, 1)).toBe(SendOutcome.LATER);
    r.session.start(r.now);
    expect(publishTagged(r, 1)).toBe(SendOutcome.LATER);
    r.run(100);
    expect(r.session.publish("a/+/b", bytes("x"), 1, false).outcome).toBe(SendOutcome.INVALID);
    expect(r.session.publish("", bytes("x"), 1, false).outcome).toBe(SendOutcome.INVALID);
    expect(r.session.publish("a", new Uint8Array(100), 1, false).outcome).toBe(SendOutcome.INVALID);
    expect(r.session.publish("a", bytes("x"), 2 as 1, false).outcome).toBe(SendOutcome.INVALID);
    expect(r.errors.map((e) => e.code)).toEqual(["INVALID_MESSAGE", "INVALID_MESSAGE", "INVALID_MESSAGE", "INVALID_MESSAGE"]);
    expect(r.errors[2]!.message).toContain("maxPacketSize");
    expect(r.session.inFlightCount).toBe(0);
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
  });

  it("publishes QoS 0 without a packet id or tracking", () => {
    const r = started();
    const status = r.session.publish("paycard/term-1/status", bytes("online"), 0, true);
    expect([status.outcome, status.packetId]).toEqual([SendOutcome.SENT, 0]);
    r.broker.pump();
    expect(r.broker.publishes).toHaveLength(1);
    expect(r.broker.publishes[0]!.qos).toBe(0);
    expect(r.broker.publishes[0]!.retain).toBe(true);
    expect(r.session.inFlightCount).toBe(0);
  });

  it("keeps no copy: sends again what the store holds, and forgets (counted, reported) what it no longer holds", () => {
    const r = started();
    r.broker.autoAck = false;
    for (let t = 1; t <= 3; t++) publishTagged(r, t);
    // The store is the one owner: what it holds at the resend is what goes out again.
    r.store.put(1, "paycard/term-1/swipes", bytes("seq:1 (read back)"));
    r.store.clear(2);
    r.broker.pump();
    r.broker.unacked.length = 0;
    r.broker.drop();
    r.broker.autoAck = true;
    r.run(5000);
    expect(r.broker.publishes.map((p) => p.payload)).toEqual(["seq:1", "seq:2", "seq:3", "seq:1 (read back)", "seq:3"]);
    expect(r.broker.publishes.slice(3).map((p) => [p.packetId, p.dup])).toEqual([[1, true], [3, true]]);
    expect(r.session.counters.storeMisses).toBe(1);
    expect(r.errors.map((e) => e.code)).toEqual(["TRANSPORT_CLOSED", "NOT_IN_STORE"]);
    expect(r.errors[1]!.message).toContain("message 2");
    expect(r.acked).toEqual([1, 3]);
    expect(r.session.inFlightCount).toBe(0);
    expect(r.store.size).toBe(0);
  });

  it("works when every byte from the broker arrives in its own chunk or in random fragments", () => {
    for (const fragment of [1, 3, 7]) {
      const r = rig();
      r.broker.fragment = fragment;
      r.session.start(r.now);
      r.run(100);
      for (let t = 1; t <= 200; t++) {
        while (!r.session.canSend()) r.run(100);
        publishTagged(r, t);
      }
      r.run(1000);
      expect(r.acked).toHaveLength(200);
      expect(r.session.inFlightCount).toBe(0);
      expect(r.errors).toEqual([]);
    }
  });

  it("waits for onWritable after a short write and delivers every byte intact", () => {
    const r = publishThroughShortWrites(8, 5, 40, 100);
    r.run(1000);
    expect(r.broker.parseErrors).toEqual([]);
    expect(r.broker.publishes.map((p) => p.payload)).toHaveLength(40);
    expect(r.broker.publishes[39]!.payload).toBe("seq:40");
    expect(r.acked).toHaveLength(40);
    expect(r.session.counters.writeStalls).toBeGreaterThan(0);
  });

  it("a PUBLISH cut anywhere, in its head or its payload, by short writes still arrives whole", () => {
    for (let budget = 1; budget <= 40; budget += 3) {
      const r = publishThroughShortWrites(4, budget, 6, 50);
      r.run(2000);
      expect(r.broker.parseErrors).toEqual([]);
      expect(r.broker.publishes.map((p) => p.payload)).toEqual(["seq:1", "seq:2", "seq:3", "seq:4", "seq:5", "seq:6"]);
      expect(r.acked).toHaveLength(6);
    }
  });
});

describe("MqttSession: reconnecting", () => {
  it("with session present: resends unacknowledged PUBLISH with DUP=1, the same ids, in order", () => {
    const r = started();
    r.broker.autoAck = false;
    for (let t = 1; t <= 3; t++) publishTagged(r, t);
    r.broker.pump();
    r.broker.unacked.length = 0; // the PUBACKs are lost with the link
    r.broker.drop();
    r.run(100);
    expect(r.session.state).toBe(MqttSessionState.BACKING_OFF);
    expect(r.errors[0]!.code).toBe("TRANSPORT_CLOSED");
    expect(r.session.inFlightIds()).toEqual([1, 2, 3]);
    r.broker.autoAck = true;
    r.run(2000); // first retry waits at most baseMs
    expect(r.connected).toEqual([false, true]);
    const resent = r.broker.publishes.slice(3);
    expect(resent.map((p) => p.packetId)).toEqual([1, 2, 3]);
    expect(resent.map((p) => p.dup)).toEqual([true, true, true]);
    expect(resent.map((p) => p.payload)).toEqual(["seq:1", "seq:2", "seq:3"]);
    expect(r.session.counters.retransmits).toBe(3);
    expect(r.session.counters.republished).toBe(0);
    expect(r.session.counters.reconnects).toBe(1);
    expect(r.acked).toEqual([1, 2, 3]);
    expect(r.session.inFlightCount).toBe(0);
  });

  it("without session: publishes them again as new packets with new ids, DUP=0, and reports the original tags", () => {
    const r = started();
    r.broker.autoAck = false;
    for (let t = 1; t <= 3; t++) publishTagged(r, t);
    r.broker.pump();
    r.broker.unacked.length = 0;
    r.broker.keepSessions = false;
    r.broker.drop();
    r.broker.autoAck = true;
    r.run(2000);
    expect(r.connected).toEqual([false, false]);
    const again = r.broker.publishes.slice(3);
    expect(again.map((p) => p.dup)).toEqual([false, false, false]);
    expect(again.map((p) => p.payload)).toEqual(["seq:1", "seq:2", "seq:3"]);
    expect(again.map((p) => p.packetId)).toEqual([4, 5, 6]);
    expect(r.session.counters.republished).toBe(3);
    expect(r.session.counters.retransmits).toBe(0);
    expect(r.acked).toEqual([1, 2, 3]);
  });

  it("resends before anything new and counts a reconnect after a mid-packet cut", () => {
    const r = started({ inFlightWindow: 2 });
    r.broker.autoAck = false;
    publishTagged(r, 1);
    publishTagged(r, 2);
    r.broker.pump();
    r.broker.unacked.length = 0;
    // The broker's PUBACK for 1 is cut after its first byte.
    r.broker.sendBytes(r.broker.link!, encodePacket({ type: "puback", packetId: 1 }).subarray(0, 1));
    r.broker.drop();
    r.broker.autoAck = true;
    r.run(2000);
    expect(r.session.counters.protocolErrors).toBe(0);
    expect(r.acked).toEqual([1, 2]);
    publishTagged(r, 3);
    r.broker.pump();
    expect(r.broker.publishes.map((p) => p.payload)).toEqual(["seq:1", "seq:2", "seq:1", "seq:2", "seq:3"]);
  });

  it("resubscribes after a reconnect without session, not with one", () => {
    const r = started();
    const subacks: string[] = [];
    const messages: string[] = [];
    r.session.onSuback((f, q) => subacks.push(`${f}:${q}`));
    r.session.onMessage((topic, payload, qos) => messages.push(`${topic} ${text(payload)} ${qos}`));
    expect(r.session.subscribe("paycard/term-1/cmd/#", 1).packetId).toBeGreaterThan(0);
    expect(r.session.subscribe("forbidden/x", 0).packetId).toBeGreaterThan(0);
    expect(r.session.subscribe("bad/#/x", 0).outcome).toBe(SendOutcome.INVALID);
    r.run(100);
    expect(subacks).toEqual(["paycard/term-1/cmd/#:1", "forbidden/x:128"]);
    expect(r.errors.map((e) => e.code)).toEqual(["INVALID_MESSAGE", "SUBSCRIBE_REFUSED"]);
    r.broker.drop();
    r.run(2000);
    expect(subacks).toHaveLength(2); // session present: nothing to redo
    r.broker.keepSessions = false;
    r.broker.drop();
    r.run(5000);
    expect(subacks).toHaveLength(4);
    // Incoming QoS 1 message: delivered and acknowledged.
    r.broker.send(r.broker.link!, { type: "publish", topic: "paycard/term-1/cmd/reboot", payload: bytes("now"), qos: 1, retain: false, dup: false, packetId: 77 });
    r.run(100);
    expect(messages).toEqual(["paycard/term-1/cmd/reboot now 1"]);
    const acks = r.broker.packets.filter((p) => p.type === "puback");
    expect(acks).toEqual([{ type: "puback", packetId: 77 }]);
  });

  it("a full window and every subscription pending still get ids; a filter beyond maxSubscriptions is refused by name", () => {
    const r = started({ inFlightWindow: 2, maxSubscriptions: 2 });
    r.broker.autoAck = false;
    const p1 = publishTagged(r, 1);
    const p2 = publishTagged(r, 2);
    const s1 = r.session.subscribe("paycard/term-1/cmd/#", 1).packetId;
    const s2 = r.session.subscribe("paycard/term-1/cfg", 0).packetId;
    const ids = [p1, p2, s1, s2];
    for (const id of ids) expect(id).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(4);
    expect(r.session.subscribe("paycard/term-1/other", 0).outcome).toBe(SendOutcome.INVALID);
    expect(r.errors.map((e) => e.message)).toEqual(["subscribe paycard/term-1/other: this session takes at most 2 topic filters"]);
    // A filter already held is not a new one.
    expect(r.session.subscribe("paycard/term-1/cfg", 1).outcome).toBe(SendOutcome.LATER);
    expect(() => rig({ maxSubscriptions: 65 })).toThrow(/maxSubscriptions/);
  });

  it("a PUBACK is the same whole in one chunk (the fast path), split, glued to another packet; id 0 is still a protocol error", () => {
    const r = started();
    r.broker.autoAck = false;
    for (let tag = 1; tag <= 3; tag++) publishTagged(r, tag);
    r.broker.pump();
    const ids = r.session.inFlightIds();
    expect(ids).toHaveLength(3);
    const link = r.broker.link!;
    const puback = (id: number) => new Uint8Array([0x40, 2, id >> 8, id & 0xff]);
    // Whole, as one chunk.
    r.broker.sendBytes(link, puback(ids[0]!));
    r.run(10);
    // Split across two chunks: the parser takes it.
    const split = puback(ids[1]!);
    r.broker.sendBytes(link, split.subarray(0, 1));
    r.broker.sendBytes(link, split.subarray(1));
    r.run(10);
    // Glued after a PINGRESP in one chunk: the parser again.
    r.broker.sendBytes(link, new Uint8Array([0xd0, 0, ...puback(ids[2]!)]));
    r.run(10);
    expect(r.acked).toEqual([1, 2, 3]);
    expect(r.session.counters.protocolErrors).toBe(0);
    // A PUBACK for no message in flight is ignored either way; packet id 0 is refused.
    r.broker.sendBytes(link, puback(4242));
    r.run(10);
    expect(r.session.counters.protocolErrors).toBe(0);
    r.broker.sendBytes(link, puback(0));
    r.run(10);
    expect(r.session.counters.protocolErrors).toBe(1);
  });

  it("stop() sends DISCONNECT, closes, keeps unacknowledged messages for the next start()", () => {
    const r = started();
    r.broker.autoAck = false;
    publishTagged(r, 1);
    r.broker.pump();
    const link = r.broker.link!;
    r.session.stop(r.now);
    expect(r.broker.packets[r.broker.packets.length - 1]).toEqual({ type: "disconnect" });
    expect(link.closedBySession).toBe(true);
    expect(r.session.state).toBe(MqttSessionState.IDLE);
    r.run(100_000);
    expect(r.broker.connects).toHaveLength(1); // idle: no reconnect
    r.broker.autoAck = true;
    r.session.start(r.now);
    r.run(100);
    expect(r.acked).toEqual([1]);
    expect(r.session.counters.retransmits).toBe(1);
  });
});

describe("MqttSession: keep-alive and dead links", () => {
  it("sends PINGREQ after keepAlive of silence and stays up while PINGRESP comes", () => {
    const r = started({ keepAliveSec: 10 });
    r.run(9000);
    expect(r.session.counters.pingsSent).toBe(0);
    r.run(61_000);
    expect(r.session.counters.pingsSent).toBe(7);
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
    expect(r.errors).toEqual([]);
  });

  it("detects a dead link: no PINGRESP within pingTimeoutMs closes and reconnects", () => {
    const r = started({ keepAliveSec: 10, pingTimeoutMs: 3000 });
    r.broker.answerPings = false;
    r.run(10_000);
    expect(r.session.counters.pingsSent).toBe(1);
    r.run(2700); // the PINGREQ went out 100 ms before the previous run ended
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
    r.run(300);
    expect(r.errors.map((e) => e.code)).toEqual(["KEEPALIVE_TIMEOUT"]);
    expect(r.session.counters.keepaliveTimeouts).toBe(1);
    r.broker.answerPings = true;
    r.run(2000);
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
    expect(r.session.counters.reconnects).toBe(1);
  });

  it("pings a broker that swallows publishes without acknowledging, and gives up on it", () => {
    const r = started({ keepAliveSec: 5, pingTimeoutMs: 2000, inFlightWindow: 1000 });
    r.broker.autoAck = false;
    r.broker.answerPings = false;
    for (let i = 0; i < 100; i++) {
      publishTagged(r, i); // we keep sending, so "quiet sender" alone would never ping
      r.run(100);
    }
    expect(r.session.counters.keepaliveTimeouts).toBeGreaterThan(0);
  });

  it("a protocol error from the broker closes the link, is counted, and the session reconnects", () => {
    const r = started();
    r.broker.sendBytes(r.broker.link!, new Uint8Array([0xf0, 0x00])); // reserved packet type 15
    r.run(100);
    expect(r.errors[0]!.code).toBe("PROTOCOL_ERROR");
    expect(r.errors[0]!.message).toContain("RESERVED_PACKET_TYPE");
    expect(r.session.counters.protocolErrors).toBe(1);
    r.run(2000);
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
    // A second CONNACK is nonsense too.
    r.broker.send(r.broker.link!, { type: "connack", sessionPresent: false, returnCode: 0 });
    r.run(100);
    expect(r.session.counters.protocolErrors).toBe(2);
  });

  it("callbacks that throw are counted and reported; nothing escapes", () => {
    const r = started();
    let errorCalls = 0;
    r.session.onPuback(() => {
      throw new Error("outbox bug");
    });
    r.session.onError(() => {
      errorCalls++;
      throw new Error("logger bug");
    });
    publishTagged(r, 1);
    r.run(100);
    expect(r.session.counters.callbackErrors).toBe(2);
    expect(errorCalls).toBe(1);
    expect(r.session.counters.errors["CALLBACK_ERROR"]).toBe(1);
    expect(r.session.state).toBe(MqttSessionState.CONNECTED);
    expect(r.session.inFlightCount).toBe(0);
  });
});

describe("MqttSession: the transport's edges, driven by hand", () => {
  it("refuses ports and a CONNECT it could never send, at construction", () => {
    const store = new MemoryPublishStore();
    const random = new SeededRandom(1);
    const transport = () => new HandLink();
    expect(() => new MqttSession(BASE, { transport: 5 as unknown as () => HandLink, random, store })).toThrow("ports.transport must be a transport factory");
    expect(() => new MqttSession(BASE, { transport, random: {} as SeededRandom, store })).toThrow("ports.random must be a RandomPort");
    expect(() => new MqttSession(BASE, { transport, random, store: {} as MemoryPublishStore })).toThrow("ports.store must be a PublishStore");
    expect(() => new MqttSession({ ...BASE, clientId: "c".repeat(40), maxPacketSize: 32 }, { transport, random, store })).toThrow("CONNECT is 54 bytes, above maxPacketSize 32");
  });

  it("a second start, a second onConnected: nothing more is sent", () => {
    const r = handRig();
    r.session.start(0);
    r.session.start(0);
    expect(r.links).toHaveLength(1);
    r.links[0]!.handlers!.onConnected();
    const connect = r.links[0]!.written.length;
    expect(connect).toBeGreaterThan(0);
    r.links[0]!.handlers!.onConnected();
    expect(r.links[0]!.written.length).toBe(connect);
  });

  it("a dropped link's late callbacks change nothing on the next one", () => {
    const r = handRig({ backoff: { baseMs: 10, capMs: 10 } });
    r.session.start(0);
    const old = r.links[0]!;
    old.handlers!.onClosed("reset");
    expect(r.errors).toEqual(["TRANSPORT_CLOSED: connection closed: reset"]);
    r.session.tick(20);
    expect(r.links).toHaveLength(2);
    const fresh = r.links[1]!;
    old.handlers!.onConnected();
    old.handlers!.onData(encodePacket({ type: "connack", sessionPresent: false, returnCode: 0 }));
    old.handlers!.onWritable();
    old.handlers!.onClosed("late");
    expect(r.session.state).toBe(MqttSessionState.CONNECTING);
    expect(r.errors).toHaveLength(1);
    expect(fresh.written).toHaveLength(0);
    fresh.handlers!.onConnected();
    fresh.handlers!.onData(encodePacket({ type: "connack", sessionPresent: false, returnCode: 0 }));
    expect(r.session.connected).toBe(true);
  });

  it("a transport factory that throws a non-Error is described as it is", () => {
    const session = new MqttSession(BASE, {
      transport: () => {
        throw "no sockets";
      },
      random: new SeededRandom(1),
      store: new MemoryPublishStore(),
    });
    const errors: string[] = [];
    session.onError((e) => errors.push(`${e.code}: ${e.message}`));
    session.start(0);
    expect(errors).toEqual(["TRANSPORT_CLOSED: transport factory threw: no sockets"]);
  });

  it("anything but CONNACK first is a protocol error; UNSUBACK and an unknown SUBACK are ignored once connected", () => {
    const r = handRig();
    r.session.start(0);
    r.links[0]!.handlers!.onConnected();
    r.links[0]!.handlers!.onData(encodePacket({ type: "puback", packetId: 1 }));
    expect(r.errors).toEqual(["PROTOCOL_ERROR: expected CONNACK, got PUBACK"]);
    const c = handConnected();
    c.link.handlers!.onData(encodePacket({ type: "unsuback", packetId: 7 }));
    c.link.handlers!.onData(encodePacket({ type: "suback", packetId: 9, returnCodes: [0] }));
    expect(c.errors).toEqual([]);
    expect(c.session.connected).toBe(true);
  });

  it("answers an incoming QoS 1 PUBLISH with its PUBACK; a QoS 2 one is a protocol error", () => {
    const c = handConnected();
    const got: string[] = [];
    c.session.onMessage((topic, payload, qos, retain) => got.push(`${topic} ${text(payload)} ${qos} ${retain}`));
    c.link.handlers!.onData(encodePacket({ type: "publish", topic: "cmd/a", payload: bytes("hi"), qos: 1, packetId: 0x1234, retain: true, dup: false }));
    expect(c.link.written).toEqual([0x40, 2, 0x12, 0x34]);
    c.link.handlers!.onData(encodePacket({ type: "publish", topic: "cmd/b", payload: bytes("yo"), qos: 0, retain: false, dup: false }));
    expect(c.link.written).toHaveLength(4); // no answer at QoS 0
    expect(got).toEqual(["cmd/a hi 1 true", "cmd/b yo 0 false"]);
    expect(c.session.counters.messagesReceived).toBe(2);
    c.link.handlers!.onData(encodePacket({ type: "publish", topic: "cmd/c", payload: bytes("x"), qos: 2, packetId: 5, retain: false, dup: false }));
    expect(c.errors).toEqual(["PROTOCOL_ERROR: QoS 2 PUBLISH on cmd/c: this client never subscribes at QoS 2"]);
  });

  it("keep-alive 0: never pings", () => {
    const c = handConnected({ keepAliveSec: 0 });
    for (let t = 0; t <= 600_000; t += 10_000) c.session.tick(t);
    expect(c.session.counters.pingsSent).toBe(0);
    expect(c.link.written).toHaveLength(0);
    expect(c.session.connected).toBe(true);
  });

  it("short writes: nothing new is taken while bytes wait; onWritable sends them in order", () => {
    const c = handConnected();
    c.link.accept = 3;
    const a = bytes("first-payload");
    expect(c.session.publish("t/a", a, 1, true, 1).outcome).toBe(SendOutcome.SENT);
    expect(c.session.counters.writeStalls).toBe(1);
    expect(c.session.canSend()).toBe(false);
    expect(c.session.publish("t/b", bytes("q0"), 0, false).outcome).toBe(SendOutcome.LATER);
    expect(c.session.publish("t/c", bytes("third"), 1, false, 3).outcome).toBe(SendOutcome.LATER);
    c.link.handlers!.onWritable(); // 3 more bytes
    expect(c.link.written).toHaveLength(6);
    c.link.accept = Number.POSITIVE_INFINITY;
    c.link.handlers!.onWritable();
    expect(c.session.canSend()).toBe(true);
    expect(c.session.publish("t/c", bytes("third"), 1, false, 3).outcome).toBe(SendOutcome.SENT);
    const first = encodePacket({ type: "publish", topic: "t/a", payload: a, qos: 1, packetId: 1, retain: true, dup: false });
    const third = encodePacket({ type: "publish", topic: "t/c", payload: bytes("third"), qos: 1, packetId: 2, retain: false, dup: false });
    expect(c.link.written).toEqual([...first, ...third]);
    // An empty payload goes as its head alone.
    c.link.written.length = 0;
    expect(c.session.publish("t/d", new Uint8Array(0), 1, false, 4).outcome).toBe(SendOutcome.SENT);
    expect(c.link.written).toEqual(Array.from(encodePacket({ type: "publish", topic: "t/d", payload: new Uint8Array(0), qos: 1, packetId: 3, retain: false, dup: false })));
  });

  it("a payload that is not bytes is refused as INVALID, its packet id given back", () => {
    // One packet id in all (a window of 1, no subscriptions): had the refusal kept it, nothing more could be sent.
    const c = handConnected({ inFlightWindow: 1, maxSubscriptions: 0 });
    expect(c.session.publish("t/a", "text" as unknown as Uint8Array, 1, false, 1).outcome).toBe(SendOutcome.INVALID);
    expect(c.errors).toEqual(["INVALID_MESSAGE: publish to t/a: the payload must be a Uint8Array"]);
    expect(c.session.inFlightCount).toBe(0);
    expect(c.session.publish("t/a", bytes("x"), 1, false, 2).outcome).toBe(SendOutcome.SENT);
    expect(c.session.inFlightCount).toBe(1);
  });

  it("a write that throws drops the link as TRANSPORT_CLOSED; the message stays to resend", () => {
    const c = handConnected({ inFlightWindow: 2 });
    c.link.write = () => {
      throw new Error("EPIPE");
    };
    c.store.put(1, "t/a", bytes("x"));
    expect(c.session.publish("t/a", bytes("x"), 1, false, 1).outcome).toBe(SendOutcome.SENT);
    expect(c.errors).toEqual(["TRANSPORT_CLOSED: transport write threw: Error: EPIPE"]);
    expect(c.session.state).toBe(MqttSessionState.BACKING_OFF);
    expect(c.session.inFlightCount).toBe(1);
  });
});

describe("Backoff (full jitter)", () => {
  it("draws each delay in [0, min(cap, base * 2^attempt)] and resets", () => {
    const b = new Backoff(new SeededRandom(11), 1000, 60_000);
    const maxSeen: number[] = [];
    for (let run = 0; run < 200; run++) {
      b.reset();
      for (let n = 0; n < 12; n++) {
        const d = b.nextDelay();
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(60_000, 1000 * Math.pow(2, n)));
        maxSeen[n] = Math.max(maxSeen[n] ?? 0, d);
      }
    }
    // Jitter spans the range: the largest of 200 draws comes close to each ceiling.
    expect(maxSeen[0]).toBeGreaterThan(900);
    expect(maxSeen[5]).toBeGreaterThan(28_000);
    expect(maxSeen[11]).toBeGreaterThan(54_000);
    expect(b.ceiling(1000)).toBe(60_000);
  });

  it("the edges: a draw of 0 and of 2^32-1 give 0 and the ceiling itself; the exponent stops at 52, the count at 1000; bad bounds refused", () => {
    const top = { nextUint32: () => 0xffffffff };
    const b = new Backoff(top, 1000, 60_000);
    expect([b.nextDelay(), b.nextDelay(), b.nextDelay()]).toEqual([1000, 2000, 4000]);
    expect(new Backoff({ nextUint32: () => 0 }, 1000, 60_000).nextDelay()).toBe(0);
    // Ceilings below the cap are base * 2^n; at the cap, the cap itself.
    expect([b.ceiling(0), b.ceiling(5), b.ceiling(6), b.ceiling(7)]).toEqual([1000, 32_000, 60_000, 60_000]);
    const huge = new Backoff(top, 1, Number.MAX_VALUE);
    expect(huge.ceiling(52)).toBe(2 ** 52);
    expect(huge.ceiling(53)).toBe(2 ** 52);
    expect(huge.ceiling(2_000)).toBe(2 ** 52);
    for (let i = 0; i < 1_005; i++) huge.nextDelay();
    expect(huge.attempt).toBe(1_000);
    expect(new Backoff(top, 0, 0).nextDelay()).toBe(0);
    expect(() => new Backoff(top, -1, 10)).toThrow("backoff baseMs must be a finite number >= 0, got -1");
    expect(() => new Backoff(top, Number.NaN, 10)).toThrow("backoff baseMs must be a finite number >= 0, got NaN");
    expect(() => new Backoff(top, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toThrow("backoff baseMs must be a finite number >= 0, got Infinity");
    expect(() => new Backoff(top, 10, 9)).toThrow("backoff capMs must be finite and >= baseMs, got 9");
  });

  it("is reproducible from the seed", () => {
    const a = new Backoff(new SeededRandom(5), 100, 10_000);
    const b = new Backoff(new SeededRandom(5), 100, 10_000);
    const da: number[] = [];
    const db: number[] = [];
    for (let i = 0; i < 20; i++) {
      da.push(a.nextDelay());
      db.push(b.nextDelay());
    }
    expect(da).toEqual(db);
  });

  it("the session waits out the backoff between failed attempts", () => {
    const r = rig({ backoff: { baseMs: 1000, capMs: 8000 } }, 99);
    r.broker.down = true;
    r.session.start(r.now);
    const attemptsAt: number[] = [];
    let seen = 0;
    for (let i = 0; i < 2000; i++) {
      r.run(10, 10);
      if (r.broker.links.length > seen) {
        seen = r.broker.links.length;
        attemptsAt.push(r.now);
      }
    }
    expect(attemptsAt.length).toBeGreaterThan(5);
    for (let n = 1; n < attemptsAt.length; n++) {
      const gap = attemptsAt[n]! - attemptsAt[n - 1]!;
      expect(gap).toBeLessThanOrEqual(Math.min(8000, 1000 * Math.pow(2, n - 1)) + 20);
    }
  });
});

describe("MqttSession: properties", () => {
  it("under random drops, lost acks and lost sessions, every message is acknowledged exactly once and the window holds", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.constantFrom("drop", "forget", "lose-acks", "fragment", "calm"), { minLength: 5, maxLength: 30 }),
        (seed, window, script) => {
          const r = rig({ inFlightWindow: window }, seed);
          const rnd = new SeededRandom(seed ^ 0x5a5a);
          r.session.start(r.now);
          const total = 150;
          let next = 1;
          let maxInFlight = 0;
          for (const step of script) {
            r.broker.fragment = step === "fragment" ? 4 : 0;
            r.broker.autoAck = step !== "lose-acks";
            for (let i = 0; i < 10; i++) {
              while (r.session.canSend() && next <= total && rnd.below(3) !== 0) publishTagged(r, next++);
              maxInFlight = Math.max(maxInFlight, r.session.inFlightCount);
              r.run(100);
            }
            if (step === "lose-acks") r.broker.unacked.length = 0;
            if (step === "forget") r.broker.keepSessions = false;
            if (step === "drop" || step === "forget" || step === "lose-acks") r.broker.drop();
            r.run(100);
            r.broker.keepSessions = true;
          }
          r.broker.fragment = 0;
          r.broker.autoAck = true;
          for (let i = 0; i < 2000 && (next <= total || r.session.inFlightCount > 0); i++) {
            while (r.session.canSend() && next <= total) publishTagged(r, next++);
            r.run(100);
          }
          const sorted = r.acked.slice().sort((a, b) => a - b);
          for (let t = 1; t <= total; t++) if (sorted[t - 1] !== t) return false;
          const seen = new Set(r.broker.publishes.map((p) => p.payload));
          return sorted.length === total && seen.size === total && maxInFlight <= window && r.session.counters.internalErrors === 0;
        },
      ),
      { numRuns: 25, seed: 3 },
    );
  });

  it("packet ids wrap past 65535 through the session and never collide with ids in flight", () => {
    const r = started({ inFlightWindow: 16 });
    r.broker.autoAck = false;
    r.broker.keepMessages = false;
    let acks = 0;
    r.session.onPuback(() => acks++);
    // One message stays unacknowledged for the whole run.
    publishTagged(r, 0);
    r.broker.pump();
    const stuck = r.broker.unacked.splice(0);
    expect(stuck).toEqual([1]);
    let tag = 1;
    let wrapped = false;
    let last = 1;
    const n = 66_000;
    while (tag <= n) {
      while (r.session.canSend() && tag <= n) {
        const id = publishTagged(r, tag++) as number;
        if (id === 1) expect(id).not.toBe(1);
        if (id < last) wrapped = true;
        last = id;
      }
      r.broker.ackAll();
      r.broker.pump();
    }
    expect(wrapped).toBe(true);
    expect(r.session.inFlightIds()).toEqual([1]);
    expect(acks).toBe(n);
  });
});
