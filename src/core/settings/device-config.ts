/**
 * The device's configuration: manifest.json "config" (flat keys, read on the
 * device from `mc/config`) → a TerminalConfig sized for an ESP32, plus the
 * settings only the firmware uses (Wi-Fi, pins, the lab script).
 *
 * Engine-neutral on purpose (no Moddable import): main.ts passes the
 * `mc/config` object in, and hosttest/node/device-config.test.ts checks it
 * on Node.
 *
 * Values may arrive as strings: `mcconfig key=value` (and so
 * `npm run build:lin -- brokerPort=18830`) passes every override as a
 * string. Numbers and booleans are coerced from their usual spellings; any
 * other value is refused with a DeviceConfigError naming the key, the value and
 * what was expected.
 */
import { isIdentifier, isTopicSegment, resolveTerminalConfig, type TerminalConfig } from "../app/terminal-config";
import { DEFAULT_AMOUNT_ANOMALY } from "../detect/amount-anomaly-detector";
import { DEFAULT_BURST_THRESHOLDS } from "../detect/burst-detector";
import { decodeBase64 } from "../lib/base64";
import { isObject } from "../pipeline/pipeline-config";
import type { SegmentedJournalOptions } from "../outbox/segmented-journal";
import type { HeapBudget } from "../app/heap-margin";

/** Settings of the firmware itself (not the terminal app's). */
export interface DeviceSettings {
  /** Empty: no Wi-Fi (the terminal still takes swipes offline). */
  wifiSsid: string;
  wifiPassword: string;
  /** UDP port of every NTP server (lin runs a local chronyd on a high port). */
  ntpPort: number;
  /** Spacing of the SNTP boot burst (2 s for public servers; lin uses 250 ms against its local chronyd). */
  ntpBurstSpacingMs: number;
  /** Load the ESP32 board module (buttons, LEDs, Wi-Fi, serial console); false on lin. */
  boardIo: boolean;
  /** Feed swipes from a timer script instead of buttons (the lin simulator). */
  scriptedSwipes: boolean;
  /** How long the swipe script runs, seconds (then the terminal keeps publishing). */
  scriptSeconds: number;
  /** Read JSON swipes typed on the serial console (esp32 instrumented/release builds only). */
  serialConsole: boolean;
  /** Name of the journal's segment files under the file system root (mc/config file.root): `<journalFile>.000001`, ... */
  journalFile: string;
  /** KB of storage the journal's segments (the store-and-forward backlog) may take. */
  backlogKb: number;
  /** Console lines read from this file (the lin simulator; "" = none): "/dev/stdin" or a file another program appends to. */
  consoleFile: string;
  /** The broker's TLS material (with brokerTls=true): DER, from base64 in mc/config. */
  tls: BrokerTlsMaterial;
  /**
   * The XS heap this build was created with (manifest.json `creation`, repeated in each platform's
   * config as xsSlots, xsSlotBytes, xsChunkBytes, xsStackSlots; a test keeps the two equal), in
   * bytes: what `status` and the `xs_*` metrics measure the firmware's peaks against.
   */
  heapBudget: HeapBudget;
  pins: {
    swipe: number;
    cardTest: number;
    bigTicket: number;
    ledGreen: number;
    ledYellow: number;
    ledRed: number;
  };
}

/**
 * What the terminal trusts and shows on a TLS link. `ca` null: the server is
 * verified against the Moddable SDK's bundled root CAs (public brokers).
 * `certificate` and `key` (PKCS#8, RSA: the SDK's TLS signs with PKCS#1
 * v1.5 only) come together, for brokers that require client certificates.
 */
export interface BrokerTlsMaterial {
  ca: Uint8Array | null;
  certificate: Uint8Array | null;
  key: Uint8Array | null;
}

export interface DeviceConfig {
  terminal: TerminalConfig;
  device: DeviceSettings;
}

const MINUTE = 60_000;

