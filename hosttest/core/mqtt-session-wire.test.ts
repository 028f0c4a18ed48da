// The MQTT session (src/core/mqtt/session/mqtt-session.ts) to the byte and the millisecond, over
// a transport driven by hand: the limits of every option with the message that refuses it, the
// deadlines (connect timeout, backoff, keep-alive, ping timeout) at their exact instant, what
// stop() writes, the refusals of publish, the in-flight order, and the counters after each step.
// Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { encodePacket } from "../../src/core/mqtt/codec/packet-encoder";
import { MAX_MQTT_PACKET_SIZE } from "../../src/core/mqtt/codec/packet-parser";
import { MqttSession, type MqttSessionOptions, MqttSessionState, SendOutcome } from "../../src/core/mqtt/session/mqtt-session";
import type { MqttTransport, TransportHandlers } from "../../src/core/mqtt/session/transport-port";
import { MemoryPublishStore } from "../../src/sim/memory-publish-store";
import { bytes } from "../../src/sim/scripted-broker";
import { SeededRandom } from "../../src/sim/seeded-random";
import { HandLink, handConnected, handRig, SESSION_OPTIONS } from "../support/hand-driven-session";
import { thrown } from "../support/thrown";

const CONNACK = (present = false) => encodePacket({ type: "connack", sessionPresent: present, returnCode: 0 });
const PINGREQ = [0xc0, 0];
const PINGRESP = encodePacket({ type: "pingresp" });
const DISCONNECT = [0xe0, 0];

function ports() {
  return { transport: () => new HandLink(), random: new SeededRandom(1), store: new MemoryPublishStore() };
}

function publishBytes(topic: string, payload: Uint8Array, packetId: number, retain = false, dup = false): number[] {
  return Array.from(encodePacket({ type: "publish", topic, payload, qos: packetId === 0 ? 0 : 1, packetId: packetId === 0 ? undefined : packetId, retain, dup }));
}

