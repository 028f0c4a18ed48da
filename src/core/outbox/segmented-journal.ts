import { BacklogAppend, type BacklogJournalPort } from "./backlog-journal-port";
import type { JournalRecord } from "./journal-record";
import {
  checkpointFrameSize,
  checkpointIdAt,
  DecodedFrame,
  decodeFrame,
  createRecordFrameParts,
  encodeRecordParts,
  releaseRecordParts,
  FRAME_HEADER_BYTES,
  type FrameCodecPorts,
  FrameKind,
  FrameStatus,
  frameSizeFromHeader,
  JS_FRAME_CODEC,
  RECORD_PREFIX_BYTES,
  recordClassAt,
  recordIdAt,
  writeCheckpointFrame,
  type RecordFrameParts,
} from "./journal-record-codec";
import { MessageClass } from "./message-class";
import type { SegmentStorePort } from "./segment-store-port";

export interface SegmentedJournalOptions {
  /** Bytes all segments may take together (the storage partition, less the file system's own). */
  maxBytes: number;
  /** A new segment starts when the next commit would take the current one above this. */
  segmentBytes: number;
  /** Largest frame; an append above it is refused, a header declaring more is corruption. */
  maxFrameBytes: number;
  /** Messages the outbox holds in RAM at most (its maxMessages): sizes the checkpoint. */
  ramRecords: number;
  /** CRC-32 and UTF-8 for the frames (default JS_FRAME_CODEC; the firmware passes native ones). */
  codec?: FrameCodecPorts;
}

export interface SegmentedJournalCounters {
  /** Records appended for the outbox's RAM (alerts, transactions while nothing waits). */
  appends: number;
  /** Transactions stored in the backlog. */
  backlogAppends: number;
  /** Backlog transactions read back and handed to the outbox. */
  taken: number;
  /** Appends refused because storage is full (nothing written). */
  refusedFull: number;
  /** Appends that failed (nothing replayable written). */
  appendFailures: number;
  checkpoints: number;
  segmentsCreated: number;
  segmentsDeleted: number;
  /** Torn tails cut off after a failed write. */
  repairs: number;
  /** Frames that failed their CRC or whose header was corrupt, found on replay or on reading the backlog. */
  corruptFrames: number;
  /** Stored transactions that could not be read back (corruption): lost, and counted here. */
  unreadable: number;
  /** Bytes of torn or corrupt tail dropped by the last replay. */
  discardedBytes: number;
  lastError: string;
}

/** Bytes of a RECORD frame beyond its payload and topic, with a request id of up to 64 bytes. */
const RECORD_OVERHEAD = FRAME_HEADER_BYTES + 21 + 64 + 4;
const NONE = -1;

/**
 * The outbox journal as a log of numbered segment files, which is also the
 * store-and-forward backlog (BacklogJournalPort): a terminal without its
 * broker keeps accepting payments until storage, not RAM, is full.
 *
 * On storage: frames of journal-record-codec, appended in id order to the
 * newest segment; a new segment starts when the current one would pass
 * `segmentBytes`. Acknowledgements are not tombstones but CHECKPOINT frames:
 * "every transaction up to the frontier was taken into RAM, and of what RAM
 * held, these ids are still live". A checkpoint is written by
 * `syncRemovals()` (the main loop's, once a second) when acknowledgements
 * came since the last, and first in every new segment, so the newest
 * segment always holds the latest one. Replay
 * rule, for a record before the latest checkpoint: live when it is a
 * transaction above the frontier (never taken: still in the backlog) or one
 * of the listed ids; every record after it is live. Lost checkpoints only
 * make acknowledged messages live again (sent twice: at-least-once, the
 * request id dedups); nothing unacknowledged is ever dropped.
 *
 * Reclaiming space: no copying compaction. The oldest segment is deleted
 * whole once every record in it is acknowledged (its highest id is below
 * every id RAM holds, and the backlog has moved past it); a segment is written
 * once and deleted once, so flash wear is one write per byte stored plus the
 * checkpoints, and the time is one file deletion. The file system spreads
 * the erases (littlefs wear levelling).
 *
 * RAM: per segment three numbers (a fixed table), the ids RAM holds (at most
 * `ramRecords`, more only after a restore above the bounds), the backlog's
 * read position and the one record read ahead. Nothing grows with the
 * backlog.
 *
 * Replay (once at start): the newest segment is read frame by frame with
 * CRCs (a torn tail is cut off there), back to the newest checkpoint; then
 * every segment's frame headers are walked once, and only the records RAM
 * will hold are read whole. Backlog records are CRC-checked when they are
 * read back to be sent; one that fails is counted (`unreadable`), not sent.
 */
