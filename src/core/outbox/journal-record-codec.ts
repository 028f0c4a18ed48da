import { decodeUtf8, encodeUtf8, utf8ByteLength } from "../lib/utf8";
import { crc32Update } from "../lib/crc32";
import type { Utf8EncoderPort } from "../lib/ports";
import type { JournalRecord } from "./journal-record";
import { isMessageClass } from "./message-class";

/**
 * Binary encoding of journal entries, shared by the host (file) and device
 * (littlefs) journals. A journal is a sequence of frames, all integers
 * little-endian:
 *
 * ```
 * offset  size  field
 * 0       1     magic 0xB1: paycard journal, format version 1
 * 1       1     kind: 1 = RECORD, 2 = TOMBSTONE
 * 2       4     body length L (u32)
 * 6       L     body
 * 6+L     4     CRC-32 of bytes [0, 6+L) (header and body)
 * ```
 *
 * RECORD body: id (u32 high, u32 low), class (u8), enqueuedAt (f64),
 * topic (u16 length + UTF-8), request id (u16 length + UTF-8), then the
 * payload up to the end of the body. TOMBSTONE body: id (u32 high, u32 low).
 * CHECKPOINT body (the segmented journal's acknowledgement record, see
 * segmented-journal.ts): frontier id, highest id, then any number of live
 * ids, each as u32 high, u32 low.
 *
 * A reader decodes frames one by one and stops at the first that is not OK:
 * a torn tail (TRUNCATED), or corruption (bad magic, kind, length, CRC or
 * body). A new format version gets a new magic byte.
 */
export const JOURNAL_MAGIC = 0xb1;

export const FrameKind = Object.freeze({
  RECORD: 1,
  TOMBSTONE: 2,
  CHECKPOINT: 3,
} as const);
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const FrameStatus = Object.freeze({
  OK: "OK",
  /** The bytes end inside the frame: a torn write. */
  TRUNCATED: "TRUNCATED",
  BAD_MAGIC: "BAD_MAGIC",
  BAD_KIND: "BAD_KIND",
  /** Body length above MAX_FRAME_BODY or below the kind's minimum. */
  BAD_LENGTH: "BAD_LENGTH",
  BAD_CRC: "BAD_CRC",
  /** CRC matched but the body is malformed (class, string lengths, UTF-8, id). */
  BAD_BODY: "BAD_BODY",
} as const);
export type FrameStatus = (typeof FrameStatus)[keyof typeof FrameStatus];

export const FRAME_HEADER_BYTES = 6;
const FRAME_TRAILER_BYTES = 4;
/** Largest body a frame may declare; anything above is corruption. */
export const MAX_FRAME_BODY = 1 << 24;
/** Fixed part of a RECORD body: id 8, class 1, time 8, two u16 lengths. */
const RECORD_FIXED_BYTES = 8 + 1 + 8 + 2 + 2;
const TOMBSTONE_BODY_BYTES = 8;
export const TOMBSTONE_FRAME_BYTES = FRAME_HEADER_BYTES + TOMBSTONE_BODY_BYTES + FRAME_TRAILER_BYTES;
/** Fixed part of a CHECKPOINT body: frontier and highest id; 8 bytes per live id follow. */
const CHECKPOINT_FIXED_BYTES = 16;
const MAX_STRING_BYTES = 0xffff;
const TWO_32 = 4294967296;
const MAX_SAFE_ID = Number.MAX_SAFE_INTEGER;
const NO_BYTES = new Uint8Array(0);

// f64 <-> bytes through a DataView made per call, not a module-level scratch
// typed array: XS freezes typed arrays created while it preloads a module
// (they live in flash), and writing one throws "read-only buffer".

/** One decoded frame; reused by the caller across decodeFrame calls. */
export class DecodedFrame {
  kind: FrameKind = FrameKind.RECORD;
  /** Id of the record or of the tombstone. */
  id = 0;
  /** Bytes the frame occupies (header, body, CRC). */
  size = 0;
  /** The record for a RECORD frame (its payload a copy), else null. */
  record: JournalRecord | null = null;
  /** CHECKPOINT: the highest id ever used (`id` holds the frontier). */
  highestId = 0;
  /** CHECKPOINT: how many live ids follow; read them with checkpointIdAt. */
  idCount = 0;
}

function isValidId(id: number): boolean {
  return Number.isSafeInteger(id) && id >= 0;
}

