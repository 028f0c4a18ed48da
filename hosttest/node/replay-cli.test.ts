/**
 * Black-box tests of `paycard replay` and `paycard run`: the CLI a user runs,
 * spawned as a process, on a JSONL file this test writes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createRawSwipe, type RawSwipe } from "../../src/core/model/raw-swipe";
import { DEFAULT_TRAFFIC, TrafficGenerator } from "../../src/sim/traffic-generator";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = path.join(root, "src", "host", "paycard.mjs");
const dir = mkdtempSync(path.join(tmpdir(), "paycard-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function paycard(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: "utf8", timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, lines };
}

function parse(lines: string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** 600 swipes from the seeded generator (with bursts), then a few bad and late lines. */
function writeInput(): { file: string; total: number; truth: { bursts: string[] } } {
  const bursts: string[] = [];
  const gen = new TrafficGenerator(
    { ...DEFAULT_TRAFFIC, seed: 5, ratePerSec: 2, burstEveryMs: 60_000, lateFraction: 0 },
    { onBurst: (b) => bursts.push(b.card), onAnomaly: () => {} },
  );
  const out: string[] = [];
  let last: RawSwipe = createRawSwipe();
  for (let i = 0; i < 600; i++) {
    const r = gen.next(createRawSwipe());
    out.push(JSON.stringify({ ...r, timestamp: new Date(r.timestamp as number).toISOString() }));
    last = r;
  }
  out.push("{not json");
  out.push(JSON.stringify({ ...last, transaction_id: "bad-amount", amount_cents: -1 }));
  out.push(JSON.stringify({ ...last, transaction_id: "pan", card_hash: "4111111111111111" }));
  out.push("");
  // An hour late: beyond every window's allowed lateness.
  out.push(JSON.stringify({ ...last, transaction_id: "very-late", timestamp: (last.timestamp as number) - 3_600_000 }));
  const file = path.join(dir, "swipes.jsonl");
  writeFileSync(file, out.join("\n") + "\n");
  return { file, total: out.length, truth: { bursts } };
}

