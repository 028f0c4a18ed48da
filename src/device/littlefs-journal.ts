/**
 * The device's outbox journal: one file of journal frames (the same CRC
 * frames as the host's FileJournal, src/core/outbox/journal-record-codec.ts)
 * through the Moddable `file` module: littlefs on the ESP32
 * (modules/files/file/manifest_littlefs.json, a 64 KB `storage` partition),
 * stdio under /tmp on lin.
 *
 * What the `file` module gives (modules/files/file/littlefs/modLittlefs.c,
 * lin/modFile.c): `new File(path, true)` opens read-write and creates the
 * file (no append mode: position starts at 0, so every write seeks to the end
 * first); `read(ArrayBuffer, n)`; `write(buffer)`; `length`; `position`;
 * `close()`; static `exists`, `delete`, `rename` (littlefs lfs_rename
 * replaces the target atomically; POSIX rename on lin). There is no truncate
 * and no fsync: on littlefs, changes become durable at `close()` (lfs_file_sync),
 * and a power loss before it leaves the file as it was at the previous close.
 *
 * Durability choices:
 * - append opens the file, writes the RECORD frame (after any buffered
 *   tombstones) at the end, and closes it: one littlefs commit, so an
 *   accepted alert or transaction survives a power loss once append returned
 *   true. If anything throws, append returns false and the journal marks
 *   itself for a rewrite: the next write first compacts (copies only the
 *   frames it knows are live), so a partly written frame is never followed
 *   by new ones and is never replayed. (A power loss between the failure and
 *   that rewrite leaves a torn frame at the end, which replay discards.)
 * - remove (PUBACK) only buffers the tombstone: they are written with the
 *   next append, or by `syncRemovals()` (main calls it every second), or by
 *   compaction (also started from syncRemovals, not from inside a PUBACK). Losing a removal in a crash is allowed (JournalPort): that
 *   message is published again: at-least-once, as QoS 1 promises anyway. One
 *   commit per PUBACK would double the flash writes for nothing.
 * - replay reads frame by frame (no whole-file buffer: the chunk heap is 48
 *   KB) and stops at the first torn or corrupt frame, or one declaring a body
 *   above `maxFrameBytes` (nothing legitimate is that large on the device;
 *   a corrupt length must not make it allocate megabytes). A tail after that
 *   point is cut off by rewriting the file (compaction), since there is no
 *   truncate.
 * - compaction copies the live frames, CRC-checked again, and a tombstone
 *   keeping the highest id, to `<file>.tmp`, closes it (commit), and renames it
 *   over the journal (atomic). syncRemovals() runs it when dead bytes pass
 *   both `compactMinDeadBytes` and `compactDeadFraction` of the file, and
 *   after a failed write; append runs it when the file would otherwise grow
 *   above `maxFileBytes`; replay when it found a torn tail.
 * - the file never exceeds `maxFileBytes`: an append that would not fit even
 *   after compaction is refused (the swipe is declined DECLINED_STORAGE, never
 *   lost silently). The outbox bounds keep the live frames well below it.
 */
import { File } from "file";
import type { JournalPort } from "../core/outbox/journal-port";
import type { JournalRecord } from "../core/outbox/journal-record";
import {
  DecodedFrame,
  decodeFrame,
  encodeRecordFrame,
  encodeTombstoneFrame,
  FRAME_HEADER_BYTES,
  FRAME_TRAILER_BYTES,
  FrameKind,
  FrameStatus,
  JOURNAL_MAGIC,
  TOMBSTONE_FRAME_BYTES,
} from "../core/outbox/journal-record-codec";

export interface LittlefsJournalOptions {
  /** The journal file never grows beyond this (default 20 KiB of the 64 KiB partition). */
  maxFileBytes?: number;
  /** Dead bytes below which the file is not compacted (default 4 KiB). */
  compactMinDeadBytes?: number;
  /** Compact when dead bytes exceed this fraction of the file (default 0.5). */
  compactDeadFraction?: number;
  /** A frame declaring more than this is corrupt (default 4 KiB). */
  maxFrameBytes?: number;
}

