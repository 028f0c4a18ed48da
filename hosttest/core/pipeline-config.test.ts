import { describe, expect, it } from "vitest";
import { ConfigError, defaultPipelineConfig, mergeSettings, resolvePipelineConfig } from "../../src/core/pipeline/pipeline-config";
import { resolveTerminalConfig } from "../../src/core/app/terminal-config";
import { thrown } from "../support/thrown";

describe("pipeline config", () => {
  it("defaults follow the reference pipeline: 2 min / 15 s burst windows, 30 s watermark delay, 2 min lateness", () => {
    const c = defaultPipelineConfig();
    const burst = c.windows.find((w) => w.name === c.burst.window);
    expect(burst?.size).toBe(120_000);
    expect(burst?.slide).toBe(15_000);
    expect(burst?.allowedLateness).toBe(120_000);
    expect(c.watermarkDelayMs).toBe(30_000);
    expect(c.burst.maxCount).toBe(10);
    expect(c.clockDrift.maxDriftMs).toBe(60_000);
  });

  it("overrides nested settings and replaces the window list", () => {
    const c = resolvePipelineConfig({
      watermarkDelayMs: 5_000,
      burst: { maxCount: 20 },
      windows: [{ name: "burst", size: 60_000, slide: 10_000 }],
    });
    expect(c.watermarkDelayMs).toBe(5_000);
    expect(c.burst.maxCount).toBe(20);
    expect(c.burst.smallBurstCount).toBe(5);
    expect(c.windows).toHaveLength(1);
    expect(c.windows[0].keyField).toBe("card_hash");
    expect(c.windows[0].size).toBe(60_000);
  });

  it("names the offending setting when a config is wrong", () => {
    expect(() => resolvePipelineConfig({ watermarkDelay: 5 })).toThrow("unknown setting watermarkDelay");
    expect(() => resolvePipelineConfig({ burst: { maxCount: "ten" } })).toThrow("burst.maxCount must be a number");
    expect(() => resolvePipelineConfig({ windows: [{ name: "x", slide: 200_000, size: 100_000 }] })).toThrow("slide 200000 is larger than size");
    expect(() => resolvePipelineConfig({ windows: [{ name: "burst", keyField: "merchant_id" }] })).toThrow("must be keyed by card_hash");
    expect(() => resolvePipelineConfig({ ringCapacity: 0 })).toThrow("ringCapacity must be a positive integer");
    expect(() => resolvePipelineConfig({ validation: { maxAmountCents: 1e12 } })).toThrow("32 bits");
    expect(() => resolvePipelineConfig([])).toThrow("config must be a JSON object");
  });

  it("reads keyedState.<key>.maxPanes, the first name of maxSlices, and says so", () => {
    const notices: string[] = [];
    const given = { keyedState: { card_hash: { maxPanes: 99 }, merchant_id: { maxSlices: 7 } } };
    const c = resolvePipelineConfig(given, notices);
    expect(c.keyedState.card_hash.maxSlices).toBe(99);
    expect(c.keyedState.card_hash.maxKeys).toBe(defaultPipelineConfig().keyedState.card_hash.maxKeys);
    expect(c.keyedState.merchant_id.maxSlices).toBe(7);
    expect(notices).toEqual(["keyedState.card_hash.maxPanes is now called maxSlices (read as it)"]);
    expect(given.keyedState.card_hash).toEqual({ maxPanes: 99 }); // the caller's object is left alone
    expect(resolvePipelineConfig({ keyedState: { card_hash: { maxSlices: 5 } } }, notices).keyedState.card_hash.maxSlices).toBe(5);
    expect(notices).toHaveLength(1);
    expect(() => resolvePipelineConfig({ keyedState: { card_hash: { maxPanes: 5, maxSlices: 6 } } })).toThrow("maxPanes and maxSlices are one setting");
    expect(() => resolvePipelineConfig({ keyedState: { card_hash: { maxPanes: 0 } } })).toThrow("keyedState.card_hash.maxSlices must be a positive integer");
    const terminal: string[] = [];
    expect(resolveTerminalConfig({ pipeline: { keyedState: { terminal_id: { maxPanes: 3 } } } }, terminal).pipeline.keyedState.terminal_id.maxSlices).toBe(3);
    expect(terminal).toEqual(["pipeline.keyedState.terminal_id.maxPanes is now called maxSlices (read as it)"]);
  });
  it("refuses each bad setting with its own message, and accepts every limit itself", () => {
    const bad: [unknown, string][] = [
      [{ keyedState: 5 }, "keyedState must be an object"],
      [{ burst: [] }, "burst must be an object"],
      [{ ringCapacity: [1] }, "ringCapacity must be a number, got array"],
      [{ ringCapacity: 2.5 }, "ringCapacity must be a positive integer, got 2.5"],
      [{ watermarkDelayMs: -1 }, "watermarkDelayMs must be a non-negative integer, got -1"],
      [{ watermarkDelayMs: 0.5 }, "watermarkDelayMs must be a non-negative integer, got 0.5"],
      [{ validation: { maxIdLength: 0 } }, "validation.maxIdLength must be a positive integer, got 0"],
      [{ validation: { maxAmountCents: 2_147_483_648 } }, "validation.maxAmountCents must fit in 32 bits (at most 2147483647)"],
      [{ validation: { maxFutureSkewMs: -1 } }, "validation.maxFutureSkewMs must be >= 0"],
      [{ validation: { maxFutureSkewMs: Number.NaN } }, "validation.maxFutureSkewMs must be >= 0"],
      [{ windows: [] }, "windows must be a non-empty array"],
      [{ windows: {} }, "windows must be a non-empty array"],
      [{ windows: [{ size: 1000 }] }, "windows[0].name must be a non-empty string"],
      [{ windows: ["burst"] }, "windows[0].name must be a non-empty string"],
      [{ windows: [{ name: "burst" }, { name: "" }] }, "windows[1].name must be a non-empty string"],
      [{ windows: [{ name: "burst" }, { name: "burst" }] }, "window name burst is used twice"],
      [{ windows: [{ name: "burst", keyField: "pan" }] }, "window burst: keyField must be one of card_hash, merchant_id, terminal_id"],
      [{ keyedState: { card_hash: { maxKeys: 0 } } }, "keyedState.card_hash.maxKeys must be a positive integer, got 0"],
      [{ keyedState: { merchant_id: { keyTtlMs: 0 } } }, "keyedState.merchant_id.keyTtlMs must be positive"],
      [{ smallAmountCents: -1 }, "smallAmountCents must be >= 0"],
      [{ burst: { window: "nope" } }, "burst.window names no window: nope"],
      [{ burst: { maxCount: 0 } }, "burst thresholds must be positive"],
      [{ burst: { smallBurstCount: 0 } }, "burst thresholds must be positive"],
      [{ burst: { smallAverageCents: 0 } }, "burst thresholds must be positive"],
      [{ alertDedupCapacity: 0 }, "alertDedupCapacity must be a positive integer, got 0"],
      [{ transactionDedupCapacity: 0 }, "transactionDedupCapacity must be a positive integer, got 0"],
      [{ clockDrift: { maxDriftMs: 0 } }, "clockDrift.maxDriftMs must be positive"],
      [{ clockDrift: { bucketMs: 0 } }, "clockDrift.bucketMs must be a positive integer, got 0"],
      [{ anomaly: { maxMerchants: 0 } }, "anomaly.maxMerchants must be a positive integer, got 0"],
    ];
    for (const [over, message] of bad) {
      const err = thrown(() => resolvePipelineConfig(over));
      expect(err instanceof ConfigError, JSON.stringify(over)).toBe(true);
      expect((err as Error).message, JSON.stringify(over)).toBe(message);
    }
    // The limits themselves are accepted.
    const edge = resolvePipelineConfig({
      ringCapacity: 1,
      watermarkDelayMs: 0,
      smallAmountCents: 0,
      validation: { maxIdLength: 1, maxAmountCents: 2_147_483_647, maxFutureSkewMs: 0 },
      burst: { maxCount: 1, smallBurstCount: 1, smallAverageCents: 1 },
      alertDedupCapacity: 1,
      transactionDedupCapacity: 1,
      clockDrift: { bucketMs: 1 },
      anomaly: { maxMerchants: 1 },
      keyedState: { card_hash: { maxKeys: 1, maxSlices: 1, keyTtlMs: 1 } },
    });
    expect(edge.ringCapacity).toBe(1);
    expect(edge.validation.maxAmountCents).toBe(2_147_483_647);
    expect(edge.keyedState.card_hash).toEqual({ maxKeys: 1, maxSlices: 1, keyTtlMs: 1 });
    // A window list may name windows of its own (settings from the first default), and burst may be off.
    const own = resolvePipelineConfig({ windows: [{ name: "m", keyField: "merchant_id" }], burst: { enabled: false } });
    expect(own.windows.map((w) => [w.name, w.keyField, w.size])).toEqual([["m", "merchant_id", defaultPipelineConfig().windows[0]!.size]]);
  });

  it("mergeSettings: array settings are their owner's, a bad nested object is named by its path", () => {
    expect(() => mergeSettings({ list: [1] }, { list: [2] }, "")).toThrow("internal: array setting list must be handled by its owner");
    expect(() => mergeSettings({ a: { b: 1 } }, { a: 3 }, "top")).toThrow("top.a must be an object");
    expect(() => mergeSettings({}, 3, "")).toThrow("config must be an object");
    const dst = { a: { b: 1, c: "x" } };
    mergeSettings(dst, { a: { c: "y" } }, "");
    expect(dst).toEqual({ a: { b: 1, c: "y" } });
  });
});
