import fc from "fast-check";
import type { MqttPacket, QoS, SubackReturnCode } from "../../src/core/mqtt/codec/packet-types";

export interface MqttArbitraryOptions {
  /** Characters beyond ASCII that strings draw from often (besides any code point at random). */
  specialChars: string[];
  /** ASCII characters strings draw from most. */
  asciiChars: string[];
  /** Largest size of the occasional large binary payload, in bytes. */
  maxLargeBinary: number;
}

/**
 * fast-check generators of spec-valid MQTT 3.1.1 packets, one per packet
 * type (`byType`) and any of them (`anyPacket`): strings never hold U+0000,
 * topic names no wildcards, topic filters only well-placed ones, packet ids
 * are 1..65535, a QoS 0 PUBLISH has no id and no DUP, and a CONNECT with an
 * empty client id asks for a clean session.
 */
export function mqttArbitraries(o: MqttArbitraryOptions): { byType: Record<MqttPacket["type"], fc.Arbitrary<MqttPacket>>; anyPacket: fc.Arbitrary<MqttPacket> } {
  const anyCodePoint = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });
  const specialChars = fc.constantFrom(...o.specialChars);
  const asciiChars = fc.constantFrom(...o.asciiChars);
  /** One code point, never U+0000 and never one of `excluded`. */
  const unit = (excluded: string): fc.Arbitrary<string> =>
    fc
      .oneof({ weight: 4, arbitrary: asciiChars }, { weight: 2, arbitrary: specialChars }, { weight: 2, arbitrary: anyCodePoint })
      .filter((c) => c !== "\u0000" && excluded.indexOf(c) === -1);
  const text = (maxLength: number) => fc.string({ unit: unit(""), maxLength });
  const topicName = fc.string({ unit: fc.oneof(unit("+#"), fc.constant("/")), minLength: 1, maxLength: 24 });
  const level = fc.string({ unit: unit("+#/"), maxLength: 6 });
  const topicFilter = fc
    .tuple(fc.array(fc.oneof(level, fc.constant("+")), { maxLength: 5 }), fc.boolean())
    .map(([levels, multi]) => (multi ? [...levels, "#"] : levels).join("/"))
    .filter((f) => f.length > 0);
  const binary = fc.oneof(
    { weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: o.maxLargeBinary }) },
  );
  const packetId = fc.integer({ min: 1, max: 65535 });
  const qos = fc.constantFrom<QoS>(0, 1, 2);
  const ack = (type: "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback"): fc.Arbitrary<MqttPacket> => packetId.map((id) => ({ type, packetId: id }));

  const byType: Record<MqttPacket["type"], fc.Arbitrary<MqttPacket>> = {
    connect: fc
      .record({
        clientId: text(23),
        cleanSession: fc.boolean(),
        keepAlive: fc.integer({ min: 0, max: 65535 }),
        will: fc.option(fc.record({ topic: topicName, payload: binary, qos, retain: fc.boolean() }), { nil: undefined }),
        username: fc.option(text(16), { nil: undefined }),
        password: fc.option(binary, { nil: undefined }),
      })
      .map((c) => {
        const p: MqttPacket = {
          type: "connect",
          clientId: c.clientId,
          cleanSession: c.clientId === "" ? true : c.cleanSession,
          keepAlive: c.keepAlive,
        };
        if (c.will !== undefined) p.will = c.will;
        if (c.username !== undefined) p.username = c.username;
        if (c.username !== undefined && c.password !== undefined) p.password = c.password;
        return p;
      }),
    connack: fc.record({ sessionPresent: fc.boolean(), returnCode: fc.constantFrom(0, 0, 1, 2, 3, 4, 5) }).map((c) => ({
      type: "connack" as const,
      sessionPresent: c.returnCode === 0 ? c.sessionPresent : false,
      returnCode: c.returnCode as 0 | 1 | 2 | 3 | 4 | 5,
    })),
    publish: fc
      .record({ topic: topicName, payload: binary, qos, retain: fc.boolean(), dup: fc.boolean(), packetId })
      .map((p) =>
        p.qos === 0
          ? { type: "publish" as const, topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: false }
          : { type: "publish" as const, ...p },
      ),
    puback: ack("puback"),
    pubrec: ack("pubrec"),
    pubrel: ack("pubrel"),
    pubcomp: ack("pubcomp"),
    subscribe: fc
      .record({ packetId, subscriptions: fc.array(fc.record({ topicFilter, qos }), { minLength: 1, maxLength: 6 }) })
      .map((s) => ({ type: "subscribe" as const, ...s })),
    suback: fc
      .record({ packetId, returnCodes: fc.array(fc.constantFrom<SubackReturnCode>(0, 1, 2, 0x80), { minLength: 1, maxLength: 8 }) })
      .map((s) => ({ type: "suback" as const, ...s })),
    unsubscribe: fc
      .record({ packetId, topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 6 }) })
      .map((s) => ({ type: "unsubscribe" as const, ...s })),
    unsuback: ack("unsuback"),
    pingreq: fc.constant({ type: "pingreq" as const }),
    pingresp: fc.constant({ type: "pingresp" as const }),
    disconnect: fc.constant({ type: "disconnect" as const }),
  };
  const anyPacket = fc.oneof(...Object.keys(byType).map((k) => byType[k as MqttPacket["type"]]));
  return { byType, anyPacket };
}
