/**
 * `npm run bench:device32 [-- --json]`: does the device app fit the ESP32's fixed heap? Runs it
 * (src/core/settings/device-config.ts sizes, the SegmentedJournal with its segments outside the
 * heap as in bench:core) on a 32-bit XS (src/host/xsnap32.ts: xsnap compiled with gcc -m32, so a
 * slot is 16 bytes and chunks hold 4-byte pointers, as on the ESP32) through ≥ 100 000 swipes in
 * rounds: traffic with card-test bursts and big tickets, a stalled broker until 2 000 messages are
 * held (the outbox full, the rest in the flash backlog), the broker unreachable (the link drops,
 * reconnects fail), back with its session, the drain, a clock step.
 *
 * On the ESP32 the realm and the preloaded modules are in flash; xsnap builds them in its heap.
 * So the app is measured above a baseline: what the worker holds (live, after a full collection)
 * once the bundle is loaded and the sim's traffic generator made, before the app is created.
 *
 * 1. Growing heap: the app's live slots and chunk bytes after a full collection at the end of
 *    every phase above the baseline (the peak it keeps), and the deepest its stack goes (XS's own
 *    measure, taken at each return, less the depth xsnap's evaluate itself reaches).
 * 2. Fixed heap, no growth (the ESP32's rule: incremental 0): the worker gets room to load the
 *    bundle; then, before the app is created, a ballast (ArrayBuffers, linked objects) is pinned so
 *    that exactly 80 % of manifest.json's esp32 budget stays free, and the stack is xsnap's own
 *    depth plus 80 % of the esp32 stack. The app then runs every round in that room, its garbage
 *    included. Completing with no internal error is the proof of ≥ 20 % headroom; an exhausted
 *    heap aborts the worker ("not enough memory"), an exhausted stack counts an internal error.
 *
 * Not in it: the TLS session (the SDK's TLS is native crypto that xsnap lacks; measured on lin,
 * docs/installing.md, "MQTT over TLS on the device"), and the firmware's platform objects (sockets, timers,
 * files), which main.ts reports on the board itself (`status`: heap peaks).
 */
import "@endo/init";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { intOption, parseArgs } from "../cli-args";
import { bundleForXs, xsReport, type XsMeter, type XsWorker } from "../xs-engine";
import { startDeviceAppWorker } from "./device-app-worker";
import { buildXsnap32, canBuild32, GCC_MULTILIB_MISSING } from "../xsnap32";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..", "..");
/** Room the fixed worker gets to load the bundle before the ballast takes the excess back. */
const LOAD_CHUNK_BYTES = 8 * 1024 * 1024;
const LOAD_SLOTS = 64 * 1024;
/** Empty evaluates that measure what xsnap's harness keeps of each. */
const HARNESS_PROBES = 8;

export interface EspBudget {
  chunkBytes: number;
  slots: number;
  stackSlots: number;
}

/** manifest.json's esp32 creation: the heap the firmware gets on the board, no growth. */
export function espBudget(manifestText: string): EspBudget {
  const m = JSON.parse(manifestText) as {
    platforms: { esp32: { creation: { chunk: { initial: number; incremental: number }; heap: { initial: number; incremental: number }; stack: number } } };
  };
  const c = m.platforms.esp32.creation;
  if (c.chunk.incremental !== 0 || c.heap.incremental !== 0) throw new Error("manifest.json: the esp32 heap is expected fixed (incremental 0)");
  return { chunkBytes: c.chunk.initial, slots: c.heap.initial, stackSlots: c.stack };
}

/** Percent of `budget` left above `used`, one decimal. */
export function headroomPercent(used: number, budget: number): number {
  return Math.round((1 - used / budget) * 1000) / 10;
}


interface RunStats {
  accepted: number;
  acknowledged: number;
  alerts: number;
  held: number;
  backlog: number;
  declined: number;
  internalErrors: number;
  observerErrors: number;
  journalFlushFailures: number;
}

function need(m: XsMeter, key: keyof XsMeter): number {
  const v = m[key];
  if (v === undefined) throw new Error(`bench:device32: the worker's meter has no ${key} (not a src/host/xsnap32.ts build?)`);
  return v;
}