export interface LittlefsJournalCounters {
  appends: number;
  appendFailures: number;
  /** Appends refused because the file would exceed maxFileBytes even after compaction. */
  appendsRefusedFull: number;
  removes: number;
  /** Tombstones written (buffered ones count when they reach the file). */
  tombstonesWritten: number;
  commits: number;
  compactions: number;
  compactionFailures: number;
  /** Bytes of torn or corrupt tail found by the last replay. */
  discardedBytes: number;
  /** Why the last replay stopped early, "" if it read to the end. */
  replayStoppedAt: string;
  lastError: string;
}

interface LiveFrame {
  offset: number;
  size: number;
}

export class LittlefsJournal implements JournalPort {
  readonly path: string;
  readonly tmpPath: string;
  readonly counters: LittlefsJournalCounters = {
    appends: 0, appendFailures: 0, appendsRefusedFull: 0, removes: 0, tombstonesWritten: 0, commits: 0,
    compactions: 0, compactionFailures: 0, discardedBytes: 0, replayStoppedAt: "", lastError: "",
  };

  private readonly maxFileBytes: number;
  private readonly minDead: number;
  private readonly deadFraction: number;
  private readonly maxFrameBytes: number;
  private readonly live = new Map<number, LiveFrame>();
  /** Ids removed in memory whose tombstones are not in the file yet. */
  private pendingTombstones: number[] = [];
  private fileSize = 0;
  private liveBytes = 0;
  private maxId = 0;
  private replayed = false;
  /** A write failed: the file may end in a partial frame; rewrite before the next write. */
  private needsRewrite = false;
  private readonly frame = new DecodedFrame();

  constructor(path: string, options: LittlefsJournalOptions = {}) {
    this.path = path;
    this.tmpPath = path + ".tmp";
    this.maxFileBytes = options.maxFileBytes ?? 20 * 1024;
    this.minDead = options.compactMinDeadBytes ?? 4 * 1024;
    this.deadFraction = options.compactDeadFraction ?? 0.5;
    this.maxFrameBytes = options.maxFrameBytes ?? 4 * 1024;
  }

  /** Bytes of the journal file, tombstones not yet written included. */
  get bytes(): number {
    return this.fileSize + this.pendingTombstones.length * TOMBSTONE_FRAME_BYTES;
  }

  /** Bytes that compaction would reclaim. */
  get deadBytes(): number {
    return this.bytes - this.liveBytes;
  }

  /** Live records. */
  get size(): number {
    return this.live.size;
  }

  replay(): JournalRecord[] {
    this.replayed = true;
    this.live.clear();
    this.pendingTombstones = [];
    this.liveBytes = 0;
    this.maxId = 0;
    this.fileSize = 0;
    this.needsRewrite = false;
    this.counters.discardedBytes = 0;
    this.counters.replayStoppedAt = "";
    try {
      if (File.exists(this.tmpPath)) File.delete(this.tmpPath); // a compaction that did not reach its rename
    } catch (e) {
      this.counters.lastError = "delete tmp: " + String(e);
    }
    const records = new Map<number, JournalRecord>();
    let length = 0;
    let offset = 0;
    let f: File | null = null;
    try {
      if (!File.exists(this.path)) return [];
      f = new File(this.path);
      length = f.length;
      const frame = this.frame;
      while (offset < length) {
        const stop = this.readFrameAt(f, offset, length, frame);
        if (stop !== "") {
          this.counters.replayStoppedAt = `offset ${offset}: ${stop}`;
          break;
        }
        if (frame.id > this.maxId) this.maxId = frame.id;
        if (frame.kind === FrameKind.RECORD) {
          const old = this.live.get(frame.id);
          if (old !== undefined) this.liveBytes -= old.size;
          this.live.set(frame.id, { offset, size: frame.size });
          this.liveBytes += frame.size;
          records.set(frame.id, frame.record!);
        } else {
          const old = this.live.get(frame.id);
          if (old !== undefined) {
            this.liveBytes -= old.size;
            this.live.delete(frame.id);
            records.delete(frame.id);
          }
        }
        offset += frame.size;
      }
    } catch (e) {
      // An unreadable file: keep what was read before the failure.
      this.counters.lastError = "replay: " + String(e);
      this.counters.replayStoppedAt = `offset ${offset}: read failed`;
    } finally {
      closeQuietly(f);
    }
    this.fileSize = offset;
    if (length > offset) {
      this.counters.discardedBytes = length - offset;
      // No truncate in the file API: rewrite the file without the tail now, so no new frame follows it.
      this.needsRewrite = true;
      this.compact();
    }
    const out: JournalRecord[] = [];
    records.forEach((r) => out.push(r));
    out.sort((a, b) => a.id - b.id);
    return out;
  }

