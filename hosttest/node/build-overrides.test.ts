/**
 * Build-time key=value overrides are checked with the firmware's own rules before mcconfig
 * runs (no SDK needed): an unknown key stops the build with its name, a bad value with the key
 * and the rule. And the list of known keys is exactly what device-config.ts reads.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEVICE_CONFIG_KEYS, deviceConfig } from "../../src/core/settings/device-config";
import { SETTING_KEYS } from "../../src/core/settings/setting-keys";
import { checkBuildOverrides } from "../../src/host/build-overrides";
import { runDeviceBuild } from "../../src/host/device-build";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8")) as { config: Record<string, unknown> };

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
}

describe("build-time overrides", () => {
  it("pass the lab's usual ones", () => {
    expect(messageOf(() => checkBuildOverrides(root, "lin", ["brokerPort=18831", "ntpPort=11123", "consoleFile=/tmp/console.txt"]))).toBe("no error");
    expect(messageOf(() => checkBuildOverrides(root, "esp32", ["wifiSsid=Shop", "wifiPassword=pw", "terminalId=front-desk"]))).toBe("no error");
  });

  it("stop at an unknown key, by name, with the key it resembles", () => {
    expect(messageOf(() => checkBuildOverrides(root, "lin", ["brokerPrt=1884"]))).toMatch(/^unknown config key "brokerPrt" \(did you mean brokerPort\?\); keys: terminalId, /);
    expect(messageOf(() => checkBuildOverrides(root, "lin", ["BROKERHOST=x"]))).toMatch(/^unknown config key "BROKERHOST" \(did you mean brokerHost\?\)/);
    expect(messageOf(() => checkBuildOverrides(root, "lin", ["colour=red"]))).toMatch(/^unknown config key "colour"; keys: /);
  });

  it("stop at a value the firmware's rules refuse, naming key and rule", () => {
    expect(messageOf(() => checkBuildOverrides(root, "lin", ["brokerPort=http"]))).toBe('bad config override: config.brokerPort must be an integer in [1, 65535], got "http"');
    expect(messageOf(() => checkBuildOverrides(root, "esp32", ["pinSwipe=7"]))).toBe(
      "bad config override: config.pinSwipe = GPIO 7 cannot drive a button or LED (6-11 are the flash, 1/3 the serial console, 20/24/28-31 do not exist)",
    );
    expect(messageOf(() => checkBuildOverrides(root, "lin", ["consoleFile=relative.txt"]))).toBe(
      'bad config override: config.consoleFile must be empty or an absolute path without spaces, got "relative.txt"',
    );
  });

  it("are checked by the device build before it looks for the SDK", async () => {
    await expect(runDeviceBuild("lin", ["brokerPrt=1884"], { env: {}, root })).rejects.toThrow('unknown config key "brokerPrt"');
  });
});

describe("the known keys", () => {
  it("are exactly the keys device-config.ts reads: a value of the wrong kind under each is refused by name", () => {
    const valid = { terminalId: "t1" };
    for (const key of DEVICE_CONFIG_KEYS) {
      expect(messageOf(() => deviceConfig({ ...valid, [key]: { wrong: true } }))).toContain(`config.${key} `);
    }
    // And a key outside the list is not read (no error, whatever its value).
    expect(messageOf(() => deviceConfig({ ...valid, notAKey: { wrong: true } }))).toBe("no error");
  });

  it("hold every manifest config key and every console setting", () => {
    expect(Object.keys(manifest.config).filter((k) => !DEVICE_CONFIG_KEYS.includes(k))).toEqual([]);
    expect(SETTING_KEYS.map((k) => k.name).filter((k) => !DEVICE_CONFIG_KEYS.includes(k))).toEqual([]);
  });
});