/**
 * Pipeline and outbox sized for the ESP32's fixed creation budget
 * (manifest.json: 6 144 slots, 48 KB chunks, shared with the engine, the
 * modules and the sockets). The host defaults hold about 7 400 live slots in
 * the pipeline alone; these hold a fraction of that (see the firmware
 * report). The two card windows of the issue stay as defined (burst: 2 min
 * sliding by 15 s; card_5m: 5 min by 30 s); the merchant window is dropped
 * (amount anomalies have their own per-merchant state).
 */
function devicePipelineOverrides(raw: Raw = {}): Record<string, unknown> {
  return {
    // Recent swipes kept on the terminal (5 string arrays + 6 float arrays of this length).
    ringCapacity: 32,
    // Lab-friendly: the watermark trails the terminal's clock by 5 s, so a
    // card-test burst fires its 15 s slide within ~20 s. The terminal stamps
    // swipes with its own clock, so swipes are hardly ever out of order.
    watermarkDelayMs: configInt(raw, "watermarkMs", 5_000, 0, 10 * MINUTE),
    windows: [
      // Read by the burst detector, so it fires; not emitted: the app publishes no window results.
      { name: "burst", keyField: "card_hash", size: 2 * MINUTE, slide: 15_000, offset: 0, allowedLateness: 2 * MINUTE, emit: false },
      // Nothing on the device reads card_5m (the app publishes no window results; the backend's
      // impossible-travel check would run on it): not emitted, so never fired. Its late elements
      // still go to the side output. Firing it cost ~4 000 XS steps a swipe (bench:core).
      { name: "card_5m", keyField: "card_hash", size: 5 * MINUTE, slide: 30_000, offset: 0, allowedLateness: 2 * MINUTE, emit: false },
    ],
    keyedState: {
      // 32 cards of the last 10 minutes, sharing 128 slices of 15 s. A card
      // swiped in every slice needs (5 min + 2 min) / 15 s = 28 of them; the
      // lab script's 16 cards at one swipe every 4 s keep at most 105 live, a
      // shop's ~30 cards at 1-4 slices each fit too. More cards than keys
      // evict the least recently used one, whose open windows then fire early
      // (counted: keys_evicted, flushed_on_eviction; the console's status).
      // Panes are typed arrays (40 B each).
      card_hash: { maxKeys: 32, keyTtlMs: 10 * MINUTE, maxSlices: 128 },
      // No window is keyed by merchant or terminal on the device.
      merchant_id: { maxKeys: 2, keyTtlMs: 30 * MINUTE, maxSlices: 8 },
      terminal_id: { maxKeys: 1, keyTtlMs: 30 * MINUTE, maxSlices: 4 },
    },
    // One terminal serves one merchant: a handful of merchant baselines, and a
    // warm-up short enough that the "big ticket" button alerts after a few
    // ordinary swipes.
    anomaly: { warmup: 8, maxMerchants: 4, threshold: configNumber(raw, "anomalyThresh", DEFAULT_AMOUNT_ANOMALY.threshold, 0.5, 50) },
    // The provisionable card-testing thresholds (burst detector on the "burst" window).
    burst: {
      maxCount: configInt(raw, "burstMax", DEFAULT_BURST_THRESHOLDS.maxCount, 1, 10_000),
      smallBurstCount: configInt(raw, "burstSmall", DEFAULT_BURST_THRESHOLDS.smallBurstCount, 1, 10_000),
      smallAverageCents: configInt(raw, "burstSmallCents", DEFAULT_BURST_THRESHOLDS.smallAverageCents, 1, 100_000_000),
    },
    alertDedupCapacity: 32,
    transactionDedupCapacity: 64,
  };
}

/**
 * Outbox bounds: what RAM holds of the queue (payloads live in the 48 KB
 * chunk heap). Transactions beyond it wait in flash, in the store-and-forward
 * backlog (deviceStorageOptions), so these bound RAM, not the outage a
 * terminal rides out: 10 transactions of up to ~430 B (payload + topic),
 * more than the session's in-flight window of 8, and 4 alerts in reserve.
 */
