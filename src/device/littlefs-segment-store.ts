import { File, Iterator } from "file";
import type { SegmentStorePort } from "../core/outbox/segment-store-port";
import { exactBuffer } from "./exact-buffer";

const COPY_PIECE = 512;

/**
 * The segmented journal's storage on the device (SegmentStorePort): one file
 * per segment, `<root><prefix>.<number>`, through the Moddable `file` module:
 * littlefs in the `storage` partition on the ESP32 (partitions.csv), stdio
 * under /tmp on lin.
 *
 * What the `file` module gives (modules/files/file/littlefs/modLittlefs.c,
 * lin/modFile.c): `new File(path, true)` opens read-write and creates the
 * file (no append mode: every write seeks to the end first); `read`,
 * `write`, `length`, `position`, `close`; static `exists`, `delete`,
 * `rename` (atomic: lfs_rename, POSIX rename); `Iterator` over a directory.
 * No truncate and no fsync: on littlefs a file's changes become durable at
 * `close()` (lfs_file_sync), and a power cut before it leaves the file as it
 * was at the previous close. So:
 * - append opens, writes every part at the end and closes: one commit;
 * - truncate copies the first bytes to `<prefix>.tmp` in small pieces and
 *   renames it over the segment (atomic); to zero bytes it deletes the file;
 * - a `.tmp` left by a power cut is deleted by `list()` at start.
 * Reads go through 16-byte littlefs caches (manifest_littlefs.json): the
 * journal reads a frame's 15-byte prefix, then the frame, from one file
 * kept open for reading until the next write.
 */
export class LittlefsSegmentStore implements SegmentStorePort {
  readonly root: string;
  readonly prefix: string;
  private readonly tmp: string;
  /**
   * The segment last read, kept open: replay and the backlog read frame after
   * frame of one segment, and opening a littlefs file walks its metadata.
   * Closed before any write, truncate or delete touches the file system.
   */
  private reader: File | null = null;
  private readerNo = -1;

  /** `root` ends with "/" (mc/config file.root). */
  constructor(root: string, prefix: string) {
    this.root = root;
    this.prefix = prefix;
    this.tmp = root + prefix + ".tmp";
  }

  file(n: number): string {
    let s = String(n);
    while (s.length < 6) s = "0" + s;
    return this.root + this.prefix + "." + s;
  }

  list(): number[] {
    if (File.exists(this.tmp)) File.delete(this.tmp); // a truncate cut short
    const out: number[] = [];
    const head = this.prefix + ".";
    const it = new Iterator(this.root);
    for (let e = it.next(); e !== undefined; e = it.next()) {
      const name = e.name;
      if (e.length === undefined || !name.startsWith(head)) continue;
      const digits = name.slice(head.length);
      if (/^\d{6,}$/.test(digits)) out.push(Number(digits));
    }
    return out.sort((a, b) => a - b);
  }

  size(n: number): number {
    this.closeReader();
    const path = this.file(n);
    if (!File.exists(path)) return 0;
    const f = new File(path);
    try {
      return f.length;
    } finally {
      f.close();
    }
  }

  read(n: number, offset: number, length: number): Uint8Array {
    if (this.readerNo !== n || this.reader === null) {
      this.closeReader();
      this.reader = new File(this.file(n));
      this.readerNo = n;
    }
    const f = this.reader;
    try {
      const take = Math.max(0, Math.min(length, f.length - offset));
      if (take === 0) return new Uint8Array(0);
      f.position = offset;
      return new Uint8Array(f.read(ArrayBuffer, take));
    } catch (e) {
      this.closeReader();
      throw e;
    }
  }

  append(n: number, parts: readonly Uint8Array[]): void {
    this.closeReader();
    const f = new File(this.file(n), true);
    try {
      f.position = f.length;
      for (let i = 0; i < parts.length; i++) f.write(exactBuffer(parts[i]!));
    } finally {
      f.close(); // the littlefs commit
    }
  }

  truncate(n: number, length: number): void {
    this.closeReader();
    const path = this.file(n);
    if (length === 0) {
      if (File.exists(path)) File.delete(path);
      return;
    }
    const src = new File(path);
    const dst = new File(this.tmp, true);
    try {
      for (let at = 0; at < length; at += COPY_PIECE) {
        src.position = at;
        dst.write(src.read(ArrayBuffer, Math.min(COPY_PIECE, length - at)));
      }
    } finally {
      src.close();
      dst.close();
    }
    if (!File.rename(this.tmp, path)) throw new Error(`rename ${this.tmp} -> ${path} failed`);
  }

  private closeReader(): void {
    const f = this.reader;
    this.reader = null;
    this.readerNo = -1;
    if (f !== null) {
      try {
        f.close();
      } catch {
        // already closed
      }
    }
  }

  remove(n: number): void {
    this.closeReader();
    const path = this.file(n);
    if (File.exists(path) && !File.delete(path)) throw new Error(`delete ${path} failed`);
  }
}
