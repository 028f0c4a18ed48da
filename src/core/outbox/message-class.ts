/**
 * The three classes of outgoing message. The numeric value is also the send
 * priority (lower goes first) and the class's index in per-class counters.
 *
 * - ALERT: never dropped; may use capacity reserved for alerts; journaled.
 * - TRANSACTION: never dropped; when there is no room `enqueue` answers with
 *   backpressure so the terminal can decline or hold the swipe; journaled.
 * - TELEMETRY: best effort; dropped (oldest first, or the newest, by policy)
 *   when there is no room, every drop counted; not journaled.
 */
export const MessageClass = Object.freeze({
  ALERT: 0,
  TRANSACTION: 1,
  TELEMETRY: 2,
} as const);

export type MessageClass = (typeof MessageClass)[keyof typeof MessageClass];

/** Number of classes: the length of every per-class counter array. */
export const MESSAGE_CLASS_COUNT = 3;

export function isMessageClass(v: unknown): v is MessageClass {
  return v === 0 || v === 1 || v === 2;
}

/** Alerts and transactions are journaled and never dropped. */
export function isDurableClass(cls: MessageClass): boolean {
  return cls !== MessageClass.TELEMETRY;
}
