import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Sha256, toHex } from "../../src/core/lib/sha256";
import { parseConsoleLine, MAX_CONSOLE_LINE } from "../../src/core/settings/console-command";
import { InstallerLock, LOCKOUT_MS, MAX_FAILURES, PASSPHRASE_KEY } from "../../src/core/settings/installer-lock";
import { hashPassphrase, isPassphraseHash, passphraseProblem, verifyPassphrase } from "../../src/core/settings/passphrase-hash";
import { SETTING_KEYS, MAX_SETTING_NAME } from "../../src/core/settings/setting-keys";
import { SettingsConsole, startupConfig, storedSettings } from "../../src/core/settings/settings-console";
import { MemorySettingsStore } from "../../src/core/settings/settings-store";
import { AUTO_ID_KEY, macSuffix, resolveTerminalId } from "../../src/core/settings/terminal-identity";
import { deviceConfig } from "../../src/core/settings/device-config";
import { labBuildConfig } from "../support/lab-build-config";

const ascii = (s: string) => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

/** A deterministic random source. */
function counter(start = 1) {
  let x = start;
  return { nextUint32: () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) };
}

const BUILD = labBuildConfig();

function rig(now = { t: 0 }) {
  const store = new MemorySettingsStore();
  const lock = new InstallerLock(store, counter(7), () => now.t);
  const identity = resolveTerminalId(undefined, store, undefined, counter(3));
  const console = new SettingsConsole(BUILD, store, lock, identity);
  return { store, lock, identity, console, now };
}

