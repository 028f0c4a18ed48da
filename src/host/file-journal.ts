import { fdatasync } from "node:fs";
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import type { JournalPort } from "../core/outbox/journal-port";
import type { JournalRecord } from "../core/outbox/journal-record";
import {
  DecodedFrame,
  decodeFrame,
  encodeRecordFrame,
  encodeTombstoneFrame,
  FrameKind,
  FrameStatus,
} from "../core/outbox/journal-record-codec";

export interface FileJournalOptions {
  /** Dead bytes below which the file is never compacted (default 64 KiB). */
  compactMinDeadBytes?: number;
  /** Compact when dead bytes exceed this fraction of the file (default 0.5). */
  compactDeadFraction?: number;
  /** fdatasync after each tombstone too (default false: see the module comment). */
  syncRemoves?: boolean;
  /**
   * Default true: every append is written and fdatasync'ed before it
   * returns. False is group commit: appends and removals are buffered, and
   * the owner calls `flush()` (one write, one fdatasync) before it releases
   * the answers of the appends since the last flush or lets their messages
   * leave the process. A crash before the flush loses exactly those appends,
   * whose answers were not given yet.
   */
  syncAppends?: boolean;
}

export interface FileJournalReplayReport {
  /** Bytes of the file before replay. */
  fileBytes: number;
  /** Valid frames read. */
  records: number;
  tombstones: number;
  /** Live records returned. */
  live: number;
  /** Bytes cut off the end: a torn or corrupt tail. */
  discardedBytes: number;
  /** Why reading stopped before the end of the file, or null if it did not. */
  stoppedAt: { offset: number; status: FrameStatus } | null;
}

interface LiveFrame {
  offset: number;
  size: number;
}

/**
 * The host's outbox journal: one append-only file of journal frames (see
 * src/core/outbox/journal-record-codec.ts), with compaction.
 *
 * Durability choices:
 * - append writes the RECORD frame and calls fdatasync before returning
 *   true: an accepted alert or transaction survives a process kill and a
 *   power loss. If the write or the sync fails, the file is truncated back
 *   to where the frame began and append returns false (nothing accepted); if
 *   even that truncation fails, the journal refuses every further write
 *   until the next replay() (which discards the torn tail) rather than
 *   appending after garbage.
 * - remove (PUBACK) appends an 18-byte TOMBSTONE frame and does NOT sync by
 *   default (`syncRemoves`): the page cache keeps it across a process kill,
 *   and the next append's fdatasync persists it; a power loss before that
 *   can lose it, and the acknowledged message is then replayed and published
 *   again: at-least-once, which QoS 1 allows anyway.
 * - replay reads the file, decodes frames in order and stops at the first
 *   one that is torn or corrupt (bad magic, kind, length, CRC or body); the
 *   file is truncated there (lastReplay.discardedBytes says how much) so no
 *   new frame ever follows garbage. A corrupt frame in the middle therefore
 *   also discards what follows it: only a torn tail is expected (kill -9 or
 *   power loss mid-write), never a silent resync past damage.
 * - compaction, once the dead bytes (acknowledged records and tombstones)
 *   pass both `compactMinDeadBytes` and `compactDeadFraction` of the file,
 *   copies the live frames (CRC-checked again) to `<file>.tmp`, fsyncs it,
 *   renames it over the file (atomic on POSIX) and fsyncs the directory. A
 *   kill before the rename leaves the old file (a stale .tmp is deleted at
 *   the next replay); after it, the new one. The highest id ever used is
 *   kept by a tombstone for it, so ids never go backwards.
 *
 * Sync node:fs calls throughout: the journal sits on the publish path of one
 * terminal, and a record must be durable before enqueue answers.
 */
export class FileJournal implements JournalPort {
  readonly file: string;
  private readonly tmpFile: string;
  private readonly minDead: number;
  private readonly deadFraction: number;
  private readonly syncRemoves: boolean;
  private readonly syncAppends: boolean;
  /** True with `syncAppends: false`: appends are durable only after flush(). */
  readonly groupCommit: boolean;
  private unsynced = false;
  private asyncFlushes = 0;
  /** Compaction was due while an asynchronous flush ran; it runs when the last one ends. */
  private compactDue = false;
  // Group commit: frames not written yet (fileSize already counts them).
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private fd = -1;
  private broken = false;
  private fileSize = 0;
  private liveBytes = 0;
  private maxId = 0;
  private readonly live = new Map<number, LiveFrame>();
  lastReplay: FileJournalReplayReport | null = null;
  compactions = 0;
  compactionFailures = 0;

