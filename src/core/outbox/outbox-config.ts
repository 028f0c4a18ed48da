/**
 * Bounds of the outbox. Every new accept keeps
 *   messages <= maxMessages and bytes <= maxBytes            (alerts)
 *   messages <= maxMessages - reservedForAlerts.messages and
 *   bytes <= maxBytes - reservedForAlerts.bytes               (transactions, telemetry)
 * so the reserved part is usable by alerts only. A message's bytes are its
 * payload plus its topic in UTF-8.
 */
export interface OutboxConfig {
  maxMessages: number;
  maxBytes: number;
  reservedForAlerts: { messages: number; bytes: number };
  /**
   * Telemetry that does not fit: "drop-oldest" drops queued telemetry, oldest
   * first, to take the new one; "drop-newest" refuses the new one. Both count.
   */
  telemetryPolicy: TelemetryPolicy;
}

export type TelemetryPolicy = "drop-oldest" | "drop-newest";

export const DEFAULT_OUTBOX_CONFIG: OutboxConfig = Object.freeze({
  maxMessages: 64,
  maxBytes: 16 * 1024,
  reservedForAlerts: Object.freeze({ messages: 8, bytes: 2 * 1024 }),
  telemetryPolicy: "drop-oldest",
});

/** Throws RangeError naming the first bad setting. */
export function checkOutboxConfig(c: OutboxConfig): void {
  // Number.isInteger is false for anything but a number.
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  const natInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!posInt(c.maxMessages)) throw new RangeError(`outbox maxMessages must be a positive integer, got ${c.maxMessages}`);
  if (!posInt(c.maxBytes)) throw new RangeError(`outbox maxBytes must be a positive integer, got ${c.maxBytes}`);
  const r = c.reservedForAlerts;
  if (r === null || typeof r !== "object") throw new RangeError("outbox reservedForAlerts must be { messages, bytes }");
  if (!natInt(r.messages) || r.messages >= c.maxMessages) {
    throw new RangeError(`outbox reservedForAlerts.messages must be an integer in [0, maxMessages), got ${r.messages}`);
  }
  if (!natInt(r.bytes) || r.bytes >= c.maxBytes) {
    throw new RangeError(`outbox reservedForAlerts.bytes must be an integer in [0, maxBytes), got ${r.bytes}`);
  }
  if (c.telemetryPolicy !== "drop-oldest" && c.telemetryPolicy !== "drop-newest") {
    throw new RangeError(`outbox telemetryPolicy must be "drop-oldest" or "drop-newest", got ${String(c.telemetryPolicy)}`);
  }
}