describe("paycard replay", () => {
  const input = writeInput();

  it("writes windows, alerts, late data, rejects and a closing summary as JSON lines", () => {
    const r = paycard(["replay", input.file]);
    expect(r.status).toBe(0);
    const recs = parse(r.lines);
    const summary = recs[recs.length - 1];
    expect(summary.type).toBe("summary");
    expect(summary.lines).toBe(input.total);
    expect(summary.blank_lines).toBe(1);
    expect(summary.accepted).toBe(601);
    expect(summary.rejected).toBe(3);
    const rejects = recs.filter((x) => x.type === "reject");
    expect(rejects.map((x) => [x.reason, x.line])).toEqual([
      ["MALFORMED_JSON", 601], ["AMOUNT_NOT_POSITIVE", 602], ["CARD_NUMBER_IN_CARD_HASH", 603],
    ]);
    expect(r.stdout).not.toContain("4111111111111111");
    const late = recs.filter((x) => x.type === "late");
    expect(late.length).toBe(3); // one per window definition
    for (const l of late) expect(l.transaction_id).toBe("very-late");
    const windows = recs.filter((x) => x.type === "window");
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows) expect((w.end as number) - (w.start as number)).toBeGreaterThan(0);
    const alerted = new Set(recs.filter((x) => x.type === "alert" && x.alert_type === "BURST_ATTACK").map((x) => x.key));
    expect(input.truth.bursts.length).toBeGreaterThan(0);
    for (const card of input.truth.bursts) expect(alerted.has(card)).toBe(true);
    // One alert per attack, carrying the course's confidence and the swipes of its window.
    const burstAlerts = recs.filter((x) => x.type === "alert" && x.alert_type === "BURST_ATTACK");
    expect(burstAlerts.length).toBe(alerted.size);
    for (const a of burstAlerts) {
      expect(a.confidence).toBe(Math.min(0.95, (a.value as number) / 20));
      // What the ring still holds of the window (it may have overwritten the oldest on a busy terminal).
      const n = (a.transactions as string[]).length;
      expect(n > 0 && n <= Math.min(a.value as number, 16)).toBe(true);
    }
  });

  it("reads stdin, and a replay of the same input is identical", () => {
    const a = paycard(["replay", input.file]);
    const b = paycard(["replay"], readFileSync(input.file, "utf8"));
    expect(b.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it("takes window and detector settings from --config", () => {
    const cfg = path.join(dir, "cfg.json");
    writeFileSync(cfg, JSON.stringify({ burst: { maxCount: 1000, smallBurstCount: 1000 }, windows: [{ name: "burst", emit: false }] }));
    const r = paycard(["replay", "--config", cfg, input.file]);
    expect(r.status).toBe(0);
    const recs = parse(r.lines);
    expect(recs.filter((x) => x.type === "alert" && x.alert_type === "BURST_ATTACK")).toHaveLength(0);
    expect(recs.filter((x) => x.type === "window")).toHaveLength(0);
  });

  it("--events prints each accepted swipe with its request id", () => {
    const r = paycard(["replay", "--events", "--terminal", "t9", "--boot", "36", input.file]);
    const events = parse(r.lines).filter((x) => x.type === "event");
    expect(events).toHaveLength(601);
    expect(events[0].request_id).toBe("t9-10-1");
    expect(new Set(events.map((e) => e.request_id)).size).toBe(601);
  });

  it("refuses bad usage and bad configs with a clear message and exit code 2", () => {
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ windows: [{ name: "burst", slide: 0 }] }));
    const cases: [string[], string][] = [
      [["replay", path.join(dir, "missing.jsonl")], "input file not found"],
      [["replay", "--config", bad, input.file], "slide must be a positive integer"],
      [["replay", "--frobnicate"], "unknown option --frobnicate"],
      [["nonsense"], "unknown command nonsense"],
    ];
    for (const [args, message] of cases) {
      const r = paycard(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});

describe("paycard replay's filters, times and exit status", () => {
  const example = path.join(root, "examples", "swipes.jsonl");

  it("--only keeps the record types named, in order, with the summary last", () => {
    const r = paycard(["replay", example, "--only", "alert,late,reject,summary"]);
    expect(r.status).toBe(0);
    const recs = parse(r.lines);
    expect(new Set(recs.map((x) => x.type))).toEqual(new Set(["alert", "late", "reject", "summary"]));
    expect(recs.filter((x) => x.type === "alert").map((x) => x.alert_type)).toEqual(["BURST_ATTACK", "CLOCK_DRIFT"]);
    expect(recs.filter((x) => x.type === "reject").map((x) => x.reason)).toEqual(["AMOUNT_NOT_POSITIVE"]);
    expect(recs.filter((x) => x.type === "late").map((x) => x.transaction_id)).toEqual(["txn-0024", "txn-0024", "txn-0024"]);
    expect(recs.at(-1)?.type).toBe("summary");
    const all = parse(paycard(["replay", example]).lines);
    expect(all.filter((x) => x.type === "window").length).toBeGreaterThan(20);
    expect(parse(paycard(["replay", example, "--only", "event"]).lines).filter((x) => x.type === "event")).toHaveLength(26);
  });

  it("--iso writes every time as ISO-8601, the same instants as the epoch milliseconds", () => {
    const ms = parse(paycard(["replay", example, "--only", "alert,late,window,summary"]).lines);
    const iso = parse(paycard(["replay", example, "--only", "alert,late,window,summary", "--iso"]).lines);
    expect(iso).toHaveLength(ms.length);
    let converted = 0;
    for (let i = 0; i < ms.length; i++) {
      for (const [k, v] of Object.entries(ms[i]!)) {
        if (["start", "end", "window_end", "event_time", "timestamp", "watermark"].includes(k) && typeof v === "number") {
          expect(iso[i]![k]).toBe(new Date(v).toISOString());
          converted++;
        } else {
          expect(iso[i]![k]).toEqual(v);
        }
      }
    }
    expect(converted).toBeGreaterThan(50);
    expect(typeof iso.at(-1)?.watermark).toBe("string");
  });

  it("--strict exits 1 when a line was rejected, and says how many; without it, 0", () => {
    const strict = paycard(["replay", "--strict", "--only", "summary", example]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("1 of 27 line(s) rejected (--strict)");
    expect(paycard(["replay", "--only", "summary", example]).status).toBe(0);
    const clean = paycard(["replay", "--strict", "--only", "summary", "-"], readFileSync(example, "utf8").split("\n").slice(0, 10).join("\n"));
    expect(clean.status).toBe(0);
  });

  it("explains a null watermark in the summary", () => {
    const none = parse(paycard(["replay", "--only", "summary", "-"], '{"transaction_id":"t1","card_hash":"abc123","amount_cents":1250}\n').lines)[0]!;
    expect(none.watermark).toBeNull();
    expect(none.watermark_note).toContain("no swipe was accepted");
    const some = parse(paycard(["replay", "--only", "summary", example]).lines)[0]!;
    expect(typeof some.watermark).toBe("number");
    expect(some.watermark_note).toBeUndefined();
  });

  it("checks --terminal like a swipe's terminal_id, and --only's types, by name", () => {
    for (const id of ["bad id/#", "", "x".repeat(65), "café"]) {
      const r = paycard(["replay", "--terminal", id, example]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--terminal ${JSON.stringify(id)} is no terminal id`);
      expect(r.stdout).toBe("");
    }
    expect(paycard(["replay", "--terminal", "front-desk_2.a:1", "--only", "summary", example]).status).toBe(0);
    const only = paycard(["replay", "--only", "alerts", example]);
    expect(only.status).toBe(2);
    expect(only.stderr).toContain('--only takes window, alert, late, reject, event, summary (comma-separated), got "alerts"');
  });

  it("says on stderr that it reads the terminal when stdin is one (a pty from script(1))", () => {
    const r = spawnSync("script", ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} replay --only summary`, "/dev/null"], { input: "", encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("paycard replay: reading swipes from the terminal, one JSON object per line; Ctrl-D ends");
    // Not when stdin is a pipe or a file.
    expect(paycard(["replay", "--only", "summary"], "").stderr).toBe("");
  });
});

describe("every command's --help, --version, and unknown options", () => {
  const commands = ["replay", "run", "simulate", "build", "bench-core", "bench-device32", "bench-mqtt", "bench-clock", "bench-fleet", "build-esp32", "flash", "build-lin", "build-lin-instrumented"];

  it("answers --help and -h with the command's own usage, exit 0, doing nothing else", () => {
    for (const c of commands) {
      for (const flag of ["--help", "-h"]) {
        const r = paycard([c, flag]);
        expect(r.status, `${c} ${flag}`).toBe(0);
        // The device builds share one usage (device-build.ts) that names them all.
        expect(r.stdout, `${c} ${flag}`).toMatch(c.startsWith("build-") || c === "flash" ? /^usage: paycard build-esp32\|flash\|build-lin/ : new RegExp(`^paycard ${c}\\b`));
        expect(r.stderr).toBe("");
      }
    }
    expect(paycard(["replay", "--help"]).stdout).toContain("--only TYPES");
    // npm start -- --help reaches run's.
    expect(paycard(["run", "--help"]).stdout).toContain("(npm start)");
  });

  it("prints the version and the overview", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V", "version"]) expect(paycard([flag]).stdout).toBe(`paycard ${pkg.version}\n`);
    const help = paycard(["help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("paycard <command> --help for its options");
    expect(paycard([]).status).toBe(2);
  });

  it("names the command's options when one is unknown, and points to its --help", () => {
    const r = paycard(["simulate", "--sed", "3"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('paycard: unknown option --sed (options: --seed <value>, --rate <value>, --duration <value>, --config <value>, --json)\nrun "paycard simulate --help" for its options\n');
    expect(paycard(["replay", "--boot"]).stderr).toContain("--boot needs a value");
    expect(paycard(["replay", "--events=yes"]).stderr).toContain("--events takes no value");
    expect(paycard(["replay", "--boot", "-1"]).stderr).toContain('--boot needs a value; one starting with "-" is written --boot=-...');
    expect(paycard(["build", "--fast"]).stderr).toContain("unknown option --fast (this command takes no options)");
  });
});

describe("paycard simulate (the pipeline alone, simulated time)", () => {
  it("simulates seeded traffic and scores detection against the injected truth", () => {
    const r = paycard(["simulate", "--seed", "3", "--rate", "5", "--duration", "900", "--json"]);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.lines[r.lines.length - 1]) as {
      accepted: number; burst: { injected: number; recall: number; precision: number }; anomaly: { injected: number; recall: number };
    };
    expect(s.accepted).toBeGreaterThan(4_000);
    expect(s.burst.injected).toBeGreaterThan(0);
    expect(s.burst.recall).toBe(1);
    expect(s.burst.precision).toBeGreaterThanOrEqual(0.9);
    expect(s.anomaly.recall).toBeGreaterThanOrEqual(0.8);
  });

  it("prints a readable table by default", () => {
    const r = paycard(["simulate", "--duration", "120"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("card testing");
    expect(r.stdout).toContain("precision");
  });
});