  constructor(file: string, options: FileJournalOptions = {}) {
    this.file = file;
    this.tmpFile = file + ".tmp";
    this.minDead = options.compactMinDeadBytes ?? 64 * 1024;
    this.deadFraction = options.compactDeadFraction ?? 0.5;
    this.syncRemoves = options.syncRemoves ?? false;
    this.syncAppends = options.syncAppends ?? true;
    this.groupCommit = !this.syncAppends;
  }

  /** Size of the journal file. */
  get bytes(): number {
    return this.fileSize;
  }

  /** Bytes of acknowledged records and tombstones, reclaimed by compaction. */
  get deadBytes(): number {
    return this.fileSize - this.liveBytes;
  }

  /** Live records in the file. */
  get size(): number {
    return this.live.size;
  }

  /**
   * (Re)reads the file: returns live records in id order, truncates a torn
   * or corrupt tail (see lastReplay), and opens the file for appending.
   */
  replay(): JournalRecord[] {
    this.close();
    rmSync(this.tmpFile, { force: true });
    let bytes: Uint8Array;
    let existed = true;
    try {
      bytes = readFileSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      bytes = new Uint8Array(0);
      existed = false;
    }
    this.live.clear();
    this.maxId = 0;
    this.liveBytes = 0;
    const records = new Map<number, JournalRecord>();
    const frame = new DecodedFrame();
    let offset = 0;
    let nRecords = 0;
    let nTombstones = 0;
    let stoppedAt: FileJournalReplayReport["stoppedAt"] = null;
    while (offset < bytes.length) {
      const status = decodeFrame(bytes, offset, bytes.length, frame);
      if (status !== FrameStatus.OK || frame.kind === FrameKind.CHECKPOINT) {
        // A CHECKPOINT belongs to the segmented journal's files, never to this one's.
        stoppedAt = { offset, status: status === FrameStatus.OK ? FrameStatus.BAD_KIND : status };
        break;
      }
      if (frame.id > this.maxId) this.maxId = frame.id;
      if (frame.kind === FrameKind.RECORD) {
        nRecords++;
        const old = this.live.get(frame.id);
        if (old) this.liveBytes -= old.size;
        this.live.set(frame.id, { offset, size: frame.size });
        this.liveBytes += frame.size;
        records.set(frame.id, frame.record!);
      } else {
        nTombstones++;
        const old = this.live.get(frame.id);
        if (old) {
          this.liveBytes -= old.size;
          this.live.delete(frame.id);
          records.delete(frame.id);
        }
      }
      offset += frame.size;
    }
    this.fd = openSync(this.file, "a+");
    if (!existed) fsyncDir(this.file);
    const discarded = bytes.length - offset;
    if (discarded > 0) {
      ftruncateSync(this.fd, offset);
      fdatasyncSync(this.fd);
    }
    this.fileSize = offset;
    this.broken = false;
    const out = [...records.values()].sort((a, b) => a.id - b.id);
    this.lastReplay = {
      fileBytes: bytes.length,
      records: nRecords,
      tombstones: nTombstones,
      live: out.length,
      discardedBytes: discarded,
      stoppedAt,
    };
    return out;
  }

  highestId(): number {
    if (this.fd < 0) this.replay();
    return this.maxId;
  }

  append(record: JournalRecord): boolean {
    if (!this.ensureOpen()) return false;
    let frame: Uint8Array;
    try {
      frame = encodeRecordFrame(record);
    } catch {
      return false;
    }
    if (!this.write(frame, true)) return false;
    const old = this.live.get(record.id);
    if (old) this.liveBytes -= old.size;
    this.live.set(record.id, { offset: this.fileSize - frame.length, size: frame.length });
    this.liveBytes += frame.length;
    if (record.id > this.maxId) this.maxId = record.id;
    return true;
  }

  /**
   * Group commit (with `syncAppends: false`): makes every append so far
   * durable with one fdatasync. False when the sync failed: the journal then
   * refuses further writes until the next replay (what was appended since the
   * last flush may or may not be on disk).
   */
  flush(): boolean {
    if (!this.writePending()) return false;
    if (!this.unsynced) return !this.broken;
    try {
      fdatasyncSync(this.fd);
      this.unsynced = false;
      return true;
    } catch {
      this.broken = true;
      return false;
    }
  }

  /**
   * flush() with the fdatasync on libuv's thread pool: several journals sync
   * in parallel and the event loop keeps running. Covers every append made
   * before the call (they are written at once, synchronously).
   */
  flushAsync(): Promise<boolean> {
    if (!this.writePending()) return Promise.resolve(false);
    if (!this.unsynced) return Promise.resolve(!this.broken);
    this.unsynced = false;
    // While a sync runs on the pool, compaction (which replaces the file
    // descriptor) waits: see remove().
    this.asyncFlushes++;
    return new Promise((resolve) => {
      fdatasync(this.fd, (err) => {
        this.asyncFlushes--;
        if (err) this.broken = true;
        resolve(!err);
        if (this.compactDue && this.asyncFlushes === 0) this.compact();
      });
    });
  }

