/**
 * The README and the docs follow the tree: every path they name under src/, hosttest/, docs/,
 * examples/, .ci/ and .github/ exists, every `npm run` script they name is in package.json, every
 * option they give a paycard command is one that command takes, every key=value they give a device
 * build is a setting, and the Layout section (docs/contributing.md) names every module folder of
 * src/core. A moved file, a renamed option or a dropped script fails here until the docs follow.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEVICE_CONFIG_KEYS } from "../../src/core/settings/device-config";
import { COMMAND_USAGE } from "../../src/host/cli-usage";
import { firmwareFolders } from "../support/node/manifest-fragments";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const docFiles = readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md"));
/** The README and every doc, by name. */
const allDocs: [string, string][] = [["README.md", readme], ...docFiles.map((f): [string, string] => [`docs/${f}`, readFileSync(path.join(root, "docs", f), "utf8")])];
const scripts = Object.keys((JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

/** Path-like words under the project's source folders, as written (trailing punctuation dropped). */
function namedPaths(text: string): string[] {
  const found = text.match(/(?<![\w./-])(?:src|hosttest|docs|examples|\.ci|\.github)\/[\w.*<>/-]*/g) ?? [];
  return [...new Set(found.map((p) => p.replace(/[.,:;]+$/, "")))];
}

/** Does a path exist? `*` matches within one name; `<folder>` stands for any folder; `x` may name `x.ts`. */
function exists(p: string): boolean {
  if (p.includes("<")) return true;
  if (!p.includes("*")) return existsSync(path.join(root, p)) || existsSync(path.join(root, `${p}.ts`));
  const dir = path.dirname(p);
  const re = new RegExp(`^${path.basename(p).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return existsSync(path.join(root, dir)) && readdirSync(path.join(root, dir)).some((n) => re.test(n));
}

/** Folders of src/core that hold modules, relative to it (mqtt/ holds only codec/ and session/). */
function coreFolders(): string[] {
  return firmwareFolders(root)
    .filter((f) => f.startsWith("core/"))
    .map((f) => f.slice("core/".length));
}

/** The folders a Layout section leaves out (each must start an indented line, as "  mqtt/codec/   ..."). */
function missingFromLayout(layout: string, folders: string[]): string[] {
  return folders.filter((f) => !new RegExp(`^\\s+${f}/\\s`, "m").test(layout));
}

/** The command lines in a text: inline code spans and the lines of fenced blocks. */
function commandLines(text: string): string[] {
  const out: string[] = [];
  for (const block of text.match(/```[^\n]*\n[\s\S]*?```/g) ?? []) out.push(...block.split("\n").slice(1, -1));
  const withoutBlocks = text.replace(/```[^\n]*\n[\s\S]*?```/g, "");
  for (const m of withoutBlocks.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!);
  return out;
}

/** What is wrong with the commands a doc's text gives (empty: nothing). */
function commandProblems(text: string): string[] {
  const problems: string[] = [];
  for (const line of commandLines(text)) {
    for (const m of line.matchAll(/npm run ([\w:-]+)/g)) if (!scripts.includes(m[1]!)) problems.push(`npm run ${m[1]}: no such script in package.json`);
    // Options after a paycard command (npx paycard <cmd>, npm start -- ..., npm run <script> -- ...), up to a shell separator.
    const call = /(?:paycard ([a-z0-9-]+)|npm start|npm run (bench:[a-z0-9]+|build:[a-z0-9-]+|flash))([^#|;&]*)/.exec(line);
    if (call === null) continue;
    const command = call[1] ?? (call[2] === undefined ? "run" : call[2].replace(":", "-"));
    const rest = call[3] ?? "";
    if (command.startsWith("build-") || command === "flash") {
      // (`key=value` itself is the placeholder.)
      for (const kv of rest.matchAll(/(?<=\s)([A-Za-z]\w*)=/g)) if (kv[1] !== "key" && !DEVICE_CONFIG_KEYS.includes(kv[1]!)) problems.push(`${line.trim()}: ${kv[1]} is no device setting`);
      continue;
    }
    const usage = COMMAND_USAGE[command];
    if (usage === undefined) {
      if (/^[a-z]+-?[a-z0-9-]*$/.test(command) && call[1] !== undefined && line.trim().startsWith("npx paycard")) problems.push(`${line.trim()}: paycard has no command ${command}`);
      continue;
    }
    for (const f of rest.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) {
      if (!new RegExp(`--${f[1]}\\b`).test(usage) && f[1] !== "help") problems.push(`${line.trim()}: paycard ${command} takes no --${f[1]}`);
    }
  }
  return problems;
}

describe("README paths", () => {
  it("every path the README names exists", () => {
    const paths = namedPaths(readme);
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => !exists(p))).toEqual([]);
  });

  it("every path the docs name exists", () => {
    expect(docFiles).toEqual(expect.arrayContaining(["lab-guide.md", "installing.md", "design.md", "benchmarks.md", "contributing.md", "brokers.md"]));
    for (const [doc, text] of allDocs.slice(1)) {
      expect({ doc, missing: namedPaths(text).filter((p) => !exists(p)) }).toEqual({ doc, missing: [] });
    }
  });

  it("every npm script, paycard option and build setting the README and the docs give exists", () => {
    let commands = 0;
    for (const [doc, text] of allDocs) {
      commands += commandLines(text).filter((l) => /npm |paycard /.test(l)).length;
      expect({ doc, problems: commandProblems(text) }).toEqual({ doc, problems: [] });
    }
    expect(commands).toBeGreaterThan(40);
  });

  it("the README stays short and links every doc", () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(12 * 1024);
    for (const f of docFiles) expect(readme).toContain(`docs/${f}`);
  });

  it("the Layout section names every module folder of src/core", () => {
    const contributing = readFileSync(path.join(root, "docs", "contributing.md"), "utf8");
    const layout = contributing.slice(contributing.indexOf("## Layout"));
    expect(missingFromLayout(layout, coreFolders())).toEqual([]);
  });

  it("catches a path that is gone and a folder the layout leaves out", () => {
    expect(namedPaths("see `src/core/pipeline.ts`, and src/core/lib/utf8.ts.")).toEqual(["src/core/pipeline.ts", "src/core/lib/utf8.ts"]);
    expect(exists("src/core/pipeline.ts")).toBe(false);
    expect(exists("src/core/lib/utf8.ts")).toBe(true);
    expect(exists("src/core/mqtt/codec/packet-*.ts")).toBe(true);
    expect(exists("src/core/mqtt/packet-*.ts")).toBe(false);
    expect(missingFromLayout("src/core/\n  lib/   helpers\n  mqtt/codec/  packets\n", ["lib", "mqtt/codec", "stream"])).toEqual(["stream"]);
    expect(commandProblems("run `npm run bench:cpu`, `npx paycard replay --onyl alert x.jsonl`, then\n```\nnpm start -- --watch --fast\nnpm run build:lin -- brokerPrt=1883 ntpPort=1\n```\n")).toEqual([
      "npm start -- --watch --fast: paycard run takes no --fast",
      "npm run build:lin -- brokerPrt=1883 ntpPort=1: brokerPrt is no device setting",
      "npm run bench:cpu: no such script in package.json",
      "npx paycard replay --onyl alert x.jsonl: paycard replay takes no --onyl",
    ]);
  });
});