describe("MqttSession: options", () => {
  it("refuses each option outside its range with a message naming the range and the value", () => {
    const refusals: [Partial<MqttSessionOptions>, string][] = [
      [{ inFlightWindow: 0 }, "inFlightWindow must be an integer in 1..65535, got 0"],
      [{ inFlightWindow: 65536 }, "inFlightWindow must be an integer in 1..65535, got 65536"],
      [{ inFlightWindow: 2.5 }, "inFlightWindow must be an integer in 1..65535, got 2.5"],
      [{ inFlightWindow: "4" as unknown as number }, "inFlightWindow must be an integer in 1..65535, got 4"],
      [{ maxPacketSize: 1 }, `maxPacketSize must be an integer in 2..${MAX_MQTT_PACKET_SIZE}, got 1`],
      [{ maxPacketSize: MAX_MQTT_PACKET_SIZE + 1 }, `maxPacketSize must be an integer in 2..${MAX_MQTT_PACKET_SIZE}, got ${MAX_MQTT_PACKET_SIZE + 1}`],
      [{ keepAliveSec: -1 }, "keepAliveSec must be an integer in 0..65535, got -1"],
      [{ keepAliveSec: 65536 }, "keepAliveSec must be an integer in 0..65535, got 65536"],
      [{ pingTimeoutMs: 0 }, "pingTimeoutMs must be an integer in 1..2147483647, got 0"],
      [{ pingTimeoutMs: 2 ** 31 }, "pingTimeoutMs must be an integer in 1..2147483647, got 2147483648"],
      [{ connectTimeoutMs: 0 }, "connectTimeoutMs must be an integer in 1..2147483647, got 0"],
      [{ connectTimeoutMs: 2 ** 31 }, "connectTimeoutMs must be an integer in 1..2147483647, got 2147483648"],
      [{ maxSubscriptions: -1 }, "maxSubscriptions must be an integer in 0..64, got -1"],
      [{ maxSubscriptions: 65 }, "maxSubscriptions must be an integer in 0..64, got 65"],
    ];
    for (const [change, message] of refusals) {
      const e = thrown(() => new MqttSession({ ...SESSION_OPTIONS, ...change }, ports()));
      expect(e instanceof RangeError, message).toBe(true);
      expect((e as Error).message).toBe(message);
    }
  });

  it("accepts each option at both ends of its range", () => {
    const accepted: Partial<MqttSessionOptions>[] = [
      { inFlightWindow: 1 },
      { inFlightWindow: 65535, maxSubscriptions: 64 },
      { keepAliveSec: 0 },
      { keepAliveSec: 65535 },
      { pingTimeoutMs: 1 },
      { pingTimeoutMs: 2 ** 31 - 1 },
      { connectTimeoutMs: 1 },
      { connectTimeoutMs: 2 ** 31 - 1 },
      { maxSubscriptions: 0 },
      { maxPacketSize: MAX_MQTT_PACKET_SIZE },
    ];
    for (const change of accepted) expect(new MqttSession({ ...SESSION_OPTIONS, ...change }, ports()).state, JSON.stringify(change)).toBe(MqttSessionState.IDLE);
    // A CONNECT exactly maxPacketSize long is sendable; one byte less is not.
    const size = encodePacket({ type: "connect", clientId: "term-1", cleanSession: false, keepAlive: 30 }).length;
    expect(new MqttSession({ ...SESSION_OPTIONS, maxPacketSize: size }, ports()).state).toBe(MqttSessionState.IDLE);
    expect(String(thrown(() => new MqttSession({ ...SESSION_OPTIONS, maxPacketSize: size - 1 }, ports())))).toBe(`RangeError: CONNECT is ${size} bytes, above maxPacketSize ${size - 1}`);
  });

  it("refuses missing ports by name, not with a TypeError", () => {
    const p = ports();
    const missing: [unknown, string][] = [
      [undefined, "ports.transport must be a transport factory"],
      [{ transport: p.transport, store: p.store }, "ports.random must be a RandomPort"],
      [{ transport: p.transport, random: p.random }, "ports.store must be a PublishStore"],
    ];
    for (const [given, message] of missing) {
      const e = thrown(() => new MqttSession(SESSION_OPTIONS, given as never));
      expect(e instanceof RangeError, message).toBe(true);
      expect((e as Error).message).toBe(message);
    }
  });

  it("keeps its own copies of the will's payload and the password: changing them afterwards changes nothing sent", () => {
    const payload = bytes("offline");
    const password = bytes("secret");
    const will = { topic: "t/status", payload, qos: 1 as const, retain: true };
    const r = handRig({ will, password, username: "u" });
    payload.fill(0x21);
    password.fill(0x21);
    r.session.start(0);
    r.links[0]!.handlers!.onConnected();
    const expected = encodePacket({ type: "connect", clientId: "term-1", cleanSession: false, keepAlive: 30, will: { ...will, payload: bytes("offline") }, username: "u", password: bytes("secret") });
    expect(r.links[0]!.written).toEqual(Array.from(expected));
  });

  it("without credentials, CONNECT carries neither a user name nor a password", () => {
    const r = handRig();
    r.session.start(0);
    r.links[0]!.handlers!.onConnected();
    expect(r.links[0]!.written).toEqual(Array.from(encodePacket({ type: "connect", clientId: "term-1", cleanSession: false, keepAlive: 30 })));
  });
});