export function deviceOutboxOverrides(): { maxMessages: number; maxBytes: number; reservedForAlerts: { messages: number; bytes: number }; telemetryPolicy: "drop-oldest" } {
  return {
    maxMessages: 14,
    maxBytes: 6 * 1024,
    reservedForAlerts: { messages: 4, bytes: 1536 },
    telemetryPolicy: "drop-oldest",
  };
}

/** The `storage` data partition of the firmware's partitions.csv: 1.5 MB at 0x280000 of the 4 MB flash. */
export const DEVICE_STORAGE_PARTITION_BYTES = 0x180000;

/**
 * The journal and store-and-forward backlog in flash (SegmentedJournal):
 * 16 KB segment files in the littlefs `storage` partition, 1.25 MB of its 1.5
 * MB for them (the rest is littlefs's own: metadata, and blocks to copy on
 * write). A transaction's frame is ~490 B (payload, topic, request id,
 * framing), so ~2 600 transactions fit: about 85 minutes at one swipe every
 * 2 s. Frames above 1 KB are refused (a transaction is at most 640 B).
 * `backlogKb` (mc/config, 64 to 1 280) sets the budget: 64 holds ~100.
 */
export function deviceStorageOptions(backlogKb = DEFAULT_BACKLOG_KB): SegmentedJournalOptions {
  return { maxBytes: backlogKb * 1024, segmentBytes: 16 * 1024, maxFrameBytes: 1024, ramRecords: deviceOutboxOverrides().maxMessages };
}

/** KB of the storage partition for the journal's segments (`backlogKb`; a lab build may shrink it to meet a full backlog sooner). */
export const DEFAULT_BACKLOG_KB = 1280;

/**
 * Every key of mc/config this file reads: what a build may set (`key=value`) and the manifest
 * may hold. A key outside this list is a typo, refused by name (src/host/build-overrides.ts).
 */
export const DEVICE_CONFIG_KEYS: readonly string[] = Object.freeze([
  "terminalId", "merchantId", "topicPrefix", "currency", "latitude", "longitude",
  "wifiSsid", "wifiPassword",
  "brokerHost", "brokerPort", "brokerTls", "brokerUser", "brokerPassword", "brokerClientId", "brokerKeepAliveSec", "brokerBackoffCapMs",
  "ntpServers", "ntpPort", "ntpBurstSpacingMs",
  "watermarkMs", "burstMax", "burstSmall", "burstSmallCents", "anomalyThresh",
  "brokerCa", "brokerCert", "brokerKey",
  "metricsIntervalMs", "journalFile", "backlogKb", "consoleFile",
  "xsSlots", "xsSlotBytes", "xsChunkBytes", "xsStackSlots",
  "boardIo", "scriptedSwipes", "scriptSeconds", "serialConsole",
  "pinSwipe", "pinCardTest", "pinBigTicket", "pinLedGreen", "pinLedYellow", "pinLedRed",
]);

// ------------------------------------------------------------ coercion

/**
 * A bad value in mc/config. `name` is a class field, not `this.name = ...`:
 * on XS the built-in Error.prototype is frozen in the preloaded heap, and
 * assigning an inherited read-only property throws in strict code.
 */
export class DeviceConfigError extends Error {
  override name = "DeviceConfigError";
}

type Raw = Record<string, unknown>;

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || typeof v !== "object") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** A string setting: strings as they are, numbers and booleans spelled out. */
function configString(raw: Raw, key: string, dflt: string): string {
  const v = raw[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "boolean") return String(v);
  throw new DeviceConfigError(`config.${key} must be a string, got ${show(v)}`);
}

/** An integer setting in [min, max]: a number, or a string of decimal digits ("1883", " 42 ", "-5"). */
export function configInt(raw: Raw, key: string, dflt: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return dflt;
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) n = Number(v.trim());
  else throw new DeviceConfigError(`config.${key} must be an integer in [${min}, ${max}], got ${show(v)}`);
  if (!Number.isInteger(n) || n < min || n > max) throw new DeviceConfigError(`config.${key} must be an integer in [${min}, ${max}], got ${show(v)}`);
  return n;
}

