// Engine-neutral tests of bench:core's far end (src/sim/ack-only-broker.ts), also run inside XS:
// its byte scanner must find the packets and ids the real codec finds, however the bytes are cut.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { AckOnlyBroker } from "../../src/sim/ack-only-broker";
import { encodePacket } from "../../src/core/mqtt/codec/packet-encoder";
import type { MqttPacket } from "../../src/core/mqtt/codec/packet-types";
import { MqttSession, SendOutcome } from "../../src/core/mqtt/session/mqtt-session";
import { MemoryPublishStore } from "../../src/sim/memory-publish-store";
import { SeededRandom } from "../../src/sim/seeded-random";

describe("AckOnlyBroker", () => {
  it("acknowledges exactly the QoS 1 PUBLISHes, by id, however the client's bytes are split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ qos: fc.constantFrom(0, 1), id: fc.integer({ min: 1, max: 65535 }), topic: fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !/[+#\u0000]/.test(t)), size: fc.integer({ min: 0, max: 400 }) }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
        (msgs, cuts) => {
          const b = new AckOnlyBroker();
          const acks: number[] = [];
          const t = b.transport();
          t.connect({ onConnected() {}, onData: (c) => acks.push((c[0] === 0x40 ? (c[2]! << 8) | c[3]! : -c[0]!)), onWritable() {}, onClosed() {} });
          const packets: MqttPacket[] = [{ type: "connect", clientId: "c", cleanSession: false, keepAlive: 30 }, { type: "pingreq" }];
          for (const m of msgs) packets.push(m.qos === 1 ? { type: "publish", topic: m.topic, payload: new Uint8Array(m.size), qos: 1, retain: false, dup: false, packetId: m.id } : { type: "publish", topic: m.topic, payload: new Uint8Array(m.size), qos: 0, retain: false, dup: false });
          const all = packets.map((p) => Array.from(encodePacket(p))).flat();
          for (let i = 0, k = 0; i < all.length; k++) {
            const n = cuts[k % cuts.length]!;
            t.write(new Uint8Array(all.slice(i, i + n)));
            i += n;
          }
          b.pump();
          expect(acks).toEqual([-0x20, -0xd0, ...msgs.filter((m) => m.qos === 1).map((m) => m.id)]);
          expect(b.publishes).toBe(msgs.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("serves a real session: connects, acknowledges, holds PUBACKs while told and sends them on ackAll", () => {
    const b = new AckOnlyBroker();
    const store = new MemoryPublishStore();
    const s = new MqttSession(
      { clientId: "t", keepAliveSec: 1, inFlightWindow: 4, maxPacketSize: 4096, backoff: { baseMs: 100, capMs: 1000 }, pingTimeoutMs: 500 },
      { transport: () => b.transport(), random: new SeededRandom(1), store },
    );
    const acked: number[] = [];
    s.onPuback((h) => {
      store.clear(h);
      acked.push(h);
    });
    let now = 0;
    s.start(now);
    const step = () => {
      b.pump();
      s.tick((now += 100));
      b.pump();
    };
    step();
    expect(s.connected).toBe(true);
    const publish = (h: number) => {
      const payload = new Uint8Array(300).fill(h);
      store.put(h, "paycard/t/tx", payload);
      return s.publish("paycard/t/tx", payload, 1, false, h).outcome;
    };
    for (let h = 1; h <= 3; h++) expect(publish(h)).toBe(SendOutcome.SENT);
    step();
    expect(acked).toEqual([1, 2, 3]);
    b.autoAck = false;
    for (let h = 4; h <= 7; h++) expect(publish(h)).toBe(SendOutcome.SENT);
    for (let i = 0; i < 20; i++) step(); // 2 s: pings answered, the link stays up
    expect(acked).toEqual([1, 2, 3]);
    expect(s.connected).toBe(true);
    expect(s.counters.pingsSent).toBeGreaterThan(0);
    b.ackAll();
    step();
    expect(acked).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(store.size).toBe(0);
  });
});