/**
 * Bytes of the RECORD frame for `r`, or -1 if it cannot be encoded: a
 * string with a lone surrogate or above 65535 bytes, or a body above
 * MAX_FRAME_BODY.
 */
export function recordFrameSize(r: JournalRecord): number {
  const t = utf8ByteLength(r.topic);
  const q = utf8ByteLength(r.requestId);
  if (t < 0 || q < 0 || t > MAX_STRING_BYTES || q > MAX_STRING_BYTES) return -1;
  const body = RECORD_FIXED_BYTES + t + q + r.payload.byteLength;
  if (body > MAX_FRAME_BODY) return -1;
  return FRAME_HEADER_BYTES + body + FRAME_TRAILER_BYTES;
}

// Writing goes through a DataView: XS stores a 32-bit word natively in one call, where writing
// its four bytes in JavaScript costs ~13 steps each (an 8-byte id was ~140 steps, now ~30).

function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function readU16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

/** A DataView of exactly `b`'s bytes. */
function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** An id as two 32-bit words, high word first, each little-endian. */
function writeId(v: DataView, o: number, id: number): void {
  v.setUint32(o, id < TWO_32 ? 0 : Math.floor(id / TWO_32), true);
  v.setUint32(o + 4, id >>> 0, true);
}

function readId(b: Uint8Array, o: number): number {
  return readU32(b, o) * TWO_32 + readU32(b, o + 4);
}

function readF64(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset + o, 8).getFloat64(0, true);
}

/** Magic, kind and body length at `offset` of `target` (seen through `v`), and the CRC after the body. */
function writeHeaderAndCrc(target: Uint8Array, v: DataView, offset: number, kind: FrameKind, body: number, codec: FrameCodecPorts): number {
  target[offset] = JOURNAL_MAGIC;
  target[offset + 1] = kind;
  v.setUint32(offset + 2, body, true);
  const end = offset + FRAME_HEADER_BYTES + body;
  v.setUint32(end, codec.crc32(target, offset, end), true);
  return FRAME_HEADER_BYTES + body + FRAME_TRAILER_BYTES;
}

const UNENCODABLE = "journal record cannot be encoded (string or payload too long, or lone surrogate)";

/**
 * What frames take from the platform: the CRC-32 every frame carries and the UTF-8 bytes of a
 * record's topic and request id. In JavaScript they cost XS ~28 steps a byte and ~100 a
 * character (a 480-byte transaction frame: ~19 000 steps); the firmware passes native ones
 * (src/device/native-crc32.ts, ArrayBuffer.fromString). Both must give what JS_FRAME_CODEC
 * gives: frames written by one are read by the other.
 */
export interface FrameCodecPorts {
  /**
   * CRC-32 (IEEE, as core/lib/crc32) of bytes[start..end), unsigned, continuing `crc` (the
   * result for the bytes before these; absent or 0 for none): a frame in pieces is one CRC.
   */
  crc32(bytes: Uint8Array, start: number, end: number, crc?: number): number;
  /** UTF-8 of a topic or request id; may throw (the record is then refused as unencodable). */
  utf8: Utf8EncoderPort;
}

/** The codec in JavaScript: core/lib's CRC-32 and UTF-8 encoder (a lone surrogate is refused). */
export const JS_FRAME_CODEC: FrameCodecPorts = Object.freeze({
  crc32: (bytes: Uint8Array, start: number, end: number, crc = 0) => crc32Update(crc, bytes, start, end),
  utf8: Object.freeze({
    encode(s: string): Uint8Array {
      const b = encodeUtf8(s);
      if (b === null) throw new RangeError(UNENCODABLE);
      return b;
    },
  }),
});

/**
 * Writes the RECORD frame of `r` at `offset`; returns the bytes written
 * (recordFrameSize(r)). Throws RangeError if `r` cannot be encoded (see
 * recordFrameSize), its id is not a non-negative safe integer, or `target`
 * is too short.
 */
export function writeRecordFrame(r: JournalRecord, target: Uint8Array, offset: number): number {
  const size = recordFrameSize(r);
  if (size < 0) throw new RangeError(UNENCODABLE);
  if (offset + size > target.length) throw new RangeError("journal frame target too short");
  const frame = encodeRecordFrame(r);
  target.set(frame, offset);
  return frame.length;
}

