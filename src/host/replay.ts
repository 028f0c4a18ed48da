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
}

export interface ReplaySummary extends Omit<PipelineStats, "watermark"> {
  type: "summary";
  lines: number;
  blank_lines: number;
  watermark: number | null;
}

/** Writes each pipeline output as one JSON line. */
class JsonLinesSink implements PipelineSink {
  line = 0;
  constructor(private readonly w: LineWriter, private readonly events: boolean, private readonly pipeline: () => Pipeline) {}
  onWindow(r: WindowResult) { this.w.line(JSON.stringify(windowRecord(r))); }
  onAlert(a: Alert) { this.w.line(JSON.stringify(alertRecord(a))); }
  onLate(l: LateRecord) { this.w.line(JSON.stringify(lateRecord(l))); }
  onReject(r: RejectRecord) { this.w.line(JSON.stringify({ ...rejectRecord(r), line: this.line })); }
  onAccepted(s: Swipe, seq: number) {
    if (!this.events) return;
    this.w.line(JSON.stringify({
      type: "event", line: this.line, request_id: this.pipeline().requestIds.format(seq), transaction_id: s.transaction_id,
      card_hash: s.card_hash, terminal_id: s.terminal_id, merchant_id: s.merchant_id, amount_cents: s.amount_cents,
      currency: s.currency, location: { lat: s.lat, lon: s.lon }, timestamp: s.timestamp, terminal_time: s.terminal_time,
    }));
  }
}

/**
 * Runs JSONL swipes through the core pipeline. Processing time is each line's
 * `terminal_time`. At end of input the watermark goes to +infinity, so every
 * window still open fires, and a summary line closes the output.
 */
export async function replay(input: Readable, out: LineWriter, o: ReplayOptions): Promise<ReplaySummary> {
  let pipeline: Pipeline | null = null;
  const sink = new JsonLinesSink(out, o.events, () => pipeline as Pipeline);
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
  pipeline.finish();
  const st = pipeline.stats();
  const summary: ReplaySummary = { type: "summary", lines: sink.line, blank_lines: blank, ...st, watermark: Number.isFinite(st.watermark) ? st.watermark : null };
  out.line(JSON.stringify(summary));
  await out.flush();
  return summary;
}
