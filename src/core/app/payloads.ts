import type { Alert } from "../model/alert";
import { alertRecord, lateRecord, rejectRecord } from "../pipeline/output-records";
import type { LateRecord, RejectRecord } from "../pipeline/pipeline";
import type { Swipe } from "../model/swipe";
import type { ClockState } from "../clock/clock-reading";

/**
 * JSON payloads the terminal publishes. Every payload carries `v`, the
 * schema version; consumers deduplicate on `request_id` (transactions) or
 * `id` (alerts), never on MQTT packet ids. Transactions use the payment
 * schema's field names, with ISO-8601 UTC times as in the schema's example.
 */
export const PAYLOAD_SCHEMA_VERSION = 1;

/** How good the event time of a transaction is. */
export interface TimeQuality {
  state: ClockState;
  errorBoundMs: number;
  /** Swiped before the clock's first sync and dated afterwards from the monotonic clock. */
  backdated: boolean;
}

function iso(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** `sendTimeMs` is terminal_time: when the terminal queued it for sending (a held swipe's is later than its processing). */
export function transactionPayload(s: Swipe, requestId: string, t: TimeQuality, sendTimeMs: number): string {
  return JSON.stringify({
    v: PAYLOAD_SCHEMA_VERSION,
    request_id: requestId,
    transaction_id: s.transaction_id,
    card_hash: s.card_hash,
    terminal_id: s.terminal_id,
    merchant_id: s.merchant_id,
    amount_cents: s.amount_cents,
    currency: s.currency,
    location: { lat: s.lat, lon: s.lon },
    timestamp: iso(s.timestamp),
    terminal_time: iso(sendTimeMs),
    time_quality: { clock: t.state, error_bound_ms: round3(t.errorBoundMs), backdated: t.backdated },
  });
}

export function alertPayload(a: Alert, terminalId: string): string {
  return JSON.stringify({ v: PAYLOAD_SCHEMA_VERSION, terminal_id: terminalId, ...alertRecord(a) });
}

export function latePayload(l: LateRecord, terminalId: string): string {
  return JSON.stringify({ v: PAYLOAD_SCHEMA_VERSION, terminal_id: terminalId, ...lateRecord(l) });
}

export function rejectPayload(r: RejectRecord, terminalId: string): string {
  return JSON.stringify({ v: PAYLOAD_SCHEMA_VERSION, terminal_id: terminalId, ...rejectRecord(r) });
}

export function statusPayload(status: "online" | "offline", terminalId: string, boot: string): string {
  return JSON.stringify({ v: PAYLOAD_SCHEMA_VERSION, terminal_id: terminalId, status, boot });
}
