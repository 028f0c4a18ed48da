// The JSON shapes of the pipeline's outputs (src/core/pipeline/output-records.ts), field by field:
// what the replay CLI prints and the device console shows. Also bundled and run inside XS.
import { describe, expect, it } from "vitest";
import type { Alert } from "../../src/core/model/alert";
import { alertRecord, lateRecord, rejectRecord, windowRecord } from "../../src/core/pipeline/output-records";

describe("output records", () => {
  it("a window: its aggregate with the average rounded, snake_case keys", () => {
    const r = { window: "velocity", query: 1, keyField: "merchant_id", key: "m-1", start: 0, end: 60_000, count: 3, sum: 1000, min: 100, max: 600, small: 1, update: true, evicted: false };
    expect(windowRecord(r)).toEqual({ type: "window", window: "velocity", key_field: "merchant_id", key: "m-1", start: 0, end: 60_000, count: 3, sum: 1000, min: 100, max: 600, avg: 333, small: 1, update: true, evicted: false });
    expect(windowRecord({ ...r, sum: 1001, count: 2 }).avg).toBe(501); // 500.5 rounds up
  });

  it("an alert: card testing carries its confidence and transactions, other alerts do not", () => {
    const a: Alert = { id: "BURST_ATTACK:c:60000", type: "BURST_ATTACK", keyField: "card_hash", key: "c", windowEnd: 60_000, eventTime: 59_000, value: 6, detail: "6 swipes", confidence: 0.3, transactionIds: ["t1", "t2"] };
    expect(alertRecord(a)).toEqual({ type: "alert", id: a.id, alert_type: "BURST_ATTACK", key_field: "card_hash", key: "c", window_end: 60_000, event_time: 59_000, value: 6, detail: "6 swipes", confidence: 0.3, transactions: ["t1", "t2"] });
    const other = alertRecord({ ...a, type: "AMOUNT_ANOMALY", id: "AMOUNT_ANOMALY:m:1" });
    expect(Object.keys(other)).toEqual(["type", "id", "alert_type", "key_field", "key", "window_end", "event_time", "value", "detail"]);
  });

  it("a late swipe and a reject, field by field", () => {
    expect(lateRecord({ window: "burst", key: "c", transaction_id: "t", request_id: "r", timestamp: 5, watermark: 9, allowedLateness: 2, reason: "STATE_FULL" })).toEqual({ type: "late", window: "burst", key: "c", transaction_id: "t", request_id: "r", timestamp: 5, watermark: 9, allowed_lateness: 2, reason: "STATE_FULL" });
    expect(rejectRecord({ reason: "BAD_AMOUNT", field: "amount", detail: "negative", transaction_id: "t" } as never)).toEqual({ type: "reject", reason: "BAD_AMOUNT", field: "amount", detail: "negative", transaction_id: "t" });
  });
});
