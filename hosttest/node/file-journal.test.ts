/**
 * Node-only tests of the host journal (src/host/file-journal.ts): round
 * trip, torn tails at every byte, corruption, compaction, and a child
 * process killed with SIGKILL mid-write, several times on the same file.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createEnqueueReceipt, EnqueueResult } from "../../src/core/outbox/enqueue-result";
import { encodeRecordFrame, FrameStatus, TOMBSTONE_FRAME_BYTES } from "../../src/core/outbox/journal-record-codec";
import { Outbox } from "../../src/core/outbox/outbox";
import { MessageClass } from "../../src/core/outbox/message-class";
import { FileJournal } from "../../src/host/file-journal";
import { isIntact, recordFor } from "../support/node/journal-records";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "paycard-journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const newFile = () => path.join(dir, `journal-${++fileNo}.bin`);

function ids(records: { id: number }[]): number[] {
  return records.map((r) => r.id);
}

/** A journal file with records 1..n appended; returns the offset where each frame starts, and the end. */
function build(n: number): { file: string; starts: number[]; end: number } {
  const file = newFile();
  const j = new FileJournal(file);
  j.replay();
  const starts: number[] = [];
  for (let id = 1; id <= n; id++) {
    starts.push(j.bytes);
    expect(j.append(recordFor(id))).toBe(true);
  }
  const end = j.bytes;
  j.close();
  return { file, starts, end };
}

