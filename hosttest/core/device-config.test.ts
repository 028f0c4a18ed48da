// src/core/settings/device-config.ts without the manifest (hosttest/node/device-config.test.ts
// checks the manifest's own values): how each kind of mc/config value is coerced, every refusal's
// message, the GPIO rules and the broker's TLS material. Also runs under XS.
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/core/lib/base64";
import { thrown } from "../support/thrown";
import { configBool, configInt, configList, deviceConfig, DeviceConfigError, deviceSettings, deviceTerminalOverrides } from "../../src/core/settings/device-config";

function messageOf(fn: () => unknown): string {
  const e = thrown(fn);
  if (e === undefined) return "no error";
  expect(e instanceof DeviceConfigError).toBe(true);
  return (e as Error).message;
}

/** A DER SEQUENCE of `n` bytes in base64 (tag 0x30, then filler). */
function der(n = 24, tag = 0x30): string {
  const b = new Uint8Array(n);
  b[0] = tag;
  b[1] = n - 2;
  for (let i = 2; i < n; i++) b[i] = i;
  return encodeBase64(b);
}

describe("device config: coercing mc/config values", () => {
  it("strings take numbers and booleans spelled out, and refuse anything else by key and value", () => {
    const t = deviceTerminalOverrides({ brokerClientId: 42, brokerUser: true, merchantId: 7 });
    expect((t.broker as { clientId: string }).clientId).toBe("42");
    expect((t.broker as { username: string }).username).toBe("true");
    expect(t.merchantId).toBe("7");
    expect(messageOf(() => deviceTerminalOverrides({ brokerClientId: Number.NaN }))).toBe("config.brokerClientId must be a string, got NaN");
    expect(messageOf(() => deviceTerminalOverrides({ brokerClientId: Number.POSITIVE_INFINITY }))).toBe("config.brokerClientId must be a string, got Infinity");
    expect(messageOf(() => deviceTerminalOverrides({ brokerClientId: ["a"] }))).toBe('config.brokerClientId must be a string, got ["a"]');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(messageOf(() => deviceTerminalOverrides({ brokerUser: cyclic }))).toBe("config.brokerUser must be a string, got [object Object]");
    // null and undefined are "not set": the default.
    expect(deviceTerminalOverrides({ terminalId: null, merchantId: undefined }).terminalId).toBe("term_1");
  });

  it("integers: numbers and decimal strings within the bounds; the bounds themselves are accepted", () => {
    expect(configInt({ k: " -5 " }, "k", 0, -5, 5)).toBe(-5);
    expect(configInt({ k: 5 }, "k", 0, -5, 5)).toBe(5);
    expect(configInt({ k: null }, "k", 3, 0, 5)).toBe(3);
    expect(messageOf(() => configInt({ k: 6 }, "k", 0, -5, 5))).toBe("config.k must be an integer in [-5, 5], got 6");
    expect(messageOf(() => configInt({ k: -6 }, "k", 0, -5, 5))).toBe("config.k must be an integer in [-5, 5], got -6");
    expect(messageOf(() => configInt({ k: 1.5 }, "k", 0, -5, 5))).toBe("config.k must be an integer in [-5, 5], got 1.5");
    expect(messageOf(() => configInt({ k: "1e2" }, "k", 0, 0, 500))).toBe('config.k must be an integer in [0, 500], got "1e2"');
    expect(messageOf(() => configInt({ k: true }, "k", 0, 0, 5))).toBe("config.k must be an integer in [0, 5], got true");
    expect(messageOf(() => configInt({ k: "4 2" }, "k", 0, 0, 50))).toBe('config.k must be an integer in [0, 50], got "4 2"');
  });

  it("numbers (latitude, longitude, the anomaly threshold): every decimal spelling, the bounds included", () => {
    const at = (lat: unknown, lon: unknown) => deviceTerminalOverrides({ latitude: lat, longitude: lon }).location;
    expect(at("90", "-180")).toEqual({ lat: 90, lon: -180 });
    expect(at(-90, 180)).toEqual({ lat: -90, lon: 180 });
    expect(at(" .5 ", "1.")).toEqual({ lat: 0.5, lon: 1 });
    expect(at("+1.5e1", "-2E-1")).toEqual({ lat: 15, lon: -0.2 });
    expect(at("", null)).toEqual({ lat: 40.7128, lon: -74.006 });
    expect(messageOf(() => at("90.01", 0))).toBe('config.latitude must be a number in [-90, 90], got "90.01"');
    expect(messageOf(() => at(-90.01, 0))).toBe("config.latitude must be a number in [-90, 90], got -90.01");
    expect(messageOf(() => at(0, 180.5))).toBe("config.longitude must be a number in [-180, 180], got 180.5");
    expect(messageOf(() => at(0, Number.NaN))).toBe("config.longitude must be a number in [-180, 180], got NaN");
    expect(messageOf(() => at(0, "1..2"))).toBe('config.longitude must be a number in [-180, 180], got "1..2"');
    expect(messageOf(() => at(true, 0))).toBe("config.latitude must be a number in [-90, 90], got true");
    const threshold = (v: unknown) => (deviceTerminalOverrides({ anomalyThresh: v }).pipeline as { anomaly: { threshold: number } }).anomaly.threshold;
    expect(threshold("0.5")).toBe(0.5);
    expect(threshold(50)).toBe(50);
    expect(messageOf(() => threshold("0.49"))).toBe('config.anomalyThresh must be a number in [0.5, 50], got "0.49"');
  });

  it("booleans and lists refuse what they cannot read", () => {
    expect(configBool({ k: " Yes " }, "k", false)).toBe(true);
    expect(configBool({ k: "" }, "k", true)).toBe(true);
    expect(messageOf(() => configBool({ k: 2 }, "k", false))).toBe("config.k must be a boolean (true/false, 1/0, yes/no, on/off), got 2");
    expect(messageOf(() => configBool({ k: {} }, "k", false))).toBe("config.k must be a boolean (true/false, 1/0, yes/no, on/off), got {}");
    const dflt = ["x"];
    const got = configList({}, "k", dflt);
    expect(got).toEqual(["x"]);
    got.push("y");
    expect(dflt).toEqual(["x"]); // a copy
    expect(messageOf(() => configList({ k: 5 }, "k", []))).toBe("config.k must be a comma-separated list of host names, got 5");
    expect(messageOf(() => configList({ k: [] }, "k", []))).toBe("config.k must be a comma-separated list of non-empty host names without spaces, got []");
    expect(messageOf(() => configList({ k: ["a", 1] }, "k", []))).toBe('config.k must be a comma-separated list of non-empty host names without spaces, got ["a",1]');
    expect(messageOf(() => configList({ k: ["a b"] }, "k", []))).toBe('config.k must be a comma-separated list of non-empty host names without spaces, got ["a b"]');
  });
});