export class SegmentedJournal implements BacklogJournalPort {
  readonly counters: SegmentedJournalCounters = {
    appends: 0, backlogAppends: 0, taken: 0, refusedFull: 0, appendFailures: 0, checkpoints: 0,
    segmentsCreated: 0, segmentsDeleted: 0, repairs: 0, corruptFrames: 0, unreadable: 0, discardedBytes: 0, lastError: "",
  };

  private readonly store: SegmentStorePort;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly maxFrameBytes: number;

  // segments, oldest first, in a ring
  private segCap: number;
  private segFirst = 0;
  private segCount = 0;
  private segNo: Float64Array;
  private segSize: Float64Array;
  /** Highest record id in the segment, -1 when it holds none. */
  private segLastId: Float64Array;
  private totalBytes = 0;
  /** Position (0 = oldest) of the segment holding the newest durable checkpoint; -1 when none. */
  private checkpointAt = NONE;
  /** Offset of that checkpoint in its segment (replay). */
  private checkpointOffset = NONE;
  /** Size of the last record frame written. */
  private lastFrameSize = 0;

  // what RAM holds
  private ramIds: Float64Array;
  private ramCount = 0;
  private frontier = 0;
  private maxId = 0;
  /** Acknowledgements not yet in a checkpoint. */
  private dirty = false;

  // the backlog
  private waiting = 0;
  /**
   * Read position of the backlog: segment position (0 = oldest) and offset. Meaningful only
   * while transactions wait (the first one to wait sets it); a segment holding it is never deleted.
   */
  private curPos = 0;
  private curOff = 0;
  private head: JournalRecord | null = null;
  private headSize = 0;

  /** A write failed: the newest segment may end in part of a frame, cut it back to `segSize` first. */
  private broken = false;
  private replayed = false;
  private readonly frame = new DecodedFrame();
  /** The record being written, in pieces (its payload not copied). */
  private readonly recordParts = createRecordFrameParts();
  private readonly parts: Uint8Array[] = [];

  private readonly codec: FrameCodecPorts;

  constructor(store: SegmentStorePort, options: SegmentedJournalOptions) {
    const o = options;
    const posInt = (v: number) => Number.isInteger(v) && v >= 1;
    if (!posInt(o.maxFrameBytes) || !posInt(o.ramRecords)) throw new RangeError("segmented journal: maxFrameBytes and ramRecords must be positive integers");
    const perCommit = o.maxFrameBytes + checkpointFrameSize(o.ramRecords);
    if (!posInt(o.segmentBytes) || o.segmentBytes < 2 * perCommit) {
      throw new RangeError(`segmented journal: segmentBytes must be at least ${2 * perCommit} (two frames of maxFrameBytes with their checkpoints), got ${o.segmentBytes}`);
    }
    if (!posInt(o.maxBytes) || o.maxBytes < 2 * o.segmentBytes) throw new RangeError(`segmented journal: maxBytes must be at least two segments (${2 * o.segmentBytes}), got ${o.maxBytes}`);
    this.store = store;
    this.codec = o.codec ?? JS_FRAME_CODEC;
    this.maxBytes = o.maxBytes;
    this.segmentBytes = o.segmentBytes;
    this.maxFrameBytes = o.maxFrameBytes;
    // A segment is closed only when the next commit would not fit, so all but the newest hold more than segmentBytes - perCommit.
    this.segCap = Math.ceil(o.maxBytes / (o.segmentBytes - perCommit)) + 2;
    this.segNo = new Float64Array(this.segCap);
    this.segSize = new Float64Array(this.segCap);
    this.segLastId = new Float64Array(this.segCap);
    this.ramIds = new Float64Array(o.ramRecords);
  }