describe("MqttSession: deadlines, to the millisecond", () => {
  it("a connect attempt times out exactly connectTimeoutMs after it began, and the next begins exactly at its backoff", () => {
    const r = handRig({ connectTimeoutMs: 3000 });
    r.session.start(1000);
    r.session.tick(3999);
    expect([r.session.state, r.errors]).toEqual([MqttSessionState.CONNECTING, []]);
    r.session.tick(4000);
    expect(r.errors).toEqual(["CONNECT_TIMEOUT: no CONNACK within 3000 ms"]);
    expect([r.session.state, r.session.counters.connectTimeouts, r.session.counters.transportCloses]).toEqual([MqttSessionState.BACKING_OFF, 1, 0]);
    expect(r.links[0]!.closed).toBe(true);
    const at = r.session.nextAttemptAt;
    expect(at).toBeGreaterThanOrEqual(4000);
    expect(at).toBeLessThanOrEqual(5000); // full jitter in [0, baseMs]
    r.session.tick(at - 1);
    expect([r.links.length, r.session.counters.connectAttempts]).toEqual([1, 1]);
    r.session.tick(at);
    expect([r.links.length, r.session.counters.connectAttempts, r.session.state]).toEqual([2, 2, MqttSessionState.CONNECTING]);
    // Awaiting CONNACK times out the same way, counted from the attempt's start.
    r.links[1]!.handlers!.onConnected();
    r.session.tick(at + 2999);
    expect(r.session.state).toBe(MqttSessionState.AWAITING_CONNACK);
    r.session.tick(at + 3000);
    expect([r.session.state, r.session.counters.connectTimeouts]).toEqual([MqttSessionState.BACKING_OFF, 2]);
  });

  it("pings exactly keepAlive after the last packet either way, and gives up exactly pingTimeoutMs after the ping", () => {
    const c = handConnected({ keepAliveSec: 10, pingTimeoutMs: 2000 });
    c.session.tick(9999);
    expect(c.link.written).toEqual([]);
    c.session.tick(10_000);
    expect([c.link.written, c.session.counters.pingsSent]).toEqual([PINGREQ, 1]);
    c.session.tick(11_999);
    expect(c.session.connected).toBe(true);
    c.link.handlers!.onData(PINGRESP);
    // Answered: the next ping is due keepAlive after the PINGREQ was sent (the last packet out).
    c.session.tick(19_999);
    expect(c.session.counters.pingsSent).toBe(1);
    c.session.tick(20_000);
    expect(c.session.counters.pingsSent).toBe(2);
    c.session.tick(21_999);
    expect(c.session.connected).toBe(true);
    c.session.tick(22_000);
    expect(c.errors).toEqual(["KEEPALIVE_TIMEOUT: no PINGRESP within 2000 ms: dead link"]);
    expect([c.session.state, c.session.counters.keepaliveTimeouts, c.link.closed]).toEqual([MqttSessionState.BACKING_OFF, 1, true]);
  });

  it("a packet sent resets the quiet time, and so does one received: the ping waits for the older of the two", () => {
    const c = handConnected({ keepAliveSec: 10 });
    c.store.put(1, "t", bytes("x"));
    c.session.tick(4000);
    expect(c.session.publish("t", bytes("x"), 1, false, 1).outcome).toBe(SendOutcome.SENT); // sent at 4 000
    c.session.tick(6000);
    c.link.handlers!.onData(encodePacket({ type: "puback", packetId: 1 })); // received at 6 000
    c.link.written.length = 0;
    c.session.tick(13_999);
    expect(c.link.written).toEqual([]);
    c.session.tick(14_000); // 10 s after the publish
    expect(c.link.written).toEqual(PINGREQ);
  });

  it("a broker that answers nothing is pinged keepAlive after its last packet, however busy the terminal is", () => {
    const c = handConnected({ keepAliveSec: 10, inFlightWindow: 100 });
    for (let t = 1000; t < 10_000; t += 1000) {
      c.session.tick(t);
      c.store.put(t, "t", bytes("x"));
      expect(c.session.publish("t", bytes("x"), 1, false, t).outcome).toBe(SendOutcome.SENT);
    }
    c.link.written.length = 0;
    c.session.tick(10_000); // last received: the CONNACK at 0
    expect(c.link.written).toEqual(PINGREQ);
  });
});