/** A number setting (e.g. a latitude): a finite number or its decimal spelling. */
function configNumber(raw: Raw, key: string, dflt: number, min: number, max: number): number {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return dflt;
  let n = NaN;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) n = Number(v.trim());
  if (!(n >= min && n <= max)) throw new DeviceConfigError(`config.${key} must be a number in [${min}, ${max}], got ${show(v)}`);
  return n;
}

const TRUE_WORDS = Object.freeze(["true", "1", "yes", "on"]);
const FALSE_WORDS = Object.freeze(["false", "0", "no", "off"]);

/** A boolean setting: true/false, 1/0, or "true"/"false", "1"/"0", "yes"/"no", "on"/"off" (any case). */
export function configBool(raw: Raw, key: string, dflt: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null || v === "") return dflt;
  if (typeof v === "boolean") return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === "string") {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.includes(w)) return true;
    if (FALSE_WORDS.includes(w)) return false;
  }
  throw new DeviceConfigError(`config.${key} must be a boolean (true/false, 1/0, yes/no, on/off), got ${show(v)}`);
}

/** "a, b ,c" → ["a", "b", "c"]; an array of strings is taken as is. Empty entries are refused. */
export function configList(raw: Raw, key: string, dflt: string[]): string[] {
  const v = raw[key];
  if (v === undefined || v === null) return dflt.slice();
  let items: unknown[];
  if (typeof v === "string") items = v.split(",").map((s) => s.trim());
  else if (Array.isArray(v)) items = v;
  else throw new DeviceConfigError(`config.${key} must be a comma-separated list of host names, got ${show(v)}`);
  if (items.length === 0 || items.some((s) => typeof s !== "string" || s === "" || /\s/.test(s))) {
    throw new DeviceConfigError(`config.${key} must be a comma-separated list of non-empty host names without spaces, got ${show(v)}`);
  }
  return items as string[];
}

/** A GPIO usable for a button or an LED on the ESP32-DevKitC (not the flash pins 6-11, nor the UART 1/3, nor input-only 34-39). */
function configPin(raw: Raw, key: string, dflt: number): number {
  const pin = configInt(raw, key, dflt, 0, 33);
  if ((pin >= 6 && pin <= 11) || pin === 1 || pin === 3 || pin === 20 || pin === 24 || (pin >= 28 && pin <= 31)) {
    throw new DeviceConfigError(`config.${key} = GPIO ${pin} cannot drive a button or LED (6-11 are the flash, 1/3 the serial console, 20/24/28-31 do not exist)`);
  }
  return pin;
}

// ------------------------------------------------------------ the config

function matching(raw: Raw, key: string, dflt: string, accepts: (v: string) => boolean, what: string): string {
  const v = configString(raw, key, dflt);
  if (!accepts(v)) throw new DeviceConfigError(`config.${key} must be ${what}, got ${show(v)}`);
  return v;
}

/**
 * The overrides handed to resolveTerminalConfig: JSON-shaped, any subset of
 * TerminalConfig. Throws DeviceConfigError for a value that cannot be coerced.
 */
