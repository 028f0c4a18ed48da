import type { SegmentStorePort } from "../core/outbox/segment-store-port";

/**
 * A SegmentStorePort in memory, for tests and the xsnap runs. It can fail
 * on purpose: `tearNextAppend(n)` makes the next append write only its first
 * n bytes and throw (a power cut in the middle of a write), `failNext`
 * makes the next call of any kind throw without writing, `removesLeft`
 * cuts the power after that many deletions. What was written is what a
 * restart finds.
 */
export class MemorySegmentStore implements SegmentStorePort {
  private readonly files = new Map<number, Uint8Array>();
  private tearAt = -1;
  failNext = false;
  /** Removes still allowed before one throws (a power cut between two deletions); -1: no limit. */
  removesLeft = -1;
  appends = 0;
  bytesWritten = 0;
  removes = 0;

  list(): number[] {
    this.check();
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  size(n: number): number {
    this.check();
    return this.files.get(n)?.length ?? 0;
  }

  read(n: number, offset: number, length: number): Uint8Array {
    this.check();
    const f = this.files.get(n);
    if (f === undefined) throw new Error(`segment ${n} does not exist`);
    return f.slice(offset, Math.min(f.length, offset + length));
  }

  append(n: number, parts: readonly Uint8Array[]): void {
    this.check();
    let add = 0;
    for (const p of parts) add += p.length;
    const old = this.files.get(n) ?? new Uint8Array(0);
    const keep = this.tearAt >= 0 ? Math.min(add, this.tearAt) : add;
    const next = new Uint8Array(old.length + keep);
    next.set(old);
    let at = old.length;
    for (const p of parts) {
      const room = old.length + keep - at;
      if (room <= 0) break; // torn here (an empty part is no reason to stop)
      const take = Math.min(p.length, room);
      next.set(p.subarray(0, take), at);
      at += take;
    }
    this.files.set(n, next);
    this.appends++;
    this.bytesWritten += keep;
    if (this.tearAt >= 0) {
      this.tearAt = -1;
      throw new Error(`power cut after ${keep} of ${add} bytes`);
    }
  }

  truncate(n: number, length: number): void {
    this.check();
    const f = this.files.get(n);
    if (f !== undefined && f.length > length) this.files.set(n, f.slice(0, length));
  }

  remove(n: number): void {
    this.check();
    if (this.removesLeft === 0) throw new Error("power cut before a deletion");
    if (this.removesLeft > 0) this.removesLeft--;
    if (this.files.delete(n)) this.removes++;
  }

  /** The next append writes its first `bytes` bytes, then throws. */
  tearNextAppend(bytes: number): void {
    this.tearAt = bytes;
  }

  /** Bytes of every segment. */
  get totalBytes(): number {
    let t = 0;
    for (const f of this.files.values()) t += f.length;
    return t;
  }

  /** Overwrites one byte (storage corruption). */
  corrupt(n: number, offset: number): void {
    const f = this.files.get(n);
    if (f === undefined || offset >= f.length) throw new Error(`no byte ${offset} in segment ${n}`);
    f[offset] = f[offset]! ^ 0xff;
  }

  private check(): void {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("storage error");
    }
  }
}