describe("SHA-256", () => {
  it("matches the FIPS 180-4 examples and the padding edge lengths", () => {
    const sha = new Sha256();
    expect(toHex(sha.digest(ascii("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(toHex(sha.digest(ascii("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha.digest(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    // 55, 56 and 64 bytes: one block, two blocks, and a full block plus padding.
    expect(toHex(sha.digest(ascii("a".repeat(55))))).toBe("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    expect(toHex(sha.digest(ascii("a".repeat(56))))).toBe("b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    expect(toHex(sha.digest(ascii("a".repeat(64))))).toBe("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  });
});

describe("passphrase hash", () => {
  it("stores a salted, iterated hash that only the passphrase matches", () => {
    const stored = hashPassphrase("correct horse", counter(5));
    expect(isPassphraseHash(stored)).toBe(true);
    expect(stored.includes("correct")).toBe(false);
    expect(verifyPassphrase("correct horse", stored)).toBe(true);
    expect(verifyPassphrase("correct hors", stored)).toBe(false);
    expect(verifyPassphrase("Correct horse", stored)).toBe(false);
    // Another salt, another hash of the same passphrase.
    expect(hashPassphrase("correct horse", counter(6)) === stored).toBe(false);
    expect(verifyPassphrase("correct horse", `${stored.slice(0, -1)}0`)).toBe(stored.endsWith("0"));
    expect(verifyPassphrase("correct horse", "sha256i$64$zz$00")).toBe(false);
  });

  it("wants 8-64 characters", () => {
    expect(passphraseProblem("short")).toBe("a passphrase has 8-64 characters (this one has 5)");
    expect(passphraseProblem("x".repeat(65))).toBe("a passphrase has 8-64 characters (this one has 65)");
    expect(passphraseProblem("eight ok")).toBeNull();
    expect(passphraseProblem("x".repeat(64))).toBeNull();
    expect(passphraseProblem("lone \ud800 half")).toBe("a passphrase must be valid text");
    expect(verifyPassphrase("lone \ud800 half", hashPassphrase("correct horse", counter(5)))).toBe(false);
  });

  it("matches known answers: digest_1 = H(salt | p), digest_i = H(digest_i-1 | salt | p), the salt as the random source drew it", () => {
    // Vectors from an independent SHA-256 (Python's hashlib) over the same definition.
    const words = [0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10];
    const fixed = () => {
      let i = 0;
      return { nextUint32: () => words[i++ % 4]! };
    };
    const salt = "0102030405060708090a0b0c0d0e0f10";
    const cases: [number, string][] = [
      [1, "96603e1eb1bf98c619eb89005a58a2206c2e968b6f8bafcc41e0ca4d5e9ba307"],
      [3, "a5fd024da1eb04ee5cb58278b6e0fe2a2b596879ddcf3a313648b88535838a53"],
      [64, "aa6322ff526c98899df3bdd144fac93c0e895d01c728ecc49383c440c6a527d4"],
    ];
    for (const [iterations, digest] of cases) {
      const stored = iterations === 64 ? hashPassphrase("correct horse", fixed()) : hashPassphrase("correct horse", fixed(), iterations);
      expect(stored).toBe(`sha256i$${iterations}$${salt}$${digest}`);
      expect(verifyPassphrase("correct horse", stored)).toBe(true);
    }
  });

  it("tells a well-made stored hash from a damaged one, part by part", () => {
    const good = hashPassphrase("correct horse", counter(5));
    const [, iter, salt, digest] = good.split("$");
    const made = (...parts: string[]) => parts.join("$");
    expect(isPassphraseHash(made("sha256i", "999999", salt!, digest!))).toBe(true);
    for (const bad of [
      made("sha256i", iter!, salt!),
      made("sha256i", iter!, salt!, digest!, "x"),
      made("sha256x", iter!, salt!, digest!),
      made("sha256i", "0", salt!, digest!),
      made("sha256i", "1234567", salt!, digest!),
      made("sha256i", "a1", salt!, digest!),
      made("sha256i", "1a", salt!, digest!),
      made("sha256i", iter!, salt!.slice(1), digest!),
      made("sha256i", iter!, "zz" + salt!, digest!),
      made("sha256i", iter!, salt! + "zz", digest!),
      made("sha256i", iter!, salt!.toUpperCase(), digest!),
      made("sha256i", iter!, salt!, digest!.slice(2)),
      made("sha256i", iter!, salt!, digest! + "00"),
      made("sha256i", iter!, salt!, "g" + digest!.slice(1)),
    ]) {
      expect(isPassphraseHash(bad), bad).toBe(false);
      expect(verifyPassphrase("correct horse", bad), bad).toBe(false);
    }
  });
});

/** Why a console line is refused, or "parsed". */
function reason(line: string): string {
  const p = parseConsoleLine(line);
  return p.ok ? "parsed" : p.reason;
}

describe("console lines", () => {
  it("parse the commands, and set's key=value with the value as typed", () => {
    expect(parseConsoleLine("  SHOW ")).toEqual({ ok: true, command: { kind: "show" } });
    expect(parseConsoleLine("set brokerPort=1884")).toEqual({ ok: true, command: { kind: "set", key: "brokerPort", value: "1884" } });
    expect(parseConsoleLine("set wifiPassword=a b=c")).toEqual({ ok: true, command: { kind: "set", key: "wifiPassword", value: "a b=c" } });
    expect(parseConsoleLine("set brokerUser=")).toEqual({ ok: true, command: { kind: "set", key: "brokerUser", value: "" } });
    expect(parseConsoleLine("unlock my pass phrase")).toEqual({ ok: true, command: { kind: "unlock", passphrase: "my pass phrase" } });
  });

  it("answer every bad line with its reason", () => {
    expect(reason("")).toBe("empty line (type help)");
    expect(reason("frobnicate now")).toBe('unknown command "frobnicate" (commands: help, show, set, reset, passphrase, unlock, lock, status, ring, offline, online)');
    expect(reason("set brokerPort")).toBe("set needs key=value, e.g. set brokerPort=1883");
    expect(reason("set =1")).toBe("set needs a key before '=', e.g. set brokerPort=1883");
    expect(reason("set brokerport=1")).toBe('unknown key "brokerport" (did you mean brokerPort?)');
    expect(reason("set brokerPrt=1")).toBe('unknown key "brokerPrt" (did you mean brokerPort?)');
    expect(reason("set wifiSsidd=x")).toBe('unknown key "wifiSsidd" (did you mean wifiSsid?)');
    expect(reason("set colour=red").startsWith('unknown key "colour" (keys: terminalId, merchantId,')).toBe(true);
    expect(reason("show all")).toBe("show takes no arguments");
    expect(reason("unlock")).toBe("unlock needs the passphrase, e.g. unlock <passphrase>");
    expect(reason("set a\u0000b=1")).toBe("control character 0x00 at column 6");
    expect(reason("set wifiSsid=\ud800")).toBe("broken character (lone surrogate) at column 14");
    expect(reason("x".repeat(MAX_CONSOLE_LINE + 1))).toBe(`line too long (${MAX_CONSOLE_LINE + 1} characters, at most ${MAX_CONSOLE_LINE})`);
    expect(reason(`set wifiSsid=${"s".repeat(257)}`)).toBe("wifiSsid: value too long (257 characters, at most 256)");
    // Words that are not plain letters are not echoed (a secret or a card number typed by mistake).
    expect(reason("hunter2 please")).toBe("unknown command (not shown) (commands: help, show, set, reset, passphrase, unlock, lock, status, ring, offline, online)");
    expect(reason("set p4ss=1").startsWith("unknown key (not shown) (keys:")).toBe(true);
  });

  it("every limit of a line: its length, control characters, surrogate pairs, tabs, ring's count, a value's length", () => {
    expect(reason(5 as unknown as string)).toBe("not a line of text");
    expect(reason("show" + " ".repeat(MAX_CONSOLE_LINE - 4))).toBe("parsed");
    expect(reason("set a\u001fb=1")).toBe("control character 0x1f at column 6");
    expect(reason("set a\u007fb=1")).toBe("control character 0x7f at column 6");
    expect(parseConsoleLine("set\twifiSsid=\tcafé 😀\t")).toEqual({ ok: true, command: { kind: "set", key: "wifiSsid", value: "café 😀" } });
    expect(parseConsoleLine("set wifiSsid=\ud83d\ude00")).toEqual({ ok: true, command: { kind: "set", key: "wifiSsid", value: "😀" } });
    expect(reason("set wifiSsid=\ud83d")).toBe("broken character (lone surrogate) at column 14");
    expect(reason("set wifiSsid=\ude00x")).toBe("broken character (lone surrogate) at column 14");
    expect(reason("set wifiSsid=\ud83dx")).toBe("broken character (lone surrogate) at column 14");
    expect(reason("set wifiSsid=\ud83d\ud83d\ude00")).toBe("broken character (lone surrogate) at column 14");
    expect(reason("set wifiSsid=\udbff\udfff")).toBe("parsed");
    expect(reason("set wifiSsid=\udc00\udc00")).toBe("broken character (lone surrogate) at column 14");
    expect(reason("set wifiSsid=\ue000")).toBe("parsed");
    expect(reason("set wifiSsid=\ud7ff")).toBe("parsed");
    const ring = "ring takes how many swipes to show, 1-128 (default 16)";
    for (const [line, max] of [["ring", 16], ["ring 1", 1], ["RING   128", 128], ["ring 007", 7]] as const) {
      expect(parseConsoleLine(line), line).toEqual({ ok: true, command: { kind: "ring", max } });
    }
    for (const line of ["ring 0", "ring 129", "ring 1000", "ring x5", "ring 5x", "ring -1", "ring 1 2"]) expect(reason(line), line).toBe(ring);
    expect(parseConsoleLine(`set wifiSsid= ${"s".repeat(256)} `)).toEqual({ ok: true, command: { kind: "set", key: "wifiSsid", value: "s".repeat(256) } });
    expect(parseConsoleLine("set  brokerUser =  me ")).toEqual({ ok: true, command: { kind: "set", key: "brokerUser", value: "me" } });
  });

  it("refuse a line holding a card number without storing or showing it", () => {
    const card = "the line holds what looks like a card number: not stored, not shown (never type one here)";
    for (const l of ["4111111111111111", "set merchantId=4111-1111-1111-1111", "set wifiSsid=pay 4111 1111 1111 1111 now", "unlock 5500 0000 0000 0004"]) {
      const p = parseConsoleLine(l);
      expect(p.ok ? "parsed" : p.reason).toBe(card);
    }
    // Digits that fail Luhn, or are too few, are ordinary values.
    expect(parseConsoleLine("set merchantId=4111111111111112").ok).toBe(true);
    expect(parseConsoleLine("set brokerHost=192.168.100.200").ok).toBe(true);
  });

  it("never throw, and always give a command or a reason", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "grapheme", maxLength: 40 }), fc.constantFrom("set", "unlock", "show", "set brokerPort=")), (s) => {
        const p = parseConsoleLine(s);
        expect(p.ok ? typeof p.command.kind : p.reason.length > 0 ? "string" : "none").toBe("string");
      }),
      { numRuns: 300 },
    );
  });
});

describe("setting keys", () => {
  it("fit NVS (15 characters) and are keys device-config.ts reads", () => {
    for (const k of SETTING_KEYS) expect(k.name.length <= MAX_SETTING_NAME).toBe(true);
    // Each key reaches the config: a value its rules refuse is refused by name.
    for (const k of SETTING_KEYS.filter((k) => k.kind === "int" || k.kind === "number" || k.kind === "bool")) {
      expect(() => deviceConfig({ ...BUILD, terminalId: "t1", [k.name]: "not-a-value" })).toThrow(k.name);
    }
    const c = deviceConfig({ ...BUILD, terminalId: "t1", watermarkMs: "7000", burstMax: "6", burstSmall: "3", burstSmallCents: "250", anomalyThresh: "3.5" });
    expect(c.terminal.pipeline.watermarkDelayMs).toBe(7000);
    expect(c.terminal.pipeline.burst.maxCount).toBe(6);
    expect(c.terminal.pipeline.burst.smallBurstCount).toBe(3);
    expect(c.terminal.pipeline.burst.smallAverageCents).toBe(250);
    expect(c.terminal.pipeline.anomaly.threshold).toBe(3.5);
  });
});

describe("terminal identity", () => {
  it("takes the set id, else the MAC's last three bytes, else a generated id, and keeps it", () => {
    const store = new MemorySettingsStore();
    expect(resolveTerminalId("shop-7", store, "24:0A:C4:A1:B2:C3", counter())).toEqual({ id: "shop-7", source: "set" });
    expect(resolveTerminalId("", store, "24:0A:C4:A1:B2:C3", counter())).toEqual({ id: "term-a1b2c3", source: "mac" });
    expect(resolveTerminalId("", store, undefined, counter())).toEqual({ id: "term-a1b2c3", source: "kept" });
    const other = new MemorySettingsStore();
    const gen = resolveTerminalId(undefined, other, undefined, counter(9));
    expect(gen.source).toBe("generated");
    expect(/^term-[0-9a-f]{8}$/.test(gen.id)).toBe(true);
    expect(other.read(AUTO_ID_KEY)).toBe(gen.id);
    // The next start (another random draw) finds the kept id.
    expect(resolveTerminalId(undefined, other, undefined, counter(10))).toEqual({ id: gen.id, source: "kept" });
    expect(macSuffix("00:00:00:00:00:00")).toBeNull();
    expect(macSuffix("not a mac")).toBeNull();
    expect(macSuffix("240ac4a1b2c3")).toBe("a1b2c3");
    expect(macSuffix("24-0A-C4-A1-B2-C3")).toBe("a1b2c3");
    expect(macSuffix("x240ac4a1b2c3")).toBeNull();
    expect(macSuffix("240ac4a1b2c3x")).toBeNull();
    expect(macSuffix("240ac4a1b2")).toBeNull();
    // The setting is trimmed; a kept id that is not a derived one's shape (edited by hand) is not kept.
    expect(resolveTerminalId("  front-desk ", new MemorySettingsStore(), undefined, counter())).toEqual({ id: "front-desk", source: "set" });
    for (const odd of ["xterm-a1b2c3", "term-a1b2c3x", "term-a1b2", "shop-7"]) {
      const st = new MemorySettingsStore();
      st.write(AUTO_ID_KEY, odd);
      const got = resolveTerminalId(undefined, st, "24:0A:C4:12:34:56", counter());
      expect(got, odd).toEqual({ id: "term-123456", source: "mac" });
    }
  });
});

describe("settings console", () => {
  it("sets a value after checking it with device-config's rules, and keeps it for the next start", () => {
    const { console, store, identity } = rig();
    expect(console.handle("set brokerPort=1884")).toEqual(["ok brokerPort=1884 (saved; applies at the next start)"]);
    expect(console.handle("set brokerPort=99999")).toEqual(['error: brokerPort must be an integer in [1, 65535], got "99999"']);
    expect(console.handle("set brokerPassword=pw")).toEqual(["error: brokerPassword is set but brokerUser is empty (MQTT 3.1.1 sends no password without a user name)"]);
    expect(console.handle("set ntpServers=a, b c")[0]).toBe('error: ntpServers must be a comma-separated list of non-empty host names without spaces, got "a, b c"');
    expect(store.read("brokerPort")).toBe("1884");
    const start = startupConfig(BUILD, store, identity);
    expect(start.setAside).toBeNull();
    expect(deviceConfig(start.config).terminal.broker.port).toBe(1884);
    expect(console.counters).toEqual({ lines: 4, done: 1, rejected: 3, refused: 0, storageFailures: 0 });
  });

  it("never echoes a secret: not in set's answer, not in show, not in an error", () => {
    const { console } = rig();
    expect(console.handle("set brokerUser=term")).toEqual(["ok brokerUser=term (saved; applies at the next start)"]);
    expect(console.handle("set brokerPassword=hunter22")).toEqual(["ok brokerPassword=**** (saved; applies at the next start)"]);
    expect(console.handle("set wifiPassword=s3cret!!")).toEqual(["ok wifiPassword=**** (saved; applies at the next start)"]);
    const shown = console.handle("show").join("\n");
    expect(shown.includes("hunter22") || shown.includes("s3cret")).toBe(false);
    expect(shown).toContain("* brokerPassword  = ****");
    expect(shown).toContain("* wifiPassword    = ****");
    expect(shown).toContain("  brokerHost      = 127.0.0.1");
    // Keys the build leaves out show the rules' defaults (device-config.ts).
    expect(shown).toContain("  watermarkMs     = 5000");
    expect(shown).toContain("  burstMax        = 10");
    expect(shown).toContain("  anomalyThresh   = 4");
    expect(shown).toContain("pending until the next start: brokerUser, brokerPassword, wifiPassword");
  });

  it("show, line by line: stored (*) over the build over the rules' defaults, secrets masked, what is pending", () => {
    const { console, identity } = rig();
    console.handle("set merchantId=shop_42");
    console.handle("set wifiPassword=hunter22");
    console.handle("set brokerUser=");
    expect(console.handle("show")).toEqual([
      "settings (* stored on this terminal, the rest from the build; changes apply at the next start):",
      `  terminalId      = ${identity.id} (generated)`,
      "* merchantId      = shop_42",
      "  topicPrefix     = paycard",
      "  wifiSsid        = Wokwi-GUEST",
      "* wifiPassword    = ****",
      "  brokerHost      = 127.0.0.1",
      "  brokerPort      = 1883",
      "* brokerUser      = (empty)",
      "  brokerPassword  = (empty)",
      "  brokerTls       = false",
      "  ntpServers      = 127.0.0.1",
      // Not in the build's config: the rules' own defaults.
      "  watermarkMs     = 5000",
      "  burstMax        = 10",
      "  burstSmall      = 5",
      "  burstSmallCents = 500",
      "  anomalyThresh   = 4",
      "pending until the next start: merchantId, wifiPassword, brokerUser",
      "installer lock: no passphrase yet (anyone may set; passphrase <p> locks); refused 0, rejected 0, storage failures 0",
    ]);
    console.handle("set burstSmall=3");
    console.handle("set terminalId=front-desk");
    const shown = console.handle("show");
    expect(shown).toContain("* burstSmall      = 3");
    expect(shown).toContain("* terminalId      = front-desk");
    expect(shown).toContain("  burstSmallCents = 500");
    const chip = new SettingsConsole(BUILD, new MemorySettingsStore(), new InstallerLock(new MemorySettingsStore(), counter(7), () => 0), resolveTerminalId(undefined, new MemorySettingsStore(), "24:0a:c4:12:34:56", counter(3)));
    expect(chip.handle("show")[1]).toBe("  terminalId      = term-123456 (from the chip)");
  });

  it("shows the derived id, and resets to the build's values", () => {
    const { console, store, identity } = rig();
    expect(console.handle("show")).toContain(`  terminalId      = ${identity.id} (generated)`);
    console.handle("set merchantId=shop_42");
    console.handle("set terminalId=front-desk");
    expect(console.handle("reset")).toEqual(["ok: 2 stored setting(s) removed; the build's values apply at the next start"]);
    expect(storedSettings(store)).toEqual({});
    // The generated id survives a reset (it is no setting).
    expect(store.read(AUTO_ID_KEY)).toBe(identity.id);
  });

  it("locks set and reset behind the installer passphrase, counting every refusal", () => {
    const now = { t: 0 };
    const { console, store } = rig(now);
    expect(console.handle("passphrase short")).toEqual(["error: a passphrase has 8-64 characters (this one has 5)"]);
    expect(console.handle("passphrase open sesame")).toEqual(["ok: passphrase set; set and reset now need unlock <passphrase>"]);
    expect((store.read(PASSPHRASE_KEY) as string).includes("sesame")).toBe(false);
    expect(console.handle("set brokerPort=1885")).toEqual(["refused: set is locked (unlock <passphrase> first)"]);
    expect(console.handle("reset")).toEqual(["refused: reset is locked (unlock <passphrase> first)"]);
    expect(console.handle("passphrase new one here")).toEqual(["refused: passphrase is locked (unlock <passphrase> first)"]);
    expect(console.handle("unlock open says me")).toEqual(["refused: wrong passphrase"]);
    expect(console.handle("unlock open sesame")).toEqual(["unlocked: set and reset are open until lock or the next start"]);
    expect(console.handle("set brokerPort=1885")).toEqual(["ok brokerPort=1885 (saved; applies at the next start)"]);
    expect(console.handle("lock")).toEqual(["locked"]);
    expect(console.handle("set brokerPort=1886")).toEqual(["refused: set is locked (unlock <passphrase> first)"]);
    expect(store.read("brokerPort")).toBe("1885");
    expect(console.counters.refused).toBe(5);
    expect(console.handle("show").pop()).toBe("installer lock: passphrase set, locked; refused 5, rejected 1, storage failures 0");
  });

  it("stores Improv's Wi-Fi credentials as set would: checked, locked with set, counted, the password never echoed", () => {
    const { console, store, identity } = rig();
    expect(console.storeWifi("Lab Wi-Fi", "s3cret pass")).toBeNull();
    expect(storedSettings(store)).toEqual({ wifiSsid: "Lab Wi-Fi", wifiPassword: "s3cret pass" });
    const wifi = deviceConfig(startupConfig(BUILD, store, identity).config).device;
    expect([wifi.wifiSsid, wifi.wifiPassword]).toEqual(["Lab Wi-Fi", "s3cret pass"]);
    expect(console.handle("show").join("\n")).toContain("pending until the next start: wifiSsid, wifiPassword");
    // A bad stored value is named; the password is not.
    store.write("brokerPort", "http");
    const problem = console.storeWifi("Other", "http");
    expect(problem).toContain("brokerPort");
    expect(problem).not.toContain('"http"');
    store.remove("brokerPort");
    store.failWrites = true;
    expect(console.storeWifi("Other", "pw")).toBe("Wi-Fi settings not saved: the settings store refused the write");
    store.failWrites = false;
    console.handle("passphrase open sesame");
    expect(console.storeWifi("Other", "pw")).toBe("Wi-Fi settings are locked like set (unlock <passphrase> on the console first)");
    expect(storedSettings(store).wifiSsid).toBe("Lab Wi-Fi");
    console.handle("unlock open sesame");
    expect(console.storeWifi("Other", "pw")).toBeNull();
    expect(storedSettings(store).wifiSsid).toBe("Other");
    expect([console.counters.refused, console.counters.rejected, console.counters.storageFailures]).toEqual([1, 1, 1]);
  });

  it("refuses every attempt for a minute after five wrong passphrases", () => {
    const now = { t: 1_000 };
    const { console } = rig(now);
    console.handle("passphrase open sesame");
    for (let i = 0; i < MAX_FAILURES; i++) expect(console.handle(`unlock guess ${i}xx`)).toEqual(["refused: wrong passphrase"]);
    expect(console.handle("unlock open sesame")).toEqual(["refused: too many wrong passphrases; try again in 60 s"]);
    now.t += LOCKOUT_MS;
    expect(console.handle("unlock open sesame")).toEqual(["unlocked: set and reset are open until lock or the next start"]);
    expect(console.counters.refused).toBe(MAX_FAILURES + 1);
  });

  it("the lock itself: set then changed, refused unlocks counted, a damaged stored hash said so", () => {
    const store = new MemorySettingsStore();
    const lock = new InstallerLock(store, counter(7), () => 0);
    expect([lock.hasPassphrase, lock.damaged, lock.unlocked, lock.mayChange]).toEqual([false, false, false, true]);
    expect(lock.setPassphrase("open sesame")).toBe("set");
    expect([lock.hasPassphrase, lock.unlocked, lock.mayChange]).toEqual([true, false, false]);
    expect(lock.unlock("wrong one!")).toBe("wrong");
    expect(lock.refusedUnlocks).toBe(1);
    expect(lock.unlock("open sesame")).toBe("unlocked");
    expect(lock.setPassphrase("new secret")).toBe("changed");
    store.write(PASSPHRASE_KEY, "sha256i$64$not-hex$x");
    expect([lock.hasPassphrase, lock.damaged]).toEqual([false, true]);
    const c = new SettingsConsole(BUILD, store, lock, resolveTerminalId("t1", store, undefined, counter()));
    expect(c.handle("show").pop()).toMatch(/^installer lock: stored passphrase hash is damaged: set a new one with passphrase <p>;/);
  });

  it("says so when the store refuses a write, and sets aside stored settings that break the rules", () => {
    const { console, store, identity } = rig();
    store.failWrites = true;
    expect(console.handle("set brokerPort=1884")).toEqual(["error: brokerPort not saved: the settings store refused the write"]);
    expect(console.counters.storageFailures).toBe(1);
    store.failWrites = false;
    store.write("brokerPort", "http");
    const start = startupConfig(BUILD, store, identity);
    expect(start.setAside).toBe('brokerPort must be an integer in [1, 65535], got "http"');
    expect(start.config.brokerPort).toBe(1883);
    expect(start.config.terminalId).toBe(identity.id);
  });

  it("runs the terminal's commands, with offline and online locked like set", () => {
    const calls: string[] = [];
    const terminal = {
      offline: () => (calls.push("offline"), "offline: link dropped"),
      online: () => (calls.push("online"), "online: reconnecting"),
      status: () => ["link up"],
      ring: (max: number) => [`ring ${max}`],
    };
    const store = new MemorySettingsStore();
    const lock = new InstallerLock(store, counter(7), () => 0);
    const con = new SettingsConsole(BUILD, store, lock, resolveTerminalId("t1", store, undefined, counter()), terminal);
    expect(con.handle("status")).toEqual(["link up"]);
    expect(con.handle("ring")).toEqual(["ring 16"]);
    expect(con.handle("ring 5")).toEqual(["ring 5"]);
    expect(con.handle("ring 0")).toEqual(["error: ring takes how many swipes to show, 1-128 (default 16)"]);
    expect(con.handle("offline")).toEqual(["offline: link dropped"]);
    con.handle("passphrase open sesame");
    expect(con.handle("online")).toEqual(["refused: online is locked (unlock <passphrase> first)"]);
    expect(con.handle("status")).toEqual(["link up"]);
    con.handle("unlock open sesame");
    expect(con.handle("online")).toEqual(["online: reconnecting"]);
    expect(calls).toEqual(["offline", "online"]);
    // Without a running terminal (the fuzz rig, the host): said so.
    expect(rig().console.handle("status")).toEqual(["error: status needs a running terminal"]);
    expect(rig().console.handle("ring 3")).toEqual(["error: ring needs a running terminal"]);
    expect(rig().console.handle("offline")).toEqual(["error: offline needs a running terminal"]);
  });

  it("help lists every command and key; unlock without a passphrase; a changed passphrase locks; a store that refuses it", () => {
    const { console, store } = rig();
    const help = console.handle("help");
    expect(help[0]).toBe("commands: help | show | set key=value | reset | passphrase <p> | unlock <p> | lock");
    expect(help).toHaveLength(4 + SETTING_KEYS.length);
    for (const k of SETTING_KEYS) expect(help.some((l) => l.startsWith(`  ${k.name} `)), k.name).toBe(true);
    expect(console.handle("unlock whatever-it-is")).toEqual(["error: no passphrase is set yet (passphrase <p> sets one)"]);
    expect(console.counters.rejected).toBe(1);
    expect(console.handle("show").pop()).toBe("installer lock: no passphrase yet (anyone may set; passphrase <p> locks); refused 0, rejected 1, storage failures 0");
    console.handle("passphrase open sesame");
    console.handle("unlock open sesame");
    expect(console.handle("show").pop()).toMatch(/^installer lock: passphrase set, unlocked;/);
    expect(console.handle("passphrase another secret")).toEqual(["ok: passphrase changed; locked"]);
    expect(console.handle("set brokerPort=1885")).toEqual(["refused: set is locked (unlock <passphrase> first)"]);
    console.handle("unlock another secret");
    store.failWrites = true;
    expect(console.handle("passphrase third secret")).toEqual(["error: passphrase not saved: the settings store refused the write"]);
    expect(console.counters.storageFailures).toBe(1);
  });

});
