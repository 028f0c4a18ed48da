import { alertId, AlertType, createAlert, type Alert } from "../model/alert";
import { floorMod } from "../stream/window-math";

/**
 * Flags a terminal whose event time and processing time differ by more than
 * `maxDriftMs`. The alert id names a tumbling bucket of event time so that a
 * drifting terminal yields at most one distinct alert per bucket.
 */
export class ClockDriftDetector {
  private readonly alert = createAlert(AlertType.CLOCK_DRIFT, "terminal_id");
  checked = 0;
  matched = 0;

  constructor(private readonly maxDriftMs: number, private readonly bucketMs: number) {
    if (!(maxDriftMs > 0)) throw new RangeError(`clock drift limit must be positive ms, got ${maxDriftMs}`);
    if (!Number.isInteger(bucketMs) || bucketMs <= 0) throw new RangeError(`clock drift bucket must be a positive integer of ms, got ${bucketMs}`);
  }

  check(terminalId: string, eventTime: number, processingTime: number): Alert | null {
    this.checked++;
    const drift = processingTime - eventTime;
    if (!(drift > this.maxDriftMs || drift < -this.maxDriftMs)) return null;
    this.matched++;
    const end = eventTime - floorMod(eventTime, this.bucketMs) + this.bucketMs;
    const a = this.alert;
    a.key = terminalId;
    a.windowEnd = end;
    a.eventTime = eventTime;
    a.value = drift;
    a.id = alertId(AlertType.CLOCK_DRIFT, terminalId, end);
    a.detail = "processing time minus event time is " + drift + " ms (limit " + this.maxDriftMs + ")";
    return a;
  }
}
