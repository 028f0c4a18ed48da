/**
 * Build-time `key=value` overrides (`npm run build:lin -- brokerPort=18830`), checked before
 * mcconfig runs with the rules the firmware itself applies (core/settings/device-config.ts): an
 * unknown key stops the build with its name, a bad value with the key and the rule.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { nearestName } from "../core/lib/nearest-name";
import { DEVICE_CONFIG_KEYS, deviceConfig } from "../core/settings/device-config";
import { UsageError } from "./cli-args";

/** Throws UsageError naming the first unknown key or the first value the firmware's rules refuse. */
export function checkBuildOverrides(root: string, platform: "esp32" | "lin", overrides: string[]): void {
  const file = path.join(root, "manifest.json");
  // Without a manifest (mcconfig will say so) the overrides are checked against the rules' defaults.
  const manifest = (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {}) as {
    config?: Record<string, unknown>;
    platforms?: Record<string, { config?: Record<string, unknown> }>;
  };
  const given: Record<string, string> = {};
  for (const o of overrides) {
    const eq = o.indexOf("=");
    const key = o.slice(0, eq);
    if (!DEVICE_CONFIG_KEYS.includes(key)) {
      const near = nearestName(key, DEVICE_CONFIG_KEYS);
      throw new UsageError(`unknown config key ${JSON.stringify(key)}${near === undefined ? "" : ` (did you mean ${near}?)`}; keys: ${DEVICE_CONFIG_KEYS.join(", ")}`);
    }
    given[key] = o.slice(eq + 1);
  }
  const flat: Record<string, unknown> = { ...manifest.config, ...manifest.platforms?.[platform]?.config, ...given };
  // An empty terminalId means "derive it on the board": check the rest with a stand-in.
  if (typeof flat.terminalId !== "string" || flat.terminalId.trim() === "") flat.terminalId = "term-000000";
  try {
    deviceConfig(flat);
  } catch (e) {
    throw new UsageError(`bad config override: ${(e as Error).message}`);
  }
}
