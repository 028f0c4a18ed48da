/**
 * The pipeline's accepting path allocates no heap slots on XS (bench:core's `allocation` line,
 * kept by a test): validation, the ring, the windows and the detectors over 1 000 swipes of
 * the bench's traffic, between two full collections, grow the slot count by less than one per
 * ten swipes (the rare alert's strings). A regular expression that matches builds a result (6
 * slots), a string's `.length` wraps it (2): either on the path of every swipe fails this.
 */
import "@endo/init";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleForXs, startXsWorker } from "../../src/host/xs-engine";

const here = path.dirname(fileURLToPath(import.meta.url));

describe("the pipeline on XS", () => {
  it("allocates no slots per accepted swipe", async () => {
    const code = await bundleForXs(path.join(here, "..", "..", "src", "sim", "bench-entries", "core-bench-entry.ts"), { globalName: "bench" });
    const w = await startXsWorker("paycard-pipeline-allocation");
    try {
      await w.evaluate(code);
      await w.evaluate("bench.setupPipeline(7)");
      await w.evaluate("bench.runPipeline(5000)");
      const before = await w.evaluate("gc()");
      // Few enough swipes that no collection runs in between: the slot count rises by what they allocate.
      const after = await w.evaluate("bench.runPipeline(1000)");
      expect((after.currentHeapCount - before.currentHeapCount) / 1000).toBeLessThan(0.1);
    } finally {
      await w.close();
    }
  }, 60_000);
});