  /** Bytes in storage. */
  get bytes(): number {
    return this.totalBytes;
  }

  get segments(): number {
    return this.segCount;
  }

  /** Live records held in RAM by the outbox. */
  get ramHeld(): number {
    return this.ramCount;
  }

  get backlogCount(): number {
    return this.waiting;
  }

  highestId(): number {
    if (!this.replayed) this.replay();
    return this.maxId;
  }

  // ------------------------------------------------------------ JournalPort

  append(record: JournalRecord): boolean {
    if (!this.replayed) this.replay();
    if (record.cls === MessageClass.TRANSACTION && this.waiting > 0) {
      // Would overtake the backlog (and move the frontier past it): the outbox never asks this.
      this.counters.appendFailures++;
      this.counters.lastError = "append: a transaction must go to the backlog while it holds any";
      return false;
    }
    const r = this.commitRecord(record);
    if (r !== BacklogAppend.STORED) return false;
    this.ramAdd(record.id);
    if (record.cls === MessageClass.TRANSACTION) this.frontier = record.id;
    this.counters.appends++;
    return true;
  }

  appendToBacklog(record: JournalRecord): BacklogAppend {
    if (!this.replayed) this.replay();
    if (record.cls !== MessageClass.TRANSACTION) {
      this.counters.appendFailures++;
      this.counters.lastError = "appendToBacklog: only transactions wait in the backlog";
      return BacklogAppend.FAILED;
    }
    const r = this.commitRecord(record);
    if (r !== BacklogAppend.STORED) return r;
    if (this.waiting === 0) {
      // The backlog starts at this record: the last frame of the newest segment.
      this.curPos = this.segCount - 1;
      this.curOff = this.segSize[this.ring(this.curPos)]! - this.lastFrameSize;
    }
    this.waiting++;
    this.counters.backlogAppends++;
    return r;
  }

  remove(id: number): boolean {
    if (!this.replayed) this.replay();
    if (this.ramDelete(id)) this.dirty = true;
    return true;
  }

  /**
   * Live records for the outbox's RAM, in id order: the alerts, and the
   * transactions taken before the restart that are not acknowledged. The
   * transactions still waiting stay in storage (`backlogCount`). Call once,
   * before anything else.
   */
  replay(): JournalRecord[] {
    this.replayed = true;
    const out: JournalRecord[] = [];
    try {
      this.loadSegments();
      this.findCheckpoint();
      this.walk(out);
    } catch (e) {
      // An unreadable store: keep what was read, write nothing over it.
      this.counters.lastError = "replay: " + String(e);
      this.broken = true;
    }
    out.sort((a, b) => a.id - b.id);
    // The next write records what RAM holds now (a checkpoint), so older segments can go.
    this.dirty = true;
    this.dropDeadSegments();
    return out;
  }

  // ------------------------------------------------------------ backlog

  backlogHasRoom(messageBytes: number): boolean {
    if (!this.replayed) this.replay();
    const need = messageBytes + RECORD_OVERHEAD;
    if (need > this.maxFrameBytes) return false;
    return this.totalBytes - this.reclaimableBytes() + need + this.checkpointBytes() <= this.recordLimit();
  }

  peekBacklog(): JournalRecord | null {
    if (!this.replayed) this.replay();
    if (this.head !== null) return this.head;
    try {
      return this.readHead();
    } catch (e) {
      this.counters.lastError = "backlog read: " + String(e);
      return null;
    }
  }

