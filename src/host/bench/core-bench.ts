/**
 * `npm run bench:core [-- --json] [-- --swipes N]`: the window engine under
 * the XS engine, measured in XS steps (deterministic), against two baselines.
 * Prints a table; with --json, one JSON object on the last line.
 */
import "@endo/init";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleForXs, startXsWorker, xsReport, type XsMeter, type XsWorker } from "../xs-engine";
import { startDeviceAppWorker } from "./device-app-worker";
import { intOption, parseArgs } from "../cli-args";

const here = path.dirname(fileURLToPath(import.meta.url));
/** XS slot size on the ESP32 (32-bit): 16 bytes. The host build's slots are 32 bytes. */
const ESP32_SLOT_BYTES = 16;

type Strategy = "sliced" | "buckets" | "naive" | "none";
type Scenario = "merchant" | "card";

async function newWorker(code: string): Promise<XsWorker> {
  const w = await startXsWorker("paycard-bench");
  await w.evaluate(code);
  return w;
}

interface WindowRun { strategy: Strategy; scenario: Scenario; computePerSwipe: number; firings: number; checksum: number }

async function measureWindows(code: string, strategy: Strategy, scenario: Scenario, warm: number, measured: number): Promise<WindowRun> {
  const w = await newWorker(code);
  try {
    await w.evaluate(`bench.setupWindows(${JSON.stringify(strategy)}, ${JSON.stringify(scenario)}, ${warm + measured}, 42)`);
    await w.evaluate(`bench.runWindows(0, ${warm})`);
    const m = await w.evaluate(`bench.runWindows(${warm}, ${warm + measured})`);
    const r = await xsReport<{ firings: number; checksum: number }>(w, "bench.windowResults()");
    return { strategy, scenario, computePerSwipe: m.compute / measured, firings: r.firings, checksum: r.checksum };
  } finally {
    await w.close();
  }
}

interface PipelineRun {
  computePerSwipe: number;
  generatorPerSwipe: number;
  allocSlotsPerSwipe: number;
  heapAfter10k: number;
  heapAfterTotal: number;
  /** Slots the xsnap harness itself keeps per `evaluate` call (its script records). */
  harnessSlotsPerEvaluate: number;
  total: number;
}

async function measurePipeline(code: string, total: number): Promise<PipelineRun> {
  // Steps and allocation, in one worker.
  const w = await newWorker(code);
  let computePerSwipe: number;
  let generatorPerSwipe: number;
  let allocSlotsPerSwipe: number;
  try {
    await w.evaluate("bench.setupPipeline(7)");
    await w.evaluate("bench.runGenerator(20000)");
    const g = await w.evaluate("bench.runGenerator(20000)");
    await w.evaluate("bench.setupPipeline(7)");
    await w.evaluate("bench.runPipeline(10000)");
    const m = await w.evaluate("bench.runPipeline(20000)");
    const h0 = await w.evaluate("gc()");
    // Few enough swipes that no collection runs in between: the slot count rises by what they allocate.
    const h1 = await w.evaluate("bench.runPipeline(1000)");
    generatorPerSwipe = g.compute / 20_000;
    computePerSwipe = m.compute / 20_000 - generatorPerSwipe;
    allocSlotsPerSwipe = Math.max(0, h1.currentHeapCount - h0.currentHeapCount) / 1_000;
  } finally {
    await w.close();
  }
  // Live heap after a full collection, at 10k swipes and at `total`, in a fresh worker.
  const v = await newWorker(code);
  try {
    await v.evaluate("bench.setupPipeline(7)");
    const h10k = await v.evaluate("bench.runPipeline(10000); gc()");
    const again = await v.evaluate("gc()");
    const perEvaluate = again.currentHeapCount - h10k.currentHeapCount;
    const hEnd = await v.evaluate(`bench.runPipeline(${total - 10_000}); gc()`);
    return {
      computePerSwipe,
      generatorPerSwipe,
      allocSlotsPerSwipe,
      heapAfter10k: h10k.currentHeapCount,
      // Two evaluate calls separate the readings; what the harness keeps for them is not the pipeline's.
      heapAfterTotal: hEnd.currentHeapCount - 2 * perEvaluate,
      harnessSlotsPerEvaluate: perEvaluate,
      total,
    };
  } finally {
    await v.close();
  }
}

