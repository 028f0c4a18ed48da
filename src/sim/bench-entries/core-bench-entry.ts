/**
 * Benchmark workloads, bundled and run inside the XS engine by
 * src/host/bench/core-bench.ts, which reads XS's step counter around each call.
 * Plain ECMAScript: no Node APIs here.
 */
import { Pipeline, type PipelineSink } from "../../core/pipeline/pipeline";
import { defaultPipelineConfig } from "../../core/pipeline/pipeline-config";
import { SlicedWindowOperator } from "../../core/stream/sliced-window-operator";
import { createRawSwipe } from "../../core/model/raw-swipe";
import { SeededRandom } from "../seeded-random";
import { hashString } from "../../core/lib/string-hash";
import { DEFAULT_TRAFFIC, TrafficGenerator, type TrafficOptions } from "../traffic-generator";
import { BoundedOutOfOrdernessWatermark } from "../../core/stream/watermark";
import type { WindowResult } from "../../core/stream/window-result";
import { BucketWindowOperator } from "../baselines/bucket-window-operator";
import { NaiveWindowOperator } from "../baselines/naive-window-operator";
import type { BaselineOptions, BenchWindowOperator } from "../baselines/window-operator";

/** "none": the driver loop and the watermark alone, to show what the operators themselves cost. */
export type Strategy = "sliced" | "buckets" | "naive" | "none";
export type Scenario = "merchant" | "card";

const MINUTE = 60_000;
const DELAY = 30_000;
const LATENESS = 2 * MINUTE;
/** The two sliding windows the issue names: 5 min / 30 s and 2 min / 15 s. */
const WINDOWS = [
  { name: "w5m", size: 5 * MINUTE, slide: 30_000 },
  { name: "w2m", size: 2 * MINUTE, slide: 15_000 },
];

export function benchTraffic(scenario: Scenario, seed: number): TrafficOptions {
  return {
    ...DEFAULT_TRAFFIC,
    seed,
    merchantIds: scenario === "merchant" ? ["merch_a", "merch_b", "merch_c", "merch_d"] : ["merch_a"],
    ratePerSec: 10,
    lateFraction: 0, // out-of-orderness stays below the watermark delay
    maxDelayMs: 2_000,
  };
}

let ops: BenchWindowOperator[] = [];
let keyOf: string[] = [];
// The pipeline gets key hashes from the validator's scan; the bench computes them once per key.
let hashOf: number[] = [];
let evKey = new Int32Array(0);
let evTs = new Float64Array(0);
let evAmount = new Int32Array(0);
let wm = new BoundedOutOfOrdernessWatermark(DELAY);
let firings = 0;
let checksum = 0;

function onWindow(r: WindowResult): void {
  firings++;
  // Order-independent: strategies emit the same firings in different orders.
  const h = (r.count * 1_000_003 + r.sum + r.min * 3 + r.max * 5 + r.small * 7 + (r.end % 1_000_000_007) + (r.update ? 13 : 0)) % 1_000_000_007;
  checksum = (checksum + h) % 4_503_599_627_370_496;
}