  private readHead(): JournalRecord | null {
    const f = this.frame;
    while (this.waiting > 0) {
      if (this.curPos >= this.segCount) {
        this.lose(this.waiting, "backlog: storage ended before the backlog did");
        return null;
      }
      const ri = this.ring(this.curPos);
      const end = this.segSize[ri]!;
      if (this.curOff >= end) {
        this.curPos++;
        this.curOff = 0;
        continue;
      }
      const n = this.segNo[ri]!;
      const prefix = this.store.read(n, this.curOff, RECORD_PREFIX_BYTES);
      const size = prefix.length >= FRAME_HEADER_BYTES ? frameSizeFromHeader(prefix, 0) : -1;
      if (size < 0 || size > this.frameLimit(prefix) || this.curOff + size > end) {
        // Nothing after a corrupt header can be found in this segment.
        this.counters.corruptFrames++;
        this.counters.lastError = `backlog: corrupt frame header in segment ${n} at ${this.curOff}`;
        this.curOff = end;
        continue;
      }
      const isBacklog = prefix[1] === FrameKind.RECORD && prefix.length >= RECORD_PREFIX_BYTES && recordClassAt(prefix, 0) === MessageClass.TRANSACTION && recordIdAt(prefix, 0) > this.frontier;
      if (!isBacklog) {
        this.curOff += size;
        continue;
      }
      const bytes = this.store.read(n, this.curOff, size);
      if (decodeFrame(bytes, 0, bytes.length, f, this.codec) !== FrameStatus.OK || f.record === null) {
        this.counters.corruptFrames++;
        this.lose(1, `backlog: transaction frame in segment ${n} at ${this.curOff} does not read back`);
        this.curOff += size;
        continue;
      }
      this.head = f.record;
      this.headSize = size;
      return this.head;
    }
    return null;
  }

  takeBacklog(): JournalRecord | null {
    const r = this.peekBacklog();
    if (r === null) return null;
    this.head = null;
    this.curOff += this.headSize;
    // Past a segment's end, on to the next: the finished segment must not look as if the backlog still read it.
    while (this.curPos < this.segCount - 1 && this.curOff >= this.segSize[this.ring(this.curPos)]!) {
      this.curPos++;
      this.curOff = 0;
    }
    this.waiting--;
    this.frontier = r.id;
    this.ramAdd(r.id);
    this.counters.taken++;
    return r;
  }

  /**
   * Housekeeping for the main loop (about once a second, not from inside a
   * PUBACK): writes a checkpoint when acknowledgements are not in one yet,
   * and deletes the segments that hold nothing live. False when a write failed.
   */
  syncRemovals(): boolean {
    if (!this.replayed) this.replay();
    let ok = true;
    if (this.dirty || this.broken) ok = this.commit(null, null) === BacklogAppend.STORED;
    this.dropDeadSegments();
    return ok;
  }

  // ------------------------------------------------------------ writing

  private commitRecord(record: JournalRecord): BacklogAppend {
    const frame = this.recordParts;
    try {
      encodeRecordParts(record, this.codec, frame);
    } catch (e) {
      this.counters.appendFailures++;
      this.counters.lastError = "append: " + String(e);
      return BacklogAppend.FAILED;
    }
    if (frame.size > this.maxFrameBytes) {
      this.counters.appendFailures++;
      this.counters.lastError = `append: frame of ${frame.size} B above maxFrameBytes ${this.maxFrameBytes}`;
      return BacklogAppend.FAILED;
    }
    const r = this.commit(record, frame);
    releaseRecordParts(frame);
    return r;
  }