describe("FileJournal", () => {
  it("round-trips records and removals across instances", () => {
    const file = newFile();
    const j = new FileJournal(file);
    expect(j.replay()).toEqual([]);
    expect(j.highestId()).toBe(0);
    for (let id = 1; id <= 20; id++) expect(j.append(recordFor(id))).toBe(true);
    for (const id of [2, 5, 20, 11]) expect(j.remove(id)).toBe(true);
    expect(j.remove(999)).toBe(true); // not live: nothing to do
    j.close();
    const again = new FileJournal(file);
    const live = again.replay();
    expect(ids(live)).toEqual([1, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(live.every(isIntact)).toBe(true);
    expect(again.highestId()).toBe(20);
    expect(again.lastReplay).toEqual({ fileBytes: statSync(file).size, records: 20, tombstones: 4, live: 16, discardedBytes: 0, stoppedAt: null });
    again.close();
  });

  it("appends lazily opened, and refuses (false, no throw) when it cannot open", () => {
    const j = new FileJournal(newFile());
    expect(j.append(recordFor(1))).toBe(true);
    expect(ids(j.replay())).toEqual([1]);
    j.close();
    const nowhere = new FileJournal(path.join(dir, "no-such-dir", "journal.bin"));
    expect(nowhere.append(recordFor(1))).toBe(false);
    expect(nowhere.remove(1)).toBe(false);
  });

  it("discards a torn last record cut at any byte, and keeps appending after it", () => {
    const { file, starts, end } = build(4);
    const whole = readFileSync(file);
    const last = starts[3]!;
    for (let cut = last; cut < end; cut++) {
      writeFileSync(file, whole.subarray(0, cut));
      const j = new FileJournal(file);
      expect(ids(j.replay())).toEqual([1, 2, 3]);
      expect(j.lastReplay!.discardedBytes).toBe(cut - last);
      expect(j.lastReplay!.stoppedAt === null).toBe(cut === last);
      if (cut > last) expect(j.lastReplay!.stoppedAt!.status).toBe(FrameStatus.TRUNCATED);
      expect(statSync(file).size).toBe(last);
      expect(j.append(recordFor(5))).toBe(true);
      j.close();
      expect(ids(new FileJournal(file).replay())).toEqual([1, 2, 3, 5]);
    }
  });

  it("discards a torn tombstone: the record comes back (at-least-once)", () => {
    const { file, end } = build(2);
    const j = new FileJournal(file);
    j.replay();
    j.remove(2);
    j.close();
    const whole = readFileSync(file);
    expect(whole.length).toBe(end + TOMBSTONE_FRAME_BYTES);
    for (let cut = end; cut < whole.length; cut++) {
      writeFileSync(file, whole.subarray(0, cut));
      const again = new FileJournal(file);
      expect(ids(again.replay())).toEqual([1, 2]);
      again.close();
    }
  });

  it("stops at a corrupted byte anywhere in a record and truncates there", () => {
    const { file, starts } = build(3);
    const whole = readFileSync(file);
    const from = starts[1]!;
    const to = starts[2]!;
    for (let at = from; at < to; at++) {
      const bad = Buffer.from(whole);
      bad[at] = bad[at]! ^ 0x5a;
      writeFileSync(file, bad);
      const j = new FileJournal(file);
      const live = j.replay();
      expect(ids(live)).toEqual([1]);
      expect(live.every(isIntact)).toBe(true);
      expect(j.lastReplay!.stoppedAt!.offset).toBe(from);
      expect(j.lastReplay!.stoppedAt!.status).not.toBe(FrameStatus.OK);
      expect(j.lastReplay!.discardedBytes).toBe(whole.length - from);
      expect(statSync(file).size).toBe(from);
      j.close();
    }
  });

  it("compacts to exactly the live records, keeping the highest id", () => {
    const file = newFile();
    const j = new FileJournal(file, { compactMinDeadBytes: 512 });
    j.replay();
    const live = new Set<number>();
    for (let id = 1; id <= 300; id++) {
      expect(j.append(recordFor(id))).toBe(true);
      live.add(id);
      if (id % 4 !== 0) {
        expect(j.remove(id)).toBe(true);
        live.delete(id);
      }
    }
    expect(j.remove(300)).toBe(true);
    live.delete(300);
    expect(j.compactions).toBeGreaterThan(0);
    j.compact();
    expect(j.deadBytes).toBe(TOMBSTONE_FRAME_BYTES); // the tombstone keeping id 300
    let liveBytes = 0;
    for (const id of live) liveBytes += encodeRecordFrame(recordFor(id)).length;
    expect(statSync(file).size).toBe(liveBytes + TOMBSTONE_FRAME_BYTES);
    expect(existsSync(file + ".tmp")).toBe(false);
    // Appends and removals continue on the compacted file.
    expect(j.append(recordFor(301))).toBe(true);
    expect(j.remove(4)).toBe(true);
    live.add(301);
    live.delete(4);
    j.close();
    const again = new FileJournal(file);
    const replayed = again.replay();
    expect(ids(replayed)).toEqual([...live].sort((a, b) => a - b));
    expect(replayed.every(isIntact)).toBe(true);
    expect(again.highestId()).toBe(301);
    again.close();
  });

  it("ignores and deletes a compaction file left by a crash before its rename", () => {
    const { file } = build(3);
    writeFileSync(file + ".tmp", "half-written compaction");
    const j = new FileJournal(file);
    expect(ids(j.replay())).toEqual([1, 2, 3]);
    expect(existsSync(file + ".tmp")).toBe(false);
    j.close();
  });

  it("backs an Outbox across a restart", () => {
    const file = newFile();
    const cfg = { maxMessages: 8, maxBytes: 4096, reservedForAlerts: { messages: 2, bytes: 512 }, telemetryPolicy: "drop-oldest" as const };
    const j1 = new FileJournal(file);
    const ob = new Outbox(cfg, j1);
    ob.restore();
    const payload = new Uint8Array([1, 2, 3]);
    const rc = createEnqueueReceipt();
    expect(ob.enqueue(MessageClass.TRANSACTION, "paycard/t/tx", payload, "t-1-1", 10, rc)).toBe(EnqueueResult.ACCEPTED);
    const tx1 = rc.id;
    expect(ob.enqueue(MessageClass.ALERT, "paycard/t/alerts", payload, "t-1-2", 11, rc)).toBe(EnqueueResult.ACCEPTED);
    const al = rc.id;
    expect(ob.enqueue(MessageClass.TELEMETRY, "paycard/t/stats", payload, "t-1-3", 12)).toBe(EnqueueResult.ACCEPTED);
    expect(ob.enqueue(MessageClass.TRANSACTION, "paycard/t/tx", payload, "t-1-4", 13, rc)).toBe(EnqueueResult.ACCEPTED);
    const tx2 = rc.id;
    expect(ob.next()!.id).toBe(al);
    expect(ob.acknowledge(al)?.id).toBe(al);
    j1.close();
    const ob2 = new Outbox(cfg, new FileJournal(file));
    expect(ob2.restore().records).toBe(2);
    expect(ob2.queuedIds(MessageClass.TRANSACTION)).toEqual([tx1, tx2]);
    expect(ob2.next()!.requestId).toBe("t-1-1");
  });
});

// ------------------------------------------------------------ kill -9

interface RunLog {
  lines: string[];
}

function runChildAndKill(file: string, seed: number, delayMs: number): Promise<RunLog> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "..", "support", "node", "journal-writer.ts"), file, String(seed)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let timer: ReturnType<typeof setTimeout> | null = null;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      out += d;
      if (timer === null && out.includes("READY")) timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
    });
    child.stderr.on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer !== null) clearTimeout(timer);
      if (signal !== "SIGKILL" && code !== 0) reject(new Error(`journal writer exited ${code}: ${err}`));
      // Only complete lines: a kill can cut the last one.
      const lines = out.split("\n");
      lines.pop();
      resolve({ lines });
    });
  });
}