describe("MqttSession: stop", () => {
  it("connected: writes DISCONNECT, closes, reports the disconnection once, keeps what is in flight", () => {
    const c = handConnected();
    let disconnected = 0;
    c.session.onDisconnected(() => disconnected++);
    c.store.put(1, "t", bytes("x"));
    c.session.publish("t", bytes("x"), 1, false, 1);
    c.link.written.length = 0;
    c.session.stop(5);
    expect([c.link.written, c.link.closed, disconnected, c.session.state, c.session.inFlightCount]).toEqual([DISCONNECT, true, 1, MqttSessionState.IDLE, 1]);
    c.session.stop(6);
    expect(disconnected).toBe(1);
    expect(c.errors).toEqual([]);
  });

  it("with bytes still waiting for the transport, or before CONNACK: no DISCONNECT, and no disconnection to report", () => {
    const c = handConnected();
    let disconnected = 0;
    c.session.onDisconnected(() => disconnected++);
    c.link.accept = 2;
    c.session.publish("t", bytes("abc"), 0, false);
    c.link.written.length = 0;
    c.session.stop(5);
    expect([c.link.written, c.link.closed, disconnected]).toEqual([[], true, 1]);

    const r = handRig();
    let dropped = 0;
    r.session.onDisconnected(() => dropped++);
    r.session.start(0);
    r.links[0]!.handlers!.onConnected();
    r.links[0]!.written.length = 0;
    r.session.stop(1);
    expect([r.links[0]!.written, r.links[0]!.closed, dropped, r.session.state]).toEqual([[], true, 0, MqttSessionState.IDLE]);
  });

  it("a link that fails reports the disconnection only if it had been connected; only transport failures count as closes", () => {
    const r = handRig({ backoff: { baseMs: 1, capMs: 1 } });
    let disconnected = 0;
    r.session.onDisconnected(() => disconnected++);
    r.session.start(0);
    r.links[0]!.handlers!.onClosed("refused");
    expect([disconnected, r.session.counters.transportCloses]).toEqual([0, 1]);
    r.session.tick(10);
    r.links[1]!.handlers!.onConnected();
    r.links[1]!.handlers!.onData(CONNACK());
    r.links[1]!.handlers!.onData(Uint8Array.of(0xf0, 0)); // reserved packet type: a protocol error
    expect([disconnected, r.session.counters.transportCloses, r.session.counters.protocolErrors]).toEqual([1, 1, 1]);
  });
});