  /**
   * One durable write to the newest segment: a checkpoint when one is due
   * (acknowledgements since the last, or a segment's first frame), then the
   * record's frame if any.
   */
  private commit(record: JournalRecord | null, frame: RecordFrameParts | null): BacklogAppend {
    const size = frame === null ? 0 : frame.size;
    if (this.broken && !this.repair()) {
      if (record !== null) this.counters.appendFailures++;
      return BacklogAppend.FAILED;
    }
    let pos = this.segCount - 1;
    // A segment's first frame is a checkpoint: the newest segment always holds the latest one.
    // Otherwise checkpoints come from syncRemovals (once a second), not with every record: each
    // costs a frame and its CRC, and one lost only sends the last second's messages again.
    const atStart = pos < 0 || this.segSize[this.ring(pos)] === 0;
    let checkpoint = atStart || (record === null && this.dirty);
    if (record === null && !checkpoint) return BacklogAppend.STORED;
    let need = size + (checkpoint ? this.checkpointBytes() : 0);
    if (!atStart && this.segSize[this.ring(pos)]! + need > this.segmentBytes) {
      pos = -1; // a new segment
      checkpoint = true;
      need = size + this.checkpointBytes();
    }
    const limit = record === null ? this.maxBytes : this.recordLimit();
    if (this.totalBytes + need > limit) {
      this.dropDeadSegments();
      if (this.totalBytes + need > limit) {
        if (record !== null) this.counters.refusedFull++;
        return BacklogAppend.FULL;
      }
    }
    if (pos < 0) {
      const n = this.segCount === 0 ? 1 : this.segNo[this.ring(this.segCount - 1)]! + 1;
      if (!this.addSegment(n, 0, NONE)) {
        this.counters.lastError = "too many segments";
        return BacklogAppend.FULL;
      }
      pos = this.segCount - 1;
      this.counters.segmentsCreated++;
    }
    const ri = this.ring(pos);
    const parts = this.parts;
    parts.length = 0;
    let ckpt: Uint8Array | null = null;
    if (checkpoint) {
      ckpt = new Uint8Array(this.checkpointBytes());
      writeCheckpointFrame(this.frontier, Math.max(this.maxId, record === null ? 0 : record.id), this.ramIds, this.ramCount, ckpt, 0, this.codec);
      parts.push(ckpt);
    }
    if (frame !== null) {
      parts.push(frame.head);
      if (frame.payload.length > 0) parts.push(frame.payload);
      parts.push(frame.trailer);
    }
    try {
      this.store.append(this.segNo[ri]!, parts);
    } catch (e) {
      this.counters.lastError = "write: " + String(e);
      if (record !== null) this.counters.appendFailures++;
      // Cut off what part of it reached storage now: a record refused must never be replayed.
      this.broken = true;
      this.repair();
      return BacklogAppend.FAILED;
    } finally {
      parts.length = 0;
    }
    this.segSize[ri] = this.segSize[ri]! + need;
    this.totalBytes += need;
    if (ckpt !== null) {
      this.checkpointAt = pos;
      this.dirty = false;
      this.counters.checkpoints++;
    }
    if (record !== null) {
      this.segLastId[ri] = record.id;
      if (record.id > this.maxId) this.maxId = record.id;
      this.lastFrameSize = size;
    }
    return BacklogAppend.STORED;
  }

  /** Cuts the newest segment back to the bytes known to be whole. */
  private repair(): boolean {
    if (this.segCount === 0) {
      this.broken = false;
      return true;
    }
    const ri = this.ring(this.segCount - 1);
    try {
      this.store.truncate(this.segNo[ri]!, this.segSize[ri]!);
    } catch (e) {
      this.counters.lastError = "repair: " + String(e);
      return false;
    }
    this.broken = false;
    this.counters.repairs++;
    return true;
  }

  private checkpointBytes(): number {
    return checkpointFrameSize(this.ramCount);
  }

  /** Records leave room for one checkpoint of a full RAM, so acknowledgements can always be written. */
  private recordLimit(): number {
    return this.maxBytes - checkpointFrameSize(this.ramIds.length);
  }

  // ------------------------------------------------------------ reclaiming

  /** Whether the oldest segment holds nothing live and can go. */
  private oldestIsDead(minRam: number): boolean {
    if (this.segCount < 2) return false; // never the newest
    if (this.checkpointAt <= 0) return false; // nor the one holding the newest checkpoint
    if (this.waiting > 0 && this.curPos === 0) return false;
    return this.segLastId[this.segFirst]! < minRam;
  }

  private reclaimableBytes(): number {
    const minRam = this.ramMin();
    let bytes = 0;
    for (let i = 0; i < this.segCount - 1 && i < this.checkpointAt; i++) {
      if (this.waiting > 0 && this.curPos <= i) break;
      const ri = this.ring(i);
      if (this.segLastId[ri]! >= minRam) break;
      bytes += this.segSize[ri]!;
    }
    return bytes;
  }

