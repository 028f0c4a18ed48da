// Node-only fuzz test of the settings console: random lines and valid commands mutated
// (characters replaced, inserted, deleted, case flipped, lines cut or doubled, control
// characters and lone surrogates included) go through SettingsConsole.handle, which must:
//   - never throw, and answer every line with at least one non-empty line;
//   - answer a line the parser refuses with exactly one "error: <reason>";
//   - count every line exactly once as done, rejected, refused or a storage failure;
//   - never print the stored secrets;
//   - leave only settings that device-config.ts's rules accept (a restart never finds a bad one).
//
// PAYCARD_FUZZ_RUNS sets the line count (default 100000), PAYCARD_FUZZ_SEED the seed.
import { describe, expect, it } from "vitest";
import { parseConsoleLine } from "../../src/core/settings/console-command";
import { InstallerLock } from "../../src/core/settings/installer-lock";
import { SETTING_KEYS } from "../../src/core/settings/setting-keys";
import { SettingsConsole, startupConfig } from "../../src/core/settings/settings-console";
import { MemorySettingsStore } from "../../src/core/settings/settings-store";
import { resolveTerminalId } from "../../src/core/settings/terminal-identity";
import { SeededRandom } from "../../src/sim/seeded-random";
import { labBuildConfig } from "../support/lab-build-config";

const RUNS = Number(process.env.PAYCARD_FUZZ_RUNS ?? 100000);
const SEED = Number(process.env.PAYCARD_FUZZ_SEED ?? 20261207) >>> 0;

const BUILD = labBuildConfig({ brokerUser: "fuzz" });

const SECRET_BROKER = "Qv7-broker-secret-Zx9";
const SECRET_WIFI = "Wf3-wifi-secret-Kp2";
const PASSPHRASE = "fuzz passphrase 1";

const CORPUS = [
  "help",
  "show",
  "reset",
  "lock",
  `unlock ${PASSPHRASE}`,
  "unlock wrong guess here",
  `passphrase ${PASSPHRASE}`,
  "set brokerPort=1884",
  "set brokerHost=broker.local",
  "set terminalId=front-desk",
  "set terminalId=",
  "set merchantId=shop_42",
  "set topicPrefix=shops",
  "set ntpServers=a.example,b.example",
  "set wifiSsid=Cafe Wi-Fi",
  "set brokerTls=yes",
  "set watermarkMs=8000",
  "set burstMax=12",
  "set burstSmall=4",
  "set burstSmallCents=300",
  "set anomalyThresh=3.5",
  "set brokerUser=",
  '{"transaction_id":"t1"}',
];

const NASTY = ["\u0000", "\u0007", "\t", "\u007f", "\ud800", "\udc00", "=", " ", "é", "€", "😀", "#", "+", "/", ",", "\\", '"'];

function randomChar(r: SeededRandom): string {
  const p = r.next();
  if (p < 0.3) return NASTY[r.below(NASTY.length)];
  if (p < 0.9) return String.fromCharCode(32 + r.below(95));
  return String.fromCharCode(r.below(0x10000));
}

function mutate(line: string, r: SeededRandom): string {
  let s = line;
  const edits = 1 + r.below(4);
  for (let e = 0; e < edits; e++) {
    const at = r.below(s.length + 1);
    switch (r.below(7)) {
      case 0:
        s = s.slice(0, at) + randomChar(r) + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + randomChar(r) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + r.below(3));
        break;
      case 3:
        s = s.slice(0, at);
        break;
      case 4:
        s = s + s;
        break;
      case 5:
        s = r.next() < 0.5 ? s.toUpperCase() : s.toLowerCase();
        break;
      default:
        s = s.slice(0, at) + "x".repeat(r.below(600)) + s.slice(at);
    }
  }
  return s;
}

function randomLine(r: SeededRandom): string {
  const n = r.below(40);
  let s = "";
  for (let i = 0; i < n; i++) s += randomChar(r);
  return s;
}

const ANSWER = /^(ok|error: .|refused: .|locked$|unlocked: |settings \(|commands: |  |\* |pending |installer lock: |keys:$)/;

describe("settings console fuzz", () => {
  it(`answers ${RUNS} random and mutated lines without a crash, each bad line with its reason`, () => {
    const r = new SeededRandom(SEED);
    const store = new MemorySettingsStore();
    let now = 0;
    const lock = new InstallerLock(store, new SeededRandom(SEED + 1), () => now);
    const identity = resolveTerminalId(undefined, store, undefined, new SeededRandom(SEED + 2));
    const con = new SettingsConsole(BUILD, store, lock, identity);
    // Secrets stored first; the console starts open, and locks when a fuzzed line sets the passphrase.
    expect(con.handle(`set brokerPassword=${SECRET_BROKER}`)[0]).toBe("ok brokerPassword=**** (saved; applies at the next start)");
    expect(con.handle(`set wifiPassword=${SECRET_WIFI}`)[0]).toBe("ok wifiPassword=**** (saved; applies at the next start)");

    const kinds: Record<string, number> = { random: 0, mutated: 0, valid: 0, refusedByParser: 0 };
    for (let i = 0; i < RUNS; i++) {
      now += 250;
      const p = r.next();
      const line = p < 0.3 ? randomLine(r) : p < 0.9 ? mutate(CORPUS[r.below(CORPUS.length)], r) : CORPUS[r.below(CORPUS.length)];
      kinds[p < 0.3 ? "random" : p < 0.9 ? "mutated" : "valid"]++;
      let answer: string[];
      try {
        answer = con.handle(line);
      } catch (e) {
        throw new Error(`line ${i} ${JSON.stringify(line)} threw: ${String(e)}`);
      }
      if (answer.length === 0 || answer.some((a) => a.length === 0 || !ANSWER.test(a))) {
        throw new Error(`line ${i} ${JSON.stringify(line)} got ${JSON.stringify(answer)}`);
      }
      const parsed = parseConsoleLine(line);
      if (!parsed.ok) {
        kinds.refusedByParser++;
        if (answer.length !== 1 || answer[0] !== `error: ${parsed.reason}`) throw new Error(`line ${JSON.stringify(line)}: ${JSON.stringify(answer)}`);
      }
      for (const a of answer) {
        if (a.includes(SECRET_BROKER) || a.includes(SECRET_WIFI) || a.includes(PASSPHRASE)) throw new Error(`secret printed for ${JSON.stringify(line)}: ${a}`);
      }
    }
    const c = con.counters;
    expect(c.lines).toBe(RUNS + 2);
    expect(c.done + c.rejected + c.refused + c.storageFailures).toBe(c.lines);
    expect(kinds.refusedByParser).toBeGreaterThan(RUNS / 10);
    expect(c.done).toBeGreaterThan(RUNS / 100);
    expect(c.refused).toBeGreaterThan(0);
    // What is stored is a configuration the next start accepts.
    expect(startupConfig(BUILD, store, identity).setAside).toBeNull();
    const stored = SETTING_KEYS.filter((k) => store.read(k.name) !== undefined).map((k) => k.name);
    console.log(
      `[console-fuzz] lines=${RUNS} seed=${SEED} random=${kinds.random} mutated=${kinds.mutated} valid=${kinds.valid} ` +
        `parser-refused=${kinds.refusedByParser} done=${c.done} rejected=${c.rejected} refused=${c.refused} stored=${stored.join(",")}`,
    );
  }, 120_000);
});
