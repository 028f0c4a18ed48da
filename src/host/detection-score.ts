import type { Alert } from "../core/model/alert";
import type { InjectedAnomaly, InjectedBurst, TrafficTruth } from "../sim/traffic-generator";

export interface DetectionScore {
  injected: number;
  detected: number;
  alerts: number;
  false_alerts: number;
  precision: number | null;
  recall: number | null;
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : Math.round((a / b) * 1000) / 1000;
}

/**
 * Scores burst and anomaly alerts against what the traffic generator injected:
 * a burst counts as detected when any BURST_ATTACK alert names its card; an
 * anomaly when an AMOUNT_ANOMALY alert names its transaction.
 */
export class DetectionScorer implements TrafficTruth {
  private readonly burstCards = new Set<string>();
  private readonly anomalyTx = new Set<string>();
  private readonly burstAlertCards = new Set<string>();
  private readonly anomalyAlertTx = new Set<string>();
  private burstAlerts = 0;
  private anomalyAlerts = 0;

  onBurst(b: InjectedBurst): void {
    this.burstCards.add(b.card);
  }

  onAnomaly(a: InjectedAnomaly): void {
    this.anomalyTx.add(a.transactionId);
  }

  onAlert(a: Alert): void {
    if (a.type === "BURST_ATTACK") {
      this.burstAlerts++;
      this.burstAlertCards.add(a.key);
    } else if (a.type === "AMOUNT_ANOMALY") {
      this.anomalyAlerts++;
      this.anomalyAlertTx.add(a.id.slice(a.id.lastIndexOf(":") + 1));
    }
  }

  bursts(): DetectionScore {
    let detected = 0;
    for (const c of this.burstCards) if (this.burstAlertCards.has(c)) detected++;
    let falseCards = 0;
    for (const c of this.burstAlertCards) if (!this.burstCards.has(c)) falseCards++;
    return {
      injected: this.burstCards.size, detected, alerts: this.burstAlerts, false_alerts: falseCards,
      precision: ratio(this.burstAlertCards.size - falseCards, this.burstAlertCards.size),
      recall: ratio(detected, this.burstCards.size),
    };
  }

  anomalies(): DetectionScore {
    let detected = 0;
    for (const t of this.anomalyTx) if (this.anomalyAlertTx.has(t)) detected++;
    const falseAlerts = this.anomalyAlerts - detected;
    return {
      injected: this.anomalyTx.size, detected, alerts: this.anomalyAlerts, false_alerts: falseAlerts,
      precision: ratio(detected, this.anomalyAlerts), recall: ratio(detected, this.anomalyTx.size),
    };
  }
}
