/**
 * The whole terminal app with the device's configuration, bundled and run
 * inside XS by src/host/bench/core-bench.ts to measure its live heap (slots after a
 * full collection) and its steps per swipe: the figure manifest.json's
 * creation sizes are checked against. The far end is AckOnlyBroker (it
 * answers from a byte scanner, so what is measured is the terminal, not a
 * broker's decoding), the journal the device's SegmentedJournal over a
 * CommandSegmentStore (its bytes kept by the Node host through issueCommand:
 * flash, not heap), the clock a counter: no platform code. Plain ECMAScript.
 */
import type { EventClockPort, TimeReading } from "../../core/app/event-clock";
import type { ClockTelemetry } from "../../core/clock/clock-reading";
import { TerminalApp } from "../../core/app/terminal-app";
import { SegmentedJournal } from "../../core/outbox/segmented-journal";
import { type FrameCodecPorts, JS_FRAME_CODEC } from "../../core/outbox/journal-record-codec";
import { StepProfiler } from "../step-profiler";
import { CommandSegmentStore } from "../command-segment-store";
import { SeededRandom } from "../seeded-random";
import { createRawSwipe } from "../../core/model/raw-swipe";
import { DEFAULT_TRAFFIC, TrafficGenerator } from "../traffic-generator";
import { deviceConfig, deviceStorageOptions } from "../../core/settings/device-config";
import { AckOnlyBroker } from "../ack-only-broker";

/** The bench's event clock: a monotonic count the bench advances, and a UTC origin a clock step moves. */
class CountingClock implements EventClockPort {
  mono = 1_000;
  /** UTC at monotonic 0; a clock step moves it. */
  origin = Date.UTC(2026, 0, 10, 14, 0, 0) - 1_000;
  monotonicMs(): number {
    return this.mono;
  }
  read(out: TimeReading): TimeReading {
    out.utcMs = this.origin + this.mono;
    out.errorBoundMs = 5;
    out.state = "synced";
    return out;
  }
  utcAt(m: number): number {
    return this.origin + m;
  }
  telemetry(): ClockTelemetry {
    return { state: "synced", offsetMs: 0.4, frequencyPpm: 12, errorBoundMs: 5 };
  }
}

/** xsnap's native encoder, standing in for the device's (not an ECMAScript global). */
declare const TextEncoder: new () => { encode(s: string): Uint8Array };
/** xsnap's synchronous call to the Node host (src/host/xs-engine.ts): here, the flash. */
declare function issueCommand(request: ArrayBuffer): ArrayBuffer;
const nativeEncoder = new TextEncoder();
let app: TerminalApp | null = null;
let journal: SegmentedJournal | null = null;
let broker: AckOnlyBroker | null = null;
let clock = new CountingClock();
let gen: TrafficGenerator | null = null;
const rec = createRawSwipe();
const input: Record<string, unknown> = {};

/**
 * The traffic (a terminal's day: 2 swipes/s, a card-testing burst every 2 min, a big ticket
 * every 90 s). Made before the app, so the bench can take its heap (a card pool of strings:
 * sim only, never on the device) out of the app's figures.
 */
export function setupTraffic(seed: number): void {
  const cfg = deviceConfig({ brokerHost: "127.0.0.1" }).terminal;
  gen = new TrafficGenerator({ ...DEFAULT_TRAFFIC, seed, ratePerSec: 2, terminalId: cfg.terminalId, merchantIds: [cfg.merchantId] });
  gen.next(rec);
}

/**
 * The journal's CRC-32: "js" (core/lib's, ~28 XS steps a byte) or "native-stand-in", a function
 * that returns 0 for every frame (consistent on write and read-back), costing what a call of the
 * firmware's C function costs in XS steps (src/device/native-crc32.ts): the C work itself is not
 * XS steps. That the C and JS functions give the same frames is tested on lin.
 */
export type CrcMode = "js" | "native-stand-in";

/** The device encodes natively (ArrayBuffer.fromString, absent here); xsnap's TextEncoder stands in. */
const nativeUtf8 = { encode: (s: string) => nativeEncoder.encode(s) };