/**
 * Pins garbage-proof ballast in the worker until the free room after a full collection is at most
 * `chunkBytes` (and within 64 B of it) and `slots` (within 2). Returns the free room left.
 */
async function pinBallast(w: XsWorker, chunkBytes: number, slots: number): Promise<{ chunks: number; slots: number }> {
  await w.evaluate("var paycardBallast = { buffers: [], head: null }");
  const free = async () => {
    const m = await w.evaluate("gc()");
    return { chunks: need(m, "maximumChunksSize") - need(m, "currentChunksSize"), slots: need(m, "maximumHeapCount") - m.currentHeapCount };
  };
  let f = await free();
  for (let i = 0; i < 8 && f.chunks > chunkBytes + 64; i++) {
    // An ArrayBuffer costs its bytes and a small header: ask for a little less, then close in.
    const n = Math.max(1, f.chunks - chunkBytes - 32);
    await w.evaluate(`paycardBallast.buffers.push(new ArrayBuffer(${n}))`);
    f = await free();
  }
  for (let i = 0; i < 8 && f.slots > slots + 2; i++) {
    // Each linked object is two slots (the instance and its property), no chunk.
    const n = Math.floor((f.slots - slots) / 2);
    await w.evaluate(`{ let h = paycardBallast.head; for (let i = 0; i < ${n}; i++) h = { n: h }; paycardBallast.head = h; }`);
    f = await free();
  }
  if (f.chunks > chunkBytes + 64 || f.slots > slots + 2 || f.chunks < chunkBytes - 4096 || f.slots < slots - 64) {
    throw new Error(`bench:device32: the ballast left ${f.chunks} B and ${f.slots} slots free, wanted ${chunkBytes} B and ${slots} slots`);
  }
  return f;
}

export interface Device32Options {
  rounds: number;
  swipesPerRound: number;
  outageSwipes: number;
  /** The part of each budget that must stay free (0.2: the fixed run gets 80 %). */
  headroom: number;
}

export interface Device32Result {
  figures: {
    device32_swipes: number;
    device32_peak_chunk_bytes: number;
    device32_peak_slots: number;
    device32_peak_stack: number;
    device32_chunk_budget_bytes: number;
    device32_slot_budget: number;
    device32_stack_budget: number;
    device32_chunk_headroom_percent: number;
    device32_slot_headroom_percent: number;
    device32_stack_headroom_percent: number;
    device32_required_headroom_percent: number;
    device32_fixed_run_completed: boolean;
    device32_baseline_slots: number;
    device32_baseline_chunk_bytes: number;
    device32_build_ms: number;
    device32_growing_run_ms: number;
    device32_fixed_run_ms: number;
  };
  /** Each peak within the budget less the headroom, and the fixed run completed. */
  fits: boolean;
  /** Why the fixed run failed ("" when it completed). */
  failure: string;
  lines: string[];
}