describe("MqttSession: publishing, to the byte", () => {
  it("QoS 0 goes out whatever the in-flight window holds; QoS 2 is refused by name", () => {
    const c = handConnected({ inFlightWindow: 1 });
    c.store.put(1, "t", bytes("a"));
    expect(c.session.publish("t", bytes("a"), 1, false, 1).outcome).toBe(SendOutcome.SENT);
    expect(c.session.canSend()).toBe(false);
    c.link.written.length = 0;
    expect(c.session.publish("t/0", bytes("b"), 0, true)).toEqual({ outcome: SendOutcome.SENT, packetId: 0 });
    expect(c.link.written).toEqual(publishBytes("t/0", bytes("b"), 0, true));
    expect(c.session.publish("t", bytes("c"), 2 as 1, false).outcome).toBe(SendOutcome.INVALID);
    expect(c.errors).toEqual(["INVALID_MESSAGE: QoS must be 0 or 1, got 2"]);
    expect([c.session.counters.published, c.session.counters.publishedQos0, c.session.inFlightCount]).toEqual([1, 1, 1]);
  });

  it("a PUBLISH of exactly maxPacketSize goes; one byte more is refused, its packet id given back", () => {
    const head = publishBytes("t", new Uint8Array(0), 1).length;
    const c = handConnected({ maxPacketSize: 100, inFlightWindow: 1, maxSubscriptions: 0 });
    expect(c.session.publish("t", new Uint8Array(100 - head + 1), 1, false, 1).outcome).toBe(SendOutcome.INVALID);
    expect(c.errors).toEqual([`INVALID_MESSAGE: publish to t is 101 bytes, above maxPacketSize 100`]);
    c.store.put(2, "t", new Uint8Array(100 - head));
    // One packet id in all (a window of 1, no subscriptions): had the refusal kept it, this would wait.
    expect(c.session.publish("t", new Uint8Array(100 - head), 1, false, 2).outcome).toBe(SendOutcome.SENT);
    expect(c.link.written).toHaveLength(100);
  });

  it("a topic the encoder refuses is INVALID with its reason, and its packet id is given back", () => {
    const c = handConnected({ inFlightWindow: 1, maxSubscriptions: 0 });
    expect(c.session.publish("a/+", bytes("x"), 1, false, 1).outcome).toBe(SendOutcome.INVALID);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatch(/^INVALID_MESSAGE: publish to a\/\+: MqttEncodeError: /);
    c.store.put(2, "t", bytes("x"));
    expect(c.session.publish("t", bytes("x"), 1, false, 2).outcome).toBe(SendOutcome.SENT);
    expect(c.session.inFlightCount).toBe(1);
  });

  it("counts every byte it writes, and each time a write comes up short", () => {
    const c = handConnected();
    const after = c.session.counters.bytesSent;
    expect(after).toBe(encodePacket({ type: "connect", clientId: "term-1", cleanSession: false, keepAlive: 30 }).length);
    c.store.put(1, "t", bytes("hello"));
    c.session.publish("t", bytes("hello"), 1, false, 1);
    const one = publishBytes("t", bytes("hello"), 1);
    expect([c.session.counters.bytesSent, c.session.counters.writeStalls]).toEqual([after + one.length, 0]);
    c.link.accept = 3; // inside the head
    c.store.put(2, "t", bytes("world"));
    c.session.publish("t", bytes("world"), 1, false, 2);
    expect(c.session.counters.writeStalls).toBe(1);
    c.link.handlers!.onWritable(); // 3 more: still inside the head
    expect(c.session.counters.writeStalls).toBe(2);
    c.link.accept = 1000;
    c.link.handlers!.onWritable();
    expect(c.link.written).toEqual([...one, ...publishBytes("t", bytes("world"), 2)]);
    expect([c.session.counters.bytesSent, c.session.counters.writeStalls]).toEqual([after + 2 * one.length, 2]);
    // Short inside the payload (the head, 7 bytes, goes whole): the rest of the payload waits.
    const long = bytes("0123456789abcdefghij");
    const third = publishBytes("t", long, 3);
    c.link.accept = 10;
    c.store.put(3, "t", long);
    c.session.publish("t", long, 1, false, 3);
    expect([c.session.counters.writeStalls, c.session.canSend()]).toEqual([3, false]);
    c.link.accept = 1000;
    c.link.handlers!.onWritable();
    expect(c.link.written.slice(-third.length)).toEqual(third);
    expect(c.session.counters.bytesSent).toBe(after + 2 * one.length + third.length);
    expect(c.session.canSend()).toBe(true);
  });

  it("a transport that answers a write with nonsense is taken to have written nothing, or the whole bytes it says", () => {
    const answers: unknown[] = [undefined, -5, Number.NaN, "7", 2.9];
    for (const answer of answers) {
      const c = handConnected();
      const real = c.link.write.bind(c.link);
      let calls = 0;
      c.link.write = (b: Uint8Array) => (calls++ === 0 ? (real(b.subarray(0, answer === 2.9 ? 2 : 0)), answer as number) : real(b));
      c.session.publish("t", bytes("q0"), 0, false);
      expect(c.session.counters.writeStalls, String(answer)).toBe(1);
      c.link.handlers!.onWritable();
      expect(c.link.written, String(answer)).toEqual(publishBytes("t", bytes("q0"), 0));
    }
  });
});