/** The device's terminal app (mc/config defaults) against an AckOnlyBroker; after setupTraffic. */
export function setupDeviceApp(seed: number, crc: CrcMode = "js"): number {
  const cfg = deviceConfig({ brokerHost: "127.0.0.1" }).terminal;
  clock = new CountingClock();
  const b = new AckOnlyBroker();
  broker = b;
  const store = new CommandSegmentStore((req) => new Uint8Array(issueCommand(req.slice().buffer)));
  const codec: FrameCodecPorts = { crc32: crc === "js" ? JS_FRAME_CODEC.crc32 : () => 0, utf8: nativeUtf8 };
  const j = new SegmentedJournal(store, { ...deviceStorageOptions(), codec });
  journal = j;
  app = new TerminalApp(cfg, {
    clock,
    transport: () => b.transport(),
    journal: j,
    bootCounter: { nextBoot: () => 1 },
    random: new SeededRandom(seed),
    utf8: nativeUtf8,
  });
  app.start();
  return cfg.pipeline.ringCapacity;
}

/** Feeds `n` swipes at their generated times, ticking the app every 50 ms of simulated time. */
export function runDeviceApp(n: number): void {
  let i = 0;
  feed(() => i++ >= n);
}

/** Feeds swipes until `target` messages are held, in RAM and in the backlog; returns the swipes fed. */
export function runUntilHeld(target: number): number {
  const a = app as TerminalApp;
  let n = 0;
  feed(() => a.outbox.messages + a.outbox.backlogCount >= target || (n++, false));
  return n;
}

/** The broker acknowledges again (the held PUBACKs too); ticks without swipes until nothing is held. Returns the ticks. */
export function drainDeviceApp(maxTicks: number): number {
  const a = app as TerminalApp;
  const b = broker as AckOnlyBroker;
  b.autoAck = true;
  b.ackAll();
  let t = 0;
  while (t < maxTicks && a.outbox.messages + a.outbox.backlogCount > 0) {
    tick(a, b);
    t++;
  }
  return t;
}

/**
 * `n` ticks of the app alone, 50 ms apart, with no swipe: what the main loop costs the device
 * while the terminal waits (most ticks find nothing due; a window falling due makes one full).
 */
export function quietAppTicks(n: number): void {
  const a = app as TerminalApp;
  for (let i = 0; i < n; i++) {
    clock.mono += 50;
    a.tick();
  }
}

let nextSyncAt = 1_000;

/** One tick of 50 ms: the app, the journal's once-a-second housekeeping (as main.ts), the broker. */
function tick(a: TerminalApp, b: AckOnlyBroker): void {
  clock.mono += 50;
  a.tick();
  if (clock.mono >= nextSyncAt) {
    nextSyncAt = clock.mono + 1_000;
    (journal as SegmentedJournal).syncRemovals();
  }
  b.pump();
}

/** Swipes at their generated times until `stop()`, ticking every 50 ms of simulated time between them. */
function feed(stop: () => boolean): void {
  const a = app as TerminalApp;
  const b = broker as AckOnlyBroker;
  const g = gen as TrafficGenerator;
  const start = DEFAULT_TRAFFIC.startMs;
  while (!stop()) {
    const due = 1_000 + ((rec.terminal_time as number) - start);
    while (clock.mono + 50 <= due) tick(a, b);
    clock.mono = due;
    input.transaction_id = rec.transaction_id;
    input.card_hash = rec.card_hash;
    input.amount_cents = rec.amount_cents;
    a.swipe(input);
    g.next(rec);
  }
  a.tick();
  b.pump();
}

/**
 * The broker stops acknowledging: the session's window fills with unacknowledged messages
 * and the outbox with the rest, the state a terminal holds through a stalled broker.
 */
export function holdAcks(): void {
  (broker as AckOnlyBroker).autoAck = false;
}

/** A step of the terminal's clock (an NTP correction): UTC jumps by `ms`, monotonic time goes on. */
export function stepClock(ms: number): void {
  clock.origin += ms;
}

/** The broker becomes unreachable (true) or reachable again: the terminal's link drops, it reconnects with backoff. */
export function brokerDown(down: boolean): void {
  (broker as AckOnlyBroker).down = down;
}

/**
 * One round of bench:device32: `swipes` swipes of traffic (card-test bursts every 2 minutes,
 * big tickets), a stalled broker (PUBACKs held) until 2 000 messages are held (RAM full, the rest
 * in the flash backlog), the broker unreachable for `outageSwipes` more swipes (the link drops,
 * reconnects fail, more goes to the backlog), back with its session (the in-flight PUBLISHes sent
 * again), the drain, then a step of the clock (forward and back by turns). Returns the swipes fed.
 */
export function runDevice32Round(swipes: number, round: number, outageSwipes: number): number {
  runDeviceApp(swipes);
  holdAcks();
  const held = runUntilHeld(2_000);
  brokerDown(true);
  runDeviceApp(outageSwipes);
  brokerDown(false);
  drainDeviceApp(1_000_000);
  stepClock(round % 2 === 0 ? 30_000 : -20_000);
  return swipes + held + outageSwipes;
}

