/**
 * `npm run mutation [-- --json]`: after Stryker's run (stryker.config.mjs), the mutation score of
 * src/core and of each of its folders from Stryker's JSON report (reports/mutation/mutation.json,
 * the mutation-testing-report-schema), the files with surviving mutants, and the targets: >= 90 %
 * over src/core, >= 85 % in every folder. With --json, one JSON object on the last line.
 *
 * Score, as Stryker counts it: detected (killed or timed out) / (detected + survived + no coverage);
 * mutants that do not compile or are ignored do not count.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Stryker's JSON report (PAYCARD_MUTATION_REPORT overrides it, for tests). */
export const REPORT = process.env.PAYCARD_MUTATION_REPORT ?? path.join(root, "reports", "mutation", "mutation.json");
const TARGET_ALL = 90;
const TARGET_FOLDER = 85;

interface Report {
  files: Record<string, { mutants: { status: string; mutatorName: string; location: { start: { line: number } }; replacement?: string }[] }>;
}

export interface Tally {
  detected: number;
  survived: number;
  noCoverage: number;
  /** Compile or runtime errors and ignored mutants: not counted in the score. */
  uncounted: number;
}

const empty = (): Tally => ({ detected: 0, survived: 0, noCoverage: 0, uncounted: 0 });

export function scoreOf(t: Tally): number {
  const valid = t.detected + t.survived + t.noCoverage;
  return valid === 0 ? 100 : (100 * t.detected) / valid;
}

function add(t: Tally, status: string): void {
  if (status === "Killed" || status === "Timeout") t.detected++;
  else if (status === "Survived") t.survived++;
  else if (status === "NoCoverage") t.noCoverage++;
  else t.uncounted++;
}

/** The folder of src/core a file belongs to (mqtt's two, "mqtt/codec" and "mqtt/session", apart), or null outside src/core. */
export function folderOf(file: string): string | null {
  const m = /(?:^|\/)src\/core\/(.+)$/.exec(file.replace(/\\/g, "/"));
  if (m === null) return null;
  const parts = m[1]!.split("/");
  if (parts.length < 2) return null;
  return parts[0] === "mqtt" && parts.length > 2 ? `mqtt/${parts[1]}` : parts[0]!;
}

export function summarize(report: Report): { all: Tally; folders: Map<string, Tally>; files: Map<string, Tally> } {
  const all = empty();
  const folders = new Map<string, Tally>();
  const files = new Map<string, Tally>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const folder = folderOf(file);
    if (folder === null) continue;
    const f = folders.get(folder) ?? empty();
    folders.set(folder, f);
    const one = empty();
    files.set(file, one);
    for (const m of mutants) {
      add(all, m.status);
      add(f, m.status);
      add(one, m.status);
    }
  }
  return { all, folders, files };
}

function main(argv: string[]): number {
  let report: Report;
  try {
    report = JSON.parse(readFileSync(REPORT, "utf8")) as Report;
  } catch (e) {
    process.stderr.write(`mutation: no report at ${REPORT} (${(e as Error).message}); run \`npm run mutation\`\n`);
    return 2;
  }
  const { all, folders, files } = summarize(report);
  const pct = (x: number) => `${x.toFixed(1)} %`.padStart(8);
  const lines = ["mutation testing of src/core (Stryker, reports/mutation/index.html)", "", "folder            score   detected  survived  no cover"];
  const row = (name: string, t: Tally) =>
    `${name.padEnd(16)}${pct(scoreOf(t))}  ${String(t.detected).padStart(9)} ${String(t.survived).padStart(9)} ${String(t.noCoverage).padStart(9)}`;
  const sorted = [...folders.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [name, t] of sorted) lines.push(row(name, t));
  lines.push(row("src/core", all), "", "files with surviving or uncovered mutants:");
  for (const [file, t] of [...files.entries()].sort((a, b) => scoreOf(a[1]) - scoreOf(b[1]))) {
    if (t.survived + t.noCoverage > 0) lines.push(`  ${pct(scoreOf(t))}  ${t.survived + t.noCoverage} left  ${path.relative(root, path.resolve(root, file))}`);
  }
  const weakest = sorted.reduce((m, [, t]) => Math.min(m, scoreOf(t)), 100);
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  lines.push(
    "",
    `targets: src/core ${scoreOf(all).toFixed(1)} % (>= ${TARGET_ALL} %) ${met(scoreOf(all) >= TARGET_ALL)}; weakest folder ${weakest.toFixed(1)} % (>= ${TARGET_FOLDER} %) ${met(weakest >= TARGET_FOLDER)}`,
  );
  process.stdout.write(lines.join("\n") + "\n");
  if (argv.includes("--json")) {
    const round = (x: number) => Math.round(x * 10) / 10;
    const result = {
      mutation_score: round(scoreOf(all)),
      folders: Object.fromEntries(sorted.map(([name, t]) => [name, round(scoreOf(t))])),
      mutants: all.detected + all.survived + all.noCoverage,
      survived: all.survived,
      no_coverage: all.noCoverage,
      uncounted: all.uncounted,
    };
    process.stdout.write(JSON.stringify(result) + "\n");
  }
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exitCode = main(process.argv.slice(2));