interface DeviceStats {
  accepted: number;
  acknowledged: number;
  alerts: number;
  held: number;
  inFlight: number;
  backlog: number;
  flashBytes: number;
  segments: number;
  declined: number;
  alertsRefused: number;
}

interface HeldFigures {
  slots: number;
  chunkBytes: number;
  stats: DeviceStats;
}

interface DeviceAppRun {
  /** Objects the loaded modules create (functions, classes, constants): RAM on a device without preload. */
  moduleSlots: number;
  slotsAfterWarmup: number;
  slotsAfterRun: number;
  /** Live chunk bytes (64-bit XS) of the loaded modules: byte code, strings, tables. */
  moduleChunkBytes: number;
  /** Live chunk bytes the app's state holds after the run, above the modules'. */
  chunkBytesAfterRun: number;
  /**
   * The broker holding its PUBACKs (an outage as the terminal sees it): with 10 messages held
   * (all in RAM), 1 000 and 2 000 (RAM at its bounds, the rest in the flash backlog).
   */
  held10: HeldFigures;
  held1000: HeldFigures;
  held2000: HeldFigures;
  /** The broker back: XS steps of the ticks that drain the 2 000, per message, and the ticks. */
  drain: { stepsPerMessage: number; ticks: number; messages: number };
  allocateBytes: number;
  /** The device's steps per swipe: the CRC stand-in run, the sim's share taken out. */
  computePerSwipe: number;
  /** Everything in the run with core/lib's JavaScript CRC-32, the sim included (the figure before #26). */
  allInJsCrcPerSwipe: number;
  /** What the JavaScript CRC-32 costs per swipe (the JS run less the stand-in run). */
  jsCrcPerSwipe: number;
  /** The far end and the traffic generator, per swipe (profiled). */
  simPerSwipe: number;
  /** The app's tick with no swipe for 10 s, averaged: mostly ticks with nothing due. */
  quietTick: number;
  /** Where the stand-in run's steps go, per swipe, largest first. */
  breakdown: { section: string; steps: number; calls: number }[];
  swipes: number;
  stats: DeviceStats;
}

/** One fresh worker: the device app with `crc`, 2 000 swipes of warm-up, then `expr` measured. */
async function deviceRun(code: string, crc: "js" | "native-stand-in", expr: string): Promise<{ m: XsMeter; w: XsWorker }> {
  const w = await startDeviceAppWorker("paycard-bench-device", code);
  await w.evaluate(`dev.setupTraffic(3); dev.setupDeviceApp(3, ${JSON.stringify(crc)}); dev.runDeviceApp(2000)`);
  const m = await w.evaluate(expr);
  return { m, w };
}

/**
 * Steps per swipe as the device spends them: a run whose journal CRC is a stand-in costing what
 * the firmware's native call costs (see device-app-entry.ts), less the far end's and the traffic
 * generator's steps (measured by a profiled run of the same traffic); and that profiled run's
 * breakdown.
 */
/** Ticks of 50 ms (10 s) after the run, with no swipe. */
const QUIET_TICKS = 200;

async function measureDeviceSteps(code: string, swipes: number) {
  const plain = await deviceRun(code, "native-stand-in", `dev.runDeviceApp(${swipes})`);
  // Then 10 s with no swipe: the quiet ticks (TerminalApp.tick does the app's own work only when some is due).
  const quiet = await plain.w.evaluate(`dev.quietAppTicks(${QUIET_TICKS})`);
  await plain.w.close();
  const prof = await deviceRun(code, "native-stand-in", `globalThis.profile = dev.profileDeviceApp(${swipes})`);
  try {
    const p = await xsReport<{ sections: { section: string; steps: number; calls: number }[]; total: number }>(prof.w, "globalThis.profile");
    const standInPerSwipe = plain.m.compute / swipes;
    const sim = p.sections.filter((x) => x.section.startsWith("sim:")).reduce((a, x) => a + x.steps, 0) / swipes;
    const wrapped = p.sections.reduce((a, x) => a + x.steps, 0);
    const breakdown = p.sections.map((x) => ({ section: x.section, steps: x.steps / swipes, calls: x.calls / swipes }));
    // The sections are each call's own steps with the profiler's cost taken out: the rest is the
    // unprofiled run's total less them.
    breakdown.push({ section: "rest: the feeding loop, calls between sections", steps: standInPerSwipe - wrapped / swipes, calls: 0 });
    return { standInPerSwipe, simPerSwipe: sim, breakdown, profiledPerSwipe: p.total / swipes, quietTick: quiet.compute / QUIET_TICKS };
  } finally {
    await prof.w.close();
  }
}

