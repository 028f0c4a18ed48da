// Engine-neutral tests of the journal frame encoding (src/core/outbox) and
// its CRC-32. Also bundled and run inside XS: only describe/it/expect,
// fast-check and src/core imports, and only the matchers the XS harness has.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crc32, crc32Update } from "../../src/core/lib/crc32";
import type { JournalRecord } from "../../src/core/outbox/journal-record";
import {
  createRecordFrameParts,
  DecodedFrame,
  decodeFrame,
  encodeRecordFrame,
  encodeRecordParts,
  encodeTombstoneFrame,
  FRAME_HEADER_BYTES,
  FrameKind,
  type FrameCodecPorts,
  FrameStatus,
  JOURNAL_MAGIC,
  JS_FRAME_CODEC,
  MAX_FRAME_BODY,
  recordFrameSize,
  TOMBSTONE_FRAME_BYTES,
  writeRecordFrame,
  checkpointFrameSize,
  checkpointIdAt,
  frameSizeFromHeader,
  writeCheckpointFrame,
} from "../../src/core/outbox/journal-record-codec";
import { MessageClass } from "../../src/core/outbox/message-class";
import { concat } from "../support/bytes";

const RUNS = 150;

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function record(over: Partial<JournalRecord> = {}): JournalRecord {
  return {
    id: 42,
    cls: MessageClass.TRANSACTION,
    topic: "paycard/term_1/tx",
    payload: ascii('{"amount_cents":4523}'),
    requestId: "term_1-1-a",
    enqueuedAt: 1767882225123,
    ...over,
  };
}

function plain(r: JournalRecord | null): unknown {
  return r === null ? null : { ...r, payload: Array.from(r.payload) };
}

/** `frame` with its CRC made right again (in place): a frame that is well checksummed whatever else is wrong with it. */
function withCrc(frame: Uint8Array): Uint8Array {
  const crcAt = frame.length - 4;
  const crc = crc32(frame, 0, crcAt);
  frame[crcAt] = crc & 0xff;
  frame[crcAt + 1] = (crc >>> 8) & 0xff;
  frame[crcAt + 2] = (crc >>> 16) & 0xff;
  frame[crcAt + 3] = crc >>> 24;
  return frame;
}

const recordArb: fc.Arbitrary<JournalRecord> = fc.record({
  id: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeInteger().filter((n) => n >= 0)),
  cls: fc.constantFrom(MessageClass.ALERT, MessageClass.TRANSACTION, MessageClass.TELEMETRY),
  topic: fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
  payload: fc.uint8Array({ maxLength: 200 }),
  requestId: fc.string({ unit: "grapheme", maxLength: 30 }),
  enqueuedAt: fc.oneof(fc.integer({ min: 0, max: 4102444800000 }), fc.double({ noNaN: true })),
});