/** xsnap's meter: returns the steps since the last call and restarts the count (src/host/xs-engine.ts runs without a limit). */
declare function resetMeter(limit: number, index: number): number;

/**
 * bench:core's breakdown: `n` swipes with the sections below wrapped by a StepProfiler (its own
 * cost measured and taken out). Returns each section's steps and calls, and the run's total.
 */
export function profileDeviceApp(n: number): { sections: { section: string; steps: number; calls: number }[]; total: number } {
  const p = new StepProfiler(() => resetMeter(0, 0));
  p.calibrate();
  const a = app as TerminalApp;
  // TypeScript's private is compile-time only: the profiler reaches the parts it times.
  const ap = a as unknown as Record<string, object>;
  const pl = a.pipeline as unknown as Record<string, object>;
  p.wrap(a, "swipe", "swipe: answer, clock, decisions");
  p.wrap(a.pipeline, "process", "swipe: answer, clock, decisions");
  p.wrap(pl.validator!, "validate", "validation and dedup");
  p.wrap(pl.transactionIds!, "add", "validation and dedup");
  p.wrap(a.pipeline.ring, "push", "ring and request ids");
  p.wrap(a.pipeline.requestIds, "next", "ring and request ids");
  for (const op of a.pipeline.operators) {
    p.wrap(op, "add", "windows");
    p.wrap(op, "catchUp", "windows");
    p.wrap(op, "expireIdle", "windows");
  }
  p.wrap(a.pipeline, "onWindow" as never, "windows");
  p.wrap(pl.burst!, "check", "detectors");
  if (pl.anomaly) p.wrap(pl.anomaly, "check", "detectors");
  p.wrap(ap, "onAccepted", "JSON payload");
  p.wrap(a.pipeline.requestIds, "format", "JSON payload");
  p.wrap(ap, "encode", "JSON payload");
  p.wrap(a.outbox, "enqueue", "outbox");
  p.wrap(journal as SegmentedJournal, "append", "journal (frames, CRC, flash writes)");
  p.wrap(journal as SegmentedJournal, "syncRemovals", "journal (frames, CRC, flash writes)");
  p.wrap(a.session, "publish", "MQTT");
  p.wrap(a.session, "tick", "MQTT");
  p.wrap(ap.publisher!, "pump", "MQTT");
  p.wrap(a, "tick", "tick: clock, watermark, metrics");
  p.wrap(broker as AckOnlyBroker, "pump", "sim: the far end (not on the device)");
  const link = (broker as unknown as Record<string, Record<string, object>>).link!;
  p.wrap(link, "write", "sim: the far end (not on the device)");
  // What the far end delivers runs the terminal's own code (a PUBACK: the session, the publisher,
  // the outbox, the journal): the handlers it calls count for the device.
  for (const h of ["onConnected", "onData", "onWritable", "onClosed"]) p.wrap(link.handlers!, h, "MQTT: receiving (PUBACK: session, outbox, journal)");
  p.wrap(gen as TrafficGenerator, "next", "sim: the traffic generator (not on the device)");
  // The flash: the bench keeps it on the Node side of issueCommand (building each request is the
  // bench's cost); the firmware's LittlefsSegmentStore hands the frames to the SDK's file module.
  const store = (journal as unknown as Record<string, object>).store!;
  for (const m of ["append", "read", "list", "size", "truncate", "remove"]) if (typeof (store as Record<string, unknown>)[m] === "function") p.wrap(store, m, "sim: the flash store's requests (not on the device)");
  const t0 = p.now();
  runDeviceApp(n);
  const total = p.now() - t0;
  return { sections: p.sections(), total };
}

export function deviceAppStats() {
  const a = app as TerminalApp;
  const j = journal as SegmentedJournal;
  return {
    accepted: a.counters.accepted, acknowledged: a.counters.acknowledged, alerts: a.counters.alertsQueued, held: a.outbox.messages, inFlight: a.outbox.inFlight,
    backlog: a.outbox.backlogCount, flashBytes: j.bytes, segments: j.segments, declined: a.counters.declinedBackpressure + a.counters.declinedStorageFull + a.counters.declinedStorage, alertsRefused: a.counters.alertsRefused,
    internalErrors: a.counters.internalErrors, observerErrors: a.counters.observerErrors, journalFlushFailures: a.counters.journalFlushFailures,
  };
}