describe("FileJournal group commit (syncAppends: false)", () => {
  it("buffers appends and removals until flush, then writes them in one go", () => {
    const file = newFile();
    const j = new FileJournal(file, { syncAppends: false });
    j.replay();
    for (let id = 1; id <= 5; id++) expect(j.append(recordFor(id))).toBe(true);
    expect(j.remove(2)).toBe(true);
    // Nothing on disk yet: a crash now loses these appends, whose answers were not given.
    expect(statSync(file).size).toBe(0);
    expect(new FileJournal(file).replay()).toHaveLength(0);
    expect(j.flush()).toBe(true);
    expect(statSync(file).size).toBe(j.bytes);
    expect(ids(new FileJournal(file).replay())).toEqual([1, 3, 4, 5]);
    j.close();
  });

  it("flushAsync covers every append made before it", async () => {
    const file = newFile();
    const j = new FileJournal(file, { syncAppends: false });
    j.replay();
    j.append(recordFor(1));
    const first = j.flushAsync();
    j.append(recordFor(2));
    expect(await first).toBe(true);
    expect(ids(new FileJournal(file).replay())).toEqual([1]);
    expect(await j.flushAsync()).toBe(true);
    expect(ids(new FileJournal(file).replay())).toEqual([1, 2]);
    // close() writes what is still buffered.
    j.append(recordFor(3));
    j.close();
    expect(ids(new FileJournal(file).replay())).toEqual([1, 2, 3]);
  });
});

describe("FileJournal group commit and compaction", () => {
  it("defers a compaction while an asynchronous flush runs on the descriptor, then compacts", async () => {
    const file = newFile();
    const j = new FileJournal(file, { syncAppends: false, compactMinDeadBytes: 1, compactDeadFraction: 0.1 });
    j.replay();
    for (let round = 0; round < 20; round++) {
      const base = round * 10;
      for (let id = base + 1; id <= base + 10; id++) j.append(recordFor(id));
      const flushed = j.flushAsync();
      const before = j.compactions;
      // Enough removals to call for a compaction, which would replace the descriptor being synced.
      for (let id = base + 1; id <= base + 9; id++) expect(j.remove(id)).toBe(true);
      expect(j.compactions).toBe(before);
      expect(await flushed).toBe(true);
      expect(j.compactions).toBe(before + 1);
      expect(j.flush()).toBe(true);
    }
    expect(ids(new FileJournal(file).replay())).toEqual(Array.from({ length: 20 }, (_, r) => r * 10 + 10));
    j.close();
  });
});

describe("FileJournal under kill -9", () => {
  it("replays every appended, unremoved record intact after repeated SIGKILLs", async () => {
    const file = newFile();
    const attempted = new Set<number>(); // "a": append called (may or may not be in the file)
    const appended = new Set<number>(); // "A": append returned true
    const removing = new Set<number>(); // "r": remove called
    const removed = new Set<number>(); // "R": remove returned true
    let compactions = 0;
    let killedMidRun = 0;
    for (let run = 0; run < 6; run++) {
      const delay = 30 + Math.floor(Math.random() * 250);
      const { lines } = await runChildAndKill(file, run * 7919 + 1, delay);
      expect(lines[0]).toContain("READY");
      if (lines[lines.length - 1] !== "DONE") killedMidRun++;
      for (const line of lines) {
        const [tag, arg] = line.split(" ");
        const id = Number(arg);
        if (tag === "a") attempted.add(id);
        else if (tag === "A") appended.add(id);
        else if (tag === "r") removing.add(id);
        else if (tag === "R") removed.add(id);
        else if (tag === "C") compactions++;
        else expect(tag === "READY" || tag === "DONE", `unexpected child line: ${line}`).toBe(true);
      }
    }
    const j = new FileJournal(file);
    const live = j.replay();
    j.close();
    const got = ids(live);
    // In id order, unique, intact.
    for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!);
    for (const r of live) expect(isIntact(r)).toBe(true);
    const present = new Set(got);
    // No accepted record lost.
    for (const id of appended) if (!removing.has(id)) expect(present.has(id), `appended id ${id} lost`).toBe(true);
    // A completed removal survives a process kill (the page cache keeps it).
    for (const id of removed) expect(present.has(id), `removed id ${id} resurrected`).toBe(false);
    // Nothing that was never appended.
    for (const id of got) expect(attempted.has(id), `id ${id} never appended`).toBe(true);
    expect(appended.size).toBeGreaterThan(0);
    console.log(
      `kill -9: ${killedMidRun}/6 runs killed mid-loop, ${appended.size} appended, ${removed.size} removed, ${compactions} compactions, ${got.length} live`,
    );
  });
});
