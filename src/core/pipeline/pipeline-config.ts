import { DEFAULT_AMOUNT_ANOMALY, type AmountAnomalyOptions } from "../detect/amount-anomaly-detector";
import { DEFAULT_BURST_THRESHOLDS, type BurstThresholds } from "../detect/burst-detector";
import { DEFAULT_VALIDATION_LIMITS, type ValidationLimits } from "../model/swipe-validator";
import { checkWindowSpec } from "../stream/window-math";

export type KeyField = "card_hash" | "merchant_id" | "terminal_id";
export const KEY_FIELDS: readonly KeyField[] = Object.freeze(["card_hash", "merchant_id", "terminal_id"]);

export interface WindowDefinition {
  name: string;
  keyField: KeyField;
  size: number;
  slide: number;
  offset: number;
  allowedLateness: number;
  /** Send every firing to the `windows` output (detectors see them either way). */
  emit: boolean;
}

/** Bounds of the keyed state shared by all windows on one key field. */
export interface KeyedStateLimits {
  maxKeys: number;
  /** Keys idle this long (processing time) are flushed and freed. */
  keyTtlMs: number;
  /** Slices shared by all keys and windows on this key field (its first name, maxPanes, is still read). */
  maxSlices: number;
}

export interface PipelineConfig {
  /** Recent swipes kept on the terminal. */
  ringCapacity: number;
  /** Bounded out-of-orderness of event time. */
  watermarkDelayMs: number;
  validation: ValidationLimits;
  windows: WindowDefinition[];
  keyedState: Record<KeyField, KeyedStateLimits>;
  /** Amounts below this count as "small" in window aggregates. */
  smallAmountCents: number;
  burst: BurstThresholds & { enabled: boolean; window: string };
  anomaly: AmountAnomalyOptions & { enabled: boolean };
  clockDrift: { enabled: boolean; maxDriftMs: number; bucketMs: number };
  /** Alert ids remembered to suppress repeats. */
  alertDedupCapacity: number;
  /** Transaction ids remembered to refuse a swipe sent twice. */
  transactionDedupCapacity: number;
}

const MINUTE = 60_000;

/** Defaults sized for an ESP32 (~150 KB JS heap); see docs/configuration.md. */
export function defaultPipelineConfig(): PipelineConfig {
  return {
    ringCapacity: 128,
    watermarkDelayMs: 30_000,
    validation: { ...DEFAULT_VALIDATION_LIMITS },
    windows: [
      { name: "burst", keyField: "card_hash", size: 2 * MINUTE, slide: 15_000, offset: 0, allowedLateness: 2 * MINUTE, emit: true },
      { name: "card_5m", keyField: "card_hash", size: 5 * MINUTE, slide: 30_000, offset: 0, allowedLateness: 2 * MINUTE, emit: true },
      { name: "merchant_1m", keyField: "merchant_id", size: MINUTE, slide: MINUTE, offset: 0, allowedLateness: 2 * MINUTE, emit: true },
    ],
    keyedState: {
      card_hash: { maxKeys: 128, keyTtlMs: 10 * MINUTE, maxSlices: 384 },
      merchant_id: { maxKeys: 16, keyTtlMs: 30 * MINUTE, maxSlices: 64 },
      terminal_id: { maxKeys: 4, keyTtlMs: 30 * MINUTE, maxSlices: 32 },
    },
    smallAmountCents: 500,
    burst: { ...DEFAULT_BURST_THRESHOLDS, enabled: true, window: "burst" },
    anomaly: { ...DEFAULT_AMOUNT_ANOMALY, enabled: true },
    clockDrift: { enabled: true, maxDriftMs: MINUTE, bucketMs: MINUTE },
    alertDedupCapacity: 256,
    transactionDedupCapacity: 512,
  };
}

