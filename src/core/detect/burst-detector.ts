import { alertId, AlertType, createAlert, type Alert } from "../model/alert";
import type { WindowResult } from "../stream/window-result";

export interface BurstThresholds {
  /** Alert when a card's window holds more than this many swipes. */
  maxCount: number;
  /** ...or more than this many swipes whose average is below `smallAverageCents`. */
  smallBurstCount: number;
  smallAverageCents: number;
}

export const DEFAULT_BURST_THRESHOLDS: BurstThresholds = Object.freeze({ maxCount: 10, smallBurstCount: 5, smallAverageCents: 500 });

/**
 * Card testing ("burst") detection on a per-card sliding window result:
 * count > maxCount, or count > smallBurstCount with average < smallAverageCents.
 * Stateless: the same window always yields the same verdict and alert id.
 */
export class BurstDetector {
  private readonly alert: Alert;
  evaluated = 0;
  matched = 0;

  constructor(private readonly t: BurstThresholds, keyField: string) {
    this.alert = createAlert(AlertType.BURST_ATTACK, keyField);
  }

  /** Returns the alert when window `r` is a burst, else null. */
  check(r: WindowResult): Alert | null {
    this.evaluated++;
    const avg = r.sum / r.count;
    const hit = r.count > this.t.maxCount || (r.count > this.t.smallBurstCount && avg < this.t.smallAverageCents);
    if (!hit) return null;
    this.matched++;
    const a = this.alert;
    a.key = r.key;
    a.windowEnd = r.end;
    a.eventTime = r.end - 1;
    a.value = r.count;
    a.id = alertId(AlertType.BURST_ATTACK, r.key, r.end);
    a.detail = r.count + " swipes in [" + r.start + "," + r.end + "), average " + Math.round(avg) + " cents";
    return a;
  }
}
