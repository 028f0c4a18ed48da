/**
 * The XS live-heap reading bench:core's device figures rest on: chunk and slot
 * bytes from the sizes XS's snapshot writer gives its BLOC and HEAP atoms.
 */
import "@endo/init";
import { describe, expect, it } from "vitest";
import { readHeapSections, startXsWorker } from "../../src/host/xs-engine";

function atom(type: string, body: number): number[] {
  const size = 8 + body;
  return [size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255, ...Array.from(type, (c) => c.charCodeAt(0)), ...new Array<number>(body).fill(0)];
}

describe("XS live heap from the snapshot header", () => {
  it("reads BLOC and HEAP sizes, and refuses what is not a snapshot", () => {
    const inner = [...atom("VERS", 4), ...atom("SIGN", 3), ...atom("CREA", 10), ...atom("BLOC", 40), ...atom("HEAP", 64), ...atom("STAC", 8)];
    const whole = new Uint8Array([0, 0, 0, 8 + inner.length, 88, 83, 95, 77, ...inner]);
    expect(readHeapSections(whole)).toEqual({ chunkBytes: 40, slotBytes: 64 });
    expect(() => readHeapSections(new Uint8Array(16))).toThrow("not an XS snapshot");
    expect(() => readHeapSections(whole.subarray(0, 60))).toThrow("ended before its HEAP");
  });

  it("follows what a script keeps alive, and drops it again once unreachable", async () => {
    const w = await startXsWorker("paycard-live-heap");
    try {
      const before = await w.liveHeap();
      await w.evaluate("globalThis.kept = new Uint8Array(100000); globalThis.objs = []; for (let i = 0; i < 1000; i++) objs.push({ i })");
      const kept = await w.liveHeap();
      expect(kept.chunkBytes - before.chunkBytes).toBeGreaterThanOrEqual(100_000);
      expect(kept.chunkBytes - before.chunkBytes).toBeLessThan(150_000);
      expect(kept.slotBytes - before.slotBytes).toBeGreaterThanOrEqual(1000 * 2 * 16);
      await w.evaluate("globalThis.kept = null; globalThis.objs = null");
      const after = await w.liveHeap();
      expect(after.chunkBytes - before.chunkBytes).toBeLessThan(1000);
    } finally {
      await w.close();
    }
  });
});