describe("MqttSession: in flight", () => {
  it("a PUBACK out of order takes its message out and keeps the others in order; an unknown one is counted", () => {
    const c = handConnected();
    const acked: number[] = [];
    c.session.onPuback((handle, id) => acked.push(handle * 100 + id));
    for (let h = 1; h <= 4; h++) {
      c.store.put(h, "t", bytes("m" + h));
      c.session.publish("t", bytes("m" + h), 1, h === 2, h);
    }
    expect(c.session.inFlightIds()).toEqual([1, 2, 3, 4]);
    c.link.handlers!.onData(encodePacket({ type: "puback", packetId: 2 }));
    expect(c.session.inFlightIds()).toEqual([1, 3, 4]);
    c.link.handlers!.onData(encodePacket({ type: "puback", packetId: 4 }));
    expect(c.session.inFlightIds()).toEqual([1, 3]);
    c.link.handlers!.onData(encodePacket({ type: "puback", packetId: 9 }));
    expect([acked, c.session.counters.pubacks, c.session.counters.unknownPubacks]).toEqual([[202, 404], 2, 1]);
  });

  it("four bytes that look like a PUBACK are one only between packets and with the PUBACK type", () => {
    const c = handConnected();
    for (let h = 1; h <= 2; h++) {
      c.store.put(h, "t", bytes("m"));
      c.session.publish("t", bytes("m"), 1, false, h);
    }
    // An UNSUBACK for id 1 is not an acknowledgement of PUBLISH 1.
    c.link.handlers!.onData(Uint8Array.of(0xb0, 2, 0, 1));
    expect(c.session.inFlightIds()).toEqual([1, 2]);
    // The payload of an incoming PUBLISH, arriving on its own, is payload even when it reads 40 02 00 01.
    const got: number[][] = [];
    c.session.onMessage((_t, payload) => got.push(Array.from(payload)));
    const publish = encodePacket({ type: "publish", topic: "cmd", payload: Uint8Array.of(0x40, 2, 0, 1), qos: 0, retain: false, dup: false });
    c.link.handlers!.onData(publish.subarray(0, publish.length - 4));
    c.link.handlers!.onData(publish.subarray(publish.length - 4));
    expect(got).toEqual([[0x40, 2, 0, 1]]);
    expect([c.session.inFlightIds(), c.session.counters.pubacks, c.errors]).toEqual([[1, 2], 0, []]);
    // A PUBACK with one byte of the next packet after it: both read.
    c.link.handlers!.onData(Uint8Array.of(0x40, 2, 0, 1, 0xd0));
    c.link.handlers!.onData(Uint8Array.of(0));
    expect([c.session.inFlightIds(), c.session.counters.pubacks, c.errors]).toEqual([[2], 1, []]);
  });

  it("sent again after a reconnect with session: same ids, DUP set, the retain flag of each kept", () => {
    const c = handConnected({ backoff: { baseMs: 1, capMs: 1 } });
    for (let h = 1; h <= 3; h++) {
      c.store.put(h, "t", bytes("m" + h));
      c.session.publish("t", bytes("m" + h), 1, h === 2, h);
    }
    c.link.handlers!.onData(encodePacket({ type: "puback", packetId: 1 }));
    c.link.handlers!.onClosed("reset");
    c.session.tick(10);
    const link = c.links[1]!;
    link.handlers!.onConnected();
    link.written.length = 0;
    link.handlers!.onData(CONNACK(true));
    expect(link.written).toEqual([...publishBytes("t", bytes("m2"), 2, true, true), ...publishBytes("t", bytes("m3"), 3, false, true)]);
    expect([c.session.counters.retransmits, c.session.counters.republished, c.session.sessionPresent]).toEqual([2, 0, true]);
  });

  it("a store that throws while messages are sent again is an internal error: counted, reported, the link dropped", () => {
    const c = handConnected({ backoff: { baseMs: 1, capMs: 1 } });
    c.store.put(1, "t", bytes("x"));
    c.session.publish("t", bytes("x"), 1, false, 1);
    c.link.handlers!.onClosed("reset");
    c.errors.length = 0;
    c.store.retrieve = () => {
      throw new Error("flash gone");
    };
    c.session.tick(10);
    c.links[1]!.handlers!.onConnected();
    c.links[1]!.handlers!.onData(CONNACK(true));
    expect(c.errors).toEqual(["INTERNAL_ERROR: Error: flash gone"]);
    expect([c.session.counters.internalErrors, c.session.state, c.session.inFlightCount]).toEqual([1, MqttSessionState.BACKING_OFF, 1]);
  });
});