  highestId(): number {
    if (!this.replayed) this.replay();
    return this.maxId;
  }

  append(record: JournalRecord): boolean {
    if (!this.replayed) this.replay();
    let frame: Uint8Array;
    try {
      frame = encodeRecordFrame(record);
    } catch (e) {
      this.counters.appendFailures++;
      this.counters.lastError = "encode: " + String(e);
      return false;
    }
    if (this.needsRewrite && !this.compact()) {
      this.counters.appendFailures++;
      return false;
    }
    if (this.bytes + frame.length > this.maxFileBytes) {
      this.compact();
      if (this.needsRewrite || this.bytes + frame.length > this.maxFileBytes) {
        this.counters.appendsRefusedFull++;
        return false;
      }
    }
    const tombs = this.pendingTombstones;
    const at = this.fileSize + tombs.length * TOMBSTONE_FRAME_BYTES;
    if (!this.writeAtEnd(tombs, frame)) {
      this.counters.appendFailures++;
      return false;
    }
    this.counters.tombstonesWritten += tombs.length;
    this.pendingTombstones = [];
    const old = this.live.get(record.id);
    if (old !== undefined) this.liveBytes -= old.size;
    this.live.set(record.id, { offset: at, size: frame.length });
    this.liveBytes += frame.length;
    this.fileSize = at + frame.length;
    if (record.id > this.maxId) this.maxId = record.id;
    this.counters.appends++;
    return true;
  }

  remove(id: number): boolean {
    if (!this.replayed) this.replay();
    const f = this.live.get(id);
    if (f === undefined) return true; // not live: nothing to remove
    this.live.delete(id);
    this.liveBytes -= f.size;
    this.pendingTombstones.push(id);
    this.counters.removes++;
    return true;
  }

  /** True when dead bytes pass both compaction thresholds. */
  get compactionDue(): boolean {
    const dead = this.deadBytes;
    return dead >= this.minDead && dead > this.bytes * this.deadFraction;
  }

  /**
   * The journal's housekeeping, for the main loop (about once a second, from
   * a shallow stack: remove() runs inside the MQTT session's PUBACK handling
   * and must stay cheap): compacts when dead bytes dominate or after a failed
   * write, else writes the buffered tombstones (one commit). False when that
   * failed (they stay buffered).
   */
  syncRemovals(): boolean {
    if (this.needsRewrite || this.compactionDue || this.bytes > this.maxFileBytes) return this.compact();
    if (this.pendingTombstones.length === 0) return true;
    const tombs = this.pendingTombstones;
    if (!this.writeAtEnd(tombs, null)) return false;
    this.fileSize += tombs.length * TOMBSTONE_FRAME_BYTES;
    this.counters.tombstonesWritten += tombs.length;
    this.pendingTombstones = [];
    return true;
  }

