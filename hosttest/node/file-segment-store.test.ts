// The host's segment files (src/host/file-segment-store.ts) under the
// segmented journal: names, reads at offsets, a torn tail left on disk by a
// killed process cut off at the next start, and foreign files ignored.
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BacklogAppend } from "../../src/core/outbox/backlog-journal-port";
import { MessageClass } from "../../src/core/outbox/message-class";
import { SegmentedJournal } from "../../src/core/outbox/segmented-journal";
import { FileSegmentStore } from "../../src/host/file-segment-store";

const OPTIONS = { maxBytes: 64 * 1024, segmentBytes: 4096, maxFrameBytes: 512, ramRecords: 8 };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tx(id: number) {
  return { id, cls: MessageClass.TRANSACTION, topic: "paycard/t/tx", payload: new TextEncoder().encode(`{"n":${id},"pad":"${"x".repeat(200)}"}`), requestId: `r-${id}`, enqueuedAt: 1_700_000_000_000 };
}

describe("FileSegmentStore", () => {
  it("keeps one file per segment, numbered, and reads back what was appended", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-segs-"));
    dirs.push(dir);
    const store = new FileSegmentStore(path.join(dir, "j"), "paycard.jnl");
    writeFileSync(path.join(store.dir, "notes.txt"), "not a segment");
    expect(store.list()).toEqual([]);
    store.append(3, [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])]);
    store.append(3, [new Uint8Array([6])]);
    store.append(12, [new Uint8Array([9])]);
    expect(readdirSync(store.dir).sort()).toEqual(["notes.txt", "paycard.jnl.000003", "paycard.jnl.000012"]);
    expect(store.list()).toEqual([3, 12]);
    expect(store.size(3)).toBe(6);
    expect(store.size(4)).toBe(0);
    expect(Array.from(store.read(3, 2, 3))).toEqual([3, 4, 5]);
    expect(Array.from(store.read(3, 4, 10))).toEqual([5, 6]); // fewer at the end
    store.truncate(3, 2);
    expect(store.size(3)).toBe(2);
    store.remove(12);
    store.remove(12);
    expect(store.list()).toEqual([3]);
    expect(() => new FileSegmentStore(dir, "a/b")).toThrow(/prefix/);
  });

  it("a torn tail on disk (a process killed mid-write) is cut off at the next start; everything before it comes back", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "paycard-segs-"));
    dirs.push(dir);
    const store = new FileSegmentStore(dir);
    const a = new SegmentedJournal(store, OPTIONS);
    a.replay();
    for (let id = 1; id <= 40; id++) expect(a.appendToBacklog(tx(id))).toBe(BacklogAppend.STORED);
    const last = store.list().at(-1)!;
    const file = store.file(last);
    const whole = statSync(file).size;
    appendFileSync(file, Buffer.from([0xb1, 1, 200, 0, 0, 0, 7, 7, 7])); // a frame's first bytes
    const b = new SegmentedJournal(new FileSegmentStore(dir), OPTIONS);
    expect(b.replay()).toEqual([]);
    expect(b.counters.discardedBytes).toBe(9);
    expect(statSync(file).size).toBe(whole);
    const ids: number[] = [];
    for (let r = b.takeBacklog(); r !== null; r = b.takeBacklog()) ids.push(r.id);
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(b.takeBacklog()).toBe(null);
  });
});