/** Pregenerates `n` events and builds the two window operators of one strategy. */
export function setupWindows(strategy: Strategy, scenario: Scenario, n: number, seed: number): void {
  const gen = new TrafficGenerator(benchTraffic(scenario, seed));
  const rec = createRawSwipe();
  const keyIndex = new Map<string, number>();
  keyOf = [];
  hashOf = [];
  evKey = new Int32Array(n);
  evTs = new Float64Array(n);
  evAmount = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    gen.next(rec);
    const key = scenario === "merchant" ? rec.merchant_id : rec.card_hash;
    let k = keyIndex.get(key);
    if (k === undefined) {
      k = keyOf.length;
      keyIndex.set(key, k);
      keyOf.push(key);
      hashOf.push(hashString(key));
    }
    evKey[i] = k;
    evTs[i] = rec.timestamp as number;
    evAmount[i] = rec.amount_cents;
  }
  wm = new BoundedOutOfOrdernessWatermark(DELAY);
  const maxKeys = scenario === "merchant" ? 8 : 8_192;
  const bases: BaselineOptions[] = WINDOWS.map((w) => ({
    name: w.name, keyField: scenario, size: w.size, slide: w.slide, offset: 0, allowedLateness: LATENESS,
    smallAmountCents: 500, maxKeys, keyTtlMs: 1e15,
  }));
  if (strategy === "sliced") {
    // One operator: both window queries share the key lookup and the slices.
    ops = [new SlicedWindowOperator({
      keyField: scenario, windows: bases, smallAmountCents: 500, maxKeys, keyTtlMs: 1e15, maxSlices: scenario === "merchant" ? 512 : 65_536,
    }, wm)];
  } else if (strategy === "buckets") {
    // Flink keeps one window operator per window definition.
    ops = bases.map((b) => new BucketWindowOperator(b, DELAY + 5_000, wm));
  } else if (strategy === "naive") {
    ops = bases.map((b) => new NaiveWindowOperator(b, scenario === "merchant" ? 8_192 : 64, wm));
  } else {
    ops = [];
  }
  for (const op of ops) op.onWindow(onWindow);
  firings = 0;
  checksum = 0;
}

/** Feeds events [from, to) through both windows, as the pipeline does. */
export function runWindows(from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const k = evKey[i];
    const key = keyOf[k];
    const hash = hashOf[k];
    const ts = evTs[i];
    for (let j = 0; j < ops.length; j++) ops[j].add(key, hash, ts, evAmount[i]);
    if (wm.observe(ts)) {
      const w = wm.current;
      for (let j = 0; j < ops.length; j++) if (w >= ops[j].dueAt) ops[j].catchUp();
    }
  }
}

export function windowResults(): { firings: number; checksum: number } {
  return { firings, checksum };
}

// --- Whole pipeline -------------------------------------------------------

const nullSink: PipelineSink = { onWindow() {}, onAlert() {}, onLate() {}, onReject() {}, onAccepted() {} };
let pipeline: Pipeline | null = null;
let gen: TrafficGenerator | null = null;
const record = createRawSwipe();

/** A pipeline with the default burst detection plus the two bench windows keyed by merchant. */
export function setupPipeline(seed: number): void {
  const cfg = defaultPipelineConfig();
  cfg.windows = [
    ...cfg.windows.filter((w) => w.name === "burst"),
    ...WINDOWS.map((w) => ({ ...cfg.windows[0], name: "merchant_" + w.name, keyField: "merchant_id" as const, size: w.size, slide: w.slide })),
  ];
  cfg.keyedState.merchant_id = { maxKeys: 8, keyTtlMs: 30 * MINUTE, maxSlices: 128 };
  // 10 swipes/s over 5000 cards keeps ~2700 cards inside the burst window's
  // horizon (2 min + 2 min lateness + 30 s delay): size card state for it, so
  // the measurement is of normal operation, not of LRU eviction under overload.
  cfg.keyedState.card_hash = { maxKeys: 4_096, keyTtlMs: 10 * MINUTE, maxSlices: 8_192 };
  pipeline = new Pipeline(cfg, nullSink, { bootCounter: { nextBoot: () => 1 }, random: new SeededRandom(seed) }, "term_bench");
  gen = new TrafficGenerator(benchTraffic("merchant", seed));
}

export function runGenerator(n: number): void {
  const g = gen as TrafficGenerator;
  for (let i = 0; i < n; i++) g.next(record);
}

export function runPipeline(n: number): void {
  const p = pipeline as Pipeline;
  const g = gen as TrafficGenerator;
  for (let i = 0; i < n; i++) p.process(g.next(record));
}

export function pipelineStats() {
  return (pipeline as Pipeline).stats();
}