/** Writes the TOMBSTONE frame of `id` at `offset`; returns TOMBSTONE_FRAME_BYTES. */
function writeTombstoneFrame(id: number, target: Uint8Array, offset: number, codec: FrameCodecPorts = JS_FRAME_CODEC): number {
  if (!isValidId(id)) throw new RangeError(`journal id must be a non-negative safe integer, got ${id}`);
  if (offset + TOMBSTONE_FRAME_BYTES > target.length) throw new RangeError("journal frame target too short");
  const v = viewOf(target);
  writeId(v, offset + FRAME_HEADER_BYTES, id);
  return writeHeaderAndCrc(target, v, offset, FrameKind.TOMBSTONE, TOMBSTONE_BODY_BYTES, codec);
}

/** Bytes of a CHECKPOINT frame listing `count` live ids. */
export function checkpointFrameSize(count: number): number {
  return FRAME_HEADER_BYTES + CHECKPOINT_FIXED_BYTES + 8 * count + FRAME_TRAILER_BYTES;
}

/**
 * Writes a CHECKPOINT frame at `offset`: the frontier, the highest id, and
 * ids[0..count). Returns checkpointFrameSize(count). Throws RangeError for an
 * id that is not a non-negative safe integer or a `target` too short.
 */
export function writeCheckpointFrame(
  frontier: number,
  highestId: number,
  ids: Float64Array,
  count: number,
  target: Uint8Array,
  offset: number,
  codec: FrameCodecPorts = JS_FRAME_CODEC,
): number {
  const size = checkpointFrameSize(count);
  if (offset + size > target.length) throw new RangeError("journal frame target too short");
  if (!isValidId(frontier) || !isValidId(highestId)) throw new RangeError(`journal checkpoint ids must be non-negative safe integers, got ${frontier}, ${highestId}`);
  let p = offset + FRAME_HEADER_BYTES;
  const v = viewOf(target);
  writeId(v, p, frontier);
  writeId(v, p + 8, highestId);
  p += CHECKPOINT_FIXED_BYTES;
  // Inline (isValidId and writeId): a checkpoint lists every id RAM holds, once a second.
  for (let i = 0; i < count; i++, p += 8) {
    const id = ids[i]!;
    if (!(id >= 0 && id <= MAX_SAFE_ID && id % 1 === 0)) throw new RangeError(`journal id must be a non-negative safe integer, got ${id}`);
    v.setUint32(p, id < TWO_32 ? 0 : Math.floor(id / TWO_32), true);
    v.setUint32(p + 4, id >>> 0, true);
  }
  return writeHeaderAndCrc(target, v, offset, FrameKind.CHECKPOINT, size - FRAME_HEADER_BYTES - FRAME_TRAILER_BYTES, codec);
}

/** The i-th live id of the CHECKPOINT frame that starts at `frameOffset` (decoded OK before). */
export function checkpointIdAt(bytes: Uint8Array, frameOffset: number, i: number): number {
  return readId(bytes, frameOffset + FRAME_HEADER_BYTES + CHECKPOINT_FIXED_BYTES + 8 * i);
}

/**
 * The RECORD frame of `r` in a new array, its strings encoded and its CRC computed by `codec`.
 * Throws RangeError if `r` cannot be encoded (a string above 65535 bytes or not encodable, a
 * body above MAX_FRAME_BODY) or its id is not a non-negative safe integer.
 */
export function encodeRecordFrame(r: JournalRecord, codec: FrameCodecPorts = JS_FRAME_CODEC): Uint8Array {
  const parts = encodeRecordParts(r, codec);
  const out = new Uint8Array(parts.head.length + parts.payload.length + FRAME_TRAILER_BYTES);
  out.set(parts.head, 0);
  out.set(parts.payload, parts.head.length);
  out.set(parts.trailer, out.length - FRAME_TRAILER_BYTES);
  return out;
}

/**
 * A RECORD frame as the three pieces it is written in: the head (header, id, class, time, topic
 * and request id), the record's payload itself, and the trailer (the CRC over head and payload).
 * One after the other they are encodeRecordFrame's bytes. Reused by the next call with the same
 * `out`: the payload is never copied (XS meters a copy at ~2 steps a byte).
 */
export interface RecordFrameParts {
  head: Uint8Array;
  payload: Uint8Array;
  trailer: Uint8Array;
  /** The trailer's bytes, for writing the CRC. */
  readonly trailerView: DataView;
  /** Bytes of the whole frame. */
  size: number;
}