/** The device's terminal app (device config) in XS: live slots after gc, and steps per swipe including MQTT. */
async function measureDeviceApp(swipes: number): Promise<DeviceAppRun> {
  const code = await bundleForXs(path.join(here, "..", "..", "sim", "bench-entries", "device-app-entry.ts"), { globalName: "dev" });
  // An empty realm, for the slots the modules' own objects take once loaded.
  const empty = await startXsWorker("paycard-bench-empty");
  let emptySlots: number;
  let emptyChunks: number;
  try {
    emptySlots = (await empty.evaluate("gc()")).currentHeapCount;
    emptyChunks = (await empty.liveHeap()).chunkBytes;
  } finally {
    await empty.close();
  }
  // The device's flash: the journal's segments, kept on this side of issueCommand (not in the measured heap).
  const w = await startDeviceAppWorker("paycard-bench-device", code);
  try {
    // The realm's builtins and the bundle's code live in this heap too; on
    // the device they are in flash. Measure from here.
    const loaded = await w.evaluate("gc()");
    const loadedChunks = (await w.liveHeap()).chunkBytes;
    // The traffic generator is sim only: the app's figures are measured above it.
    await w.evaluate("dev.setupTraffic(3)");
    const h0 = await w.evaluate("gc()");
    const c0 = (await w.liveHeap()).chunkBytes;
    await w.evaluate("dev.setupDeviceApp(3)");
    await w.evaluate("dev.runDeviceApp(2000)");
    const h1 = await w.evaluate("gc()");
    const m = await w.evaluate(`dev.runDeviceApp(${swipes})`);
    const h2 = await w.evaluate("gc()");
    const c2 = (await w.liveHeap()).chunkBytes;
    const stats = await xsReport<DeviceStats>(w, "dev.deviceAppStats()");
    // An outage: every PUBACK held back; the live heap with 10 messages held, then with 2 000.
    await w.evaluate("dev.holdAcks(); dev.runUntilHeld(10)");
    const h3 = await w.evaluate("gc()");
    const c3 = (await w.liveHeap()).chunkBytes;
    const stats10 = await xsReport<DeviceStats>(w, "dev.deviceAppStats()");
    await w.evaluate("dev.runUntilHeld(1000)");
    const h4 = await w.evaluate("gc()");
    const c4 = (await w.liveHeap()).chunkBytes;
    const stats1000 = await xsReport<DeviceStats>(w, "dev.deviceAppStats()");
    await w.evaluate("dev.runUntilHeld(2000)");
    const h5 = await w.evaluate("gc()");
    const c5 = (await w.liveHeap()).chunkBytes;
    const stats2000 = await xsReport<DeviceStats>(w, "dev.deviceAppStats()");
    // The broker back: the ticks that drain them.
    const drainMeter = await w.evaluate("globalThis.drainTicks = dev.drainDeviceApp(1000000)");
    const after = await xsReport<{ ticks: number; stats: DeviceStats }>(w, "({ ticks: globalThis.drainTicks, stats: dev.deviceAppStats() })");
    if (after.stats.held + after.stats.backlog !== 0) throw new Error(`device bench: ${after.stats.held + after.stats.backlog} messages left after the drain`);
    const messages = stats2000.held + stats2000.backlog;
    // The harness keeps one slot per evaluate call: take out those between the readings.
    return {
      moduleSlots: loaded.currentHeapCount - emptySlots - 1,
      slotsAfterWarmup: h1.currentHeapCount - h0.currentHeapCount - 3,
      slotsAfterRun: h2.currentHeapCount - h0.currentHeapCount - 5,
      moduleChunkBytes: loadedChunks - emptyChunks,
      chunkBytesAfterRun: c2 - c0,
      held10: { slots: h3.currentHeapCount - h0.currentHeapCount - 8, chunkBytes: c3 - c0, stats: stats10 },
      held1000: { slots: h4.currentHeapCount - h0.currentHeapCount - 11, chunkBytes: c4 - c0, stats: stats1000 },
      held2000: { slots: h5.currentHeapCount - h0.currentHeapCount - 14, chunkBytes: c5 - c0, stats: stats2000 },
      drain: { stepsPerMessage: drainMeter.compute / messages, ticks: after.ticks, messages },
      allocateBytes: (h2 as unknown as { allocate: number }).allocate,
      ...(await (async () => {
        const steps = await measureDeviceSteps(code, swipes);
        return {
          computePerSwipe: steps.standInPerSwipe - steps.simPerSwipe,
          allInJsCrcPerSwipe: m.compute / swipes,
          jsCrcPerSwipe: m.compute / swipes - steps.standInPerSwipe,
          simPerSwipe: steps.simPerSwipe,
          quietTick: steps.quietTick,
          breakdown: steps.breakdown,
        };
      })()),
      swipes,
      stats,
    };
  } finally {
    await w.close();
  }
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function deviceFigures(device: DeviceAppRun) {
  return {
    device_app_live_slots: device.slotsAfterRun,
    device_module_slots: device.moduleSlots,
    device_app_live_chunk_bytes: device.chunkBytesAfterRun,
    device_module_chunk_bytes: device.moduleChunkBytes,
    device_held10_live_slots: device.held10.slots,
    device_held10_chunk_bytes: device.held10.chunkBytes,
    device_held1000_live_slots: device.held1000.slots,
    device_held1000_chunk_bytes: device.held1000.chunkBytes,
    device_held2000_live_slots: device.held2000.slots,
    device_held2000_chunk_bytes: device.held2000.chunkBytes,
    device_held2000_flash_bytes: device.held2000.stats.flashBytes,
    device_drain_steps_per_message: round(device.drain.stepsPerMessage),
    device_app_compute_per_swipe: round(device.computePerSwipe),
    device_app_js_crc_per_swipe: round(device.jsCrcPerSwipe),
    device_app_sim_per_swipe: round(device.simPerSwipe),
    device_app_all_in_js_crc_per_swipe: round(device.allInJsCrcPerSwipe),
    device_quiet_tick_steps: round(device.quietTick),
  };
}

function deviceLines(device: DeviceAppRun): string[] {
  return [
    `device app (src/core/settings/device-config.ts sizes; TerminalApp + MQTT session + outbox against an in-memory broker, 2 swipes/s):`,
    `  live slots after gc: the loaded modules' objects ${device.moduleSlots} (in RAM unless preloaded), the app's state ${device.slotsAfterWarmup} after 2 000 swipes and ` +
      `${device.slotsAfterRun} after ${device.swipes + 2_000} (${device.slotsAfterRun <= device.slotsAfterWarmup ? "no growth" : "growth " + (device.slotsAfterRun - device.slotsAfterWarmup)}):`,
    `  ${device.moduleSlots + device.slotsAfterRun} slots = ${round(((device.moduleSlots + device.slotsAfterRun) * ESP32_SLOT_BYTES) / 1024)} KB at 16 B/slot, of the 6 144 (96 KB) manifest.json gives the ESP32 ` +
      `(the SDK's own modules and sockets need the rest; typed arrays and strings are chunks, not counted)`,
    `  live chunks (64-bit XS, read from its snapshot writer): the modules' ${device.moduleChunkBytes} B (byte code and strings: flash when preloaded), ` +
      `the app's state ${device.chunkBytesAfterRun} B after the run`,
    `  an outage (the broker holding every PUBACK), the app's state with messages held:`,
    ...[device.held10, device.held1000, device.held2000].map(
      (h) =>
        `    ${String(h.stats.held + h.stats.backlog).padStart(5)} held: ${h.stats.inFlight} in flight, ${h.stats.held} in RAM, ${h.stats.backlog} in the flash backlog ` +
        `(${h.stats.flashBytes} B in ${h.stats.segments} segments): ${h.slots} slots, ${h.chunkBytes} B of chunks`,
    ),
    `    from 10 to 2 000 held: ${device.held2000.slots - device.held10.slots} slots and ${device.held2000.chunkBytes - device.held10.chunkBytes} B more ` +
      `(RAM filling to its bounds: ${device.held10.stats.held} then ${device.held2000.stats.held} messages); from 1 000 to 2 000: ` +
      `${device.held2000.slots - device.held1000.slots} slots and ${device.held2000.chunkBytes - device.held1000.chunkBytes} B (the backlog costs no RAM)`,
    `  the broker back: the ${device.drain.messages} drained at the broker's pace (answers at each 50 ms tick) in ${device.drain.ticks} ticks ` +
      `(${round((device.drain.ticks * 50) / 1000)} s), in journaled order, ${round(device.drain.stepsPerMessage)} XS steps per message (the ticks' whole cost: ` +
      `read back from flash, CRC-checked, published, acknowledged, checkpointed)`,
    `  ${round(device.computePerSwipe)} XS steps per swipe on the device (validation, windows, detectors, JSON, journal frames, MQTT encode and PUBACK, ticks); ` +
      `${device.stats.accepted} accepted, ${device.stats.acknowledged} acknowledged, ${device.stats.alerts} alerts, ${device.stats.held} held at the end`,
    `    = ${round(device.allInJsCrcPerSwipe)} measured with core/lib's JavaScript CRC-32 and this bench's far end and traffic generator,`,
    `      less ${round(device.jsCrcPerSwipe)} for the CRC (the firmware's is C: src/device/native-crc32.ts; a stand-in costing one call replaces it here)`,
    `      less ${round(device.simPerSwipe)} for the far end, the flash store's requests and the traffic generator (not on the device; measured by the profiled run below)`,
    `  a quiet tick (the app's, every 50 ms, 10 s with no swipe): ${round(device.quietTick)} XS steps on average (most find nothing due: the clock's and the session's timers only)`,
    `  where a swipe's steps go (a profiled run of the same traffic with the CRC stand-in; each section's own steps, the profiler's cost taken out):`,
    `    ${"section".padEnd(52)} ${"steps/swipe".padStart(11)}  ${"share".padStart(6)}  calls/swipe`,
    ...device.breakdown.map((b) => {
      const all = device.breakdown.reduce((a, x) => a + x.steps, 0);
      return `    ${b.section.padEnd(52)} ${round(b.steps).toFixed(0).padStart(11)}  ${(round((100 * b.steps) / all, 1).toFixed(1) + " %").padStart(6)}  ${b.calls === 0 ? "" : round(b.calls, 2)}`;
    }),
  ];
}

export async function runCoreBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { json: "flag", swipes: "value", measured: "value", device: "flag" });
  const total = intOption(args, "swipes", 1_000_000, 50_000, 100_000_000);
  const measured = intOption(args, "measured", 40_000, 1_000, 10_000_000);
  if (args.options.has("device")) {
    const device = await measureDeviceApp(20_000);
    const lines = deviceLines(device);
    process.stdout.write(lines.join("\n") + "\n");
    if (args.options.has("json")) process.stdout.write(JSON.stringify(deviceFigures(device)) + "\n");
    return 0;
  }
  const warm = 20_000;
  const code = await bundleForXs(path.join(here, "..", "..", "sim", "bench-entries", "core-bench-entry.ts"), { globalName: "bench" });

  const runs: WindowRun[] = [];
  for (const scenario of ["merchant", "card"] as Scenario[]) {
    for (const strategy of ["sliced", "buckets", "naive"] as Strategy[]) {
      runs.push(await measureWindows(code, strategy, scenario, warm, measured));
    }
  }
  for (const scenario of ["merchant", "card"] as Scenario[]) {
    const rs = runs.filter((r) => r.scenario === scenario);
    if (rs.some((r) => r.checksum !== rs[0].checksum || r.firings !== rs[0].firings)) {
      throw new Error(`bench: strategies disagree on the ${scenario} windows: ${JSON.stringify(rs)}`);
    }
  }
  // The same driver loop with no operator: reading pregenerated events and
  // advancing the watermark, shared by every strategy.
  const driver = await measureWindows(code, "none", "merchant", warm, measured);
  const pipe = await measurePipeline(code, total);
  const device = await measureDeviceApp(20_000);
  const get = (s: Strategy, sc: Scenario) => runs.find((r) => r.strategy === s && r.scenario === sc) as WindowRun;
  const sliced = get("sliced", "merchant");
  const result = {
    xs_compute_per_swipe: round(sliced.computePerSwipe),
    naive_compute_per_swipe: round(get("naive", "merchant").computePerSwipe),
    ratio: round(get("naive", "merchant").computePerSwipe / sliced.computePerSwipe, 2),
    buckets_compute_per_swipe: round(get("buckets", "merchant").computePerSwipe),
    ratio_vs_buckets: round(get("buckets", "merchant").computePerSwipe / sliced.computePerSwipe, 2),
    xs_alloc_bytes_per_swipe: round(pipe.allocSlotsPerSwipe * ESP32_SLOT_BYTES, 2),
    heap_after_10k: pipe.heapAfter10k,
    heap_after_1m: pipe.heapAfterTotal,
    pipeline_compute_per_swipe: round(pipe.computePerSwipe),
    card_keyed_ratio: round(get("naive", "card").computePerSwipe / get("sliced", "card").computePerSwipe, 2),
    card_keyed_ratio_vs_buckets: round(get("buckets", "card").computePerSwipe / get("sliced", "card").computePerSwipe, 2),
    swipes_total: pipe.total,
    driver_compute_per_swipe: round(driver.computePerSwipe),
    ...deviceFigures(device),
    ratio_operators_only: round((get("naive", "merchant").computePerSwipe - driver.computePerSwipe) / (sliced.computePerSwipe - driver.computePerSwipe), 2),
  };

  const lines = [
    "paycard core benchmark — XS engine steps per swipe (deterministic; lower is better)",
    "windows: 5 min / 30 s and 2 min / 15 s sliding, watermark delay 30 s, lateness 2 min; 10 swipes/s",
    "",
    "scenario            strategy   steps/swipe   vs sliced   firings   checksum",
    ...runs.map((r) =>
      `${(r.scenario === "merchant" ? "merchant (4 keys)" : "card (5000 keys)").padEnd(19)} ${r.strategy.padEnd(9)} ${round(r.computePerSwipe).toFixed(1).padStart(12)} ` +
      `${(round(r.computePerSwipe / get("sliced", r.scenario).computePerSwipe, 2).toFixed(2) + "x").padStart(11)} ${String(r.firings).padStart(9)}   ${r.checksum}`),
    `${"merchant (4 keys)".padEnd(19)} ${"driver".padEnd(9)} ${round(driver.computePerSwipe).toFixed(1).padStart(12)}   (event loop and watermark, no operator; included in every row above)`,
    `operators alone (driver taken out): naive / sliced = ${result.ratio_operators_only}x`,
    "",
    `whole pipeline (validation, ring, burst + 2 merchant windows, detectors): ${result.pipeline_compute_per_swipe} steps/swipe ` +
      `(traffic generator's ${round(pipe.generatorPerSwipe)} subtracted)`,
    `allocation: ${round(pipe.allocSlotsPerSwipe, 3)} XS slots/swipe = ${result.xs_alloc_bytes_per_swipe} B/swipe at 16 B/slot (ESP32); strings are chunks, not counted`,
    `live heap after gc: ${result.heap_after_10k} slots after 10k swipes, ${result.heap_after_1m} after ${pipe.total.toLocaleString("en")} ` +
      `(${result.heap_after_1m === result.heap_after_10k ? "no growth" : "growth " + (result.heap_after_1m - result.heap_after_10k)}; ` +
      `the xsnap harness's own ${pipe.harnessSlotsPerEvaluate} slot(s) per evaluate call taken out)`,
    "",
    ...deviceLines(device),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  if (args.options.has("json")) process.stdout.write(JSON.stringify(result) + "\n");
  return 0;
}
