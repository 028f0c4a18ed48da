import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import type { SegmentStorePort } from "../core/outbox/segment-store-port";
import { fsyncDir } from "./file-journal";

/**
 * The segmented journal's storage on the host: one file per segment,
 * `<dir>/<prefix>.<number>`, written with node:fs and fdatasync. A store for
 * SegmentedJournal (src/core/outbox/segmented-journal.ts), which is also the
 * store-and-forward backlog.
 *
 * Durability: `append` writes every part and calls fdatasync before it
 * returns, and fsyncs the directory when it created the file; `truncate` and
 * `remove` are synced too. Sync node:fs calls throughout: an append must be
 * durable before the outbox answers.
 */
export class FileSegmentStore implements SegmentStorePort {
  readonly dir: string;
  readonly prefix: string;
  private readonly pattern: RegExp;

  constructor(dir: string, prefix = "segment") {
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(prefix)) throw new RangeError(`segment file prefix must be 1-40 of [A-Za-z0-9_.-], got ${JSON.stringify(prefix)}`);
    this.dir = dir;
    this.prefix = prefix;
    this.pattern = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d{6,})$`);
    mkdirSync(dir, { recursive: true });
  }

  /** The file of segment `n`. */
  file(n: number): string {
    return path.join(this.dir, `${this.prefix}.${String(n).padStart(6, "0")}`);
  }

  list(): number[] {
    const out: number[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = this.pattern.exec(name);
      if (m !== null) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  size(n: number): number {
    try {
      return statSync(this.file(n)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw e;
    }
  }

  read(n: number, offset: number, length: number): Uint8Array {
    const fd = openSync(this.file(n), "r");
    try {
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const k = readSync(fd, out, got, length - got, offset + got);
        if (k === 0) break;
        got += k;
      }
      return got === length ? out : out.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  append(n: number, parts: readonly Uint8Array[]): void {
    const file = this.file(n);
    let created = false;
    let fd: number;
    try {
      fd = openSync(file, "wx");
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      fd = openSync(file, "a");
    }
    try {
      for (const p of parts) {
        let done = 0;
        while (done < p.length) done += writeSync(fd, p, done, p.length - done);
      }
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (created) fsyncDir(file);
  }

  truncate(n: number, length: number): void {
    const fd = openSync(this.file(n), "r+");
    try {
      ftruncateSync(fd, length);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  remove(n: number): void {
    rmSync(this.file(n), { force: true });
    fsyncDir(this.file(n));
  }
}
