// What the MQTT parser says about a packet it cannot read (src/core/mqtt/codec/packet-decoder.ts):
// the error code and the detail naming the field and how many bytes were missing, for each field
// of CONNECT and the others. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import { PacketParser } from "../../src/core/mqtt/codec/packet-parser";
import { raw, str } from "../support/bytes";

const CH = [...str("MQTT"), 4];

/** A packet cut short or otherwise unreadable, and what the parser reports. */
const CASES: [string, Uint8Array, string][] = [
  ["cut in the protocol name's length", raw(0x10, 0), "FIELD_OUT_OF_BOUNDS: protocol name length needs 2 bytes, 1 left in packet"],
  ["cut in the protocol name", raw(0x10, 0, 4, 0x4d), "FIELD_OUT_OF_BOUNDS: protocol name needs 4 bytes, 1 left in packet"],
  ["protocol name MQTS", raw(0x10, str("MQTS"), 4, 2, 0, 0, str("c")), 'INVALID_PROTOCOL_NAME: CONNECT protocol name is not "MQTT"'],
  ["protocol name MQT", raw(0x10, str("MQT"), 4, 2, 0, 0, str("c")), 'INVALID_PROTOCOL_NAME: CONNECT protocol name is not "MQTT"'],
  ["protocol name NQTT", raw(0x10, str("NQTT"), 4, 2, 0, 0, str("c")), 'INVALID_PROTOCOL_NAME: CONNECT protocol name is not "MQTT"'],
  ["protocol name MRTT", raw(0x10, str("MRTT"), 4, 2, 0, 0, str("c")), 'INVALID_PROTOCOL_NAME: CONNECT protocol name is not "MQTT"'],
  ["cut before the level", raw(0x10, str("MQTT")), "FIELD_OUT_OF_BOUNDS: protocol level needs 1 bytes, 0 left in packet"],
  ["cut before the flags", raw(0x10, CH), "FIELD_OUT_OF_BOUNDS: connect flags needs 1 bytes, 0 left in packet"],
  ["cut in the keep alive", raw(0x10, CH, 2, 0), "FIELD_OUT_OF_BOUNDS: keep alive needs 2 bytes, 1 left in packet"],
  ["cut in the client id", raw(0x10, CH, 2, 0, 0, 0, 5, 0x61), "FIELD_OUT_OF_BOUNDS: client identifier needs 5 bytes, 1 left in packet"],
  ["cut in the will topic", raw(0x10, CH, 0x06, 0, 0, str("c"), 0, 3, 0x61), "FIELD_OUT_OF_BOUNDS: will topic needs 3 bytes, 1 left in packet"],
  ["cut in the will payload", raw(0x10, CH, 0x06, 0, 0, str("c"), str("w"), 0, 4, 1), "FIELD_OUT_OF_BOUNDS: will payload needs 4 bytes, 1 left in packet"],
  ["cut in the user name", raw(0x10, CH, 0x82, 0, 0, str("c"), 0, 4, 0x61), "FIELD_OUT_OF_BOUNDS: user name needs 4 bytes, 1 left in packet"],
  ["cut in the password", raw(0x10, CH, 0xc2, 0, 0, str("c"), str("u"), 0, 4, 1), "FIELD_OUT_OF_BOUNDS: password needs 4 bytes, 1 left in packet"],
  ["PUBLISH topic cut", raw(0x30, 0, 5, 0x61), "FIELD_OUT_OF_BOUNDS: topic name needs 5 bytes, 1 left in packet"],
  ["PUBLISH id cut", raw(0x32, str("t"), 0), "FIELD_OUT_OF_BOUNDS: packet identifier needs 2 bytes, 1 left in packet"],
  ["SUBSCRIBE filter cut", raw(0x82, 0, 1, 0, 4, 0x61), "FIELD_OUT_OF_BOUNDS: topic filter needs 4 bytes, 1 left in packet"],
  ["SUBSCRIBE QoS missing", raw(0x82, 0, 1, str("a")), "FIELD_OUT_OF_BOUNDS: requested QoS needs 1 bytes, 0 left in packet"],
  ["UNSUBSCRIBE filter cut", raw(0xa2, 0, 1, 0, 4, 0x61), "FIELD_OUT_OF_BOUNDS: topic filter needs 4 bytes, 1 left in packet"],
  ["CONNECT trailing", raw(0x10, CH, 2, 0, 0, str("c"), 0, 0), "INVALID_PACKET_LENGTH: 2 bytes left over after connect"],
  ["PUBACK id 0", raw(0x40, 0, 0), "INVALID_PACKET_ID: packet identifier 0"],
];

describe("MQTT parser error details", () => {
  it("name the field and the bytes missing", () => {
    for (const [name, bytes, want] of CASES) {
      let got = "";
      const p = new PacketParser({ maxPacketSize: 1024, onError: (code, detail) => { got = `${code}: ${detail}`; } });
      p.feed(bytes);
      expect(got, name).toBe(want);
    }
  });
});

describe("MQTT parser: a bad first byte", () => {
  it("is reported as soon as it arrives, before any Remaining Length", () => {
    for (const [byte, want] of [
      [0x00, "RESERVED_PACKET_TYPE: reserved packet type 0"],
      [0xf0, "RESERVED_PACKET_TYPE: reserved packet type 15"],
      [0x36, "INVALID_QOS: PUBLISH with QoS 3"],
      [0x38, "INVALID_HEADER_FLAGS: PUBLISH with DUP set and QoS 0"],
    ] as const) {
      const got: string[] = [];
      const p = new PacketParser({ maxPacketSize: 1024, onError: (code, detail) => got.push(`${code}: ${detail}`) });
      p.feed(Uint8Array.of(byte));
      expect(got, String(byte)).toEqual([want]);
    }
  });
});