  /** Writes the buffered frames in one go; on failure rolls the file back and refuses writes until replay. */
  private writePending(): boolean {
    if (this.pending.length === 0) return !this.broken;
    if (this.broken || this.fd < 0) return false;
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const at = this.fileSize - this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      writeAll(this.fd, bytes);
      return true;
    } catch {
      try {
        ftruncateSync(this.fd, at);
      } catch {
        // nothing more to do: broken below
      }
      // The live map holds offsets of frames that are not in the file.
      this.broken = true;
      return false;
    }
  }

  remove(id: number): boolean {
    if (!this.ensureOpen()) return false;
    const frame = this.live.get(id);
    if (!frame) return true; // not live: nothing to remove
    if (!this.write(encodeTombstoneFrame(id), this.syncRemoves)) return false;
    this.live.delete(id);
    this.liveBytes -= frame.size;
    if (id > this.maxId) this.maxId = id;
    const dead = this.fileSize - this.liveBytes;
    if (dead >= this.minDead && dead > this.fileSize * this.deadFraction) {
      if (this.asyncFlushes > 0) this.compactDue = true;
      else this.compact();
    }
    return true;
  }

  /**
   * Rewrites the file with only the live frames (and a tombstone keeping the
   * highest id); atomic by rename. On failure the old file stays and the
   * failure is counted.
   */
  compact(): void {
    this.compactDue = false;
    if (!this.ensureOpen() || !this.writePending()) return;
    let tmpFd = -1;
    try {
      const src = readFileSync(this.file);
      const ids = [...this.live.keys()].sort((a, b) => a - b);
      const keepMax = this.maxId > 0 && !this.live.has(this.maxId);
      const tomb = keepMax ? encodeTombstoneFrame(this.maxId) : null;
      const out = new Uint8Array(this.liveBytes + (tomb ? tomb.length : 0));
      const check = new DecodedFrame();
      const moved: [number, LiveFrame][] = [];
      let p = 0;
      for (const id of ids) {
        const f = this.live.get(id)!;
        const status = decodeFrame(src, f.offset, f.offset + f.size, check);
        if (status !== FrameStatus.OK || check.id !== id || check.size !== f.size) {
          throw new Error(`journal frame of id ${id} at ${f.offset} no longer reads back (${status})`);
        }
        out.set(src.subarray(f.offset, f.offset + f.size), p);
        moved.push([id, { offset: p, size: f.size }]);
        p += f.size;
      }
      if (tomb) out.set(tomb, p);
      tmpFd = openSync(this.tmpFile, "w");
      writeAll(tmpFd, out);
      fsyncSync(tmpFd);
      closeSync(tmpFd);
      tmpFd = -1;
      renameSync(this.tmpFile, this.file);
      fsyncDir(this.file);
      closeSync(this.fd);
      this.fd = openSync(this.file, "a+");
      for (const [id, f] of moved) this.live.set(id, f);
      this.fileSize = out.length;
      this.compactions++;
    } catch {
      this.compactionFailures++;
      if (tmpFd >= 0) {
        try {
          closeSync(tmpFd);
        } catch {
          // ignore
        }
      }
      rmSync(this.tmpFile, { force: true });
    }
  }

  close(): void {
    if (this.fd >= 0) this.writePending();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  // ------------------------------------------------------------ internals

  /** Opens (replays) the file if needed; false when it cannot be opened or a rollback failed. */
  private ensureOpen(): boolean {
    if (this.fd < 0) {
      try {
        this.replay();
      } catch {
        return false;
      }
    }
    return !this.broken;
  }

  /** Appends a frame (synced if asked; buffered under group commit); on failure rolls the file back. */
  private write(frame: Uint8Array, sync: boolean): boolean {
    if (!this.syncAppends) {
      this.pending.push(frame);
      this.pendingBytes += frame.length;
      this.fileSize += frame.length;
      this.unsynced = true;
      return true;
    }
    const at = this.fileSize;
    try {
      writeAll(this.fd, frame);
      if (sync) fdatasyncSync(this.fd);
      this.fileSize = at + frame.length;
      return true;
    } catch {
      try {
        ftruncateSync(this.fd, at);
      } catch {
        this.broken = true;
      }
      return false;
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Makes a rename, creation or deletion in the file's directory durable. */
export function fsyncDir(file: string): void {
  let fd = -1;
  try {
    fd = openSync(path.dirname(file), "r");
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
