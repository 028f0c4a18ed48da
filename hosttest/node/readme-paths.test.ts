/**
 * The README and the docs follow the tree: every path they name under src/, hosttest/, docs/, .ci/
 * and .github/ exists, and the README's
 * Layout section names every module folder of src/core. A moved or renamed file fails here until the
 * docs follow.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { firmwareFolders } from "../support/node/manifest-fragments";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

/** Path-like words under the project's source folders, as written (trailing punctuation dropped). */
function namedPaths(text: string): string[] {
  const found = text.match(/(?<![\w./-])(?:src|hosttest|docs|\.ci|\.github)\/[\w.*<>/-]*/g) ?? [];
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

describe("README paths", () => {
  it("every path the README names exists", () => {
    const paths = namedPaths(readme);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !exists(p))).toEqual([]);
  });

  it("every path the docs name exists", () => {
    const docs = readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md"));
    expect(docs).toContain("lab-guide.md");
    for (const f of docs) {
      const paths = namedPaths(readFileSync(path.join(root, "docs", f), "utf8"));
      expect({ doc: f, missing: paths.filter((p) => !exists(p)) }).toEqual({ doc: f, missing: [] });
    }
  });

  it("the Layout section names every module folder of src/core", () => {
    const layout = readme.slice(readme.indexOf("## Layout"));
    expect(missingFromLayout(layout, coreFolders())).toEqual([]);
  });

  it("catches a path that is gone and a folder the layout leaves out", () => {
    expect(namedPaths("see `src/core/pipeline.ts`, and src/core/lib/utf8.ts.")).toEqual(["src/core/pipeline.ts", "src/core/lib/utf8.ts"]);
    expect(exists("src/core/pipeline.ts")).toBe(false);
    expect(exists("src/core/lib/utf8.ts")).toBe(true);
    expect(exists("src/core/mqtt/codec/packet-*.ts")).toBe(true);
    expect(exists("src/core/mqtt/packet-*.ts")).toBe(false);
    expect(missingFromLayout("src/core/\n  lib/   helpers\n  mqtt/codec/  packets\n", ["lib", "mqtt/codec", "stream"])).toEqual(["stream"]);
  });
});