/** Both runs (see the file's comment); throws only where the worker cannot be built or started. */
export async function measureDevice32(opts: Device32Options): Promise<Device32Result> {
  const { rounds, swipesPerRound: perRound, outageSwipes: outage, headroom } = opts;
  const budget = espBudget(readFileSync(path.join(root, "manifest.json"), "utf8"));
  const code = await bundleForXs(path.join(here, "..", "..", "sim", "bench-entries", "device-app-entry.ts"), { globalName: "dev" });
  const t0 = Date.now();
  const growing = buildXsnap32(root, null);
  const buildMs = Date.now() - t0;
  // 1. Growing heap: the baseline, then the app's live figures and stack depth at every phase.
  const w = await startDeviceAppWorker("paycard-device32", code, growing);
  const phases: string[] = [];
  let peakSlots = 0;
  let peakChunks = 0;
  let peakStack = 0;
  let harnessStack = 0;
  let baseSlots = 0;
  let baseChunks = 0;
  let perEvalSlots = 0;
  let perEvalChunks = 0;
  let swipes = 0;
  let grown: RunStats;
  const t1 = Date.now();
  try {
    harnessStack = need(await w.evaluate("0"), "stackPeakSlots");
    await w.evaluate("dev.setupTraffic(3)");
    // xsnap's harness keeps a little of every evaluate (a slot and some chunk bytes): measured here
    // on empty evaluates, then taken out of each reading.
    const h0 = await w.evaluate("gc()");
    for (let i = 0; i < HARNESS_PROBES - 1; i++) await w.evaluate("gc()");
    const h1 = await w.evaluate("gc()");
    perEvalSlots = (h1.currentHeapCount - h0.currentHeapCount) / HARNESS_PROBES;
    perEvalChunks = (need(h1, "currentChunksSize") - need(h0, "currentChunksSize")) / HARNESS_PROBES;
    let evals = 0;
    baseSlots = h1.currentHeapCount;
    baseChunks = need(h1, "currentChunksSize");
    const step = async (expr: string) => {
      const m = await w.evaluate(expr);
      evals++;
      peakStack = Math.max(peakStack, need(m, "stackPeakSlots") - harnessStack);
    };
    const sample = async (phase: string) => {
      const g = await w.evaluate("gc()");
      evals++;
      const slots = Math.round(g.currentHeapCount - baseSlots - evals * perEvalSlots);
      const chunks = Math.round(need(g, "currentChunksSize") - baseChunks - evals * perEvalChunks);
      peakSlots = Math.max(peakSlots, slots);
      peakChunks = Math.max(peakChunks, chunks);
      phases.push(`${phase}: ${slots} slots, ${chunks} B of chunks`);
    };
    await step("dev.setupDeviceApp(3)");
    await sample("app created");
    for (let r = 0; r < rounds; r++) {
      await step(`dev.runDeviceApp(${perRound})`);
      await sample(`round ${r + 1} traffic`);
      await step("dev.holdAcks(); dev.runUntilHeld(2000)");
      await sample(`round ${r + 1} broker stalled, 2 000 held`);
      await step(`dev.brokerDown(true); dev.runDeviceApp(${outage})`);
      await sample(`round ${r + 1} broker unreachable`);
      await step(`dev.brokerDown(false); dev.drainDeviceApp(1000000); dev.stepClock(${r % 2 === 0 ? 30_000 : -20_000})`);
      await sample(`round ${r + 1} drained, clock stepped`);
    }
    grown = await xsReport<RunStats>(w, "dev.deviceAppStats()");
    swipes = grown.accepted;
  } finally {
    await w.close();
  }
  const growingMs = Date.now() - t1;

  // 2. Fixed heap: room to load, then a ballast leaves 80 % of the budget free; the stack is
  //    xsnap's own depth plus 80 % of the esp32 stack.
  const room = {
    chunks: Math.floor(budget.chunkBytes * (1 - headroom)),
    slots: Math.floor(budget.slots * (1 - headroom)),
    stack: Math.floor(budget.stackSlots * (1 - headroom)),
  };
  const bounded = buildXsnap32(root, { chunkBytes: LOAD_CHUNK_BYTES, heapSlots: LOAD_SLOTS, stackSlots: harnessStack + room.stack });
  let fits = false;
  let failure = "";
  let left = { chunks: 0, slots: 0 };
  let fixedStats: RunStats | null = null;
  const t2 = Date.now();
  try {
    const v = await startDeviceAppWorker("paycard-device32", code, bounded);
    try {
      await v.evaluate("dev.setupTraffic(3)");
      left = await pinBallast(v, room.chunks, room.slots);
      await v.evaluate("dev.setupDeviceApp(3)");
      for (let r = 0; r < rounds; r++) await v.evaluate(`dev.runDevice32Round(${perRound}, ${r}, ${outage})`);
      fixedStats = await xsReport<RunStats>(v, "dev.deviceAppStats()");
      const errors = fixedStats.internalErrors + fixedStats.observerErrors + fixedStats.journalFlushFailures;
      if (errors > 0) failure = `the run counted ${errors} internal errors (a stack overflow is one)`;
      else if (fixedStats.held + fixedStats.backlog > 0) failure = `${fixedStats.held + fixedStats.backlog} messages still held after the drain`;
      else if (fixedStats.accepted !== grown.accepted) failure = `accepted ${fixedStats.accepted} swipes, the growing run ${grown.accepted}`;
      else fits = true;
    } finally {
      await v.close();
    }
  } catch (e) {
    failure = String(e).slice(0, 300);
  }
  const fixedMs = Date.now() - t2;

  const figures = {
    device32_swipes: swipes,
    device32_peak_chunk_bytes: peakChunks,
    device32_peak_slots: peakSlots,
    device32_peak_stack: peakStack,
    device32_chunk_budget_bytes: budget.chunkBytes,
    device32_slot_budget: budget.slots,
    device32_stack_budget: budget.stackSlots,
    device32_chunk_headroom_percent: headroomPercent(peakChunks, budget.chunkBytes),
    device32_slot_headroom_percent: headroomPercent(peakSlots, budget.slots),
    device32_stack_headroom_percent: headroomPercent(peakStack, budget.stackSlots),
    device32_required_headroom_percent: Math.round(headroom * 1000) / 10,
    device32_fixed_run_completed: fits,
    device32_baseline_slots: baseSlots,
    device32_baseline_chunk_bytes: baseChunks,
    device32_build_ms: buildMs,
    device32_growing_run_ms: growingMs,
    device32_fixed_run_ms: fixedMs,
  };
  const pct = Math.round((1 - headroom) * 100);
  const ok = (used: number, b: number) => (used <= b * (1 - headroom) ? "ok" : `OVER ${pct} %`);
  const lines = [
    `device app on a 32-bit XS (xsnap, gcc -m32: 16-byte slots), ${rounds} rounds of ${perRound} swipes, a stall to 2 000 held, ${outage} swipes with the broker unreachable, the drain, a clock step: ${swipes} swipes accepted`,
    `  baseline (realm, bundle, the sim's traffic generator; flash or absent on the device): ${baseSlots} slots, ${baseChunks} B of chunks; xsnap's own stack depth ${harnessStack} slots, and it keeps ${perEvalSlots} slot(s) and ${perEvalChunks} B of chunks of each evaluate (taken out below)`,
    ...phases.map((p) => `  ${p}`),
    "",
    "                  peak (live)   ESP32 budget   headroom",
    `  chunk bytes     ${String(peakChunks).padStart(11)}   ${String(budget.chunkBytes).padStart(12)}   ${String(figures.device32_chunk_headroom_percent).padStart(6)} %  ${ok(peakChunks, budget.chunkBytes)}`,
    `  slots           ${String(peakSlots).padStart(11)}   ${String(budget.slots).padStart(12)}   ${String(figures.device32_slot_headroom_percent).padStart(6)} %  ${ok(peakSlots, budget.slots)}`,
    `  stack slots     ${String(peakStack).padStart(11)}   ${String(budget.stackSlots).padStart(12)}   ${String(figures.device32_stack_headroom_percent).padStart(6)} %  ${ok(peakStack, budget.stackSlots)}`,
    "",
    `  fixed heap, no growth, ${left.chunks} B of chunks, ${left.slots} slots and ${room.stack} stack slots free for the app (${pct} % of the budget): ` +
      (fits ? `every round completed, garbage included, ${fixedStats!.accepted} swipes accepted, none lost` : `FAILED: ${failure}`),
    `  times: build ${buildMs} ms (0 when reused), growing run ${growingMs} ms, fixed run ${fixedMs} ms`,
  ];
  const within = peakChunks <= room.chunks && peakSlots <= room.slots && peakStack <= room.stack;
  return { figures, fits: fits && within, failure, lines };
}

export async function runDevice32Bench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { json: "flag", rounds: "value", swipes: "value", outage: "value", headroom: "value" });
  const opts: Device32Options = {
    rounds: intOption(args, "rounds", 5, 1, 1_000),
    swipesPerRound: intOption(args, "swipes", 17_500, 100, 10_000_000),
    outageSwipes: intOption(args, "outage", 1_000, 0, 1_000_000),
    headroom: intOption(args, "headroom", 20, 0, 90) / 100,
  };
  if (!canBuild32()) {
    process.stderr.write(`bench:device32: ${GCC_MULTILIB_MISSING}\n`);
    return 2;
  }
  const r = await measureDevice32(opts);
  process.stdout.write(r.lines.join("\n") + "\n");
  if (args.options.has("json")) process.stdout.write(JSON.stringify(r.figures) + "\n");
  return r.fits ? 0 : 1;
}
