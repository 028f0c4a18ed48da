import type { Alert } from "../model/alert";
import type { LateRecord, RejectRecord } from "./pipeline";
import type { WindowResult } from "../stream/window-result";

/**
 * The JSON shapes of the pipeline's outputs, shared by the replay CLI, the
 * device console and (later) the MQTT payloads. Field names are snake_case
 * like the payment schema; times are epoch milliseconds.
 */
export function windowRecord(r: WindowResult) {
  return {
    type: "window" as const,
    window: r.window,
    key_field: r.keyField,
    key: r.key,
    start: r.start,
    end: r.end,
    count: r.count,
    sum: r.sum,
    min: r.min,
    max: r.max,
    avg: Math.round(r.sum / r.count),
    small: r.small,
    update: r.update,
    evicted: r.evicted,
  };
}

export function alertRecord(a: Alert) {
  return {
    type: "alert" as const,
    id: a.id,
    alert_type: a.type,
    key_field: a.keyField,
    key: a.key,
    window_end: a.windowEnd,
    event_time: a.eventTime,
    value: a.value,
    detail: a.detail,
    // Card testing carries the course's confidence and the window's transactions.
    ...(a.type === "BURST_ATTACK" ? { confidence: a.confidence, transactions: a.transactionIds } : {}),
  };
}

export function lateRecord(l: LateRecord) {
  return {
    type: "late" as const,
    window: l.window,
    key: l.key,
    transaction_id: l.transaction_id,
    request_id: l.request_id,
    timestamp: l.timestamp,
    watermark: l.watermark,
    allowed_lateness: l.allowedLateness,
    reason: l.reason,
  };
}

export function rejectRecord(r: RejectRecord) {
  return {
    type: "reject" as const,
    reason: r.reason,
    field: r.field,
    detail: r.detail,
    transaction_id: r.transaction_id,
  };
}