describe("device config: the terminal's settings", () => {
  it("ids, topic prefix, currency and broker host are checked by key", () => {
    expect(messageOf(() => deviceTerminalOverrides({ merchantId: "m 1" }))).toBe('config.merchantId must be 1-64 of [A-Za-z0-9_.:-], got "m 1"');
    expect(messageOf(() => deviceTerminalOverrides({ topicPrefix: "" }))).toBe('config.topicPrefix must be one MQTT topic level of 1-64 characters without + # /, got ""');
    expect(messageOf(() => deviceTerminalOverrides({ brokerHost: "a b" }))).toBe('config.brokerHost must be a host name or dotted IPv4 address, got "a b"');
    expect(messageOf(() => deviceTerminalOverrides([] as unknown as Record<string, unknown>))).toBe("mc/config must be an object");
    const t = deviceTerminalOverrides({ brokerHost: " broker.lan ", merchantId: "m-1", topicPrefix: "shop", currency: "EUR" });
    expect((t.broker as { host: string }).host).toBe("broker.lan");
    expect([t.merchantId, t.topicPrefix, t.currency]).toEqual(["m-1", "shop", "EUR"]);
    // A user name without a password is fine (MQTT 3.1.1 allows it).
    expect((deviceTerminalOverrides({ brokerUser: "u" }).broker as { password: string }).password).toBe("");
  });

  it("the provisionable detector settings reach the pipeline, and a bad one is refused by key", () => {
    const c = deviceConfig({ burstMax: "3", burstSmall: "9", burstSmallCents: "1", watermarkMs: "0" });
    const p = c.terminal.pipeline;
    expect([p.burst.maxCount, p.burst.smallBurstCount, p.burst.smallAverageCents, p.watermarkDelayMs]).toEqual([3, 9, 1, 0]);
    expect(messageOf(() => deviceConfig({ burstSmallCents: "0" }))).toBe('config.burstSmallCents must be an integer in [1, 100000000], got "0"');
    expect(messageOf(() => deviceConfig({ watermarkMs: 600_001 }))).toBe("config.watermarkMs must be an integer in [0, 600000], got 600001");
  });
});

