/**
 * What the console's `status` and `ring` commands print about a running terminal: plain lines,
 * no secrets, no card numbers (the ring holds card_hash only).
 */
import { MessageClass } from "../outbox/message-class";
import type { Swipe } from "../model/swipe";
import type { TimeReading } from "./event-clock";
import type { TerminalApp } from "./terminal-app";

/** The lab's terminal commands, as the console calls them. */
export interface TerminalCommands {
  offline(): string;
  online(): string;
  status(): string[];
  ring(max: number): string[];
}

/** The commands on a running TerminalApp; `clock` reads the event clock now. */
export function terminalCommands(app: TerminalApp, clock: () => TimeReading): TerminalCommands {
  return {
    offline: () => (app.holdLinkDown() ? `offline: link dropped and held down; swipes are journaled until ${app.outbox.keepsBacklog ? "storage" : "the outbox"} is full` : "offline already"),
    online: () => (app.releaseLink() ? "online: reconnecting; the outbox drains" : "online already (the link was not held down)"),
    status: () => statusLines(app, clock()),
    ring: (max) => ringLines(app, max),
  };
}

/** Swipes `ring` prints at most. */
const MAX_RING_LINES = 32;

function iso(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : "-";
}

/** Link, clock, outbox depth by class, the main counters, keyed-state evictions, burst incidents and (where measured) the heap's peaks. */
function statusLines(app: TerminalApp, clock: TimeReading): string[] {
  const c = app.counters;
  const o = app.outbox;
  const st = app.pipeline.stats();
  let flushed = 0;
  for (const w of Object.values(st.windows)) flushed += w.flushed_on_eviction;
  const link = app.linkHeldDown ? "held down (offline; online brings it back)" : app.session.connected ? "up" : `down (${app.session.state})`;
  const b = st.burst_incidents;
  const m = app.heapMargin;
  const heap = m === undefined ? [] : [m.measured ? `heap peak ${m.describe()}` : "heap peak not measured yet (read at each STATUS line)"];
  return [
    `link ${link}; in flight ${app.session.inFlightCount}`,
    `clock ${clock.state}${clock.state === "unsynced" ? "" : ` ±${clock.errorBoundMs.toFixed(1)} ms, ${iso(clock.utcMs)}`}`,
    `outbox ${o.messages} messages / ${o.bytes} B: alerts ${o.depth(MessageClass.ALERT)}, transactions ${o.depth(MessageClass.TRANSACTION)}, telemetry ${o.depth(MessageClass.TELEMETRY)} (at most ${o.config.maxMessages} / ${o.config.maxBytes} B)${o.keepsBacklog ? `; ${o.backlogCount} transactions wait in storage` : ""}`,
    `swipes ${c.swipes}: accepted ${c.accepted}, acknowledged ${c.acknowledged}, rejected ${c.rejected}, declined backpressure ${c.declinedBackpressure} (storage full ${c.declinedStorageFull}), clock ${c.declinedClockUnsynced}, storage ${c.declinedStorage}`,
    `alerts queued ${c.alertsQueued}; card testing: ${b.opened} incidents, ${b.repeat_windows} more windows of them not alerted, ${b.open} open`,
    `ring ${st.ring.size}/${st.ring.capacity} swipes (${st.ring.overwritten} overwritten); keys evicted ${app.pipeline.keysEvicted()} (${flushed} windows fired early for it)`,
    ...heap,
  ];
}

/** The ring's swipes, newest first, at most `max`. */
function ringLines(app: TerminalApp, max = MAX_RING_LINES): string[] {
  const ring = app.pipeline.ring;
  const lines = [`ring: ${ring.size} of ${ring.capacity} swipes, newest first${ring.size > max ? ` (the ${max} newest)` : ""}`];
  const s = {} as Swipe;
  ring.forEach((pos) => {
    const seq = ring.read(pos, s);
    lines.push(`  #${seq} ${iso(s.timestamp)} tx=${s.transaction_id} card=${s.card_hash} ${s.amount_cents} ${s.currency}`);
    return lines.length <= max;
  }, true);
  return lines;
}