  /**
   * Rewrites the file with only the live frames (and a tombstone keeping the
   * highest id); atomic by rename. False on failure (the old file stays; the
   * next write tries again).
   */
  compact(): boolean {
    let src: File | null = null;
    let dst: File | null = null;
    try {
      if (File.exists(this.tmpPath)) File.delete(this.tmpPath);
      const ids: number[] = [];
      this.live.forEach((_f, id) => ids.push(id));
      ids.sort((a, b) => a - b);
      const moved: LiveFrame[] = [];
      dst = new File(this.tmpPath, true);
      let p = 0;
      if (ids.length > 0) {
        src = new File(this.path);
        const length = src.length;
        const check = this.frame;
        for (const id of ids) {
          const f = this.live.get(id)!;
          src.position = f.offset;
          const bytes = new Uint8Array(src.read(ArrayBuffer, f.size));
          if (f.offset + f.size > length || decodeFrame(bytes, 0, bytes.length, check) !== FrameStatus.OK || check.id !== id || check.size !== f.size) {
            throw new Error(`journal frame of id ${id} at ${f.offset} no longer reads back`);
          }
          dst.write(whole(bytes));
          moved.push({ offset: p, size: f.size });
          p += f.size;
        }
        src.close();
        src = null;
      }
      if (this.maxId > 0 && !this.live.has(this.maxId)) {
        dst.write(whole(encodeTombstoneFrame(this.maxId)));
        p += TOMBSTONE_FRAME_BYTES;
      }
      dst.close();
      dst = null;
      this.counters.commits++;
      if (!File.rename(this.tmpPath, this.path)) throw new Error(`rename ${this.tmpPath} -> ${this.path} failed`);
      for (let i = 0; i < ids.length; i++) this.live.set(ids[i]!, moved[i]!);
      this.fileSize = p;
      this.pendingTombstones = [];
      this.needsRewrite = false;
      this.counters.compactions++;
      return true;
    } catch (e) {
      this.counters.compactionFailures++;
      this.counters.lastError = "compact: " + String(e);
      closeQuietly(src);
      closeQuietly(dst);
      try {
        if (File.exists(this.tmpPath)) File.delete(this.tmpPath);
      } catch {
        // best effort
      }
      return false;
    }
  }

  // ------------------------------------------------------------ internals

  /**
   * Reads the frame at `offset` into `out`: "" when it is a valid frame, else
   * why reading must stop there.
   */
  private readFrameAt(f: File, offset: number, length: number, out: DecodedFrame): string {
    if (length - offset < FRAME_HEADER_BYTES) return FrameStatus.TRUNCATED;
    f.position = offset;
    const h = new Uint8Array(f.read(ArrayBuffer, FRAME_HEADER_BYTES));
    if (h[0] !== JOURNAL_MAGIC) return FrameStatus.BAD_MAGIC;
    if (h[1] !== FrameKind.RECORD && h[1] !== FrameKind.TOMBSTONE) return FrameStatus.BAD_KIND;
    const body = (h[2]! | (h[3]! << 8) | (h[4]! << 16) | (h[5]! << 24)) >>> 0;
    const size = FRAME_HEADER_BYTES + body + FRAME_TRAILER_BYTES;
    if (size > this.maxFrameBytes) return FrameStatus.BAD_LENGTH;
    if (offset + size > length) return FrameStatus.TRUNCATED;
    f.position = offset;
    const bytes = new Uint8Array(f.read(ArrayBuffer, size));
    const status = decodeFrame(bytes, 0, size, out);
    return status === FrameStatus.OK ? "" : status;
  }

  /**
   * Opens the journal, checks it ends where the journal thinks, writes the
   * tombstones of `tombs` and then `frame` at the end, and closes it (the
   * littlefs commit). On any failure marks the file for a rewrite.
   */
  private writeAtEnd(tombs: number[], frame: Uint8Array | null): boolean {
    let f: File | null = null;
    try {
      f = new File(this.path, true);
      const length = f.length;
      if (length !== this.fileSize) throw new Error(`journal is ${length} bytes, expected ${this.fileSize}`);
      f.position = length;
      for (let i = 0; i < tombs.length; i++) f.write(whole(encodeTombstoneFrame(tombs[i]!)));
      if (frame !== null) f.write(whole(frame));
      f.close();
      f = null;
      this.counters.commits++;
      return true;
    } catch (e) {
      this.counters.lastError = "write: " + String(e);
      closeQuietly(f);
      this.needsRewrite = true;
      return false;
    }
  }
}

/**
 * The bytes as an ArrayBuffer for File.write (its typing takes ArrayBuffer or
 * string; the C side would take a Uint8Array too). Frames are always whole
 * buffers, so this never copies in practice.
 */
function whole(u8: Uint8Array): ArrayBuffer {
  const b = u8.buffer as ArrayBuffer;
  return u8.byteOffset === 0 && u8.byteLength === b.byteLength ? b : (u8.slice().buffer as ArrayBuffer);
}

function closeQuietly(f: File | null): void {
  if (f === null) return;
  try {
    f.close();
  } catch {
    // already closed
  }
}
