// Engine-neutral tests of the MQTT 3.1.1 codec in src/core/mqtt. Also bundled
// and run inside XS: only describe/it/expect, fast-check and src/core imports,
// and only the matchers the XS harness implements.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EncodeErrorCode, MqttEncodeError } from "../../src/core/mqtt/codec/encode-error";
import { encodedLength, encodeInto, encodePacket } from "../../src/core/mqtt/codec/packet-encoder";
import { MAX_MQTT_PACKET_SIZE, PacketParser } from "../../src/core/mqtt/codec/packet-parser";
import type { MqttPacket, PublishPacket, QoS, SubackReturnCode } from "../../src/core/mqtt/codec/packet-types";
import { PublishEncoder } from "../../src/core/mqtt/codec/publish-encoder";
import { PROTOCOL_ERROR_CODES, ProtocolErrorCode } from "../../src/core/mqtt/codec/protocol-error";
import {
  MAX_REMAINING_LENGTH,
  RemainingLengthReader,
  RemainingLengthStep,
  remainingLengthSize,
  writeRemainingLength,
} from "../../src/core/mqtt/codec/remaining-length";
import { topicFilterProblem, topicNameProblem } from "../../src/core/mqtt/codec/topic-validation";
import { decodeUtf8, utf8ByteLength, writeUtf8 } from "../../src/core/lib/utf8";
import { concat, raw, str } from "../support/bytes";
import { mqttArbitraries } from "../support/mqtt-arbitraries";

const RUNS = 300;

// ---------------------------------------------------------------- helpers