export function createRecordFrameParts(): RecordFrameParts {
  const trailer = new Uint8Array(FRAME_TRAILER_BYTES);
  return { head: NO_BYTES, payload: NO_BYTES, trailer, trailerView: new DataView(trailer.buffer), size: 0 };
}

/** Lets `out` hold no record's bytes (after they are written: RAM is the outbox's to account for). */
export function releaseRecordParts(out: RecordFrameParts): void {
  out.head = NO_BYTES;
  out.payload = NO_BYTES;
}

/** The RECORD frame of `r` in pieces (into `out`, whose trailer it overwrites). Throws as encodeRecordFrame. */
export function encodeRecordParts(r: JournalRecord, codec: FrameCodecPorts = JS_FRAME_CODEC, out: RecordFrameParts = createRecordFrameParts()): RecordFrameParts {
  if (!isValidId(r.id)) throw new RangeError(`journal id must be a non-negative safe integer, got ${r.id}`);
  if (!isMessageClass(r.cls)) throw new RangeError(`bad outbox class ${String(r.cls)}`);
  const topic = codec.utf8.encode(r.topic);
  const rid = codec.utf8.encode(r.requestId);
  if (topic.length > MAX_STRING_BYTES || rid.length > MAX_STRING_BYTES) throw new RangeError(UNENCODABLE);
  const payload = r.payload;
  const headBytes = FRAME_HEADER_BYTES + RECORD_FIXED_BYTES + topic.length + rid.length;
  const body = headBytes - FRAME_HEADER_BYTES + payload.length;
  if (body > MAX_FRAME_BODY) throw new RangeError(UNENCODABLE);
  const head = new Uint8Array(headBytes);
  const v = new DataView(head.buffer);
  head[0] = JOURNAL_MAGIC;
  head[1] = FrameKind.RECORD;
  v.setUint32(2, body, true);
  let p = FRAME_HEADER_BYTES;
  writeId(v, p, r.id);
  head[p + 8] = r.cls;
  v.setFloat64(p + 9, r.enqueuedAt, true);
  p += 17;
  v.setUint16(p, topic.length, true);
  head.set(topic, p + 2);
  p += 2 + topic.length;
  v.setUint16(p, rid.length, true);
  head.set(rid, p + 2);
  const crc = codec.crc32(payload, 0, payload.length, codec.crc32(head, 0, headBytes));
  out.trailerView.setUint32(0, crc, true);
  out.head = head;
  out.payload = payload;
  out.size = headBytes + payload.length + FRAME_TRAILER_BYTES;
  return out;
}

/** The TOMBSTONE frame of `id` in a new array. */
export function encodeTombstoneFrame(id: number, codec: FrameCodecPorts = JS_FRAME_CODEC): Uint8Array {
  const out = new Uint8Array(TOMBSTONE_FRAME_BYTES);
  writeTombstoneFrame(id, out, 0, codec);
  return out;
}

/** Bytes at a frame's start that hold a RECORD's id and class (header, id, class). */
export const RECORD_PREFIX_BYTES = FRAME_HEADER_BYTES + 9;

/** Id of the RECORD frame starting at `offset` (its prefix read; the CRC not checked). */
export function recordIdAt(bytes: Uint8Array, offset: number): number {
  return readId(bytes, offset + FRAME_HEADER_BYTES);
}

/** Class byte of the RECORD frame starting at `offset` (its prefix read; the CRC not checked). */
export function recordClassAt(bytes: Uint8Array, offset: number): number {
  return bytes[offset + FRAME_HEADER_BYTES + 8]!;
}

/** Whether a body of `body` bytes is possible for a frame of `kind` (a known kind). */
function bodyLengthFits(kind: number, body: number): boolean {
  if (body > MAX_FRAME_BODY) return false;
  if (kind === FrameKind.RECORD) return body >= RECORD_FIXED_BYTES;
  if (kind === FrameKind.TOMBSTONE) return body === TOMBSTONE_BODY_BYTES;
  return body >= CHECKPOINT_FIXED_BYTES && (body - CHECKPOINT_FIXED_BYTES) % 8 === 0;
}

/**
 * Checks a frame header (magic, kind, body length) at bytes[offset..offset+6)
 * without the body: the frame's total size, or -1 when the header is not one
 * decodeFrame could accept. For readers that fetch the body separately.
 */
