import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Alert } from "../core/model/alert";
import { alertRecord, lateRecord, rejectRecord, windowRecord } from "../core/pipeline/output-records";
import { Pipeline, type LateRecord, type PipelineSink, type PipelineStats, type RejectRecord } from "../core/pipeline/pipeline";
import type { PipelineConfig } from "../core/pipeline/pipeline-config";
import { SeededRandom } from "../sim/seeded-random";
import type { Swipe } from "../core/model/swipe";
import type { WindowResult } from "../core/stream/window-result";
import type { LineWriter } from "./line-writer";

export interface ReplayOptions {
  config: PipelineConfig;
  /** Terminal id used in request ids. */
  terminalId: string;
  /** Boot number used in request ids (a replay is deterministic). */
  boot: number;
  /** Also write one `{"type":"event"}` line per accepted swipe. */
  events: boolean;
  /** Write only these record types (null: all). */
  only?: ReadonlySet<RecordType> | null;
  /** Times as ISO-8601 strings instead of epoch milliseconds. */
  iso?: boolean;
}

export const RECORD_TYPES = ["window", "alert", "late", "reject", "event", "summary"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Fields that hold an epoch-ms time in the records (`--iso` writes them as ISO-8601). */
const TIME_FIELDS = new Set(["start", "end", "window_end", "event_time", "timestamp", "terminal_time", "watermark"]);

function isoTimes(rec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) out[k] = TIME_FIELDS.has(k) && typeof v === "number" && Number.isFinite(v) ? new Date(v).toISOString() : v;
  return out;
}

export interface ReplaySummary extends Omit<PipelineStats, "watermark"> {
  type: "summary";
  lines: number;
  blank_lines: number;
  /** The event-time watermark the input reached (before end of input took it to +infinity); null before any accepted swipe. */
  watermark: number | null;
  /** Why the watermark is null, when it is. */
  watermark_note?: string;
}

/** Writes each pipeline output as one JSON line, of the types asked for, times as asked. */
class JsonLinesSink implements PipelineSink {
  line = 0;
  private readonly events: boolean;
  constructor(private readonly w: LineWriter, private readonly o: ReplayOptions, private readonly pipeline: () => Pipeline) {
    this.events = o.events || (o.only?.has("event") ?? false);
  }
  emit(type: RecordType, rec: Record<string, unknown>) {
    if (this.o.only != null && !this.o.only.has(type)) return;
    this.w.line(JSON.stringify(this.o.iso ? isoTimes(rec) : rec));
  }
  onWindow(r: WindowResult) { this.emit("window", windowRecord(r)); }
  onAlert(a: Alert) { this.emit("alert", alertRecord(a)); }
  onLate(l: LateRecord) { this.emit("late", lateRecord(l)); }
  onReject(r: RejectRecord) { this.emit("reject", { ...rejectRecord(r), line: this.line }); }
  onAccepted(s: Swipe, seq: number) {
    if (!this.events) return;
    this.emit("event", {
      type: "event", line: this.line, request_id: this.pipeline().requestIds.format(seq), transaction_id: s.transaction_id,
      card_hash: s.card_hash, terminal_id: s.terminal_id, merchant_id: s.merchant_id, amount_cents: s.amount_cents,
      currency: s.currency, location: { lat: s.lat, lon: s.lon }, timestamp: s.timestamp, terminal_time: s.terminal_time,
    });
  }
}

/**
 * Runs JSONL swipes through the core pipeline. Processing time is each line's
 * `terminal_time`. At end of input the watermark goes to +infinity, so every
 * window still open fires, and a summary line closes the output (its `watermark`
 * is the one the input reached before that).
 */
export async function replay(input: Readable, out: LineWriter, o: ReplayOptions): Promise<ReplaySummary> {
  let pipeline: Pipeline | null = null;
  const sink = new JsonLinesSink(out, o, () => pipeline as Pipeline);
  pipeline = new Pipeline(o.config, sink, { bootCounter: { nextBoot: () => o.boot }, random: new SeededRandom(o.boot) }, o.terminalId);
  let blank = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const text of lines) {
    sink.line++;
    if (text.trim() === "") {
      blank++;
      continue;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch (e) {
      pipeline.rejectUnparsable(`line ${sink.line}: ${(e as Error).message}`);
      await out.flushIfFull();
      continue;
    }
    pipeline.process(rec);
    await out.flushIfFull();
  }
  const reached = pipeline.watermark.current;
  pipeline.finish();
  const summary: ReplaySummary = { type: "summary", lines: sink.line, blank_lines: blank, ...pipeline.stats(), watermark: Number.isFinite(reached) ? reached : null };
  if (summary.watermark === null) summary.watermark_note = "no swipe was accepted, so event time never started (the watermark follows the newest accepted timestamp minus watermarkMs)";
  sink.emit("summary", summary as unknown as Record<string, unknown>);
  await out.flush();
  return summary;
}