describe("crc32", () => {
  it("matches the standard check value and zlib's known vectors", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
    expect(crc32(ascii("a"))).toBe(0xe8b7be43);
  });

  it("gives the same result over pieces as over the whole", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        const c = bytes.length === 0 ? 0 : cut % (bytes.length + 1);
        expect(crc32Update(crc32(bytes, 0, c), bytes, c, bytes.length)).toBe(crc32(bytes));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("journal frame encoding", () => {
  it("lays out a tombstone as magic, kind, length, id, CRC", () => {
    const f = encodeTombstoneFrame(0x0102030405);
    expect(f).toHaveLength(TOMBSTONE_FRAME_BYTES);
    expect(Array.from(f.subarray(0, 14))).toEqual([JOURNAL_MAGIC, FrameKind.TOMBSTONE, 8, 0, 0, 0, 1, 0, 0, 0, 5, 4, 3, 2]);
    const crc = crc32(f, 0, 14);
    expect(Array.from(f.subarray(14))).toEqual([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]);
  });

  it("round-trips a record and a tombstone", () => {
    const r = record();
    const bytes = concat([encodeRecordFrame(r), encodeTombstoneFrame(42)]);
    const out = new DecodedFrame();
    expect(decodeFrame(bytes, 0, bytes.length, out)).toBe(FrameStatus.OK);
    expect(out.kind).toBe(FrameKind.RECORD);
    expect(out.size).toBe(recordFrameSize(r));
    expect(plain(out.record)).toEqual(plain(r));
    const off = out.size;
    expect(decodeFrame(bytes, off, bytes.length, out)).toBe(FrameStatus.OK);
    expect(out.kind).toBe(FrameKind.TOMBSTONE);
    expect(out.id).toBe(42);
    expect(out.record).toBeNull();
    expect(off + out.size).toBe(bytes.length);
  });

  it("copies the payload out of the buffer it decodes", () => {
    const bytes = encodeRecordFrame(record());
    const out = new DecodedFrame();
    expect(decodeFrame(bytes, 0, bytes.length, out)).toBe(FrameStatus.OK);
    const before = Array.from(out.record!.payload);
    bytes.fill(0);
    expect(Array.from(out.record!.payload)).toEqual(before);
  });

  it("writes in place at an offset", () => {
    const r = record({ cls: MessageClass.ALERT, payload: new Uint8Array(0), requestId: "" });
    const size = recordFrameSize(r);
    const buf = new Uint8Array(size + 10);
    expect(writeRecordFrame(r, buf, 5)).toBe(size);
    const out = new DecodedFrame();
    expect(decodeFrame(buf, 5, 5 + size, out)).toBe(FrameStatus.OK);
    expect(plain(out.record)).toEqual(plain(r));
    expect(() => writeRecordFrame(r, buf, 11)).toThrow("too short");
  });

  it("refuses what it cannot encode", () => {
    expect(recordFrameSize(record({ topic: "a\ud800" }))).toBe(-1);
    expect(recordFrameSize(record({ requestId: "\udc00" }))).toBe(-1);
    expect(recordFrameSize(record({ topic: "x".repeat(65536) }))).toBe(-1);
    expect(recordFrameSize(record({ topic: "x".repeat(65535) }))).toBeGreaterThan(65535);
    expect(recordFrameSize(record({ payload: new Uint8Array(MAX_FRAME_BODY) }))).toBe(-1);
    expect(() => encodeRecordFrame(record({ topic: "\ud800" }))).toThrow("cannot be encoded");
    expect(() => encodeRecordFrame(record({ id: -1 }))).toThrow("safe integer");
    expect(() => encodeRecordFrame(record({ id: 1.5 }))).toThrow("safe integer");
    expect(() => encodeTombstoneFrame(2 ** 53)).toThrow("safe integer");
  });

  it("each encoder guard: the exact message, and the limit itself accepted", () => {
    const r = record();
    const size = recordFrameSize(r);
    expect(writeRecordFrame(r, new Uint8Array(size), 0)).toBe(size);
    expect(() => writeRecordFrame(r, new Uint8Array(size - 1), 0)).toThrow("journal frame target too short");
    expect(() => writeRecordFrame(record({ topic: "\ud800" }), new Uint8Array(100), 0)).toThrow("journal record cannot be encoded (string or payload too long, or lone surrogate)");
    expect(() => encodeRecordFrame(record({ cls: 9 as MessageClass }))).toThrow("bad outbox class 9");
    expect(() => encodeRecordFrame(record({ id: 2 ** 53 }))).toThrow("journal id must be a non-negative safe integer, got 9007199254740992");
    expect(encodeRecordFrame(record({ id: 2 ** 53 - 1 })).length).toBe(size);
    expect(encodeRecordFrame(record({ id: 0 })).length).toBe(size);
    expect(() => encodeRecordFrame(record({ requestId: "r".repeat(65_536) }))).toThrow("cannot be encoded");
    // The body's limit: a payload that makes it exactly MAX_FRAME_BODY is encodable, one byte more is not.
    const fixed = recordFrameSize(record({ payload: new Uint8Array(0) })) - FRAME_HEADER_BYTES - 4;
    expect(recordFrameSize(record({ payload: new Uint8Array(MAX_FRAME_BODY - fixed) }))).toBe(MAX_FRAME_BODY + FRAME_HEADER_BYTES + 4);
    expect(() => encodeRecordParts(record({ payload: new Uint8Array(MAX_FRAME_BODY - fixed + 1) }))).toThrow("cannot be encoded");
  });

  it("checkpoint frames: ids of every size, each guard by name, read back in place", () => {
    const ids = Float64Array.from([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]);
    const size = checkpointFrameSize(ids.length);
    expect(size).toBe(FRAME_HEADER_BYTES + 16 + 8 * ids.length + 4);
    const buf = new Uint8Array(size + 3);
    expect(writeCheckpointFrame(7, 2 ** 40, ids, ids.length, buf, 3)).toBe(size);
    const out = new DecodedFrame();
    expect(decodeFrame(buf, 3, 3 + size, out)).toBe(FrameStatus.OK);
    expect([out.kind, out.id, out.highestId, out.idCount]).toEqual([FrameKind.CHECKPOINT, 7, 2 ** 40, ids.length]);
    expect(Array.from({ length: ids.length }, (_, i) => checkpointIdAt(buf, 3, i))).toEqual(Array.from(ids));
    expect(frameSizeFromHeader(buf, 3)).toBe(size);
    expect(() => writeCheckpointFrame(0, 0, ids, ids.length, new Uint8Array(size - 1), 0)).toThrow("journal frame target too short");
    expect(() => writeCheckpointFrame(-1, 0, ids, 0, buf, 0)).toThrow("journal checkpoint ids must be non-negative safe integers, got -1, 0");
    expect(() => writeCheckpointFrame(0, 2 ** 53, ids, 0, buf, 0)).toThrow("journal checkpoint ids must be non-negative safe integers, got 0, 9007199254740992");
    for (const bad of [-1, 0.5, 2 ** 53]) {
      expect(() => writeCheckpointFrame(0, 0, Float64Array.from([bad]), 1, new Uint8Array(64), 0)).toThrow(`journal id must be a non-negative safe integer, got ${bad}`);
    }
  });

  it("a frame header alone: its size, or -1 for a wrong magic, an unknown kind or a body its kind cannot have", () => {
    const t = encodeTombstoneFrame(5);
    expect(frameSizeFromHeader(t, 0)).toBe(TOMBSTONE_FRAME_BYTES);
    const wrongMagic = t.slice();
    wrongMagic[0] = JOURNAL_MAGIC ^ 1;
    expect(frameSizeFromHeader(wrongMagic, 0)).toBe(-1);
    for (const kind of [0, 4, 0xff]) {
      const k = t.slice();
      k[1] = kind;
      expect(frameSizeFromHeader(k, 0), `kind ${kind}`).toBe(-1);
    }
    const long = t.slice();
    long[2] += 1; // a tombstone's body is 8 bytes exactly
    expect(frameSizeFromHeader(long, 0)).toBe(-1);
  });

  it("a well-checksummed checkpoint whose ids are beyond 2^53 is BAD_BODY", () => {
    const ids = Float64Array.from([3]);
    // The highest id, then the one listed id.
    for (const at of [FRAME_HEADER_BYTES + 8, FRAME_HEADER_BYTES + 16]) {
      const f = new Uint8Array(checkpointFrameSize(1));
      writeCheckpointFrame(1, 3, ids, 1, f, 0);
      new DataView(f.buffer).setUint32(at, 0x200000, true); // an id's high word (written first): 2^53 and above
      withCrc(f);
      expect(decodeFrame(f, 0, f.length, new DecodedFrame()), `id at ${at}`).toBe(FrameStatus.BAD_BODY);
    }
  });

  it("round-trips any record, alone and in a sequence", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(recordArb, fc.maxSafeInteger().filter((n) => n >= 0)), { minLength: 1, maxLength: 6 }), (items) => {
        const frames = items.map((it) => (typeof it === "number" ? encodeTombstoneFrame(it) : encodeRecordFrame(it)));
        const bytes = concat(frames);
        const out = new DecodedFrame();
        let off = 0;
        for (let i = 0; i < items.length; i++) {
          expect(decodeFrame(bytes, off, bytes.length, out)).toBe(FrameStatus.OK);
          expect(out.size).toBe(frames[i]!.length);
          const it = items[i]!;
          if (typeof it === "number") {
            expect(out.kind).toBe(FrameKind.TOMBSTONE);
            expect(out.id).toBe(it);
          } else {
            expect(out.kind).toBe(FrameKind.RECORD);
            expect(out.id).toBe(it.id);
            expect(plain(out.record)).toEqual(plain(it));
          }
          off += out.size;
        }
        expect(off).toBe(bytes.length);
        expect(decodeFrame(bytes, off, bytes.length, out)).toBe(FrameStatus.TRUNCATED);
      }),
      { numRuns: RUNS },
    );
  });

  it("reports every strict prefix of a frame as TRUNCATED", () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const f = encodeRecordFrame(r);
        const out = new DecodedFrame();
        for (let cut = 0; cut < f.length; cut++) expect(decodeFrame(f, 0, cut, out)).toBe(FrameStatus.TRUNCATED);
        expect(decodeFrame(f, 0, f.length, out)).toBe(FrameStatus.OK);
      }),
      { numRuns: 50 },
    );
  });

  it("never decodes a frame with any single byte changed", () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, at, xor) => {
        const f = encodeRecordFrame(r);
        const i = at % f.length;
        f[i] = f[i]! ^ xor;
        const status = decodeFrame(f, 0, f.length, new DecodedFrame());
        expect(status).not.toBe(FrameStatus.OK);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("names the kind of damage", () => {
    const out = new DecodedFrame();
    const f = encodeRecordFrame(record());
    const bad = (i: number, v: number) => {
      const g = f.slice();
      g[i] = v;
      return decodeFrame(g, 0, g.length, out);
    };
    expect(bad(0, 0)).toBe(FrameStatus.BAD_MAGIC);
    expect(bad(1, 7)).toBe(FrameStatus.BAD_KIND);
    expect(bad(5, 0x7f)).toBe(FrameStatus.BAD_LENGTH); // body length > MAX_FRAME_BODY
    expect(bad(2, 3)).toBe(FrameStatus.BAD_LENGTH); // shorter than a record's fixed part
    expect(bad(f.length - 1, f[f.length - 1]! ^ 1)).toBe(FrameStatus.BAD_CRC);
    expect(bad(FRAME_HEADER_BYTES + 12, 0)).toBe(FrameStatus.BAD_CRC);
    expect(decodeFrame(new Uint8Array(0), 0, 0, out)).toBe(FrameStatus.TRUNCATED);
  });

  it("reports BAD_BODY for a well-checksummed but malformed body", () => {
    const out = new DecodedFrame();
    const reseal = (g: Uint8Array) => decodeFrame(withCrc(g), 0, g.length, out);
    const f = encodeRecordFrame(record());
    const badClass = f.slice();
    badClass[FRAME_HEADER_BYTES + 8] = 9;
    expect(reseal(badClass)).toBe(FrameStatus.BAD_BODY);
    const badTopicLength = f.slice();
    badTopicLength[FRAME_HEADER_BYTES + 18] = 0xff; // topic length high byte
    expect(reseal(badTopicLength)).toBe(FrameStatus.BAD_BODY);
    const badUtf8 = f.slice();
    badUtf8[FRAME_HEADER_BYTES + 19] = 0xff; // first topic byte
    expect(reseal(badUtf8)).toBe(FrameStatus.BAD_BODY);
    const badId = encodeTombstoneFrame(1);
    badId[FRAME_HEADER_BYTES + 3] = 0xff; // high word of the id: above 2^53
    expect(reseal(badId)).toBe(FrameStatus.BAD_BODY);
  });
});

