/**
 * The device app fits the ESP32's heap with ≥ 20 % headroom: a short bench:device32 run (one
 * round: traffic with card-test bursts, a stalled broker until 2 000 messages are held, the broker
 * unreachable, the drain, a clock step) on the 32-bit XS that src/host/xsnap32.ts builds with
 * gcc -m32. The benchmark runs ≥ 100 000 swipes; the largest state (2 000 held) comes in the first
 * round, so one round catches what grows. Needs Debian's gcc-multilib: skipped with one line
 * without it, a failure under CI=true (.ci/run installs it).
 */
import "@endo/init";
import { describe, expect, it } from "vitest";
import { measureDevice32 } from "../../src/host/bench/device32-bench";
import { canBuild32, GCC_MULTILIB_MISSING } from "../../src/host/xsnap32";

const can = canBuild32();
if (!can && process.env.CI === "true") throw new Error(GCC_MULTILIB_MISSING);
if (!can) console.log(`skipped the 32-bit fit test: ${GCC_MULTILIB_MISSING}`);

describe.skipIf(!can)("the device app on a 32-bit XS with the esp32 creation sizes", () => {
  it("keeps ≥ 20 % of the chunks, slots and stack free, and runs a round with only 80 % of them", async () => {
    const r = await measureDevice32({ rounds: 1, swipesPerRound: 3_000, outageSwipes: 300, headroom: 0.2 });
    const f = r.figures;
    expect(r.failure).toBe("");
    expect(f.device32_fixed_run_completed).toBe(true);
    expect(f.device32_chunk_budget_bytes).toBe(49_152);
    expect(f.device32_slot_budget).toBe(6_144);
    expect(f.device32_stack_budget).toBe(768);
    // Something was measured: the app holds its windows, ring and outbox.
    expect(f.device32_peak_chunk_bytes).toBeGreaterThan(10_000);
    expect(f.device32_peak_slots).toBeGreaterThan(500);
    expect(f.device32_peak_stack).toBeGreaterThan(50);
    expect(f.device32_chunk_headroom_percent).toBeGreaterThanOrEqual(20);
    expect(f.device32_slot_headroom_percent).toBeGreaterThanOrEqual(20);
    expect(f.device32_stack_headroom_percent).toBeGreaterThanOrEqual(20);
    expect(r.fits).toBe(true);
  }, 300_000);

  it("fails, and says why, when the room left is smaller than what the app needs", async () => {
    // 70 % headroom leaves 14.7 KB of chunks and 230 stack slots: less than the app keeps.
    const r = await measureDevice32({ rounds: 1, swipesPerRound: 500, outageSwipes: 0, headroom: 0.7 });
    expect(r.fits).toBe(false);
    expect(r.figures.device32_fixed_run_completed).toBe(false);
    expect(r.failure).toMatch(/not enough memory|stack overflow|internal errors/);
  }, 300_000);
});
