/**
 * The settings console on the real engine: the firmware built for the Moddable `lin` simulator
 * (`npm run build:lin`), run twice with console lines on stdin. Shows that two runs get the same
 * generated terminal id, that `set` values survive a restart and are applied, that `show` masks
 * secrets, that a bad key is refused by name, and that a locked terminal refuses `set` without
 * the passphrase. Needs the SDK's Linux tools (MODDABLE set, mcsim built) and xvfb-run; skips
 * with one line otherwise (CI cannot build the SDK).
 *
 * lin keeps Preference in /tmp/modpreferences.json: the suite saves that file and puts it back.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceBuildPaths } from "../../src/host/device-build";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const MODDABLE = process.env.MODDABLE;
const mcsim = MODDABLE === undefined ? "" : path.join(MODDABLE, "build", "bin", "lin", "release", "mcsim");
const xvfbRun = ["/usr/bin/xvfb-run", "/usr/local/bin/xvfb-run"].find((p) => existsSync(p));
const available = mcsim !== "" && existsSync(mcsim) && xvfbRun !== undefined;
if (!available) console.log('skipped lin console suite: needs the Moddable SDK Linux tools (MODDABLE, mcsim) and xvfb-run; see the README, "The Linux simulator"');

const PREFS = "/tmp/modpreferences.json";
const JOURNAL = "lin-console.jnl";
const PASSPHRASE = "open sesame 42";

/** Runs the built firmware for `seconds` with `lines` on stdin; returns its console and startup lines. */
function runFirmware(lines: string[], seconds = 6): string[] {
  const input = path.join(os.tmpdir(), `paycard-lin-console-${process.pid}.txt`);
  writeFileSync(input, `${lines.join("\n")}\n`);
  const mcSo = deviceBuildPaths("lin", root).mcSo as string;
  // stdin is the file itself (as with `mcsim mc.so < commands.txt`): the firmware reads /dev/stdin as a file.
  const fd = openSync(input, "r");
  const r = spawnSync(xvfbRun as string, ["-a", "timeout", "-s", "INT", String(seconds), "stdbuf", "-oL", mcsim, mcSo], {
    cwd: root,
    stdio: [fd, "pipe", "pipe"],
    encoding: "utf8",
    timeout: (seconds + 30) * 1000,
  });
  closeSync(fd);
  rmSync(input, { force: true });
  const out = `${r.stdout}${r.stderr}`;
  if (out.includes("XS abort")) throw new Error(`the firmware aborted:\n${out}`);
  return out.split("\n").filter((l) => /^(paycard|console): /.test(l));
}

describe.skipIf(!available)("settings console on the lin simulator", () => {
  let savedPrefs: string | null = null;
  let first: string[] = [];
  let second: string[] = [];

  beforeAll(() => {
    savedPrefs = existsSync(PREFS) ? readFileSync(PREFS, "utf8") : null;
    rmSync(PREFS, { force: true });
    rmSync(path.join("/tmp", JOURNAL), { force: true });
    // No broker, no NTP, no swipe script: the console alone. Unused loopback ports.
    execFileSync(process.execPath, ["src/host/paycard.mjs", "build-lin", "scriptedSwipes=false", `journalFile=${JOURNAL}`, "brokerPort=1", "ntpPort=1"], {
      cwd: root,
      env: process.env,
      stdio: "pipe",
      timeout: 300_000,
    });
    first = runFirmware([
      "show",
      "set brokerPrt=1884",
      "set brokerPort=99999",
      "set brokerUser=term",
      "set brokerPassword=hunter22secret",
      "set merchantId=shop_42",
      `passphrase ${PASSPHRASE}`,
      "set merchantId=other",
      "unlock wrong guess 1",
      "show",
    ]);
    second = runFirmware(["show", "set brokerPort=1884", `unlock ${PASSPHRASE}`, "set brokerPort=1884", "lock", "set brokerPort=1885"]);
    console.log(["--- first run", ...first, "--- second run", ...second].join("\n"));
  }, 400_000);

  afterAll(() => {
    if (savedPrefs === null) rmSync(PREFS, { force: true });
    else writeFileSync(PREFS, savedPrefs);
    rmSync(path.join("/tmp", JOURNAL), { force: true });
  });

  it("generates a terminal id once and keeps it across runs", () => {
    const id1 = /^paycard: terminal (term-[0-9a-f]{8}) \(generated, kept in NVS\)/.exec(first.find((l) => l.startsWith("paycard: terminal ")) ?? "");
    const id2 = /^paycard: terminal (term-[0-9a-f]{8}) \(kept in NVS\), 3 stored setting\(s\)/.exec(second.find((l) => l.startsWith("paycard: terminal ")) ?? "");
    expect(id1?.[1]).toBeDefined();
    expect(id2?.[1]).toBe(id1?.[1]);
  });

  it("refuses a bad key by name and a bad value by rule", () => {
    expect(first).toContain('console: error: unknown key "brokerPrt" (did you mean brokerPort?)');
    expect(first).toContain('console: error: brokerPort must be an integer in [1, 65535], got "99999"');
  });

  it("masks secrets in show and never prints them", () => {
    expect(first).toContain("console: ok brokerPassword=**** (saved; applies at the next start)");
    expect(first).toContain("console: * brokerPassword  = ****");
    expect([...first, ...second].some((l) => l.includes("hunter22secret") || l.includes(PASSPHRASE))).toBe(false);
  });

  it("locks set behind the passphrase, and counts the refusals", () => {
    expect(first).toContain("console: ok: passphrase set; set and reset now need unlock <passphrase>");
    expect(first).toContain("console: refused: set is locked (unlock <passphrase> first)");
    expect(first).toContain("console: refused: wrong passphrase");
    expect(first).toContain("console: installer lock: passphrase set, locked; refused 2, rejected 2, storage failures 0");
    expect(second).toContain("console: installer lock: passphrase set, locked; refused 0, rejected 0, storage failures 0");
    expect(second.filter((l) => l === "console: refused: set is locked (unlock <passphrase> first)")).toHaveLength(2);
    expect(second).toContain("console: unlocked: set and reset are open until lock or the next start");
    expect(second).toContain("console: ok brokerPort=1884 (saved; applies at the next start)");
  });

  it("keeps set values across the restart and applies them", () => {
    expect(second.find((l) => l.startsWith("paycard: terminal "))).toContain("3 stored setting(s), merchant shop_42, ");
    expect(first.find((l) => l.startsWith("paycard: terminal "))).toContain("0 stored setting(s), merchant merch_demo_001, ");
    expect(second).toContain("console: * merchantId      = shop_42");
    expect(second).toContain("console: * brokerUser      = term");
    const prefs = JSON.parse(readFileSync(PREFS, "utf8")) as Record<string, Record<string, unknown>>;
    expect(prefs["paycard.cfg"].merchantId).toBe("shop_42");
    expect(prefs["paycard.cfg"].brokerPort).toBe("1884");
    expect(String(prefs["paycard.cfg"].passHash).startsWith("sha256i$64$")).toBe(true);
  });
});