/** A setting that can never work, named in the message (thrown by resolvePipelineConfig and the terminal's config). */
export class ConfigError extends Error {
  // A class field, not `this.name = ...`: in a preloaded module (Moddable)
  // Error.prototype is frozen and assigning its inherited `name` throws.
  override name = "ConfigError";
  constructor(message: string) {
    super(message);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Copies known keys of `src` onto `dst`, checking each value's type against
 * the default's; throws ConfigError naming the setting (`path` prefixes it).
 * Array settings are the owner's to handle.
 */
export function mergeSettings(dst: Record<string, unknown>, src: unknown, path: string): void {
  if (!isObject(src)) throw new ConfigError(`${path || "config"} must be an object`);
  for (const k of Object.keys(src)) {
    const here = path ? path + "." + k : k;
    if (!(k in dst)) throw new ConfigError(`unknown setting ${here}`);
    const d = dst[k];
    const v = src[k];
    if (Array.isArray(d)) {
      throw new ConfigError(`internal: array setting ${here} must be handled by its owner`);
    } else if (isObject(d)) {
      mergeSettings(d, v, here);
    } else if (typeof v !== typeof d) {
      throw new ConfigError(`${here} must be a ${typeof d}, got ${Array.isArray(v) ? "array" : typeof v}`);
    } else {
      dst[k] = v;
    }
  }
}

function positiveInt(v: number, path: string): void {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${path} must be a positive integer, got ${v}`);
}

/**
 * `keyedState.<key>.maxPanes`, the setting's first name, read as maxSlices: `overrides` with it
 * renamed (a copy; the caller's object is left alone), and a notice for each in `notices`.
 */
function renameOldSettings(overrides: Record<string, unknown>, notices: string[] | undefined): Record<string, unknown> {
  const keyed = overrides.keyedState;
  if (!isObject(keyed)) return overrides;
  let renamed: Record<string, unknown> | null = null;
  for (const k of Object.keys(keyed)) {
    const limits = keyed[k];
    if (!isObject(limits) || !("maxPanes" in limits)) continue;
    if ("maxSlices" in limits) throw new ConfigError(`keyedState.${k}: maxPanes and maxSlices are one setting (maxSlices, its new name): give one`);
    const { maxPanes, ...others } = limits;
    if (renamed === null) renamed = { ...keyed };
    renamed[k] = { ...others, maxSlices: maxPanes };
    notices?.push(`keyedState.${k}.maxPanes is now called maxSlices (read as it)`);
  }
  return renamed === null ? overrides : { ...overrides, keyedState: renamed };
}

/**
 * Defaults overlaid with `overrides` (as read from a JSON config file), then
 * checked as a whole. Throws ConfigError naming the offending setting.
 * `windows`, when given, replaces the list; each entry may omit settings,
 * which then come from the default window of the same name or the first one.
 * A setting given by an old name is read and named in `notices`.
 */
export function resolvePipelineConfig(overrides: unknown = {}, notices?: string[]): PipelineConfig {
  const cfg = defaultPipelineConfig();
  if (!isObject(overrides)) throw new ConfigError("config must be a JSON object");
  const { windows, ...rest } = renameOldSettings(overrides, notices);
  mergeSettings(cfg as unknown as Record<string, unknown>, rest, "");
  if (windows !== undefined) {
    if (!Array.isArray(windows) || windows.length === 0) throw new ConfigError("windows must be a non-empty array");
    const defaults = cfg.windows;
    cfg.windows = windows.map((w, i) => {
      if (!isObject(w) || typeof w.name !== "string" || w.name === "") throw new ConfigError(`windows[${i}].name must be a non-empty string`);
      const base = { ...(defaults.find((d) => d.name === w.name) ?? defaults[0]), name: w.name };
      mergeSettings(base as unknown as Record<string, unknown>, w, `windows[${i}]`);
      return base;
    });
  }
  checkPipelineConfig(cfg);
  return cfg;
}

function checkPipelineConfig(cfg: PipelineConfig): void {
  positiveInt(cfg.ringCapacity, "ringCapacity");
  if (!Number.isInteger(cfg.watermarkDelayMs) || cfg.watermarkDelayMs < 0) {
    throw new ConfigError(`watermarkDelayMs must be a non-negative integer, got ${cfg.watermarkDelayMs}`);
  }
  positiveInt(cfg.validation.maxIdLength, "validation.maxIdLength");
  positiveInt(cfg.validation.maxAmountCents, "validation.maxAmountCents");
  if (cfg.validation.maxAmountCents > 0x7fffffff) throw new ConfigError("validation.maxAmountCents must fit in 32 bits (at most 2147483647)");
  if (!(cfg.validation.maxFutureSkewMs >= 0)) throw new ConfigError("validation.maxFutureSkewMs must be >= 0");
  const names = new Set<string>();
  for (const w of cfg.windows) {
    if (names.has(w.name)) throw new ConfigError(`window name ${w.name} is used twice`);
    names.add(w.name);
    if (!KEY_FIELDS.includes(w.keyField)) throw new ConfigError(`window ${w.name}: keyField must be one of ${KEY_FIELDS.join(", ")}`);
    try {
      checkWindowSpec(w.name, w);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  for (const k of KEY_FIELDS) {
    const l = cfg.keyedState[k];
    positiveInt(l.maxKeys, `keyedState.${k}.maxKeys`);
    positiveInt(l.maxSlices, `keyedState.${k}.maxSlices`);
    if (!(l.keyTtlMs > 0)) throw new ConfigError(`keyedState.${k}.keyTtlMs must be positive`);
  }
  if (!(cfg.smallAmountCents >= 0)) throw new ConfigError("smallAmountCents must be >= 0");
  if (cfg.burst.enabled) {
    const w = cfg.windows.find((d) => d.name === cfg.burst.window);
    if (!w) throw new ConfigError(`burst.window names no window: ${cfg.burst.window}`);
    if (w.keyField !== "card_hash") throw new ConfigError(`burst.window ${w.name} must be keyed by card_hash`);
  }
  if (!(cfg.burst.maxCount >= 1 && cfg.burst.smallBurstCount >= 1 && cfg.burst.smallAverageCents > 0)) {
    throw new ConfigError("burst thresholds must be positive");
  }
  positiveInt(cfg.alertDedupCapacity, "alertDedupCapacity");
  positiveInt(cfg.transactionDedupCapacity, "transactionDedupCapacity");
  if (!(cfg.clockDrift.maxDriftMs > 0)) throw new ConfigError("clockDrift.maxDriftMs must be positive");
  positiveInt(cfg.clockDrift.bucketMs, "clockDrift.bucketMs");
  positiveInt(cfg.anomaly.maxMerchants, "anomaly.maxMerchants");
}