/** Deep copy with every Uint8Array turned into a number[], for toEqual on any engine. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = plain((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Splits `bytes` at the given cut positions (taken modulo length+1). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function bytesOneByOne(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1));
  return out;
}

interface ParseRun {
  packets: MqttPacket[];
  errors: { code: string; detail: string }[];
  parser: PacketParser;
}

function parseChunks(chunks: readonly Uint8Array[], maxPacketSize = 1 << 22): ParseRun {
  const packets: MqttPacket[] = [];
  const errors: { code: string; detail: string }[] = [];
  const parser = new PacketParser({
    maxPacketSize,
    onPacket: (p) => packets.push(p),
    onError: (code, detail) => errors.push({ code, detail }),
  });
  for (const c of chunks) parser.feed(c);
  return { packets, errors, parser };
}

function u8(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}


function encodeErrorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof MqttEncodeError) return e.code;
    return `not an MqttEncodeError: ${String(e)}`;
  }
  return "no error";
}

// ------------------------------------------------------------ arbitraries

const { byType: ARBS, anyPacket } = mqttArbitraries({
  specialChars: ["é", "ß", "€", "\u007f", "\u0080", "\u07ff", "\u0800", "\uffff", "\ud7ff", "\ue000", "𝄞", "😀", "\u{10000}", "\u{10ffff}"],
  asciiChars: ["a", "Z", "0", "-", "_", " ", "$", ".", "~"],
  maxLargeBinary: 300,
});

// ------------------------------------------------------------------ UTF-8

describe("utf8", () => {
  it("encodes known code points to their UTF-8 bytes", () => {
    const cases: [string, number[]][] = [
      ["A", [0x41]],
      ["\u007f", [0x7f]],
      ["\u0080", [0xc2, 0x80]],
      ["é", [0xc3, 0xa9]],
      ["\u07ff", [0xdf, 0xbf]],
      ["\u0800", [0xe0, 0xa0, 0x80]],
      ["€", [0xe2, 0x82, 0xac]],
      ["\ud7ff", [0xed, 0x9f, 0xbf]],
      ["\ue000", [0xee, 0x80, 0x80]],
      ["\uffff", [0xef, 0xbf, 0xbf]],
      ["\u{10000}", [0xf0, 0x90, 0x80, 0x80]],
      ["𝄞", [0xf0, 0x9d, 0x84, 0x9e]],
      ["😀", [0xf0, 0x9f, 0x98, 0x80]],
      ["\u{10ffff}", [0xf4, 0x8f, 0xbf, 0xbf]],
    ];
    for (const [s, bytes] of cases) {
      expect(utf8ByteLength(s)).toBe(bytes.length);
      const out = new Uint8Array(bytes.length);
      expect(writeUtf8(s, out, 0)).toBe(bytes.length);
      expect(Array.from(out)).toEqual(bytes);
      expect(decodeUtf8(out, 0, out.length)).toBe(s);
    }
  });

  it("round-trips any well-formed string, including 4-byte code points", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.nat(4), (s, offset) => {
        const n = utf8ByteLength(s);
        expect(n).toBeGreaterThanOrEqual(0);
        const out = new Uint8Array(offset + n + 3);
        expect(writeUtf8(s, out, offset)).toBe(n);
        expect(decodeUtf8(out, offset, offset + n)).toBe(s);
      }),
      { numRuns: RUNS },
    );
  });

  it("decodes long strings (chunked string building)", () => {
    const s = "aé€😀".repeat(700);
    const out = new Uint8Array(utf8ByteLength(s));
    writeUtf8(s, out, 0);
    expect(decodeUtf8(out, 0, out.length)).toBe(s);
  });

  it("refuses lone surrogates when encoding", () => {
    for (const s of ["\ud800", "\udc00", "a\ud83d", "\ud83db", "\ude00\ud83d", "x\udfff"]) {
      expect(utf8ByteLength(s)).toBe(-1);
      expect(() => writeUtf8(s, new Uint8Array(16), 0)).toThrow();
    }
  });

  it("refuses malformed UTF-8 when decoding", () => {
    const bad: number[][] = [
      [0x80], // lone continuation
      [0xbf],
      [0xc0, 0x80], // overlong U+0000
      [0xc1, 0xbf], // overlong
      [0xe0, 0x80, 0x80], // overlong
      [0xe0, 0x9f, 0xbf], // overlong
      [0xed, 0xa0, 0x80], // U+D800
      [0xed, 0xbf, 0xbf], // U+DFFF
      [0xf0, 0x80, 0x80, 0x80], // overlong
      [0xf0, 0x8f, 0xbf, 0xbf], // overlong
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xf5, 0x80, 0x80, 0x80],
      [0xff],
      [0xc3], // truncated
      [0xe2, 0x82], // truncated
      [0xf0, 0x9f, 0x98], // truncated
      [0xe2, 0x28, 0xa1], // bad continuation
      [0x61, 0xc3, 0x28],
    ];
    for (const b of bad) expect(decodeUtf8(new Uint8Array(b), 0, b.length)).toBeNull();
    // Truncation by the end bound, not the array.
    expect(decodeUtf8(u8(0xe2, 0x82, 0xac), 0, 2)).toBeNull();
    expect(decodeUtf8(u8(0xe2, 0x82, 0xac), 0, 3)).toBe("€");
  });

  it("decodes random bytes only when they re-encode to the same bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        const s = decodeUtf8(bytes, 0, bytes.length);
        if (s === null) return;
        const out = new Uint8Array(utf8ByteLength(s));
        writeUtf8(s, out, 0);
        expect(Array.from(out)).toEqual(Array.from(bytes));
      }),
      { numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------- remaining length

describe("remaining length", () => {
  const boundaries: [number, number[]][] = [
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16383, [0xff, 0x7f]],
    [16384, [0x80, 0x80, 0x01]],
    [2097151, [0xff, 0xff, 0x7f]],
    [2097152, [0x80, 0x80, 0x80, 0x01]],
    [268435455, [0xff, 0xff, 0xff, 0x7f]],
  ];

  it("encodes the size boundaries minimally", () => {
    for (const [n, bytes] of boundaries) {
      expect(remainingLengthSize(n)).toBe(bytes.length);
      const out = new Uint8Array(4);
      expect(writeRemainingLength(n, out, 0)).toBe(bytes.length);
      expect(Array.from(out.subarray(0, bytes.length))).toEqual(bytes);
    }
  });

  it("reads the size boundaries back", () => {
    for (const [n, bytes] of boundaries) {
      const r = new RemainingLengthReader();
      for (let i = 0; i < bytes.length; i++) {
        expect(r.push(bytes[i]!)).toBe(i + 1 < bytes.length ? RemainingLengthStep.MORE : RemainingLengthStep.DONE);
      }
      expect(r.value).toBe(n);
      expect(r.size).toBe(bytes.length);
    }
  });

  it("refuses values outside 0..268435455", () => {
    expect(MAX_REMAINING_LENGTH).toBe(268435455);
    expect(() => remainingLengthSize(268435456)).toThrow();
    expect(() => remainingLengthSize(-1)).toThrow();
    expect(() => remainingLengthSize(1.5)).toThrow();
  });

  it("round-trips any value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_REMAINING_LENGTH }), (n) => {
        const out = new Uint8Array(4);
        const size = writeRemainingLength(n, out, 0);
        const r = new RemainingLengthReader();
        let step: number = RemainingLengthStep.MORE;
        for (let i = 0; i < size; i++) step = r.push(out[i]!);
        expect(step).toBe(RemainingLengthStep.DONE);
        expect(r.value).toBe(n);
      }),
      { numRuns: RUNS },
    );
  });

  it("reports a fifth byte and non-minimal forms", () => {
    const r = new RemainingLengthReader();
    expect(r.push(0xff)).toBe(RemainingLengthStep.MORE);
    expect(r.push(0xff)).toBe(RemainingLengthStep.MORE);
    expect(r.push(0xff)).toBe(RemainingLengthStep.MORE);
    expect(r.push(0xff)).toBe(RemainingLengthStep.TOO_LONG);
    r.reset();
    expect(r.push(0x80)).toBe(RemainingLengthStep.MORE);
    expect(r.push(0x00)).toBe(RemainingLengthStep.NOT_MINIMAL);
    r.reset();
    expect(r.push(0x00)).toBe(RemainingLengthStep.DONE);
    expect(r.value).toBe(0);
  });
});

// ---------------------------------------------------------------- topics

describe("topic validation", () => {
  it("accepts valid names and filters, refuses invalid ones", () => {
    for (const t of ["a", "/", "a/b", "$SYS/x", "a//b", " ", "€/😀"]) expect(topicNameProblem(t)).toBeNull();
    for (const t of ["", "+", "#", "a/+", "a/#", "a+b"]) expect(topicNameProblem(t)).not.toBeNull();
    // The first wildcard is the one named, whichever kind comes first.
    expect(topicNameProblem("a/b#/+")).toBe("wildcard '#' in topic name at 3");
    expect(topicNameProblem("a/+/#")).toBe("wildcard '+' in topic name at 2");
    for (const f of ["a", "#", "+", "+/+", "a/+/b", "a/#", "/#", "+/#", "a//b", "/"]) expect(topicFilterProblem(f)).toBeNull();
    for (const f of ["", "a#", "a/#/b", "#/", "a+", "+a", "a/b+", "##", "++", "a/#b"]) expect(topicFilterProblem(f)).not.toBeNull();
  });
});

// -------------------------------------------------------------- encoder

describe("encoder", () => {
  it("produces the spec byte layouts", () => {
    expect(Array.from(encodePacket({ type: "pingreq" }))).toEqual([0xc0, 0x00]);
    expect(Array.from(encodePacket({ type: "pingresp" }))).toEqual([0xd0, 0x00]);
    expect(Array.from(encodePacket({ type: "disconnect" }))).toEqual([0xe0, 0x00]);
    expect(Array.from(encodePacket({ type: "puback", packetId: 0x1234 }))).toEqual([0x40, 0x02, 0x12, 0x34]);
    expect(Array.from(encodePacket({ type: "pubrec", packetId: 1 }))).toEqual([0x50, 0x02, 0x00, 0x01]);
    expect(Array.from(encodePacket({ type: "pubrel", packetId: 1 }))).toEqual([0x62, 0x02, 0x00, 0x01]);
    expect(Array.from(encodePacket({ type: "pubcomp", packetId: 65535 }))).toEqual([0x70, 0x02, 0xff, 0xff]);
    expect(Array.from(encodePacket({ type: "unsuback", packetId: 7 }))).toEqual([0xb0, 0x02, 0x00, 0x07]);
    expect(Array.from(encodePacket({ type: "connack", sessionPresent: true, returnCode: 0 }))).toEqual([0x20, 0x02, 0x01, 0x00]);
    expect(Array.from(encodePacket({ type: "connect", clientId: "a", cleanSession: true, keepAlive: 60 }))).toEqual([
      0x10, 13, ...str("MQTT"), 4, 0x02, 0, 60, ...str("a"),
    ]);
    expect(
      Array.from(
        encodePacket({
          type: "connect",
          clientId: "c",
          cleanSession: false,
          keepAlive: 0x0102,
          will: { topic: "w", payload: u8(9), qos: 2, retain: true },
          username: "u",
          password: u8(7, 8),
        }),
      ),
    ).toEqual([0x10, 26, ...str("MQTT"), 4, 0x80 | 0x40 | 0x20 | 0x10 | 0x04, 1, 2, ...str("c"), ...str("w"), 0, 1, 9, ...str("u"), 0, 2, 7, 8]);
    expect(
      Array.from(encodePacket({ type: "publish", topic: "a/b", payload: u8(1, 2), qos: 1, retain: true, dup: true, packetId: 10 })),
    ).toEqual([0x3b, 9, ...str("a/b"), 0, 10, 1, 2]);
    expect(Array.from(encodePacket({ type: "publish", topic: "t", payload: u8(), qos: 0, retain: false, dup: false }))).toEqual([
      0x30, 3, ...str("t"),
    ]);
    expect(
      Array.from(encodePacket({ type: "subscribe", packetId: 2, subscriptions: [{ topicFilter: "a/#", qos: 1 }, { topicFilter: "+", qos: 2 }] })),
    ).toEqual([0x82, 12, 0, 2, ...str("a/#"), 1, ...str("+"), 2]);
    expect(Array.from(encodePacket({ type: "suback", packetId: 2, returnCodes: [0, 1, 2, 0x80] }))).toEqual([0x90, 6, 0, 2, 0, 1, 2, 0x80]);
    expect(Array.from(encodePacket({ type: "unsubscribe", packetId: 3, topicFilters: ["x", "y/+"] }))).toEqual([
      0xa2, 10, 0, 3, ...str("x"), ...str("y/+"),
    ]);
  });

  it("encodedLength matches the bytes and encodeInto writes only its slot", () => {
    fc.assert(
      fc.property(anyPacket, fc.nat(8), fc.nat(8), (packet, before, after) => {
        const bytes = encodePacket(packet);
        expect(encodedLength(packet)).toBe(bytes.length);
        const target = new Uint8Array(before + bytes.length + after).fill(0xa5);
        expect(encodeInto(packet, target, before)).toBe(bytes.length);
        expect(Array.from(target.subarray(before, before + bytes.length))).toEqual(Array.from(bytes));
        for (let i = 0; i < before; i++) expect(target[i]).toBe(0xa5);
        for (let i = before + bytes.length; i < target.length; i++) expect(target[i]).toBe(0xa5);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses invalid packets with a typed error code", () => {
    const longAscii = "a".repeat(65536);
    const cases: [string, () => unknown][] = [
      [EncodeErrorCode.INVALID_TOPIC_NAME, () => encodePacket({ type: "publish", topic: "a/+", payload: u8(), qos: 0, retain: false, dup: false })],
      [EncodeErrorCode.INVALID_TOPIC_NAME, () => encodePacket({ type: "publish", topic: "a/#", payload: u8(), qos: 0, retain: false, dup: false })],
      [EncodeErrorCode.INVALID_TOPIC_NAME, () => encodePacket({ type: "publish", topic: "", payload: u8(), qos: 0, retain: false, dup: false })],
      [EncodeErrorCode.INVALID_PACKET_ID, () => encodePacket({ type: "publish", topic: "t", payload: u8(), qos: 1, retain: false, dup: false })],
      [EncodeErrorCode.INVALID_PACKET_ID, () => encodePacket({ type: "publish", topic: "t", payload: u8(), qos: 2, retain: false, dup: false, packetId: 0 })],
      [EncodeErrorCode.INVALID_PACKET_ID, () => encodePacket({ type: "publish", topic: "t", payload: u8(), qos: 0, retain: false, dup: false, packetId: 5 })],
      [EncodeErrorCode.INVALID_PACKET_ID, () => encodePacket({ type: "puback", packetId: 65536 })],
      [EncodeErrorCode.INVALID_PACKET_ID, () => encodePacket({ type: "puback", packetId: 0 })],
      [EncodeErrorCode.INVALID_PACKET_ID, () => encodePacket({ type: "unsuback", packetId: 1.5 })],
      [EncodeErrorCode.INVALID_PACKET_ID, () => encodePacket({ type: "subscribe", packetId: -1, subscriptions: [{ topicFilter: "a", qos: 0 }] })],
      [EncodeErrorCode.INVALID_FLAGS, () => encodePacket({ type: "publish", topic: "t", payload: u8(), qos: 0, retain: false, dup: true })],
      [EncodeErrorCode.INVALID_QOS, () => encodePacket({ type: "publish", topic: "t", payload: u8(), qos: 3 as QoS, retain: false, dup: false, packetId: 1 })],
      [EncodeErrorCode.INVALID_QOS, () => encodePacket({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a", qos: 3 as QoS }] })],
      [EncodeErrorCode.FIELD_TOO_LONG, () => encodePacket({ type: "publish", topic: longAscii, payload: u8(), qos: 0, retain: false, dup: false })],
      [EncodeErrorCode.FIELD_TOO_LONG, () => encodePacket({ type: "connect", clientId: "é".repeat(32768), cleanSession: true, keepAlive: 0 })],
      [EncodeErrorCode.FIELD_TOO_LONG, () => encodePacket({ type: "connect", clientId: "c", cleanSession: true, keepAlive: 0, will: { topic: "t", payload: new Uint8Array(65536), qos: 0, retain: false } })],
      [EncodeErrorCode.INVALID_STRING, () => encodePacket({ type: "connect", clientId: "a\ud800", cleanSession: true, keepAlive: 0 })],
      [EncodeErrorCode.INVALID_STRING, () => encodePacket({ type: "connect", clientId: "c", cleanSession: true, keepAlive: 0, username: "a\u0000b" })],
      [EncodeErrorCode.INVALID_BINARY, () => encodePacket({ type: "publish", topic: "t", payload: [1, 2] as unknown as Uint8Array, qos: 0, retain: false, dup: false })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "connect", clientId: "c", cleanSession: true, keepAlive: 0, password: u8(1) })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "connect", clientId: "c", cleanSession: true, keepAlive: 65536 })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "connect", clientId: "", cleanSession: false, keepAlive: 0 })],
      [EncodeErrorCode.INVALID_TOPIC_NAME, () => encodePacket({ type: "connect", clientId: "c", cleanSession: true, keepAlive: 0, will: { topic: "#", payload: u8(), qos: 0, retain: false } })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "subscribe", packetId: 1, subscriptions: [] })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "unsubscribe", packetId: 1, topicFilters: [] })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "suback", packetId: 1, returnCodes: [] })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "suback", packetId: 1, returnCodes: [3 as SubackReturnCode] })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "connack", sessionPresent: false, returnCode: 6 as 0 })],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "connack", sessionPresent: true, returnCode: 1 })],
      [EncodeErrorCode.INVALID_TOPIC_FILTER, () => encodePacket({ type: "subscribe", packetId: 1, subscriptions: [{ topicFilter: "a/#/b", qos: 0 }] })],
      [EncodeErrorCode.INVALID_TOPIC_FILTER, () => encodePacket({ type: "unsubscribe", packetId: 1, topicFilters: ["a+"] })],
      [EncodeErrorCode.INVALID_TOPIC_FILTER, () => encodePacket({ type: "unsubscribe", packetId: 1, topicFilters: [""] })],
      [EncodeErrorCode.UNKNOWN_PACKET_TYPE, () => encodePacket({ type: "auth" } as unknown as MqttPacket)],
      [EncodeErrorCode.UNKNOWN_PACKET_TYPE, () => encodePacket(null as unknown as MqttPacket)],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "connect", clientId: "c", cleanSession: true, keepAlive: 0, will: null } as unknown as MqttPacket)],
      [EncodeErrorCode.INVALID_FIELD, () => encodePacket({ type: "subscribe", packetId: 1, subscriptions: [null] } as unknown as MqttPacket)],
      [EncodeErrorCode.INVALID_FLAGS, () => encodePacket({ type: "publish", topic: "t", payload: u8(), qos: 0, dup: false } as unknown as MqttPacket)],
      [EncodeErrorCode.BUFFER_TOO_SMALL, () => encodeInto({ type: "pingreq" }, new Uint8Array(3), 2)],
      [EncodeErrorCode.BUFFER_TOO_SMALL, () => encodeInto({ type: "pingreq" }, new Uint8Array(3), -1)],
      [EncodeErrorCode.BUFFER_TOO_SMALL, () => encodeInto({ type: "pingreq" }, new Uint8Array(3), 4)],
    ];
    for (const [code, f] of cases) expect(encodeErrorCode(f)).toBe(code);
    expect(() => encodePacket({ type: "puback", packetId: 0 })).toThrow("INVALID_PACKET_ID");
  });

  it("refuses a remaining length above 268435455 without allocating it", () => {
    // A stand-in for a 256 MiB payload: a Uint8Array by prototype with a huge length.
    const huge = Object.create(Uint8Array.prototype, { length: { value: MAX_REMAINING_LENGTH - 2 } }) as Uint8Array;
    const p: MqttPacket = { type: "publish", topic: "t", payload: huge, qos: 0, retain: false, dup: false };
    expect(encodeErrorCode(() => encodedLength(p))).toBe(EncodeErrorCode.PACKET_TOO_LARGE);
  });

  it("accepts strings of exactly 65535 bytes", () => {
    const topic = "€".repeat(21845); // 65535 bytes
    const p: MqttPacket = { type: "publish", topic, payload: u8(1), qos: 0, retain: false, dup: false };
    const run = parseChunks([encodePacket(p)]);
    expect(run.errors).toEqual([]);
    expect(run.packets).toHaveLength(1);
    expect((run.packets[0] as { topic: string }).topic).toBe(topic);
  });

  it("leaves the target untouched when it refuses", () => {
    const target = new Uint8Array(8).fill(7);
    expect(encodeErrorCode(() => encodeInto({ type: "puback", packetId: 1 }, target, 5))).toBe(EncodeErrorCode.BUFFER_TOO_SMALL);
    expect(encodeErrorCode(() => encodeInto({ type: "puback", packetId: 0 }, target, 0))).toBe(EncodeErrorCode.INVALID_PACKET_ID);
    expect(Array.from(target)).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
  });
});

// --------------------------------------------------------------- round trip

describe("round trip encode -> parse", () => {
  for (const type of Object.keys(ARBS) as MqttPacket["type"][]) {
    it(`round-trips ${type}`, () => {
      fc.assert(
        fc.property(ARBS[type], (packet) => {
          const bytes = encodePacket(packet);
          const run = parseChunks([bytes]);
          expect(run.errors).toEqual([]);
          expect(run.packets).toHaveLength(1);
          expect(plain(run.packets[0])).toEqual(plain(packet));
          expect(run.parser.bytesDelivered).toBe(bytes.length);
          expect(run.parser.bytesPending).toBe(0);
          // Re-encoding the parsed packet gives the same bytes.
          expect(Array.from(encodePacket(run.packets[0]!))).toEqual(Array.from(bytes));
        }),
        { numRuns: type === "pingreq" || type === "pingresp" || type === "disconnect" ? 1 : RUNS },
      );
    });
  }

  it("round-trips payloads around the remaining-length boundaries", () => {
    // PUBLISH QoS 0 with topic "t": remaining length = 3 + payload length.
    for (const remaining of [127, 128, 16383, 16384, 2097151, 2097152]) {
      const payload = new Uint8Array(remaining - 3);
      payload[0] = 1;
      payload[payload.length - 1] = 2;
      const p: MqttPacket = { type: "publish", topic: "t", payload, qos: 0, retain: false, dup: false };
      const bytes = encodePacket(p);
      expect(bytes.length).toBe(1 + remainingLengthSize(remaining) + remaining);
      const whole = parseChunks([bytes]);
      expect(whole.errors).toEqual([]);
      expect(whole.packets).toHaveLength(1);
      const got = whole.packets[0] as { payload: Uint8Array };
      expect(got.payload.length).toBe(payload.length);
      expect(got.payload[0]).toBe(1);
      expect(got.payload[payload.length - 1]).toBe(2);
      // Split in the middle of the remaining length and of the body.
      const pieces = parseChunks([bytes.subarray(0, 2), bytes.subarray(2, 1000), bytes.subarray(1000)]);
      expect(pieces.errors).toEqual([]);
      expect(pieces.packets).toHaveLength(1);
      expect((pieces.packets[0] as { payload: Uint8Array }).payload.length).toBe(payload.length);
    }
  });

  it("accepts the largest remaining length header without buffering it", () => {
    const run = parseChunks([u8(0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x74)], MAX_MQTT_PACKET_SIZE);
    expect(run.errors).toEqual([]);
    expect(run.parser.bytesPending).toBe(8);
    const refused = parseChunks([u8(0x30, 0xff, 0xff, 0xff, 0x7f)], MAX_MQTT_PACKET_SIZE - 1);
    expect(refused.errors.map((e) => e.code)).toEqual([ProtocolErrorCode.PACKET_TOO_LARGE]);
  });
});

// ------------------------------------------------ fragmentation, coalescing

describe("stream handling", () => {
  const streamArb = fc.array(anyPacket, { minLength: 1, maxLength: 8 });

  it("gives the same packets for any chunk split", () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 12 }), (packets, cuts) => {
        const bytes = concat(packets.map(encodePacket));
        const whole = parseChunks([bytes]);
        const pieces = parseChunks(split(bytes, cuts));
        expect(whole.errors).toEqual([]);
        expect(pieces.errors).toEqual([]);
        expect(plain(pieces.packets)).toEqual(plain(packets));
        expect(plain(whole.packets)).toEqual(plain(packets));
        expect(pieces.parser.bytesDelivered).toBe(bytes.length);
        expect(pieces.parser.bytesFed).toBe(bytes.length);
      }),
      { numRuns: RUNS },
    );
  });

  it("parses input fed one byte at a time", () => {
    fc.assert(
      fc.property(streamArb, (packets) => {
        const bytes = concat(packets.map(encodePacket));
        const run = parseChunks(bytesOneByOne(bytes));
        expect(run.errors).toEqual([]);
        expect(plain(run.packets)).toEqual(plain(packets));
      }),
      { numRuns: 100 },
    );
  });

  it("delivers many coalesced packets from one chunk, in order", () => {
    const packets: MqttPacket[] = [];
    for (let i = 1; i <= 300; i++) {
      packets.push({ type: "publish", topic: `t/${i}`, payload: u8(i & 0xff), qos: 1, retain: false, dup: false, packetId: i });
      packets.push({ type: "puback", packetId: i });
      packets.push({ type: "pingresp" });
    }
    const run = parseChunks([concat(packets.map(encodePacket))]);
    expect(run.errors).toEqual([]);
    expect(run.packets).toHaveLength(900);
    expect(plain(run.packets)).toEqual(plain(packets));
  });

  it("keeps a partial packet pending and tracks bytes", () => {
    const bytes = encodePacket({ type: "publish", topic: "abc", payload: u8(1, 2, 3), qos: 1, retain: false, dup: false, packetId: 9 });
    const run = parseChunks([bytes.subarray(0, 5)]);
    expect(run.packets).toHaveLength(0);
    expect(run.errors).toHaveLength(0);
    expect(run.parser.bytesPending).toBe(5);
    run.parser.feed(bytes.subarray(5));
    expect(run.packets).toHaveLength(1);
    expect(run.parser.bytesPending).toBe(0);
    expect(run.parser.bytesDelivered).toBe(bytes.length);
    run.parser.feed(bytes.subarray(0, 3));
    run.parser.reset();
    expect(run.parser.bytesDiscarded).toBe(3);
    expect(run.parser.bytesPending).toBe(0);
    run.parser.feed(bytes);
    expect(run.packets).toHaveLength(2);
    expect(run.parser.bytesFed).toBe(run.parser.bytesDelivered + run.parser.bytesPending + run.parser.bytesDiscarded);
  });

  it("copies payloads out of the caller's chunk", () => {
    const bytes = encodePacket({ type: "publish", topic: "t", payload: u8(5, 6), qos: 0, retain: false, dup: false });
    const run = parseChunks([bytes]);
    bytes.fill(0);
    expect(Array.from((run.packets[0] as { payload: Uint8Array }).payload)).toEqual([5, 6]);
  });
});

// --------------------------------------------------------- protocol errors

const CONNECT_HEAD = [...str("MQTT"), 4];

/** Each case: the code expected, the input, and the parser's maxPacketSize. */
const ERROR_CASES: [ProtocolErrorCode, string, Uint8Array, number?][] = [
  [ProtocolErrorCode.RESERVED_PACKET_TYPE, "type 0", u8(0x00, 0x00)],
  [ProtocolErrorCode.RESERVED_PACKET_TYPE, "type 15", u8(0xf0, 0x00)],
  [ProtocolErrorCode.INVALID_HEADER_FLAGS, "SUBSCRIBE flags 0", raw(0x80, 0, 1, str("a"), 0)],
  [ProtocolErrorCode.INVALID_HEADER_FLAGS, "UNSUBSCRIBE flags 0", raw(0xa0, 0, 1, str("a"))],
  [ProtocolErrorCode.INVALID_HEADER_FLAGS, "PUBREL flags 0", raw(0x60, 0, 1)],
  [ProtocolErrorCode.INVALID_HEADER_FLAGS, "PUBACK flags 2", raw(0x42, 0, 1)],
  [ProtocolErrorCode.INVALID_HEADER_FLAGS, "PINGREQ flags 1", raw(0xc1)],
  [ProtocolErrorCode.INVALID_HEADER_FLAGS, "CONNECT flags 8", raw(0x18, CONNECT_HEAD, 2, 0, 0, str("c"))],
  [ProtocolErrorCode.INVALID_HEADER_FLAGS, "PUBLISH DUP with QoS 0", raw(0x38, str("t"))],
  [ProtocolErrorCode.INVALID_QOS, "PUBLISH QoS 3", raw(0x36, str("t"), 0, 1)],
  [ProtocolErrorCode.INVALID_QOS, "will QoS 3", raw(0x10, CONNECT_HEAD, 0x1e, 0, 0, str("c"), str("w"), 0, 0)],
  [ProtocolErrorCode.INVALID_QOS, "SUBSCRIBE QoS 3", raw(0x82, 0, 1, str("a"), 3)],
  [ProtocolErrorCode.MALFORMED_REMAINING_LENGTH, "5-byte remaining length", u8(0x30, 0xff, 0xff, 0xff, 0xff, 0x01)],
  [ProtocolErrorCode.MALFORMED_REMAINING_LENGTH, "non-minimal remaining length", u8(0xc0, 0x80, 0x00)],
  [ProtocolErrorCode.MALFORMED_REMAINING_LENGTH, "non-minimal 3-byte length", u8(0x30, 0x85, 0x80, 0x00)],
  [ProtocolErrorCode.PACKET_TOO_LARGE, "above maxPacketSize", raw(0x30, str("t"), 1, 2, 3), 7],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "PUBACK of 3", raw(0x40, 0, 1, 0)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "PINGREQ of 1", raw(0xc0, 0)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "DISCONNECT of 1", raw(0xe0, 0)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "CONNACK of 1", raw(0x20, 0)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "UNSUBACK of 3", raw(0xb0, 0, 1, 0)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "SUBSCRIBE without subscriptions", raw(0x82, 0, 1)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "SUBACK without return codes", raw(0x90, 0, 1)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "UNSUBSCRIBE without filters", raw(0xa2, 0, 1)],
  [ProtocolErrorCode.INVALID_PACKET_LENGTH, "CONNECT with trailing byte", raw(0x10, CONNECT_HEAD, 2, 0, 0, str("c"), 0)],
  [ProtocolErrorCode.FIELD_OUT_OF_BOUNDS, "topic length past end", raw(0x30, 0, 5, 0x61)],
  [ProtocolErrorCode.FIELD_OUT_OF_BOUNDS, "missing packet id", raw(0x32, str("t"))],
  [ProtocolErrorCode.FIELD_OUT_OF_BOUNDS, "CONNECT cut after flags", raw(0x10, CONNECT_HEAD, 2)],
  [ProtocolErrorCode.FIELD_OUT_OF_BOUNDS, "password length past end", raw(0x10, CONNECT_HEAD, 0xc2, 0, 0, str("c"), str("u"), 0, 9, 1)],
  [ProtocolErrorCode.FIELD_OUT_OF_BOUNDS, "SUBSCRIBE without QoS byte", raw(0x82, 0, 1, str("a"))],
  [ProtocolErrorCode.FIELD_OUT_OF_BOUNDS, "PUBLISH body of 1", raw(0x30, 0)],
  [ProtocolErrorCode.INVALID_UTF8, "overlong NUL in topic", raw(0x30, 0, 2, 0xc0, 0x80)],
  [ProtocolErrorCode.INVALID_UTF8, "surrogate in client id", raw(0x10, CONNECT_HEAD, 2, 0, 0, 0, 3, 0xed, 0xa0, 0x80)],
  [ProtocolErrorCode.INVALID_UTF8, "truncated sequence in filter", raw(0xa2, 0, 1, 0, 1, 0xe2)],
  [ProtocolErrorCode.NULL_CHARACTER, "U+0000 in topic", raw(0x30, 0, 2, 0x61, 0x00)],
  [ProtocolErrorCode.NULL_CHARACTER, "U+0000 in user name", raw(0x10, CONNECT_HEAD, 0x82, 0, 0, str("c"), 0, 1, 0)],
  [ProtocolErrorCode.INVALID_PROTOCOL_NAME, "MQIsdp", raw(0x10, str("MQIsdp"), 3, 2, 0, 0, str("c"))],
  [ProtocolErrorCode.INVALID_PROTOCOL_NAME, "MQTX", raw(0x10, str("MQTX"), 4, 2, 0, 0, str("c"))],
  [ProtocolErrorCode.UNSUPPORTED_PROTOCOL_LEVEL, "level 5", raw(0x10, str("MQTT"), 5, 2, 0, 0, str("c"))],
  [ProtocolErrorCode.UNSUPPORTED_PROTOCOL_LEVEL, "level 3", raw(0x10, str("MQTT"), 3, 2, 0, 0, str("c"))],
  [ProtocolErrorCode.INVALID_CONNECT_FLAGS, "reserved bit", raw(0x10, CONNECT_HEAD, 0x03, 0, 0, str("c"))],
  [ProtocolErrorCode.INVALID_CONNECT_FLAGS, "will retain without will", raw(0x10, CONNECT_HEAD, 0x22, 0, 0, str("c"))],
  [ProtocolErrorCode.INVALID_CONNECT_FLAGS, "will QoS without will", raw(0x10, CONNECT_HEAD, 0x0a, 0, 0, str("c"))],
  [ProtocolErrorCode.INVALID_CONNECT_FLAGS, "password without user name", raw(0x10, CONNECT_HEAD, 0x42, 0, 0, str("c"), 0, 0)],
  [ProtocolErrorCode.INVALID_CONNACK_FLAGS, "reserved ack bit", raw(0x20, 0x02, 0x00)],
  [ProtocolErrorCode.INVALID_CONNACK_FLAGS, "session present with refusal", raw(0x20, 0x01, 0x05)],
  [ProtocolErrorCode.INVALID_RETURN_CODE, "CONNACK code 6", raw(0x20, 0x00, 0x06)],
  [ProtocolErrorCode.INVALID_RETURN_CODE, "SUBACK code 3", raw(0x90, 0, 1, 3)],
  [ProtocolErrorCode.INVALID_RETURN_CODE, "SUBACK code 0x81", raw(0x90, 0, 1, 0, 0x81)],
  [ProtocolErrorCode.INVALID_PACKET_ID, "PUBACK id 0", raw(0x40, 0, 0)],
  [ProtocolErrorCode.INVALID_PACKET_ID, "PUBLISH QoS 1 id 0", raw(0x32, str("t"), 0, 0)],
  [ProtocolErrorCode.INVALID_PACKET_ID, "SUBSCRIBE id 0", raw(0x82, 0, 0, str("a"), 0)],
  [ProtocolErrorCode.INVALID_TOPIC, "wildcard in PUBLISH topic", raw(0x30, str("a/+"))],
  [ProtocolErrorCode.INVALID_TOPIC, "empty PUBLISH topic", raw(0x30, 0, 0, 1)],
  [ProtocolErrorCode.INVALID_TOPIC, "misplaced # in filter", raw(0x82, 0, 1, str("a#"), 0)],
  [ProtocolErrorCode.INVALID_TOPIC, "empty UNSUBSCRIBE filter", raw(0xa2, 0, 1, 0, 0)],
  [ProtocolErrorCode.INVALID_TOPIC, "wildcard will topic", raw(0x10, CONNECT_HEAD, 0x06, 0, 0, str("c"), str("#"), 0, 0)],
  [ProtocolErrorCode.INVALID_SUBSCRIPTION_OPTIONS, "reserved option bits", raw(0x82, 0, 1, str("a"), 0x04)],
];