describe("journal frames: the codec's ports (native CRC-32 and UTF-8 on the device)", () => {
  it("a codec with the same functions writes the same bytes as the JavaScript one", () => {
    // Same answers, other code: what the firmware's C CRC-32 and XS's UTF-8 must be.
    let crcCalls = 0;
    let utf8Calls = 0;
    const twin: FrameCodecPorts = {
      crc32: (b, start, end, crc = 0) => {
        crcCalls++;
        return crc32Update(crc, b, start, end);
      },
      utf8: {
        encode: (s) => {
          utf8Calls++;
          return JS_FRAME_CODEC.utf8.encode(s);
        },
      },
    };
    const r = record({ topic: "paycard/térm_1/tx", requestId: "térm_1-1-zz" });
    const frame = encodeRecordFrame(r, twin);
    expect(Array.from(frame)).toEqual(Array.from(encodeRecordFrame(r)));
    // Written in two pieces (head, then the payload continuing its CRC), read back whole.
    expect([crcCalls, utf8Calls]).toEqual([2, 2]);
    const out = new DecodedFrame();
    expect(decodeFrame(frame, 0, frame.length, out, twin)).toBe(FrameStatus.OK);
    expect(crcCalls).toBe(3);
    expect(out.record?.topic).toBe("paycard/térm_1/tx");
  });

  it("the frame carries the port's CRC: a frame from another CRC is refused by this one, and read by its own", () => {
    // Another CRC that continues as the port must: another initial value.
    const other: FrameCodecPorts = { crc32: (b, start, end, crc = 0) => crc32Update(crc === 0 ? 0x5a5a5a5a : crc, b, start, end), utf8: JS_FRAME_CODEC.utf8 };
    const frame = encodeRecordFrame(record(), other);
    const out = new DecodedFrame();
    expect(decodeFrame(frame, 0, frame.length, out)).toBe(FrameStatus.BAD_CRC);
    expect(decodeFrame(frame, 0, frame.length, out, other)).toBe(FrameStatus.OK);
  });

  it("a record frame in pieces: head, the payload itself (not copied), trailer; together the frame's bytes", () => {
    const parts = createRecordFrameParts();
    for (const payloadBytes of [0, 1, 333]) {
      const r = record({ payload: new Uint8Array(payloadBytes).map((_, i) => (i * 7) & 0xff), requestId: "term_1-1-" + payloadBytes });
      encodeRecordParts(r, JS_FRAME_CODEC, parts);
      expect(parts.payload).toBe(r.payload);
      const whole = [...parts.head, ...parts.payload, ...parts.trailer];
      expect(whole.length).toBe(parts.size);
      expect(whole).toEqual(Array.from(encodeRecordFrame(r)));
      expect(crc32(Uint8Array.from(whole), 0, whole.length - 4)).toBe(new DataView(parts.trailer.buffer).getUint32(0, true));
    }
  });

  it("a string the port cannot encode refuses the record, naming why; so does one above 65535 bytes", () => {
    const refusing: FrameCodecPorts = {
      crc32: JS_FRAME_CODEC.crc32,
      utf8: {
        encode: () => {
          throw new RangeError("no");
        },
      },
    };
    expect(() => encodeRecordFrame(record(), refusing)).toThrow("no");
    expect(() => encodeRecordFrame(record({ requestId: "\ud800" }))).toThrow("journal record cannot be encoded");
    expect(() => encodeRecordFrame(record({ topic: "t".repeat(65_536) }))).toThrow("journal record cannot be encoded");
  });
});