describe("device config: the firmware's settings", () => {
  it("defaults: no Wi-Fi, board I/O and serial console on, the journal's file and budget, no TLS material", () => {
    const s = deviceSettings({});
    expect([s.wifiSsid, s.wifiPassword, s.boardIo, s.serialConsole, s.scriptedSwipes, s.scriptSeconds]).toEqual(["", "", true, true, false, 60]);
    expect([s.ntpPort, s.ntpBurstSpacingMs, s.journalFile, s.backlogKb, s.consoleFile]).toEqual([123, 2_000, "paycard.jnl", 1280, ""]);
    expect(s.tls).toEqual({ ca: null, certificate: null, key: null });
    expect(s.heapBudget).toEqual({ slotBytes: 6_144 * 16, chunkBytes: 49_152, stackBytes: 768 * 16 });
    expect(deviceSettings({ xsSlots: "1000", xsSlotBytes: "32", xsChunkBytes: "8192", xsStackSlots: "100" }).heapBudget).toEqual({ slotBytes: 32_000, chunkBytes: 8_192, stackBytes: 3_200 });
    expect(messageOf(() => deviceSettings(null as unknown as Record<string, unknown>))).toBe("mc/config must be an object");
  });

  it("GPIOs: every pin the DevKitC cannot use for a button or LED is refused, the others accepted", () => {
    const refused = [1, 3, 6, 7, 8, 9, 10, 11, 20, 24, 28, 29, 30, 31];
    for (let pin = 0; pin <= 33; pin++) {
      const m = messageOf(() => deviceSettings({ pinSwipe: pin, pinCardTest: 2, pinBigTicket: 4, pinLedGreen: 5, pinLedYellow: 12, pinLedRed: 13 }));
      if (refused.includes(pin)) {
        expect(m, `GPIO ${pin}`).toBe(`config.pinSwipe = GPIO ${pin} cannot drive a button or LED (6-11 are the flash, 1/3 the serial console, 20/24/28-31 do not exist)`);
      } else if ([2, 4, 5, 12, 13].includes(pin)) {
        expect(m, `GPIO ${pin}`).toContain(`both use GPIO ${pin}`);
      } else {
        expect(m, `GPIO ${pin}`).toBe("no error");
      }
    }
    expect(messageOf(() => deviceSettings({ pinLedGreen: -1 }))).toBe("config.pinLedGreen must be an integer in [0, 33], got -1");
  });

  it("journal file, console file and Wi-Fi", () => {
    expect(deviceSettings({ journalFile: "a".repeat(24) }).journalFile).toBe("a".repeat(24));
    expect(messageOf(() => deviceSettings({ journalFile: "a".repeat(25) }))).toBe(`config.journalFile must be a plain file name of 1-24 [A-Za-z0-9_.-], got "${"a".repeat(25)}"`);
    expect(messageOf(() => deviceSettings({ journalFile: "" }))).toBe('config.journalFile must be a plain file name of 1-24 [A-Za-z0-9_.-], got ""');
    expect(deviceSettings({ consoleFile: "/dev/stdin" }).consoleFile).toBe("/dev/stdin");
    expect(deviceSettings({ consoleFile: "/" + "c".repeat(200) }).consoleFile).toBe("/" + "c".repeat(200));
    for (const bad of ["/", "/a b", "rel/x", "/" + "c".repeat(201)]) {
      expect(messageOf(() => deviceSettings({ consoleFile: bad })), bad).toBe(`config.consoleFile must be empty or an absolute path without spaces, got ${JSON.stringify(bad)}`);
    }
    expect(deviceSettings({ wifiSsid: "shop", wifiPassword: "pw" }).wifiPassword).toBe("pw");
    expect(deviceSettings({ wifiSsid: "open" }).wifiSsid).toBe("open");
  });

  it("TLS material: DER in base64, certificate and key together, only with brokerTls", () => {
    const ca = der(20);
    const s = deviceSettings({ brokerTls: true, brokerCa: ` ${ca} `, brokerCert: der(30), brokerKey: der(40) });
    expect(s.tls.ca?.length).toBe(20);
    expect(s.tls.ca?.[0]).toBe(0x30);
    expect(s.tls.certificate?.length).toBe(30);
    expect(s.tls.key?.length).toBe(40);
    expect(deviceSettings({ brokerTls: "on", brokerCa: der(16) }).tls.ca?.length).toBe(16);
    expect(deviceSettings({ brokerTls: "on", brokerCert: der(), brokerKey: der() }).tls.ca).toBe(null);

    const caHelp = "config.brokerCa must be the CA certificate that signed the broker's in DER, as one line of base64 (e.g. openssl x509 -in ca.pem -outform der | base64 -w0)";
    expect(messageOf(() => deviceSettings({ brokerTls: true, brokerCa: der(15) }))).toBe(`${caHelp}, got ${JSON.stringify(der(15))}`);
    expect(messageOf(() => deviceSettings({ brokerTls: true, brokerCa: der(24, 0x31) }))).toBe(`${caHelp}, got ${JSON.stringify(der(24, 0x31))}`);
    expect(messageOf(() => deviceSettings({ brokerTls: true, brokerCa: "not base64!" }))).toBe(`${caHelp}, got "not base64!"`);
    const long = der(60);
    expect(messageOf(() => deviceSettings({ brokerTls: true, brokerCa: long.slice(0, -4) + "!!!!" }))).toBe(`${caHelp}, got ${JSON.stringify(long.slice(0, 40) + "...")}`);
    // The key is a secret: its value is never repeated.
    expect(messageOf(() => deviceSettings({ brokerTls: true, brokerCert: der(), brokerKey: "c2VjcmV0" }))).toBe(
      "config.brokerKey must be the client certificate's private key (PKCS#8, RSA) in DER, as one line of base64 (e.g. openssl x509 -in ca.pem -outform der | base64 -w0)",
    );
    const together = "config.brokerCert and config.brokerKey come together (a client certificate and its key)";
    expect(messageOf(() => deviceSettings({ brokerTls: true, brokerCert: der() }))).toBe(together);
    expect(messageOf(() => deviceSettings({ brokerTls: true, brokerKey: der() }))).toBe(together);
    expect(messageOf(() => deviceSettings({ brokerCa: der() }))).toBe("config.brokerCa is set but config.brokerTls is false");
    expect(messageOf(() => deviceSettings({ brokerCert: der(), brokerKey: der() }))).toBe("config.brokerCert is set but config.brokerTls is false");
    expect(messageOf(() => deviceSettings({ brokerTls: "no", brokerCa: der(), brokerCert: der(), brokerKey: der() }))).toBe("config.brokerCa is set but config.brokerTls is false");
  });
});
