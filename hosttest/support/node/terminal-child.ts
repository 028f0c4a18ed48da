/**
 * Child process of the mosquitto fault test: one terminal = FileJournal +
 * Outbox + MqttSession + OutboxPublisher over the Node TCP transport. It
 * restores the outbox from the journal, then enqueues transaction events
 * seq = resume..total-1 (event seq always gets outbox id seq+1, so after a
 * kill -9 the journal's highest id says where to resume), at most `batch`
 * per tick, retrying a refused event at the next tick. It exits 0 once every
 * event is accepted and acknowledged. Lines on stdout (unbuffered):
 *   READY {"restored":n,"resume":n}
 *   P {...progress...}        every ~100 ms
 *   DONE {...final...}
 *   ERR message
 * Run: node --import tsx terminal-child.ts <journal> <port> <terminal> <total> <seed> [file|segments]
 * "segments": store and forward with the device's sizes: a SegmentedJournal in
 * the directory <journal> (FileSegmentStore) and the device's outbox bounds,
 * so events beyond RAM wait in the backlog; it calls syncRemovals every 100 ms.
 */
import { writeSync } from "node:fs";
import { MqttSession } from "../../../src/core/mqtt/session/mqtt-session";
import { OutboxPublisher } from "../../../src/core/app/outbox-publisher";
import { createEnqueueReceipt, EnqueueResult, isAccepted, isBackpressure } from "../../../src/core/outbox/enqueue-result";
import { Outbox } from "../../../src/core/outbox/outbox";
import { MessageClass } from "../../../src/core/outbox/message-class";
import type { OutboxConfig } from "../../../src/core/outbox/outbox-config";
import { SeededRandom } from "../../../src/sim/seeded-random";
import { FileJournal } from "../../../src/host/file-journal";
import { FileSegmentStore } from "../../../src/host/file-segment-store";
import { SegmentedJournal } from "../../../src/core/outbox/segmented-journal";
import { deviceOutboxOverrides, deviceStorageOptions } from "../../../src/core/settings/device-config";
import { nodeTcpTransportFactory } from "../../../src/host/node-tcp-transport";

export const CHILD_BOUNDS: OutboxConfig = {
  maxMessages: 48,
  maxBytes: 8 * 1024,
  reservedForAlerts: { messages: 4, bytes: 512 },
  telemetryPolicy: "drop-oldest",
};
const TICK_MS = 5;
const BATCH = 12;

export function requestIdFor(terminal: string, seq: number): string {
  return `${terminal}-1-${seq.toString(36)}`;
}

export function eventPayload(terminal: string, seq: number): string {
  return JSON.stringify({
    request_id: requestIdFor(terminal, seq),
    transaction_id: `txn-${seq.toString(16).padStart(8, "0")}`,
    card_hash: `hash_${(seq * 7919) % 100_003}`,
    terminal_id: terminal,
    merchant_id: `merch_${seq % 17}`,
    amount_cents: 100 + ((seq * 37) % 9_900),
    currency: "USD",
    timestamp: 1_768_055_025_123 + seq * 250,
  });
}

