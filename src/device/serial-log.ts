/**
 * The firmware's serial log lines, for people and for the Wokwi scenario (each ends in "\n"):
 *   paycard: ready ...                 once, when input is armed
 *   SWIPE <decision> tx=... rid=...    each swipe's answer
 *   ACK rid=...                        the broker acknowledged a message
 *   ALERT BURST_ATTACK card=... id=... / ALERT AMOUNT_ANOMALY merchant=... id=...
 *   LINK up|down                       the MQTT session
 *   TLS refused: <cause> (...)         a TLS handshake refused, and why
 *   WIFI up ip=... | WIFI down         (esp32)
 *   CLOCK synced offset=... bound=...  clock state changes
 *   STATUS ...                         every 15 s
 */
import type { SwipeAnswer } from "../core/app/swipe-decision";
import type { TerminalApp } from "../core/app/terminal-app";
import type { HeapMargin } from "../core/app/heap-margin";
import type { ClockTelemetry } from "../core/clock/clock-reading";
import type { TimeReading } from "../core/app/event-clock";
import type { Alert } from "../core/model/alert";
import type { JournalRecord } from "../core/outbox/journal-record";
import type { SegmentedJournal } from "../core/outbox/segmented-journal";
import type { SettingsConsole } from "../core/settings/settings-console";
import type { XsUse } from "./instrumentation-port";

const KEY_LABELS: Record<string, string> = { card_hash: "card", merchant_id: "merchant", terminal_id: "terminal" };

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

/**
 * The clock's last measured offset. At the first sync that is the step from
 * the monotonic clock's boot-relative time scale to UTC (decades, shown in
 * seconds); afterwards, the small residual of each poll (ms).
 */
function offsetText(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  return (ms >= 0 ? "+" : "") + (Math.abs(ms) >= 10_000 ? (ms / 1000).toFixed(3) + "s" : ms.toFixed(3) + "ms");
}

/** The XS heap's figures, in instrumented builds (" xs_slots=... gc=..."), else "". */
function heapText(u: XsUse): string {
  return Number.isFinite(u.slotBytes) ? ` xs_slots=${u.slotBytes}B xs_chunks=${u.chunkBytes}B stack_peak=${u.stackPeakBytes}B gc=${u.gcs}` : "";
}

export function swipeLine(a: SwipeAnswer, tx: string, source: string): string {
  return `SWIPE ${a.decision} tx=${tx} rid=${a.requestId === "" ? "-" : a.requestId} src=${source}${a.reason === "" ? "" : " reason=" + a.reason}\n`;
}

/** A console line that was not JSON: counted and published as MALFORMED_JSON; the line itself is never echoed (it might hold a card number). */
export function unparsableLine(a: SwipeAnswer): string {
  return `SWIPE ${a.decision} reason=${a.reason} src=console (a swipe is a JSON object {"transaction_id","card_hash","amount_cents"})\n`;
}

export function alertLine(a: Alert, queued: boolean): string {
  return `ALERT ${a.type} ${KEY_LABELS[a.keyField] ?? a.keyField}=${a.key} id=${a.id}${queued ? "" : " (outbox full: not queued)"}\n`;
}

export function ackLine(r: JournalRecord): string {
  return `ACK rid=${r.requestId}\n`;
}

/** The link came up (with the heap right after the connect, in instrumented builds: a TLS handshake's garbage not yet collected). */
export function linkUpLine(address: string, port: number, tls: boolean, u: XsUse): string {
  return `LINK up broker=${address}:${port}${tls ? " tls" : ""}${heapText(u)}\n`;
}

export function clockLine(t: TimeReading, tele: ClockTelemetry): string {
  if (t.state === "synced") {
    return `CLOCK synced offset=${offsetText(tele.offsetMs)} bound=${fmt(t.errorBoundMs, 3)}ms freq=${fmt(tele.frequencyPpm, 1)}ppm utc=${new Date(Math.round(t.utcMs)).toISOString()}\n`;
  }
  return `CLOCK ${t.state} bound=${fmt(t.errorBoundMs, 3)}ms\n`;
}

/** What the STATUS line reports. */
export interface StatusSources {
  app: TerminalApp;
  journal: SegmentedJournal;
  linkUp: boolean;
  clockState: string;
  reading: TimeReading;
  clock: ClockTelemetry;
  dns: { failed: number; lookups: number };
  tlsFailures: number;
  settings: SettingsConsole | null;
  /** Improv frames answered and error states sent (bad frames among them). */
  improv: { framesAnswered: number; errorsSent: number } | null;
  faults: number;
  heap: XsUse;
  margin: HeapMargin;
}

export function statusLine(x: StatusSources): string {
  const c = x.app.counters;
  const s = x.app.session.counters;
  const j = x.journal.counters;
  const o = x.app.outbox;
  return (
    `STATUS link=${x.linkUp ? "up" : "down"} clock=${x.clockState}±${fmt(x.reading.errorBoundMs, 1)}ms offset=${offsetText(x.clock.offsetMs)} ` +
    `swipes=${c.swipes} accepted=${c.accepted} acked=${c.acknowledged} alerts=${c.alertsQueued} ` +
    `declined=${c.declinedBackpressure}/${c.declinedClockUnsynced}/${c.declinedStorage} ` +
    `outbox=${o.messages}/${o.bytes}B backlog=${o.backlogCount} flash=${x.journal.bytes}B/${x.journal.segments}seg ` +
    `segments_deleted=${j.segmentsDeleted} journal_errors=${j.appendFailures + j.repairs + j.unreadable} storage_full=${j.refusedFull + c.declinedStorageFull} reconnects=${s.reconnects} retransmits=${s.retransmits} republished=${s.republished} ` +
    `dns=${x.dns.failed}/${x.dns.lookups} tls_failures=${x.tlsFailures} ` +
    (x.settings === null ? "" : `console=${x.settings.counters.done}/${x.settings.counters.rejected}/${x.settings.counters.refused} `) +
    (x.improv === null ? "" : `improv=${x.improv.framesAnswered}/${x.improv.errorsSent} `) +
    `faults=${x.faults + c.internalErrors + c.observerErrors}` +
    heapText(x.heap) +
    (x.margin.measured ? ` xs_peak ${x.margin.describe()}` : "") +
    "\n"
  );
}