describe("MqttSession: subscriptions", () => {
  it("a SUBACK refusal is reported with the filter; a grant is not an error; both reach onSuback", () => {
    const c = handConnected();
    const got: string[] = [];
    c.session.onSuback((filter, granted) => got.push(`${filter} ${granted}`));
    expect(c.session.subscribe("cmd/a", 1)).toEqual({ outcome: SendOutcome.SENT, packetId: 1 });
    expect(c.session.subscribe("cmd/b", 1)).toEqual({ outcome: SendOutcome.SENT, packetId: 2 });
    expect(c.session.subscribe("cmd/a", 0)).toEqual({ outcome: SendOutcome.LATER, packetId: 0 }); // its SUBACK is awaited
    c.link.handlers!.onData(encodePacket({ type: "suback", packetId: 1, returnCodes: [1] }));
    c.link.handlers!.onData(encodePacket({ type: "suback", packetId: 2, returnCodes: [0x80] }));
    expect(got).toEqual(["cmd/a 1", "cmd/b 128"]);
    expect(c.errors).toEqual(["SUBSCRIBE_REFUSED: broker refused the subscription to cmd/b"]);
    expect(c.session.counters.subscribesSent).toBe(2);
  });

  it("a bad filter is INVALID with its reason; before CONNACK a subscription waits for the link", () => {
    const r = handRig();
    expect(r.session.subscribe("a/#/b", 0).outcome).toBe(SendOutcome.INVALID);
    expect(r.errors[0]).toMatch(/^INVALID_MESSAGE: subscribe a\/#\/b: MqttEncodeError: /);
    expect(r.session.subscribe("cmd/#", 1)).toEqual({ outcome: SendOutcome.LATER, packetId: 0 });
    r.session.start(0);
    r.links[0]!.handlers!.onConnected();
    r.links[0]!.written.length = 0;
    r.links[0]!.handlers!.onData(CONNACK());
    expect(r.links[0]!.written).toEqual(Array.from(encodePacket({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "cmd/#", qos: 1 }] })));
  });
});

describe("MqttSession: a transport written by hand", () => {
  it("a transport whose close throws is still dropped", () => {
    class BadClose implements MqttTransport {
      h: TransportHandlers | null = null;
      connect(h: TransportHandlers): void {
        this.h = h;
      }
      write(b: Uint8Array): number {
        return b.length;
      }
      close(): void {
        throw new Error("close failed");
      }
    }
    const links: BadClose[] = [];
    const s = new MqttSession({ ...SESSION_OPTIONS, backoff: { baseMs: 1, capMs: 1 } }, { transport: () => (links.push(new BadClose()), links.at(-1)!), random: new SeededRandom(1), store: new MemoryPublishStore() });
    s.start(0);
    links[0]!.h!.onClosed("x");
    expect(s.state).toBe(MqttSessionState.BACKING_OFF);
    s.tick(5);
    links[1]!.h!.onConnected();
    links[1]!.h!.onData(CONNACK());
    expect(s.connected).toBe(true);
    s.stop(6);
    expect(s.state).toBe(MqttSessionState.IDLE);
  });
});