function main(): void {
  const [journalFile, portArg, terminal, totalArg, seedArg, storeArg] = process.argv.slice(2);
  if (journalFile === undefined || portArg === undefined || terminal === undefined || totalArg === undefined) {
    throw new Error("usage: terminal-child <journal> <port> <terminal> <total> <seed>");
  }
  const total = Number(totalArg);
  const say = (line: string) => writeSync(1, line + "\n");
  const fail = (msg: string) => {
    say(`ERR ${msg}`);
    process.exit(3);
  };
  const topic = `paycard/${terminal}/tx`;
  const enc = new TextEncoder();

  const segments = storeArg === "segments";
  const bounds: OutboxConfig = segments ? deviceOutboxOverrides() : CHILD_BOUNDS;
  const journal = segments ? new SegmentedJournal(new FileSegmentStore(journalFile), deviceStorageOptions()) : new FileJournal(journalFile, { compactMinDeadBytes: 16 * 1024 });
  const outbox = new Outbox(bounds, journal);
  const restored = outbox.restore();
  let seq = journal.highestId(); // events 0..highestId-1 were accepted before
  for (const id of outbox.queuedIds(MessageClass.TRANSACTION)) if (id > seq) fail(`restored id ${id} above highest id ${seq}`);
  const discardedBytes = journal instanceof FileJournal ? (journal.lastReplay?.discardedBytes ?? 0) : journal.counters.discardedBytes;
  say(`READY ${JSON.stringify({ restored: restored.records, backlog: restored.backlog, resume: seq, discardedBytes })}`);

  const session = new MqttSession(
    {
      clientId: `paycard-${terminal}`,
      keepAliveSec: 5,
      pingTimeoutMs: 2000,
      inFlightWindow: 16,
      maxPacketSize: 65536,
      backoff: { baseMs: 50, capMs: 400 },
      connectTimeoutMs: 3000,
    },
    { transport: nodeTcpTransportFactory({ host: "127.0.0.1", port: Number(portArg) }), random: new SeededRandom(Number(seedArg ?? 1)), store: outbox },
  );
  const publisher = new OutboxPublisher(outbox, session);

  let accepted = 0;
  let refused = 0;
  let maxMessages = 0;
  let maxBytes = 0;
  let boundViolations = 0;
  let inconsistent = 0;
  const sample = () => {
    const m = outbox.messages;
    const b = outbox.bytes;
    if (m > maxMessages) maxMessages = m;
    if (b > maxBytes) maxBytes = b;
    if (m > bounds.maxMessages || b > bounds.maxBytes) boundViolations++;
    // Every message the outbox has in flight is in flight in the session or parked.
    if (outbox.inFlight !== session.inFlightCount + publisher.parkedIds.length) inconsistent++;
  };
  const report = (kind: string) => {
    const s = outbox.stats();
    say(
      `${kind} ${JSON.stringify({
        accepted,
        refused,
        seq,
        restored: restored.records,
        acknowledged: s.transaction.acknowledged,
        held: s.messages,
        backlog: s.backlog,
        journal: journal instanceof FileJournal ? journal.size : journal.ramHeld + journal.backlogCount,
        storageBytes: journal.bytes,
        maxMessages,
        maxBytes,
        highWaterMessages: s.highWaterMessages,
        highWaterBytes: s.highWaterBytes,
        backpressureCount: s.backpressureCount,
        backpressureBytes: s.backpressureBytes,
        boundViolations,
        inconsistent,
        publisher: publisher.counters,
        session: {
          connects: session.counters.connects,
          retransmits: session.counters.retransmits,
          republished: session.counters.republished,
          pubacks: session.counters.pubacks,
          errors: session.counters.errors,
        },
      })}`,
    );
  };

  let lastReport = 0;
  const receipt = createEnqueueReceipt();
  const timer = setInterval(() => {
    const now = Date.now();
    session.tick(now);
    for (let k = 0; k < BATCH && seq < total; k++) {
      const r = outbox.enqueue(MessageClass.TRANSACTION, topic, enc.encode(eventPayload(terminal, seq)), requestIdFor(terminal, seq), now, receipt);
      sample();
      if (isAccepted(r)) {
        if (receipt.id !== seq + 1) fail(`event ${seq} got outbox id ${receipt.id}`);
        accepted++;
        seq++;
      } else if (isBackpressure(r)) {
        refused++;
        break; // hold it; offered again next tick
      } else {
        fail(`enqueue of ${seq} answered ${r}${r === EnqueueResult.JOURNAL_FAILED ? " (journal)" : ""}`);
      }
    }
    publisher.pump();
    sample();
    if (now - lastReport >= 100) {
      lastReport = now;
      if (journal instanceof SegmentedJournal) journal.syncRemovals();
      report("P");
    }
    if (seq >= total && outbox.messages === 0 && outbox.backlogCount === 0) {
      clearInterval(timer);
      session.stop(now);
      if (journal instanceof SegmentedJournal) journal.syncRemovals();
      else journal.close();
      report("DONE");
      setTimeout(() => process.exit(0), 20);
    }
  }, TICK_MS);
  session.start(Date.now());
}

if (process.argv[1] !== undefined && /terminal-child\.ts$/.test(process.argv[1])) main();
