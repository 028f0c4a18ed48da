/**
 * `npm run mutation [-- <folder>...] [--json]`: Stryker (stryker.config.mjs) over src/core one
 * folder at a time, then the summary (mutation-report.ts). Each folder is its own Stryker run
 * with its own incremental file and JSON report under reports/mutation/folders/, so a run that
 * is stopped keeps the folders it finished, a rerun after a change tests only what changed, and
 * `npm run mutation -- stream` measures one folder again. A folder's run tests only the suites
 * that import its files (the vitest runner's related files).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FOLDER_REPORTS, MUTATION_FOLDERS, folderFileName, summaryMain } from "./mutation-report";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The Stryker configuration of one folder: the base one, mutating only the folder, with its own files. */
export function folderConfig(folder: string, dir: string): string {
  const name = folderFileName(folder);
  const base = path.relative(dir, path.join(root, "stryker.config.mjs")).split(path.sep).join("/");
  const rel = (f: string) => path.relative(root, path.join(dir, f)).split(path.sep).join("/");
  return [
    `// Written by src/host/mutation-run.ts for src/core/${folder}.`,
    `import base from "${base.startsWith(".") ? base : "./" + base}";`,
    "export default {",
    "  ...base,",
    `  mutate: ["src/core/${folder}/**/*.ts"],`,
    `  incrementalFile: "${rel(name + ".incremental.json")}",`,
    `  jsonReporter: { fileName: "${rel(name + ".json")}" },`,
    `  htmlReporter: { fileName: "${rel(name + ".html")}" },`,
    "};",
    "",
  ].join("\n");
}

function main(argv: string[]): number {
  const asked = argv.filter((a) => !a.startsWith("--"));
  const unknown = asked.filter((f) => !MUTATION_FOLDERS.includes(f));
  if (unknown.length > 0) {
    process.stderr.write(`mutation: no folder ${unknown.join(", ")} in src/core; the folders are: ${MUTATION_FOLDERS.join(", ")}\n`);
    return 2;
  }
  mkdirSync(FOLDER_REPORTS, { recursive: true });
  for (const folder of asked.length > 0 ? asked : MUTATION_FOLDERS) {
    const config = path.join(FOLDER_REPORTS, folderFileName(folder) + ".config.mjs");
    writeFileSync(config, folderConfig(folder, FOLDER_REPORTS));
    process.stdout.write(`\n== mutation testing src/core/${folder}\n`);
    const r = spawnSync("npx", ["stryker", "run", path.relative(root, config)], { cwd: root, stdio: "inherit" });
    if (r.status !== 0) {
      process.stderr.write(`mutation: Stryker failed on src/core/${folder} (exit ${r.status ?? r.signal}); the folders before it are kept\n`);
      return 1;
    }
  }
  return summaryMain(argv.filter((a) => a.startsWith("--")));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exitCode = main(process.argv.slice(2));
