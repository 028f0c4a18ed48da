import { describe, expect, it } from "vitest";
import { defaultPipelineConfig, resolvePipelineConfig } from "../../src/core/pipeline/pipeline-config";
import { resolveTerminalConfig } from "../../src/core/app/terminal-config";

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
});