describe("protocol errors", () => {
  it("reports each case once, whole or fed byte by byte, and counts it", () => {
    for (const [code, what, bytes, max] of ERROR_CASES) {
      for (const chunks of [[bytes], bytesOneByOne(bytes)]) {
        const run = parseChunks(chunks, max ?? 1024);
        expect(`${what}: ${run.errors.map((e) => e.code).join(",")}`).toBe(`${what}: ${code}`);
        expect(run.packets).toHaveLength(0);
        expect(run.parser.failed).toBe(true);
        expect(run.parser.errorCounts[code]).toBe(1);
        expect(run.parser.lastError?.code).toBe(code);
        expect(run.errors[0]!.detail.length).toBeGreaterThan(0);
        expect(run.parser.bytesFed).toBe(run.parser.bytesDelivered + run.parser.bytesPending + run.parser.bytesDiscarded);
      }
    }
  });

  it("covers every protocol error code", () => {
    const covered = new Set<string>(ERROR_CASES.map((c) => c[0]));
    covered.add(ProtocolErrorCode.HANDLER_ERROR); // tested below
    for (const code of PROTOCOL_ERROR_CODES) {
      if (code === ProtocolErrorCode.INTERNAL_ERROR) continue; // only reachable through a parser bug
      expect(`${code} covered: ${covered.has(code)}`).toBe(`${code} covered: true`);
    }
  });

  it("delivers the packets before an error, then ignores input until reset", () => {
    const good = encodePacket({ type: "puback", packetId: 1 });
    const bad = raw(0x40, 0, 0);
    const run = parseChunks([concat([good, good, bad, good])]);
    expect(run.packets).toHaveLength(2);
    expect(run.errors.map((e) => e.code)).toEqual([ProtocolErrorCode.INVALID_PACKET_ID]);
    run.parser.feed(good);
    expect(run.packets).toHaveLength(2);
    expect(run.errors).toHaveLength(1);
    expect(run.parser.bytesDelivered).toBe(8);
    expect(run.parser.bytesDiscarded).toBe(12); // bad + good after it + good fed while failed
    run.parser.reset();
    expect(run.parser.failed).toBe(false);
    expect(run.parser.lastError).toBeNull();
    run.parser.feed(good);
    expect(run.packets).toHaveLength(3);
    run.parser.feed(bad);
    expect(run.parser.errorCounts[ProtocolErrorCode.INVALID_PACKET_ID]).toBe(2);
  });

  it("refuses an oversized packet as soon as its remaining length is read", () => {
    const bytes = encodePacket({ type: "publish", topic: "t", payload: new Uint8Array(200), qos: 0, retain: false, dup: false });
    // 1 + 2 + 203 = 206 bytes.
    expect(bytes.length).toBe(206);
    const exact = parseChunks([bytes], 206);
    expect(exact.errors).toEqual([]);
    expect(exact.packets).toHaveLength(1);
    const header = parseChunks([bytes.subarray(0, 3)], 205);
    expect(header.errors.map((e) => e.code)).toEqual([ProtocolErrorCode.PACKET_TOO_LARGE]);
    expect(header.parser.bytesPending).toBe(0);
    expect(() => new PacketParser({ maxPacketSize: 1 })).toThrow();
    expect(() => new PacketParser({ maxPacketSize: MAX_MQTT_PACKET_SIZE + 1 })).toThrow();
  });

  it("reports a throwing onPacket as HANDLER_ERROR without throwing", () => {
    const errors: string[] = [];
    let seen = 0;
    const parser = new PacketParser({
      maxPacketSize: 100,
      onPacket: () => {
        seen++;
        throw new Error("boom");
      },
      onError: (code) => errors.push(code),
    });
    const good = encodePacket({ type: "pingresp" });
    expect(() => parser.feed(concat([good, good]))).not.toThrow();
    expect(seen).toBe(1);
    expect(errors).toEqual([ProtocolErrorCode.HANDLER_ERROR]);
    expect(parser.errorCounts.HANDLER_ERROR).toBe(1);
    expect(parser.bytesDelivered).toBe(2);
    expect(parser.bytesDiscarded).toBe(2);
  });

  it("reports feed() from inside a callback as HANDLER_ERROR", () => {
    const errors: string[] = [];
    const parser: PacketParser = new PacketParser({
      maxPacketSize: 100,
      onPacket: () => parser.feed(u8(0xd0, 0)),
      onError: (code) => errors.push(code),
    });
    expect(() => parser.feed(u8(0xd0, 0, 0xd0, 0))).not.toThrow();
    expect(errors).toEqual([ProtocolErrorCode.HANDLER_ERROR]);
    expect(parser.packetsDelivered).toBe(1);
    expect(parser.bytesFed).toBe(parser.bytesDelivered + parser.bytesPending + parser.bytesDiscarded);
  });

  it("swallows a throwing onError", () => {
    const parser = new PacketParser({
      maxPacketSize: 100,
      onError: () => {
        throw new Error("handler failed");
      },
    });
    expect(() => parser.feed(u8(0x00, 0x00))).not.toThrow();
    expect(parser.errorCounts.RESERVED_PACKET_TYPE).toBe(1);
  });

  it("never throws and always accounts for every byte on random input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const run = parseChunks(split(bytes, cuts), 256);
        const p = run.parser;
        expect(p.errorCounts.INTERNAL_ERROR).toBe(0);
        expect(run.errors.length).toBeLessThanOrEqual(1);
        expect(p.bytesFed).toBe(bytes.length);
        expect(p.bytesFed).toBe(p.bytesDelivered + p.bytesPending + p.bytesDiscarded);
        if (run.errors.length === 0) expect(p.bytesDiscarded).toBe(0);
        let delivered = 0;
        for (const packet of run.packets) delivered += encodedLength(packet);
        expect(delivered).toBe(p.bytesDelivered);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("publish encoder (topics encoded once, heads reused)", () => {
  const whole = (head: Uint8Array, payload: Uint8Array) => {
    const out = new Uint8Array(head.length + payload.length);
    out.set(head);
    out.set(payload, head.length);
    return Array.from(out);
  };

  it("head then payload are encodePacket's bytes for any PUBLISH, across a cache of few topics", () => {
    const enc = new PublishEncoder(3);
    fc.assert(
      fc.property(fc.array(ARBS.publish, { minLength: 1, maxLength: 12 }), (packets) => {
        for (const p of packets as PublishPacket[]) {
          const head = enc.head(p.topic, p.payload.length, p.qos as 0 | 1, p.retain, p.dup, p.qos === 0 ? 0 : (p.packetId as number));
          expect(whole(head, p.payload)).toEqual(Array.from(encodePacket(p)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("encodes a topic once and reuses its head in place while QoS and Remaining Length size stay", () => {
    const enc = new PublishEncoder(3);
    const small = new Uint8Array(40).fill(7);
    const big = new Uint8Array(300).fill(9); // a 2-byte Remaining Length
    const topic = "paycard/t1/tx";
    const packet = (payload: Uint8Array, qos: 0 | 1, retain: boolean, dup: boolean, packetId: number) =>
      Array.from(encodePacket(qos === 0 ? { type: "publish", topic, payload, qos, retain, dup } : { type: "publish", topic, payload, qos, retain, dup, packetId }));
    const h1 = enc.head(topic, small.length, 1, false, false, 7);
    expect(whole(h1, small)).toEqual(packet(small, 1, false, false, 7));
    const h2 = enc.head(topic, small.length, 1, true, true, 8);
    expect(h2).toBe(h1); // the same buffer, rewritten
    expect(whole(h2, small)).toEqual(packet(small, 1, true, true, 8));
    const made = enc.headsMade;
    const h3 = enc.head(topic, big.length, 1, false, false, 65535);
    expect(whole(h3, big)).toEqual(packet(big, 1, false, false, 65535));
    expect(enc.headsMade).toBe(made + 1);
    // QoS 0 with a 3-byte Remaining Length has a QoS 1 1-byte head's size: still the right bytes.
    const huge = new Uint8Array(20_000);
    const h4 = enc.head(topic, huge.length, 0, false, false, 0);
    expect(whole(h4, huge)).toEqual(packet(huge, 0, false, false, 0));
    expect(whole(enc.head(topic, small.length, 1, false, false, 3), small)).toEqual(packet(small, 1, false, false, 3));
    expect(enc.topicsEncoded).toBe(1);
  });

  it("refuses what encodePacket refuses, with the same codes", () => {
    const enc = new PublishEncoder();
    const p = new Uint8Array(1);
    const same = (f: () => unknown, g: () => unknown) => expect(encodeErrorCode(f)).toBe(encodeErrorCode(g));
    same(() => enc.head("a/+/b", 1, 1, false, false, 1), () => encodePacket({ type: "publish", topic: "a/+/b", payload: p, qos: 1, retain: false, dup: false, packetId: 1 }));
    same(() => enc.head("a\u0000b", 1, 0, false, false, 0), () => encodePacket({ type: "publish", topic: "a\u0000b", payload: p, qos: 0, retain: false, dup: false }));
    same(() => enc.head("a/b", 1, 1, false, false, 0), () => encodePacket({ type: "publish", topic: "a/b", payload: p, qos: 1, retain: false, dup: false, packetId: 0 }));
    same(() => enc.head("a/b", 1, 0, false, true, 0), () => encodePacket({ type: "publish", topic: "a/b", payload: p, qos: 0, retain: false, dup: true }));
    same(() => enc.head("", 1, 0, false, false, 0), () => encodePacket({ type: "publish", topic: "", payload: p, qos: 0, retain: false, dup: false }));
    expect(encodeErrorCode(() => enc.head("a/+/b", 1, 1, false, false, 1))).toBe("INVALID_TOPIC_NAME");
    expect(encodeErrorCode(() => enc.head("a/b", 268_435_455, 1, false, false, 1))).toBe("PACKET_TOO_LARGE");
  });
});
