import { checkOutboxConfig, DEFAULT_OUTBOX_CONFIG, type OutboxConfig } from "../outbox/outbox-config";
import { ConfigError, isObject, mergeSettings, resolvePipelineConfig, type PipelineConfig } from "../pipeline/pipeline-config";

/** Where the terminal publishes, and how it holds its MQTT session. */
export interface BrokerSettings {
  host: string;
  port: number;
  tls: boolean;
  /** Empty: no user name (and then no password) in CONNECT. */
  username: string;
  password: string;
  /** Empty: "paycard-<terminalId>". */
  clientId: string;
  keepAliveSec: number;
  /** Most QoS 1 messages awaiting PUBACK at once. */
  inFlightWindow: number;
  maxPacketSize: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  pingTimeoutMs: number;
  connectTimeoutMs: number;
}

/**
 * Everything a terminal is configured with, one object with defaults
 * (`defaultTerminalConfig`). The host reads overrides from a JSON file, the
 * device from its manifest's config; both go through resolveTerminalConfig.
 */
export interface TerminalConfig {
  terminalId: string;
  merchantId: string;
  /** Topics are <topicPrefix>/<terminalId>/{tx,alerts,late,rejects,metrics,status}. */
  topicPrefix: string;
  /** Where the terminal stands (payment schema `location`). */
  location: { lat: number; lon: number };
  /** Currency of swipes that do not name one. */
  currency: string;
  broker: BrokerSettings;
  /** NTP servers, rotated (host names or dotted addresses). */
  ntpServers: string[];
  /** Windows and detectors (see pipeline-config.ts). */
  pipeline: PipelineConfig;
  /** Bounds of the outbox (alerts, transactions, telemetry). */
  outbox: OutboxConfig;
  /** SenML metrics every this many ms (0: never). */
  metricsIntervalMs: number;
  /**
   * The watermark follows the terminal's clock (now - watermark delay) while
   * no swipe arrives, so windows fire and alerts go out on a quiet terminal.
   * The terminal stamps its swipes with that same clock, so this is safe.
   */
  clockWatermark: boolean;
  /** Swipes taken before the clock's first sync, held until it syncs; more are declined. */
  unsyncedCapacity: number;
  /**
   * Room a transaction message needs in the outbox (payload + topic bytes, an
   * upper bound): a swipe is declined before it is processed when the outbox
   * could not take a message this large.
   */
  maxTransactionBytes: number;
}

export function defaultTerminalConfig(): TerminalConfig {
  return {
    terminalId: "term_1",
    merchantId: "merch_demo_001",
    topicPrefix: "paycard",
    location: { lat: 40.7128, lon: -74.006 },
    currency: "USD",
    broker: {
      host: "127.0.0.1",
      port: 1883,
      tls: false,
      username: "",
      password: "",
      clientId: "",
      keepAliveSec: 30,
      inFlightWindow: 32,
      maxPacketSize: 16 * 1024,
      backoffBaseMs: 1_000,
      backoffCapMs: 60_000,
      pingTimeoutMs: 5_000,
      connectTimeoutMs: 10_000,
    },
    ntpServers: ["0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org"],
    pipeline: resolvePipelineConfig({}),
    outbox: {
      ...DEFAULT_OUTBOX_CONFIG,
      reservedForAlerts: { ...DEFAULT_OUTBOX_CONFIG.reservedForAlerts },
    },
    metricsIntervalMs: 10_000,
    clockWatermark: true,
    unsyncedCapacity: 32,
    maxTransactionBytes: 640,
  };
}

// The patterns below are made at first use (not at load: on XS a module's load-time RegExp is in flash, where matching it crashes; preload-rules.test.ts).
let idPattern: RegExp | undefined;
let topicSegment: RegExp | undefined;

/** A terminal or merchant id: 1-64 of [A-Za-z0-9_.:-] (they travel into topics, logs and request ids). */
export function isIdentifier(s: string): boolean {
  // Stryker disable next-line ConditionalExpression: the RegExp is made on first use (at load XS would keep it in flash: preload-rules.test.ts); making it again at each call answers the same
  if (idPattern === undefined) idPattern = /^[A-Za-z0-9_.:-]{1,64}$/;
  return idPattern.test(s);
}

