// src/core/settings/device-config.ts on Node: mc/config (flat keys, values possibly
// strings from `mcconfig key=value`) → a device-sized TerminalConfig that
// resolveTerminalConfig accepts, plus the firmware's own settings.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultTerminalConfig, resolveTerminalConfig } from "../../src/core/app/terminal-config";
import { defaultPipelineConfig } from "../../src/core/pipeline/pipeline-config";
import {
  configBool,
  configInt,
  configList,
  deviceConfig,
  DeviceConfigError,
  deviceSettings,
  deviceTerminalOverrides,
} from "../../src/core/settings/device-config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8")) as {
  config: Record<string, unknown>;
  platforms: Record<"esp32" | "lin", { config: Record<string, unknown>; creation: { chunk: { initial: number }; heap: { initial: number }; stack: number } }>;
};

/**
 * What main hands deviceConfig: mc/config (the manifest's config, platform overrides, then
 * `mcconfig key=value` strings) with the terminal id main resolves when the build leaves it empty.
 */
function mcConfig(platform: Record<string, unknown> = {}, cli: Record<string, string> = {}): Record<string, unknown> {
  const c: Record<string, unknown> = { ...manifest.config, ...platform, ...cli, file: { root: "/" }, sntp: "pool.ntp.org" };
  if (c.terminalId === "") c.terminalId = "term-a1b2c3";
  return c;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("device config from mc/config", () => {
  it("the manifest's defaults and its lin variant both resolve", () => {
    const esp = deviceConfig(mcConfig());
    expect(esp.terminal.broker.host).toBe("test.mosquitto.org");
    expect(esp.terminal.broker.port).toBe(1883);
    expect(esp.terminal.broker.tls).toBe(false);
    expect(esp.terminal.ntpServers).toEqual(["0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org"]);
    expect(esp.device.ntpPort).toBe(123);
    expect(esp.device.boardIo).toBe(true);
    expect(esp.device.scriptedSwipes).toBe(false);
    expect(esp.device.wifiSsid).toBe("Wokwi-GUEST");
    expect(esp.device.pins).toEqual({ swipe: 25, cardTest: 26, bigTicket: 27, ledGreen: 18, ledYellow: 19, ledRed: 21 });

    const lin = deviceConfig(mcConfig(manifest.platforms.lin.config));
    expect(lin.terminal.broker.host).toBe("127.0.0.1");
    expect(lin.terminal.ntpServers).toEqual(["127.0.0.1"]);
    expect(lin.device.scriptedSwipes).toBe(true);
    expect(lin.device.boardIo).toBe(false);
  });

  it("each platform's heap budget (status, the xs_ metrics) is its creation: slots × the slot size, chunks, stack", () => {
    // A slot is 16 bytes with 32-bit pointers (the ESP32), 32 with 64-bit ones (lin on x86-64).
    for (const [platform, slotBytes] of [["esp32", 16], ["lin", 32]] as const) {
      const p = manifest.platforms[platform];
      const budget = deviceConfig(mcConfig(p.config)).device.heapBudget;
      expect(budget, platform).toEqual({
        slotBytes: p.creation.heap.initial * slotBytes,
        chunkBytes: p.creation.chunk.initial,
        stackBytes: p.creation.stack * slotBytes,
      });
    }
    expect(deviceConfig(mcConfig()).device.heapBudget).toEqual({ slotBytes: 98_304, chunkBytes: 49_152, stackBytes: 12_288 });
    expect(errorOf(() => deviceConfig(mcConfig({}, { xsSlotBytes: "8" }))).message).toBe("config.xsSlotBytes must be an integer in [16, 32], got \"8\"");
  });

  it("coerces the strings mcconfig passes (npm run build:lin -- brokerPort=18830 ...)", () => {
    const c = deviceConfig(
      mcConfig(manifest.platforms.lin.config, {
        brokerPort: "18830",
        ntpPort: " 11123 ",
        brokerTls: "false",
        scriptedSwipes: "1",
        boardIo: "no",
        serialConsole: "OFF",
        scriptSeconds: "90",
        ntpServers: "ntp1.lan, ntp2.lan ,10.0.0.3",
        pinLedRed: "22",
        latitude: "-33.87",
        longitude: "151.21",
        brokerUser: "term",
        brokerPassword: "secret",
        metricsIntervalMs: "0",
        brokerBackoffCapMs: "4000",
      }),
    );
    expect(c.terminal.broker.port).toBe(18830);
    expect(c.device.ntpPort).toBe(11123);
    expect(c.terminal.broker.tls).toBe(false);
    expect(c.device.scriptedSwipes).toBe(true);
    expect(c.device.boardIo).toBe(false);
    expect(c.device.serialConsole).toBe(false);
    expect(c.device.scriptSeconds).toBe(90);
    expect(c.terminal.ntpServers).toEqual(["ntp1.lan", "ntp2.lan", "10.0.0.3"]);
    expect(c.device.pins.ledRed).toBe(22);
    expect(c.terminal.location).toEqual({ lat: -33.87, lon: 151.21 });
    expect(c.terminal.broker.username).toBe("term");
    expect(c.terminal.broker.password).toBe("secret");
    expect(c.terminal.metricsIntervalMs).toBe(0);
    expect(c.terminal.broker.backoffCapMs).toBe(4000);
  });

  it("the small coercion helpers", () => {
    expect(configInt({ k: 7 }, "k", 1, 0, 10)).toBe(7);
    expect(configInt({ k: "+7" }, "k", 1, 0, 10)).toBe(7);
    expect(configInt({}, "k", 3, 0, 10)).toBe(3);
    expect(configInt({ k: "" }, "k", 3, 0, 10)).toBe(3);
    for (const v of ["true", "TRUE", "1", "yes", "on", true, 1]) expect(configBool({ k: v }, "k", false)).toBe(true);
    for (const v of ["false", "0", "No", "off", false, 0]) expect(configBool({ k: v }, "k", true)).toBe(false);
    expect(configList({ k: "a" }, "k", [])).toEqual(["a"]);
    expect(configList({ k: ["a", "b"] }, "k", [])).toEqual(["a", "b"]);
  });

  it("refuses bad values with a message naming the key, the value and what was expected", () => {
    const cases: [Record<string, string>, string][] = [
      [{ brokerPort: "abc" }, 'config.brokerPort must be an integer in [1, 65535], got "abc"'],
      [{ brokerPort: "70000" }, 'config.brokerPort must be an integer in [1, 65535], got "70000"'],
      [{ brokerPort: "18.5" }, 'config.brokerPort must be an integer in [1, 65535], got "18.5"'],
      [{ ntpPort: "0" }, 'config.ntpPort must be an integer in [1, 65535], got "0"'],
      [{ brokerTls: "maybe" }, 'config.brokerTls must be a boolean (true/false, 1/0, yes/no, on/off), got "maybe"'],
      [{ scriptedSwipes: "2" }, "config.scriptedSwipes must be a boolean"],
      [{ ntpServers: "a,,b" }, 'config.ntpServers must be a comma-separated list of non-empty host names without spaces, got "a,,b"'],
      [{ ntpServers: "" }, "config.ntpServers must be a comma-separated list"],
      [{ terminalId: "bad/id" }, 'config.terminalId must be 1-64 of [A-Za-z0-9_.:-], got "bad/id"'],
      [{ topicPrefix: "pay/card" }, "config.topicPrefix must be one MQTT topic level"],
      [{ currency: "usd" }, 'config.currency must be three upper-case letters (ISO 4217), got "usd"'],
      [{ brokerHost: " " }, "config.brokerHost must be a host name or dotted IPv4 address"],
      [{ brokerPassword: "x" }, "config.brokerPassword is set but config.brokerUser is empty"],
      [{ latitude: "north" }, 'config.latitude must be a number in [-90, 90], got "north"'],
      [{ pinSwipe: "6" }, "config.pinSwipe = GPIO 6 cannot drive a button or LED"],
      [{ pinLedRed: "34" }, 'config.pinLedRed must be an integer in [0, 33], got "34"'],
      [{ pinLedRed: "25" }, "config pins swipe and ledRed both use GPIO 25"],
      [{ journalFile: "../x" }, 'config.journalFile must be a plain file name of 1-24 [A-Za-z0-9_.-], got "../x"'],
      [{ backlogKb: "32" }, 'config.backlogKb must be an integer in [64, 1280], got "32"'],
      [{ wifiSsid: "", wifiPassword: "pw" }, "config.wifiPassword is set but config.wifiSsid is empty"],
      [{ brokerBackoffCapMs: "10" }, 'config.brokerBackoffCapMs must be an integer in [1000, 3600000], got "10"'],
    ];
    for (const [cli, message] of cases) {
      const e = errorOf(() => deviceConfig(mcConfig({}, cli)));
      expect(e, JSON.stringify(cli)).toBeInstanceOf(DeviceConfigError);
      expect(e.name).toBe("DeviceConfigError");
      expect(e.message, JSON.stringify(cli)).toContain(message);
    }
    expect(errorOf(() => deviceConfig({ brokerPort: { port: 1 } })).message).toBe('config.brokerPort must be an integer in [1, 65535], got {"port":1}');
    expect(errorOf(() => deviceConfig(null as unknown as Record<string, unknown>)).message).toBe("mc/config must be an object");
  });

  it("resolveTerminalConfig accepts the overrides and keeps every device-sized choice", () => {
    const overrides = deviceTerminalOverrides(mcConfig(manifest.platforms.lin.config, { brokerPort: "18830" }));
    const cfg = resolveTerminalConfig(overrides);
    // Round trip: resolving the resolved config again changes nothing.
    expect(resolveTerminalConfig(JSON.parse(JSON.stringify(cfg)))).toEqual(cfg);
    expect(deviceConfig(mcConfig(manifest.platforms.lin.config, { brokerPort: "18830" })).terminal).toEqual(cfg);

    const p = cfg.pipeline;
    const host = defaultPipelineConfig();
    // The two card windows the issue defines, unchanged.
    expect(p.windows.map((w) => [w.name, w.keyField, w.size, w.slide])).toEqual([
      ["burst", "card_hash", 120_000, 15_000],
      ["card_5m", "card_hash", 300_000, 30_000],
    ]);
    expect(p.burst.window).toBe("burst");
    expect(p.burst.enabled).toBe(true);
    // A card-test burst raises its alert within ~20 s: one 15 s slide plus the watermark delay.
    expect(p.watermarkDelayMs).toBe(5_000);
    expect(cfg.clockWatermark).toBe(true);
    expect(p.watermarkDelayMs + p.windows[0]!.slide).toBeLessThanOrEqual(20_000);
    // Smaller than the host's defaults wherever the host's would not fit the ESP32's creation budget.
    expect(p.ringCapacity).toBeLessThan(host.ringCapacity);
    expect(p.keyedState.card_hash.maxKeys).toBeLessThan(host.keyedState.card_hash.maxKeys);
    expect(p.keyedState.card_hash.maxSlices).toBeLessThan(host.keyedState.card_hash.maxSlices);
    expect(p.alertDedupCapacity).toBeLessThan(host.alertDedupCapacity);
    expect(p.transactionDedupCapacity).toBeLessThan(host.transactionDedupCapacity);
    expect(p.anomaly.maxMerchants).toBeLessThan(host.anomaly.maxMerchants);
    // Enough slices for a card swiped in every slice of the longest window plus its lateness.
    const w5 = p.windows[1]!;
    expect(p.keyedState.card_hash.maxSlices).toBeGreaterThanOrEqual((w5.size + w5.allowedLateness) / 15_000);
    const hostOutbox = defaultTerminalConfig().outbox;
    expect(cfg.outbox.maxBytes).toBeLessThan(hostOutbox.maxBytes);
    expect(cfg.outbox.maxMessages).toBeLessThan(hostOutbox.maxMessages);
    expect(cfg.broker.inFlightWindow).toBeLessThanOrEqual(8);
    expect(cfg.maxTransactionBytes + 8).toBeLessThanOrEqual(cfg.broker.maxPacketSize);
  });

  it("device settings alone", () => {
    const s = deviceSettings({ scriptedSwipes: "true", ntpBurstSpacingMs: "250" });
    expect(s.scriptedSwipes).toBe(true);
    expect(s.ntpBurstSpacingMs).toBe(250);
    expect(s.journalFile).toBe("paycard.jnl");
    expect(s.backlogKb).toBe(1280);
    expect(deviceSettings({ backlogKb: "64" }).backlogKb).toBe(64);
    expect(s.serialConsole).toBe(true);
  });
});
