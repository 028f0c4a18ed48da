/**
 * The summary `npm run mutation [-- --json]` prints after its Stryker runs (mutation-run.ts): the
 * mutation score of src/core and of each of its folders from the folders' JSON reports
 * (reports/mutation/folders/<folder>.json, the mutation-testing-report-schema), the files with
 * surviving mutants, the folders not measured yet, and the targets: >= 90 % over src/core, >= 85 %
 * in every folder. With --json, one JSON object on the last line. `npx tsx src/host/mutation-report.ts`
 * prints it again without running Stryker.
 *
 * Score, as Stryker counts it: detected (killed or timed out) / (detected + survived + no coverage);
 * mutants that do not compile or are ignored do not count.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where each folder's Stryker run keeps its configuration, incremental file and reports (PAYCARD_MUTATION_FOLDERS overrides it, for tests). */
export const FOLDER_REPORTS = process.env.PAYCARD_MUTATION_FOLDERS ?? path.join(root, "reports", "mutation", "folders");
/** One report instead of the folders' (for tests). */
const SINGLE_REPORT = process.env.PAYCARD_MUTATION_REPORT || undefined;
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

/** Top folders of src/core whose subfolders are measured and scored apart (mqtt: codec, session). */
const SPLIT_FOLDERS: readonly string[] = ["mqtt"];

/** The folders of src/core that are measured and scored apart: each top folder, or each subfolder of a split one. */
export function coreFolders(core = path.join(root, "src", "core")): string[] {
  const dirs = (d: string) =>
    readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  return dirs(core).flatMap((d) => (SPLIT_FOLDERS.includes(d) ? dirs(path.join(core, d)).map((s) => `${d}/${s}`) : [d]));
}

export const MUTATION_FOLDERS: readonly string[] = coreFolders();

/** A folder's file name under FOLDER_REPORTS: "mqtt/codec" → "mqtt-codec". */
export function folderFileName(folder: string): string {
  return folder.replace(/\//g, "-");
}

/** The folder of src/core a file belongs to (mqtt's two, "mqtt/codec" and "mqtt/session", apart), or null outside src/core. */
export function folderOf(file: string): string | null {
  const m = /(?:^|\/)src\/core\/(.+)$/.exec(file.replace(/\\/g, "/"));
  if (m === null) return null;
  const parts = m[1]!.split("/");
  if (parts.length < 2) return null;
  return SPLIT_FOLDERS.includes(parts[0]!) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
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

/** The folders' reports merged (or the one report PAYCARD_MUTATION_REPORT names), or why there is none. */
function loadReport(): { report: Report; missing: string[]; measured: string[] } | string {
  if (SINGLE_REPORT !== undefined) {
    try {
      return { report: JSON.parse(readFileSync(SINGLE_REPORT, "utf8")) as Report, missing: [], measured: [] };
    } catch (e) {
      return `no report at ${SINGLE_REPORT} (${(e as Error).message})`;
    }
  }
  const report: Report = { files: {} };
  const missing: string[] = [];
  const measured: string[] = [];
  for (const folder of MUTATION_FOLDERS) {
    const file = path.join(FOLDER_REPORTS, folderFileName(folder) + ".json");
    if (!existsSync(file)) {
      missing.push(folder);
      continue;
    }
    let files: Report["files"];
    try {
      files = (JSON.parse(readFileSync(file, "utf8")) as Report).files;
    } catch (e) {
      return `unreadable report ${path.relative(root, file)} (${(e as Error).message})`;
    }
    // A report of another folder's files (a run that failed and left an old one) measures nothing here.
    if (!Object.keys(files).some((f) => folderOf(f) === folder)) {
      missing.push(folder);
      continue;
    }
    Object.assign(report.files, files);
    measured.push(`${folder} ${statSync(file).mtime.toISOString().slice(0, 16).replace("T", " ")}`);
  }
  if (measured.length === 0) return `no folder reports in ${path.relative(root, FOLDER_REPORTS)}`;
  return { report, missing, measured };
}

export function summaryMain(argv: string[]): number {
  const loaded = loadReport();
  if (typeof loaded === "string") {
    process.stderr.write(`mutation: ${loaded}; run \`npm run mutation\`\n`);
    return 2;
  }
  const { report, missing, measured } = loaded;
  const { all, folders, files } = summarize(report);
  const pct = (x: number) => `${x.toFixed(1)} %`.padStart(8);
  const lines = ["mutation testing of src/core (Stryker; HTML reports in reports/mutation/folders/)", "", "folder            score   detected  survived  no cover"];
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
  if (measured.length > 0) lines.push("", `measured (UTC): ${measured.join("; ")}`);
  if (missing.length > 0) lines.push("", `not measured yet (npm run mutation -- ${missing.join(" ")}): ${missing.join(", ")}`);
  const whole = missing.length === 0;
  lines.push(
    "",
    `targets${whole ? "" : " (over the measured folders only)"}: src/core ${scoreOf(all).toFixed(1)} % (>= ${TARGET_ALL} %) ${met(whole && scoreOf(all) >= TARGET_ALL)}; weakest folder ${weakest.toFixed(1)} % (>= ${TARGET_FOLDER} %) ${met(whole && weakest >= TARGET_FOLDER)}`,
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
      not_measured: missing,
    };
    process.stdout.write(JSON.stringify(result) + "\n");
  }
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exitCode = summaryMain(process.argv.slice(2));