export function deviceTerminalOverrides(raw: Raw): Record<string, unknown> {
  if (!isObject(raw)) throw new DeviceConfigError("mc/config must be an object");
  // Checked here with the same rules as resolveTerminalConfig, so that a bad
  // mc/config value is reported by key (core's ConfigError sets `this.name`,
  // which throws a TypeError on XS: see DeviceConfigError).
  const terminalId = matching(raw, "terminalId", "term_1", isIdentifier, "1-64 of [A-Za-z0-9_.:-]");
  const merchantId = matching(raw, "merchantId", "merch_demo_001", isIdentifier, "1-64 of [A-Za-z0-9_.:-]");
  const topicPrefix = matching(raw, "topicPrefix", "paycard", isTopicSegment, "one MQTT topic level of 1-64 characters without + # /");
  const currency = matching(raw, "currency", "USD", (v) => /^[A-Z]{3}$/.test(v), "three upper-case letters (ISO 4217)");
  const host = configString(raw, "brokerHost", "127.0.0.1").trim();
  if (host === "" || /\s/.test(host)) throw new DeviceConfigError(`config.brokerHost must be a host name or dotted IPv4 address, got ${show(raw.brokerHost)}`);
  const username = configString(raw, "brokerUser", "");
  const password = configString(raw, "brokerPassword", "");
  if (password !== "" && username === "") throw new DeviceConfigError("config.brokerPassword is set but config.brokerUser is empty (MQTT 3.1.1 sends no password without a user name)");
  return {
    terminalId,
    merchantId,
    topicPrefix,
    location: {
      lat: configNumber(raw, "latitude", 40.7128, -90, 90),
      lon: configNumber(raw, "longitude", -74.006, -180, 180),
    },
    currency,
    broker: {
      host,
      port: configInt(raw, "brokerPort", 1883, 1, 65_535),
      tls: configBool(raw, "brokerTls", false),
      username,
      password,
      clientId: configString(raw, "brokerClientId", ""),
      keepAliveSec: configInt(raw, "brokerKeepAliveSec", 30, 0, 65_535),
      // Device-sized: fewer messages in flight, smaller packets, a shorter backoff cap (Wi-Fi comes back by itself).
      inFlightWindow: 8,
      maxPacketSize: 2048,
      backoffBaseMs: 1_000,
      backoffCapMs: configInt(raw, "brokerBackoffCapMs", 30_000, 1_000, 3_600_000),
      pingTimeoutMs: 5_000,
      connectTimeoutMs: 10_000,
    },
    ntpServers: configList(raw, "ntpServers", ["0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org"]),
    pipeline: devicePipelineOverrides(raw),
    outbox: deviceOutboxOverrides(),
    metricsIntervalMs: configInt(raw, "metricsIntervalMs", 30_000, 0, 86_400_000),
    clockWatermark: true,
    // Swipes taken before the first NTP sync (Wi-Fi and NTP take a few seconds after boot): a whole card-test burst fits.
    unsyncedCapacity: 16,
    maxTransactionBytes: 640,
  };
}

/** A DER object (certificate or PKCS#8 key) in base64, or null when the key is absent; `secret` keeps the value out of messages. */
function configDer(raw: Raw, key: string, what: string, secret: boolean): Uint8Array | null {
  const v = configString(raw, key, "").trim();
  if (v === "") return null;
  const bytes = decodeBase64(v);
  // Every DER certificate and PKCS#8 key is one SEQUENCE (tag 0x30).
  if (bytes === null || bytes.length < 16 || bytes[0] !== 0x30) {
    throw new DeviceConfigError(
      `config.${key} must be ${what} in DER, as one line of base64 (e.g. openssl x509 -in ca.pem -outform der | base64 -w0)` + (secret ? "" : `, got ${show(v.length > 40 ? v.slice(0, 40) + "..." : v)}`),
    );
  }
  return bytes;
}

function brokerTlsMaterial(raw: Raw): BrokerTlsMaterial {
  const ca = configDer(raw, "brokerCa", "the CA certificate that signed the broker's", false);
  const certificate = configDer(raw, "brokerCert", "the terminal's client certificate", false);
  const key = configDer(raw, "brokerKey", "the client certificate's private key (PKCS#8, RSA)", true);
  if ((certificate === null) !== (key === null)) throw new DeviceConfigError("config.brokerCert and config.brokerKey come together (a client certificate and its key)");
  if ((ca !== null || certificate !== null) && !configBool(raw, "brokerTls", false)) {
    throw new DeviceConfigError(`config.${ca !== null ? "brokerCa" : "brokerCert"} is set but config.brokerTls is false`);
  }
  return { ca, certificate, key };
}

