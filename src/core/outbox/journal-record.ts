import type { MessageClass } from "./message-class";

/**
 * One outgoing message as the outbox holds it and as the journal stores it.
 * The outbox creates it once, at enqueue, and hands the same object to the
 * journal and, later, to the session that publishes it.
 */
export interface JournalRecord {
  /** Outbox id: assigned at enqueue, strictly increasing, a safe integer >= 1. */
  readonly id: number;
  readonly cls: MessageClass;
  /** MQTT topic name (at most 65535 bytes of UTF-8). */
  readonly topic: string;
  readonly payload: Uint8Array;
  /** Request id of the event the message carries (at most 65535 bytes of UTF-8). */
  readonly requestId: string;
  /** Processing time of the enqueue, epoch milliseconds. */
  readonly enqueuedAt: number;
}