  private dropDeadSegments(): void {
    const minRam = this.ramMin();
    while (this.oldestIsDead(minRam)) {
      const ri = this.segFirst;
      try {
        this.store.remove(this.segNo[ri]!);
      } catch (e) {
        this.counters.lastError = "delete segment: " + String(e);
        return;
      }
      this.totalBytes -= this.segSize[ri]!;
      this.segFirst = (this.segFirst + 1) % this.segCap;
      this.segCount--;
      this.curPos--;
      this.checkpointAt--;
      this.counters.segmentsDeleted++;
    }
  }

  // ------------------------------------------------------------ replay

  private loadSegments(): void {
    this.segFirst = 0;
    this.segCount = 0;
    this.totalBytes = 0;
    const list = this.store.list();
    if (list.length + 2 > this.segCap) this.growSegments(list.length + 2);
    for (const n of list) {
      const size = this.store.size(n);
      this.addSegment(n, size, NONE);
      this.totalBytes += size;
    }
  }

  /**
   * Reads the newest segments with CRCs, newest first, until one holds a
   * checkpoint; cuts a torn tail off the newest. Leaves the checkpoint's ids
   * in ramIds (candidates until the walk finds their records).
   */
  private findCheckpoint(): void {
    this.checkpointAt = NONE;
    this.frontier = 0;
    this.maxId = 0;
    this.ramCount = 0;
    let ckOff = -1;
    const newest = this.segCount - 1;
    for (let pos = newest; pos >= 0 && this.checkpointAt === NONE; pos--) {
      const ri = this.ring(pos);
      const n = this.segNo[ri]!;
      const end = this.segSize[ri]!;
      let off = 0;
      while (off < end) {
        const size = this.frameSizeAt(n, off, end);
        if (size < 0) break;
        const bytes = this.store.read(n, off, size);
        if (decodeFrame(bytes, 0, bytes.length, this.frame, this.codec) !== FrameStatus.OK) {
          if (off + size === end) break; // the last frame: a torn write
          // Corrupt in the middle (not a tear: frames follow): skipped and counted; the walk meets it again.
          off += size;
          continue;
        }
        if (this.frame.kind === FrameKind.CHECKPOINT) {
          this.checkpointAt = pos;
          ckOff = off;
          this.frontier = this.frame.id;
          this.maxId = Math.max(this.maxId, this.frame.highestId, this.frame.id);
          this.ramCount = 0;
          for (let i = 0; i < this.frame.idCount; i++) this.ramAdd(checkpointIdAt(bytes, 0, i));
        }
        off += size;
      }
      if (off < end && pos === newest) {
        // A torn tail (a write cut short): only the newest segment is ever written to.
        this.counters.discardedBytes += end - off;
        this.counters.corruptFrames++;
        this.counters.lastError = `replay: segment ${n} ends in ${end - off} B that do not read back (cut off)`;
        this.totalBytes -= end - off;
        this.segSize[ri] = off;
        if (off === 0) {
          this.store.remove(n);
          this.segCount--;
        } else {
          this.store.truncate(n, off);
        }
      }
    }
    this.checkpointOffset = ckOff;
  }

