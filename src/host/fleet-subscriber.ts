import mqtt, { type MqttClient } from "mqtt";
import type { Alert } from "../core/model/alert";
import { OsEventClock } from "./os-event-clock";

/** What the subscriber saw of one terminal fleet's topics. */
export interface SubscriberTally {
  /** Transaction messages received (with duplicates). */
  txMessages: number;
  /** Distinct request ids received. */
  txUnique: number;
  /** Of those, ids in `expected` (this run's accepted swipes; a previous run's leftovers are not). */
  txExpected: number;
  /** Messages whose request id had been received before (QoS 1 resends; removed by dedup). */
  txDuplicates: number;
  /**
   * Effects applied twice after dedup on request id: distinct request ids
   * carrying a transaction_id already applied. Must be 0.
   */
  dupEffects: number;
  alertMessages: number;
  alertsUnique: number;
  late: number;
  rejects: number;
  metrics: number;
  statusOnline: number;
  statusOffline: number;
  /** Payloads that were not the JSON we publish. */
  malformed: number;
}

export interface BrokerAddress {
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password: string;
  /** PEM CA for mqtts (optional). */
  ca?: string;
}

/**
 * MQTT.js options for `broker` (MQTT 3.1.1, its credentials and CA) under a client id of its own,
 * `paycard-<role>-<pid>-<random>`; the caller adds the session and reconnect settings.
 */
export function brokerClientOptions(broker: BrokerAddress, role: string): mqtt.IClientOptions {
  return {
    protocol: broker.tls ? "mqtts" : "mqtt",
    host: broker.host,
    port: broker.port,
    username: broker.username || undefined,
    password: broker.password || undefined,
    ca: broker.ca,
    clientId: `paycard-${role}-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}`,
    protocolVersion: 4,
  };
}

/**
 * The measuring end of `paycard run`: an MQTT.js client subscribed to
 * <prefix>/#, deduplicating transactions on request_id (as a consumer must:
 * QoS 1 may deliver twice) and alerts on their id, timing each first arrival
 * against the transaction's terminal_time (same clock: both sides run in
 * this process).
 *
 * Its session is persistent (clean session 0, one client id for the run), as a
 * consumer that must not miss a payment needs: what terminals publish while its
 * link is down (cut, or the broker restarting with persistence on) waits in the
 * broker for it, so "lost" means lost. `close` ends that session on the broker.
 */
export class FleetSubscriber {
  readonly tally: SubscriberTally = {
    txMessages: 0, txUnique: 0, txExpected: 0, txDuplicates: 0, dupEffects: 0, alertMessages: 0, alertsUnique: 0,
    late: 0, rejects: 0, metrics: 0, statusOnline: 0, statusOffline: 0, malformed: 0,
  };
  readonly requestIds = new Set<string>();
  private readonly transactionIds = new Set<string>();
  readonly alertIds = new Set<string>();
  /** End-to-end latency of each first arrival, ms. */
  latencies: number[] = [];
  onAlert: (a: Pick<Alert, "type" | "key" | "id">) => void = () => {};
  /** Each first alert, and each late and reject record, as published (for `run --watch`). */
  onRecord: (leaf: "alerts" | "late" | "rejects", payload: Record<string, unknown>) => void = () => {};
  /** Request ids the run is waiting for (filled by the run as swipes are accepted). */
  expected: Pick<ReadonlySet<string>, "has"> = new Set<string>();

  private constructor(
    private readonly client: MqttClient,
    private readonly options: mqtt.IClientOptions,
  ) {}

  static async connect(broker: BrokerAddress, topicPrefix: string): Promise<FleetSubscriber> {
    const options: mqtt.IClientOptions = { ...brokerClientOptions(broker, "observer"), clean: false, reconnectPeriod: 500 };
    const client = await mqtt.connectAsync(options);
    const sub = new FleetSubscriber(client, options);
    client.on("message", (topic, payload) => sub.receive(topic, payload));
    await client.subscribeAsync(topicPrefix + "/#", { qos: 1 });
    return sub;
  }

  private receive(topic: string, payload: Buffer): void {
    const leaf = topic.slice(topic.lastIndexOf("/") + 1);
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
    } catch {
      this.tally.malformed++;
      return;
    }
    const t = this.tally;
    switch (leaf) {
      case "tx": {
        t.txMessages++;
        const rid = m.request_id;
        if (typeof rid !== "string") {
          t.malformed++;
          return;
        }
        if (this.requestIds.has(rid)) {
          t.txDuplicates++;
          return;
        }
        this.requestIds.add(rid);
        t.txUnique++;
        const tx = String(m.transaction_id);
        if (this.transactionIds.has(tx)) t.dupEffects++;
        else this.transactionIds.add(tx);
        if (!this.expected.has(rid)) return; // a previous run's leftover: delivered, not timed
        t.txExpected++;
        const sent = Date.parse(String(m.terminal_time));
        if (Number.isFinite(sent)) this.latencies.push(OsEventClock.utcNow() - sent);
        return;
      }
      case "alerts": {
        t.alertMessages++;
        const id = String(m.id);
        if (this.alertIds.has(id)) return;
        this.alertIds.add(id);
        t.alertsUnique++;
        this.onAlert({ type: m.alert_type as Alert["type"], key: String(m.key), id });
        this.onRecord("alerts", m);
        return;
      }
      case "late":
        t.late++;
        this.onRecord("late", m);
        return;
      case "rejects":
        t.rejects++;
        this.onRecord("rejects", m);
        return;
      case "metrics":
        t.metrics++;
        return;
      case "status":
        if (m.status === "online") t.statusOnline++;
        else if (m.status === "offline") t.statusOffline++;
        return;
      default:
        return;
    }
  }

  /** Disconnects, then ends the persistent session (a clean-session connect discards it) so the broker keeps nothing for it. */
  async close(): Promise<void> {
    await this.client.endAsync();
    try {
      const once = await mqtt.connectAsync({ ...this.options, clean: true, reconnectPeriod: 0, connectTimeout: 2_000 });
      await once.endAsync();
    } catch {
      // The broker is gone: its session goes with it, or expires there.
    }
  }
}

/** The p-th percentile (0..100) of `xs` by nearest rank; NaN when empty. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