/** One MQTT topic level: 1-64 characters, no wildcard, separator or NUL. */
export function isTopicSegment(s: string): boolean {
  // Stryker disable next-line ConditionalExpression: the RegExp is made on first use (at load XS would keep it in flash: preload-rules.test.ts); making it again at each call answers the same
  if (topicSegment === undefined) topicSegment = /^[^+#/\u0000]{1,64}$/;
  return topicSegment.test(s);
}

/**
 * Defaults overlaid with `overrides` (a JSON object: any subset of
 * TerminalConfig, `pipeline` as in a replay config file), then checked.
 * Throws ConfigError naming the offending setting; a setting given by an old
 * name is read and named in `notices`.
 */
export function resolveTerminalConfig(overrides: unknown = {}, notices?: string[]): TerminalConfig {
  if (!isObject(overrides)) throw new ConfigError("terminal config must be a JSON object");
  const cfg = defaultTerminalConfig();
  const { pipeline, ntpServers, ...rest } = overrides;
  mergeSettings(cfg as unknown as Record<string, unknown>, rest, "");
  if (pipeline !== undefined) {
    try {
      const found: string[] = [];
      cfg.pipeline = resolvePipelineConfig(pipeline, found);
      for (const n of found) notices?.push("pipeline." + n);
    } catch (e) {
      throw new ConfigError("pipeline: " + (e as Error).message);
    }
  }
  if (ntpServers !== undefined) {
    if (!Array.isArray(ntpServers) || ntpServers.some((s) => typeof s !== "string" || s === "")) {
      throw new ConfigError("ntpServers must be an array of non-empty host names");
    }
    cfg.ntpServers = ntpServers.slice() as string[];
  }
  checkTerminalConfig(cfg);
  return cfg;
}

function checkTerminalConfig(c: TerminalConfig): void {
  if (!isIdentifier(c.terminalId)) throw new ConfigError(`terminalId must be 1-64 of [A-Za-z0-9_.:-], got ${JSON.stringify(c.terminalId)}`);
  if (!isIdentifier(c.merchantId)) throw new ConfigError(`merchantId must be 1-64 of [A-Za-z0-9_.:-], got ${JSON.stringify(c.merchantId)}`);
  if (!isTopicSegment(c.topicPrefix)) throw new ConfigError(`topicPrefix must be one topic level without + # /, got ${JSON.stringify(c.topicPrefix)}`);
  if (!(c.location.lat >= -90 && c.location.lat <= 90)) throw new ConfigError("location.lat must be within [-90, 90]");
  if (!(c.location.lon >= -180 && c.location.lon <= 180)) throw new ConfigError("location.lon must be within [-180, 180]");
  if (!/^[A-Z]{3}$/.test(c.currency)) throw new ConfigError(`currency must be three upper-case letters, got ${JSON.stringify(c.currency)}`);
  const b = c.broker;
  if (b.host === "") throw new ConfigError("broker.host must not be empty");
  intIn(b.port, 1, 65_535, "broker.port");
  intIn(b.keepAliveSec, 0, 65_535, "broker.keepAliveSec");
  intIn(b.inFlightWindow, 1, 65_535, "broker.inFlightWindow");
  intIn(b.maxPacketSize, 128, 268_435_460, "broker.maxPacketSize");
  intIn(b.backoffBaseMs, 1, 3_600_000, "broker.backoffBaseMs");
  intIn(b.backoffCapMs, b.backoffBaseMs, 3_600_000, "broker.backoffCapMs");
  intIn(b.pingTimeoutMs, 1, 3_600_000, "broker.pingTimeoutMs");
  intIn(b.connectTimeoutMs, 1, 3_600_000, "broker.connectTimeoutMs");
  if (b.password !== "" && b.username === "") throw new ConfigError("broker.password needs broker.username (MQTT 3.1.1)");
  if (c.ntpServers.length === 0) throw new ConfigError("ntpServers must name at least one server");
  try {
    checkOutboxConfig(c.outbox);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  intIn(c.metricsIntervalMs, 0, 86_400_000, "metricsIntervalMs");
  intIn(c.unsyncedCapacity, 0, 100_000, "unsyncedCapacity");
  intIn(c.maxTransactionBytes, 64, c.outbox.maxBytes - c.outbox.reservedForAlerts.bytes, "maxTransactionBytes");
  if (c.maxTransactionBytes + 8 > b.maxPacketSize) throw new ConfigError("maxTransactionBytes must leave room for the PUBLISH header within broker.maxPacketSize");
}

function intIn(v: number, min: number, max: number, path: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${path} must be an integer in [${min}, ${max}], got ${v}`);
}
