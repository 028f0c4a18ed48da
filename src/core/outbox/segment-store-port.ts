/**
 * Where the segmented journal (segmented-journal.ts) keeps its bytes: numbered
 * append-only segments, one file each. The host implementation writes files
 * with fdatasync (src/host/file-segment-store.ts), the device one littlefs
 * files (src/device/littlefs-segment-store.ts); tests and the xsnap runs use
 * src/sim/memory-segment-store.ts.
 *
 * Every method may throw (an I/O error); the journal catches, counts and
 * recovers. Contract:
 * - `append` returns once the bytes are durable (the littlefs commit, an
 *   fdatasync). If it throws, the segment may end in a prefix of the bytes:
 *   the journal cuts it off with `truncate` before it writes again.
 * - `remove` and `truncate` are atomic: after a crash the segment is either
 *   as before or as asked.
 */
export interface SegmentStorePort {
  /** Numbers of the segments that exist, ascending (once, at start). */
  list(): number[];
  /** Bytes in segment `n`; 0 when it does not exist. */
  size(n: number): number;
  /** `length` bytes of segment `n` from `offset` (fewer at its end), in a new array. */
  read(n: number, offset: number, length: number): Uint8Array;
  /** Writes `parts` one after the other at the end of segment `n` (created if absent) and makes them durable. */
  append(n: number, parts: readonly Uint8Array[]): void;
  /** Cuts segment `n` to its first `length` bytes. */
  truncate(n: number, length: number): void;
  /** Deletes segment `n` (nothing if it does not exist). */
  remove(n: number): void;
}
