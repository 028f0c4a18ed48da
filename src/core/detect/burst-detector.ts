import { alertId, AlertType, createAlert, type Alert } from "../model/alert";
import type { WindowResult } from "../stream/window-result";
import { BurstIncidents } from "./burst-incidents";

export interface BurstThresholds {
  /** Alert when a card's window holds more than this many swipes. */
  maxCount: number;
  /** ...or more than this many swipes whose average is below `smallAverageCents`. */
  smallBurstCount: number;
  smallAverageCents: number;
}

export const DEFAULT_BURST_THRESHOLDS: BurstThresholds = Object.freeze({ maxCount: 10, smallBurstCount: 5, smallAverageCents: 500 });

/** Most open incidents kept when no capacity is given (the host's card key count). */
const DEFAULT_INCIDENT_CAPACITY = 128;

/**
 * Card testing ("burst") detection on a per-card sliding window result:
 * count > maxCount, or count > smallBurstCount with average < smallAverageCents
 * (the course's BurstDetector, with its confidence min(0.95, count / 20)).
 * The verdict of a window is stateless; whether it alerts is the incident's
 * business (BurstIncidents): one attack, one alert. The alert id is the
 * incident's first window (type:card:window end), so a replay gives the same id.
 */
export class BurstDetector {
  private readonly alert: Alert;
  readonly incidents: BurstIncidents;
  evaluated = 0;
  /** Windows that met the rule (alerting or not). */
  matched = 0;

  constructor(
    private readonly t: BurstThresholds,
    keyField: string,
    incidentCapacity = DEFAULT_INCIDENT_CAPACITY,
  ) {
    this.alert = createAlert(AlertType.BURST_ATTACK, keyField);
    this.incidents = new BurstIncidents(incidentCapacity);
  }

  /**
   * Windows holding at most this many swipes are never a burst: for a card without an open
   * incident (whose miss would close it) checking them changes nothing.
   */
  get quietUpTo(): number {
    return Math.min(this.t.maxCount, this.t.smallBurstCount);
  }

  /** Does window `r` meet the rule? */
  isBurst(r: WindowResult): boolean {
    const avg = r.sum / r.count;
    return r.count > this.t.maxCount || (r.count > this.t.smallBurstCount && avg < this.t.smallAverageCents);
  }

  /** Returns the alert when window `r` opens a card-testing incident, else null (no burst, or one already alerted). */
  check(r: WindowResult): Alert | null {
    this.evaluated++;
    if (!this.isBurst(r)) {
      this.incidents.miss(r.key);
      return null;
    }
    this.matched++;
    if (!this.incidents.hit(r.key, r.start, r.end, r.update)) return null;
    const avg = r.sum / r.count;
    const a = this.alert;
    a.key = r.key;
    a.windowEnd = r.end;
    a.eventTime = r.end - 1;
    a.value = r.count;
    a.id = alertId(AlertType.BURST_ATTACK, r.key, r.end);
    a.detail = r.count + " swipes in [" + r.start + "," + r.end + "), average " + Math.round(avg) + " cents";
    a.confidence = Math.min(0.95, r.count / 20);
    // The pipeline fills these from its ring (the alert and its array are reused: consumers copy what they keep).
    a.transactionIds.length = 0;
    return a;
  }
}