export function frameSizeFromHeader(bytes: Uint8Array, offset: number): number {
  if (bytes[offset] !== JOURNAL_MAGIC) return -1;
  const kind = bytes[offset + 1]!;
  if (kind !== FrameKind.RECORD && kind !== FrameKind.TOMBSTONE && kind !== FrameKind.CHECKPOINT) return -1;
  const body = readU32(bytes, offset + 2);
  return bodyLengthFits(kind, body) ? FRAME_HEADER_BYTES + body + FRAME_TRAILER_BYTES : -1;
}

/** A CHECKPOINT body at `p` (CRC already checked): every id must be a safe integer. */
function decodeCheckpoint(bytes: Uint8Array, p: number, body: number, out: DecodedFrame): FrameStatus {
  if (readU32(bytes, p + 8) > 0x1fffff) return FrameStatus.BAD_BODY;
  out.highestId = readId(bytes, p + 8);
  const count = (body - CHECKPOINT_FIXED_BYTES) / 8;
  for (let i = 0, q = p + CHECKPOINT_FIXED_BYTES; i < count; i++, q += 8) if (readU32(bytes, q) > 0x1fffff) return FrameStatus.BAD_BODY;
  out.idCount = count;
  return FrameStatus.OK;
}

/**
 * Decodes the frame at bytes[offset..end) into `out`. On OK, `out.size` is
 * where the next frame starts relative to `offset`; on anything else `out`
 * is unspecified and the reader must stop there.
 */
export function decodeFrame(bytes: Uint8Array, offset: number, end: number, out: DecodedFrame, codec: FrameCodecPorts = JS_FRAME_CODEC): FrameStatus {
  const avail = end - offset;
  if (avail <= 0) return FrameStatus.TRUNCATED;
  if (bytes[offset] !== JOURNAL_MAGIC) return FrameStatus.BAD_MAGIC;
  if (avail < 2) return FrameStatus.TRUNCATED;
  const kind = bytes[offset + 1];
  if (kind !== FrameKind.RECORD && kind !== FrameKind.TOMBSTONE && kind !== FrameKind.CHECKPOINT) return FrameStatus.BAD_KIND;
  if (avail < FRAME_HEADER_BYTES) return FrameStatus.TRUNCATED;
  const body = readU32(bytes, offset + 2);
  if (!bodyLengthFits(kind, body)) return FrameStatus.BAD_LENGTH;
  const size = FRAME_HEADER_BYTES + body + FRAME_TRAILER_BYTES;
  if (avail < size) return FrameStatus.TRUNCATED;
  const crcAt = offset + FRAME_HEADER_BYTES + body;
  if (codec.crc32(bytes, offset, crcAt) !== readU32(bytes, crcAt)) return FrameStatus.BAD_CRC;

  let p = offset + FRAME_HEADER_BYTES;
  const hi = readU32(bytes, p);
  if (hi > 0x1fffff) return FrameStatus.BAD_BODY; // above 2^53 - 1
  const id = readId(bytes, p);
  out.kind = kind;
  out.id = id;
  out.size = size;
  out.record = null;
  if (kind === FrameKind.TOMBSTONE) return FrameStatus.OK;
  if (kind === FrameKind.CHECKPOINT) return decodeCheckpoint(bytes, p, body, out);

  const cls = bytes[p + 8];
  if (!isMessageClass(cls)) return FrameStatus.BAD_BODY;
  const enqueuedAt = readF64(bytes, p + 9);
  p += 17;
  const t = readU16(bytes, p);
  p += 2;
  // Stryker disable next-line ConditionalExpression,ArithmeticOperator: every frame this refuses, the request id's check below refuses too; this one keeps the decoder from reading past the body first
  if (p + t + 2 > crcAt) return FrameStatus.BAD_BODY;
  const topic = decodeUtf8(bytes, p, p + t);
  p += t;
  const q = readU16(bytes, p);
  p += 2;
  if (p + q > crcAt) return FrameStatus.BAD_BODY;
  const requestId = decodeUtf8(bytes, p, p + q);
  p += q;
  if (topic === null || requestId === null) return FrameStatus.BAD_BODY;
  out.record = { id, cls, topic, payload: bytes.slice(p, crcAt), requestId, enqueuedAt };
  return FrameStatus.OK;
}
