import type { Alert } from "../../src/core/model/alert";
import type { LateRecord, PipelineSink, RejectRecord } from "../../src/core/pipeline/pipeline";
import type { Swipe } from "../../src/core/model/swipe";
import type { WindowResult } from "../../src/core/stream/window-result";

/** A sink that copies every record it is given (the pipeline reuses its records). */
export class CollectingSink implements PipelineSink {
  windows: WindowResult[] = [];
  alerts: Alert[] = [];
  late: LateRecord[] = [];
  rejects: RejectRecord[] = [];
  accepted: { tx: string; seq: number }[] = [];
  onWindow(r: WindowResult) { this.windows.push({ ...r }); }
  onAlert(a: Alert) { this.alerts.push({ ...a, transactionIds: [...a.transactionIds] }); }
  onLate(l: LateRecord) { this.late.push({ ...l }); }
  onReject(r: RejectRecord) { this.rejects.push({ ...r }); }
  onAccepted(s: Swipe, seq: number) { this.accepted.push({ tx: s.transaction_id, seq }); }
}