describe("journal frames whose CRC matches but whose string lengths do not fit the body", () => {
  // RECORD body: id 8, class 1, time 8, topic length u16 at 17, topic, request id length u16, request id, payload.
  const TOPIC_LENGTH_AT = FRAME_HEADER_BYTES + 17;
  /** A copy of `frame` with the u16 at `at` set to `value`, its CRC right. */
  function patched(frame: Uint8Array, at: number, value: number): Uint8Array {
    const out = frame.slice();
    out[at] = value & 0xff;
    out[at + 1] = value >> 8;
    return withCrc(out);
  }
  const decode = (frame: Uint8Array) => decodeFrame(frame, 0, frame.length, new DecodedFrame());

  it("takes a topic that fills the body to its end, and refuses one byte more", () => {
    // No request id, no payload: the topic and the request id's length end exactly at the CRC.
    const frame = encodeRecordFrame(record({ topic: "abc", requestId: "", payload: new Uint8Array(0) }));
    expect(decode(frame)).toBe(FrameStatus.OK);
    expect(decode(patched(frame, TOPIC_LENGTH_AT, 4))).toBe(FrameStatus.BAD_BODY);
    expect(decode(patched(frame, TOPIC_LENGTH_AT, 0xffff))).toBe(FrameStatus.BAD_BODY);
  });

  it("takes a request id that ends at the CRC, and refuses one byte more", () => {
    const frame = encodeRecordFrame(record({ topic: "t", requestId: "rid", payload: new Uint8Array(0) }));
    const ridLengthAt = TOPIC_LENGTH_AT + 2 + 1;
    const out = new DecodedFrame();
    expect(decodeFrame(frame, 0, frame.length, out)).toBe(FrameStatus.OK);
    expect(out.record!.requestId).toBe("rid");
    expect(out.record!.payload.length).toBe(0);
    expect(decode(patched(frame, ridLengthAt, 4))).toBe(FrameStatus.BAD_BODY);
    // A shorter request id leaves the rest as payload: still a well-formed record.
    expect(decodeFrame(patched(frame, ridLengthAt, 1), 0, frame.length, out)).toBe(FrameStatus.OK);
    expect(out.record!.requestId).toBe("r");
    expect(Array.from(out.record!.payload)).toEqual([0x69, 0x64]);
  });

  it("refuses a topic or request id that is not UTF-8", () => {
    const frame = encodeRecordFrame(record({ topic: "abc", requestId: "rid", payload: new Uint8Array(0) }));
    const topicAt = TOPIC_LENGTH_AT + 2;
    const ridAt = topicAt + 3 + 2;
    for (const at of [topicAt, ridAt + 2]) {
      const bad = frame.slice();
      bad[at] = 0xff; // never a UTF-8 byte
      expect(decode(withCrc(bad))).toBe(FrameStatus.BAD_BODY);
    }
  });
});