function consoleFilePath(raw: Raw): string {
  const p = configString(raw, "consoleFile", "");
  if (p !== "" && !/^\/[^\s\u0000]{1,200}$/.test(p)) throw new DeviceConfigError(`config.consoleFile must be empty or an absolute path without spaces, got ${show(p)}`);
  return p;
}

export function deviceSettings(raw: Raw): DeviceSettings {
  if (!isObject(raw)) throw new DeviceConfigError("mc/config must be an object");
  const journalFile = configString(raw, "journalFile", "paycard.jnl");
  // Segment files add ".000001" (littlefs names are at most 255 bytes; short names keep its metadata small).
  if (!/^[A-Za-z0-9_.-]{1,24}$/.test(journalFile)) {
    throw new DeviceConfigError(`config.journalFile must be a plain file name of 1-24 [A-Za-z0-9_.-], got ${show(journalFile)}`);
  }
  const s: DeviceSettings = {
    wifiSsid: configString(raw, "wifiSsid", ""),
    wifiPassword: configString(raw, "wifiPassword", ""),
    ntpPort: configInt(raw, "ntpPort", 123, 1, 65_535),
    ntpBurstSpacingMs: configInt(raw, "ntpBurstSpacingMs", 2_000, 10, 60_000),
    boardIo: configBool(raw, "boardIo", true),
    scriptedSwipes: configBool(raw, "scriptedSwipes", false),
    scriptSeconds: configInt(raw, "scriptSeconds", 60, 1, 86_400),
    serialConsole: configBool(raw, "serialConsole", true),
    journalFile,
    backlogKb: configInt(raw, "backlogKb", DEFAULT_BACKLOG_KB, 64, DEFAULT_BACKLOG_KB),
    consoleFile: consoleFilePath(raw),
    tls: brokerTlsMaterial(raw),
    heapBudget: heapBudget(raw),
    pins: {
      swipe: configPin(raw, "pinSwipe", 25),
      cardTest: configPin(raw, "pinCardTest", 26),
      bigTicket: configPin(raw, "pinBigTicket", 27),
      ledGreen: configPin(raw, "pinLedGreen", 18),
      ledYellow: configPin(raw, "pinLedYellow", 19),
      ledRed: configPin(raw, "pinLedRed", 21),
    },
  };
  const seen: Record<string, string> = {};
  for (const [name, pin] of Object.entries(s.pins)) {
    const prev = seen[pin];
    if (prev !== undefined) throw new DeviceConfigError(`config pins ${prev} and ${name} both use GPIO ${pin}`);
    seen[pin] = name;
  }
  if (s.wifiPassword !== "" && s.wifiSsid === "") throw new DeviceConfigError("config.wifiPassword is set but config.wifiSsid is empty");
  return s;
}

/** The ESP32's creation (manifest.json): 6 144 slots of 16 bytes, 48 KB of chunks, 768 stack slots. */
function heapBudget(raw: Raw): HeapBudget {
  const slotBytes = configInt(raw, "xsSlotBytes", 16, 16, 32);
  return {
    slotBytes: configInt(raw, "xsSlots", 6_144, 256, 1_048_576) * slotBytes,
    chunkBytes: configInt(raw, "xsChunkBytes", 49_152, 4_096, 16_777_216),
    stackBytes: configInt(raw, "xsStackSlots", 768, 64, 65_536) * slotBytes,
  };
}

/**
 * mc/config → the terminal's config (checked by resolveTerminalConfig) and the
 * firmware's settings. Throws DeviceConfigError with a message naming the key.
 */
export function deviceConfig(raw: Raw): DeviceConfig {
  const overrides = deviceTerminalOverrides(raw);
  let terminal: TerminalConfig;
  try {
    terminal = resolveTerminalConfig(overrides);
  } catch (e) {
    throw new DeviceConfigError("terminal config from mc/config: " + (e as Error).message);
  }
  return { terminal, device: deviceSettings(raw) };
}