  /**
   * Walks every segment's frame headers once: records RAM holds (alerts, and
   * the checkpoint's live ids) are read whole into `out`; the first waiting
   * transaction sets the backlog's read position; the others are counted.
   */
  private walk(out: JournalRecord[]): void {
    const listed = this.ramIds.slice(0, this.ramCount); // boot only
    const listedCount = this.ramCount;
    this.ramCount = 0;
    this.waiting = 0;
    this.curPos = 0;
    this.curOff = 0;
    for (let pos = 0; pos < this.segCount; pos++) {
      const ri = this.ring(pos);
      const n = this.segNo[ri]!;
      const end = this.segSize[ri]!;
      let off = 0;
      let last = NONE;
      while (off < end) {
        const prefix = this.store.read(n, off, RECORD_PREFIX_BYTES);
        const size = prefix.length >= FRAME_HEADER_BYTES ? frameSizeFromHeader(prefix, 0) : -1;
        if (size < 0 || size > this.frameLimit(prefix) || off + size > end) {
          this.counters.corruptFrames++;
          this.counters.discardedBytes += end - off;
          this.counters.lastError = `replay: corrupt frame header in segment ${n} at ${off}`;
          break;
        }
        if (prefix[1] === FrameKind.RECORD && prefix.length >= RECORD_PREFIX_BYTES) {
          const id = recordIdAt(prefix, 0);
          const cls = recordClassAt(prefix, 0);
          last = id;
          if (id > this.maxId) this.maxId = id;
          const afterCheckpoint = pos > this.checkpointAt || (pos === this.checkpointAt && off > this.checkpointOffset);
          const waitingTx = cls === MessageClass.TRANSACTION && id > this.frontier;
          if (waitingTx) {
            if (this.waiting === 0) {
              this.curPos = pos;
              this.curOff = off;
            }
            this.waiting++;
          } else if (afterCheckpoint || contains(listed, listedCount, id)) {
            const bytes = this.store.read(n, off, size);
            if (decodeFrame(bytes, 0, bytes.length, this.frame, this.codec) === FrameStatus.OK && this.frame.record !== null) {
              out.push(this.frame.record);
              this.ramAdd(id);
            } else {
              this.counters.corruptFrames++;
              this.counters.unreadable++;
              this.counters.lastError = `replay: record ${id} in segment ${n} does not read back`;
            }
          }
        }
        off += size;
      }
      this.segLastId[ri] = last;
    }
  }

  /** Size of the frame at `off` of segment `n` from its header, or -1 when it cannot be whole. */
  private frameSizeAt(n: number, off: number, end: number): number {
    if (end - off < FRAME_HEADER_BYTES) return -1;
    const header = this.store.read(n, off, FRAME_HEADER_BYTES);
    const size = frameSizeFromHeader(header, 0);
    return size < 0 || size > this.frameLimit(header) || off + size > end ? -1 : size;
  }

  /**
   * Largest size a frame of this header's kind may declare: a record
   * maxFrameBytes, a checkpoint (which grows with what RAM holds) a segment.
   * A corrupt length must not make a reader allocate beyond it.
   */
  private frameLimit(header: Uint8Array): number {
    return header[1] === FrameKind.CHECKPOINT ? this.segmentBytes : this.maxFrameBytes;
  }

  // ------------------------------------------------------------ tables

  private ring(pos: number): number {
    return (this.segFirst + pos) % this.segCap;
  }

  private addSegment(n: number, size: number, lastId: number): boolean {
    if (this.segCount === this.segCap) return false;
    const ri = this.ring(this.segCount);
    this.segNo[ri] = n;
    this.segSize[ri] = size;
    this.segLastId[ri] = lastId;
    this.segCount++;
    return true;
  }

  /** At replay only: more segments than the bounds allow (the bounds were lowered). */
  private growSegments(cap: number): void {
    this.segCap = cap;
    this.segNo = new Float64Array(cap);
    this.segSize = new Float64Array(cap);
    this.segLastId = new Float64Array(cap);
  }

  private ramAdd(id: number): void {
    if (this.ramCount === this.ramIds.length) {
      // A restore above the outbox's bounds: grows, as the outbox does.
      const more = new Float64Array(this.ramIds.length * 2);
      more.set(this.ramIds);
      this.ramIds = more;
    }
    this.ramIds[this.ramCount++] = id;
  }

  private ramDelete(id: number): boolean {
    const ids = this.ramIds;
    for (let i = 0; i < this.ramCount; i++) {
      if (ids[i] === id) {
        ids[i] = ids[--this.ramCount]!;
        return true;
      }
    }
    return false;
  }

  private ramMin(): number {
    let m = Infinity;
    for (let i = 0; i < this.ramCount; i++) if (this.ramIds[i]! < m) m = this.ramIds[i]!;
    return m;
  }

  private lose(n: number, why: string): void {
    this.counters.unreadable += n;
    this.counters.lastError = why;
    this.waiting -= n;
  }
}

function contains(ids: Float64Array, count: number, id: number): boolean {
  for (let i = 0; i < count; i++) if (ids[i] === id) return true;
  return false;
}
