// What the MQTT encoder says when it refuses a packet (src/core/mqtt/codec/packet-encoder.ts):
// the error code and the message naming the field, for every check. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { MqttEncodeError } from "../../src/core/mqtt/codec/encode-error";
import { encodeInto, encodePacket } from "../../src/core/mqtt/codec/packet-encoder";
import { MAX_MQTT_PACKET_SIZE, PacketParser } from "../../src/core/mqtt/codec/packet-parser";
import { PublishEncoder } from "../../src/core/mqtt/codec/publish-encoder";
import { writeRemainingLength } from "../../src/core/mqtt/codec/remaining-length";
import { thrown } from "../support/thrown";

const b = (s: string) => new TextEncoder().encode(s);
const C = { type: "connect", clientId: "c", cleanSession: true, keepAlive: 30 };

/** A packet the encoder must refuse, and its message ("CODE: what"). */
const REFUSALS: [unknown, string][] = [
  [null, "UNKNOWN_PACKET_TYPE: packet must be an object"],
  [{ type: "auth" }, "UNKNOWN_PACKET_TYPE: unknown packet type auth"],
  [{ type: "publish", topic: 5, payload: b("x"), qos: 0, retain: false, dup: false }, "INVALID_STRING: PUBLISH topic must be a string"],
  [{ type: "publish", topic: "a\u0000", payload: b("x"), qos: 0, retain: false, dup: false }, "INVALID_STRING: PUBLISH topic contains U+0000"],
  [{ type: "publish", topic: "a\ud800", payload: b("x"), qos: 0, retain: false, dup: false }, "INVALID_STRING: PUBLISH topic contains a lone surrogate"],
  [{ type: "publish", topic: "x".repeat(65536), payload: b("x"), qos: 0, retain: false, dup: false }, "FIELD_TOO_LONG: PUBLISH topic is 65536 bytes, limit 65535"],
  [{ type: "publish", topic: "a/+", payload: b("x"), qos: 0, retain: false, dup: false }, "INVALID_TOPIC_NAME: wildcard '+' in topic name at 2"],
  [{ type: "publish", topic: "t", payload: "x", qos: 0, retain: false, dup: false }, "INVALID_BINARY: PUBLISH payload must be a Uint8Array"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 3, retain: false, dup: false }, "INVALID_QOS: PUBLISH QoS must be 0, 1 or 2, got 3"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 0, retain: 1, dup: false }, "INVALID_FLAGS: PUBLISH retain must be a boolean, got 1"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 0, retain: false, dup: 0 }, "INVALID_FLAGS: PUBLISH dup must be a boolean, got 0"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 0, retain: false, dup: true }, "INVALID_FLAGS: PUBLISH QoS 0 must not set dup"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 0, retain: false, dup: false, packetId: 1 }, "INVALID_PACKET_ID: PUBLISH QoS 0 must not carry a packet identifier"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 1, retain: false, dup: false, packetId: 0 }, "INVALID_PACKET_ID: PUBLISH packet identifier must be an integer in 1..65535, got 0"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 1, retain: false, dup: false, packetId: 65536 }, "INVALID_PACKET_ID: PUBLISH packet identifier must be an integer in 1..65535, got 65536"],
  [{ type: "publish", topic: "t", payload: b("x"), qos: 1, retain: false, dup: false, packetId: 1.5 }, "INVALID_PACKET_ID: PUBLISH packet identifier must be an integer in 1..65535, got 1.5"],
  [{ ...C, clientId: 5 }, "INVALID_STRING: CONNECT client identifier must be a string"],
  [{ ...C, cleanSession: "yes" }, "INVALID_FLAGS: CONNECT cleanSession must be a boolean, got yes"],
  [{ ...C, clientId: "", cleanSession: false }, "INVALID_FIELD: CONNECT with an empty client identifier needs cleanSession"],
  [{ ...C, keepAlive: -1 }, "INVALID_FIELD: CONNECT keepAlive must be an integer in 0..65535, got -1"],
  [{ ...C, keepAlive: 65536 }, "INVALID_FIELD: CONNECT keepAlive must be an integer in 0..65535, got 65536"],
  [{ ...C, keepAlive: 1.5 }, "INVALID_FIELD: CONNECT keepAlive must be an integer in 0..65535, got 1.5"],
  [{ ...C, keepAlive: "30" }, "INVALID_FIELD: CONNECT keepAlive must be an integer in 0..65535, got 30"],
  [{ ...C, will: null }, "INVALID_FIELD: CONNECT will must be an object"],
  [{ ...C, will: 5 }, "INVALID_FIELD: CONNECT will must be an object"],
  [{ ...C, will: { topic: 5, payload: b("x"), qos: 0, retain: false } }, "INVALID_STRING: will topic must be a string"],
  [{ ...C, will: { topic: "a/#", payload: b("x"), qos: 0, retain: false } }, "INVALID_TOPIC_NAME: will: wildcard '#' in topic name at 2"],
  [{ ...C, will: { topic: "w", payload: "x", qos: 0, retain: false } }, "INVALID_BINARY: will payload must be a Uint8Array"],
  [{ ...C, will: { topic: "w", payload: new Uint8Array(65536), qos: 0, retain: false } }, "FIELD_TOO_LONG: will payload is 65536 bytes, limit 65535"],
  [{ ...C, will: { topic: "w", payload: b("x"), qos: 3, retain: false } }, "INVALID_QOS: will QoS must be 0, 1 or 2, got 3"],
  [{ ...C, will: { topic: "w", payload: b("x"), qos: 0, retain: "no" } }, "INVALID_FLAGS: will retain must be a boolean, got no"],
  [{ ...C, username: 5 }, "INVALID_STRING: CONNECT user name must be a string"],
  [{ ...C, password: b("p") }, "INVALID_FIELD: CONNECT password needs a user name in MQTT 3.1.1"],
  [{ ...C, username: "u", password: "p" }, "INVALID_BINARY: CONNECT password must be a Uint8Array"],
  [{ type: "connack", sessionPresent: 1, returnCode: 0 }, "INVALID_FLAGS: CONNACK sessionPresent must be a boolean, got 1"],
  [{ type: "connack", sessionPresent: false, returnCode: 6 }, "INVALID_FIELD: CONNACK return code must be 0..5, got 6"],
  [{ type: "connack", sessionPresent: false, returnCode: -1 }, "INVALID_FIELD: CONNACK return code must be 0..5, got -1"],
  [{ type: "connack", sessionPresent: false, returnCode: 1.5 }, "INVALID_FIELD: CONNACK return code must be 0..5, got 1.5"],
  [{ type: "connack", sessionPresent: false, returnCode: "0" }, "INVALID_FIELD: CONNACK return code must be 0..5, got 0"],
  [{ type: "connack", sessionPresent: true, returnCode: 5 }, "INVALID_FIELD: CONNACK refusal must not set sessionPresent"],
  [{ type: "puback", packetId: 0 }, "INVALID_PACKET_ID: PUBACK packet identifier must be an integer in 1..65535, got 0"],
  [{ type: "unsuback", packetId: 0 }, "INVALID_PACKET_ID: UNSUBACK packet identifier must be an integer in 1..65535, got 0"],
  [{ type: "subscribe", packetId: 0, subscriptions: [{ topicFilter: "a", qos: 0 }] }, "INVALID_PACKET_ID: SUBSCRIBE packet identifier must be an integer in 1..65535, got 0"],
  [{ type: "subscribe", packetId: 1, subscriptions: [] }, "INVALID_FIELD: SUBSCRIBE subscriptions must be a non-empty array"],
  [{ type: "subscribe", packetId: 1, subscriptions: [null] }, "INVALID_FIELD: SUBSCRIBE subscription must be an object"],
  [{ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: 5, qos: 0 }] }, "INVALID_STRING: SUBSCRIBE topic filter must be a string"],
  [{ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a#", qos: 0 }] }, "INVALID_TOPIC_FILTER: wildcard '#' does not fill a level at 1"],
  [{ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a", qos: 3 }] }, "INVALID_QOS: SUBSCRIBE requested QoS must be 0, 1 or 2, got 3"],
  [{ type: "suback", packetId: 0, returnCodes: [0] }, "INVALID_PACKET_ID: SUBACK packet identifier must be an integer in 1..65535, got 0"],
  [{ type: "suback", packetId: 1, returnCodes: [] }, "INVALID_FIELD: SUBACK return codes must be a non-empty array"],
  [{ type: "suback", packetId: 1, returnCodes: [3] }, "INVALID_FIELD: SUBACK return code must be 0, 1, 2 or 0x80, got 3"],
  [{ type: "unsubscribe", packetId: 0, topicFilters: ["a"] }, "INVALID_PACKET_ID: UNSUBSCRIBE packet identifier must be an integer in 1..65535, got 0"],
  [{ type: "unsubscribe", packetId: 1, topicFilters: "a" }, "INVALID_FIELD: UNSUBSCRIBE topic filters must be a non-empty array"],
  [{ type: "unsubscribe", packetId: 1, topicFilters: [5] }, "INVALID_STRING: UNSUBSCRIBE topic filter must be a string"],
];

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${e instanceof MqttEncodeError ? "" : "not an MqttEncodeError: "}${(e as Error).message}`;
  }
  return "accepted";
}

describe("MQTT encoder refusals", () => {
  it("names the check and the field for every packet it refuses", () => {
    for (const [packet, message] of REFUSALS) expect(refusal(() => encodePacket(packet as never))).toBe(message);
  });

  it("encodeInto: an offset outside the target, or too few bytes after it, by how many", () => {
    const ping = { type: "pingreq" } as const;
    expect(refusal(() => encodeInto(ping, new Uint8Array(10), 11))).toBe("BUFFER_TOO_SMALL: offset 11 outside target of 10 bytes");
    expect(refusal(() => encodeInto(ping, new Uint8Array(10), -1))).toBe("BUFFER_TOO_SMALL: offset -1 outside target of 10 bytes");
    expect(refusal(() => encodeInto(ping, new Uint8Array(10), 1.5))).toBe("BUFFER_TOO_SMALL: offset 1.5 outside target of 10 bytes");
    expect(refusal(() => encodeInto(ping, new Uint8Array(10), 10))).toBe("BUFFER_TOO_SMALL: packet needs 2 bytes, 0 available at offset 10");
    expect(refusal(() => encodeInto(ping, new Uint8Array(10), 9))).toBe("BUFFER_TOO_SMALL: packet needs 2 bytes, 1 available at offset 9");
    const t = new Uint8Array(10);
    expect(encodeInto(ping, t, 8)).toBe(2);
    expect(Array.from(t.subarray(8))).toEqual([0xc0, 0]);
  });
});

describe("PublishEncoder.head at its edges", () => {
  it("refuses each bad argument as encodePacket does, by the same message", () => {
    const enc = new PublishEncoder();
    const bad: [string, number, number, unknown, unknown, number, string][] = [
      ["t", 1, 0, "yes", false, 0, "INVALID_FLAGS: PUBLISH retain must be a boolean, got yes"],
      ["t", 1, 0, false, 0, 0, "INVALID_FLAGS: PUBLISH dup must be a boolean, got 0"],
      ["t", 1, 0, false, false, 5, "INVALID_PACKET_ID: PUBLISH QoS 0 must not carry a packet identifier"],
      ["t", 1, 1, false, false, 65536, "INVALID_PACKET_ID: PUBLISH packet identifier must be an integer in 1..65535, got 65536"],
      ["t", 1, 1, false, false, -1, "INVALID_PACKET_ID: PUBLISH packet identifier must be an integer in 1..65535, got -1"],
      ["t", 1, 3, false, false, 1, "INVALID_QOS: PUBLISH QoS must be 0, 1 or 2, got 3"],
    ];
    for (const [topic, length, qos, retain, dup, id, message] of bad) {
      expect(refusal(() => enc.head(topic, length, qos as 0, retain as boolean, dup as boolean, id)), message).toBe(message);
    }
    // A length that is no byte count.
    for (const n of [-1, 1.5, Number.NaN]) expect(refusal(() => enc.head("t", n, 0, false, false, 0))).toBe(`INVALID_BINARY: PUBLISH payload length must be a whole number of bytes, got ${n}`);
  });

  it("the Remaining Length takes 2, 3 and 4 bytes from exactly 128, 16 384 and 2 097 152", () => {
    const enc = new PublishEncoder();
    // Topic "t": its field is 3 bytes, and QoS 1 adds the packet id's 2: body = 5 + payload.
    for (const body of [127, 128, 0x3fff, 0x4000, 0x1fffff, 0x200000]) {
      const payload = new Uint8Array(body - 5);
      const head = enc.head("t", payload.length, 1, false, false, 9);
      const whole = encodePacket({ type: "publish", topic: "t", payload, qos: 1, retain: false, dup: false, packetId: 9 });
      expect([head.length, ...head], String(body)).toEqual([whole.length - payload.length, ...whole.subarray(0, whole.length - payload.length)]);
    }
  });
});

describe("the codec's other refusals, by message", () => {
  it("a parser's maxPacketSize from 2 to the protocol's largest packet", () => {
    expect(new PacketParser({ maxPacketSize: 2 }).failed).toBe(false);
    expect(new PacketParser({ maxPacketSize: MAX_MQTT_PACKET_SIZE }).failed).toBe(false);
    for (const bad of [1, MAX_MQTT_PACKET_SIZE + 1, 2.5]) {
      expect(String(thrown(() => new PacketParser({ maxPacketSize: bad })))).toBe(`RangeError: maxPacketSize must be an integer in 2..${MAX_MQTT_PACKET_SIZE}, got ${bad}`);
    }
  });

  it("a callback's failure is reported with what it threw; feeding from inside a callback is named", () => {
    const details: string[] = [];
    for (const value of [new TypeError("boom"), "plain"]) {
      const p = new PacketParser({ maxPacketSize: 100, onPacket: () => { throw value; }, onError: (_c, d) => details.push(d) });
      p.feed(Uint8Array.of(0xd0, 0));
    }
    const q: PacketParser = new PacketParser({ maxPacketSize: 100, onPacket: () => q.feed(Uint8Array.of(0xd0, 0)), onError: (_c, d) => details.push(d) });
    q.feed(Uint8Array.of(0xd0, 0));
    expect(details).toEqual(["onPacket threw: TypeError: boom", "onPacket threw: plain", "feed() called from inside a parser callback"]);
  });

  it("the Remaining Length is written only where it fits", () => {
    const t = new Uint8Array(4);
    expect(writeRemainingLength(200, t, 2)).toBe(2);
    expect(Array.from(t)).toEqual([0, 0, 0xc8, 0x01]);
    for (const [offset, size] of [[3, 4], [-1, 4], [2, 3]] as const) {
      expect(() => writeRemainingLength(200, new Uint8Array(size), offset)).toThrow("remaining length target too short");
    }
    expect(() => writeRemainingLength(268_435_456, t, 0)).toThrow("remaining length out of range: 268435456");
  });
});

