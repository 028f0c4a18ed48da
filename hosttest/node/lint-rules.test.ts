/**
 * The lint rules of biome.json (run on the real tree by `npm run lint`, part of `npm test`) can
 * fail: each one is broken in a small throwaway tree with the project's biome.json, and the
 * report names the rule and the file and line. `any` is refused in src/core only.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TempTrees } from "../support/node/temp-tree";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const biome = path.join(root, "node_modules", "@biomejs", "biome", "bin", "biome");

const trees = new TempTrees("paycard-lint-");
afterEach(() => trees.removeAll());

/** A tree of files (path → source) with the project's biome.json. */
function tree(files: Record<string, string>): string {
  return trees.make({ "biome.json": readFileSync(path.join(root, "biome.json"), "utf8"), ...files });
}

/** `biome lint` over a tree (no git there, so without the VCS ignore file): exit code and the rule hits. */
function lint(dir: string): Promise<{ code: number; hits: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [biome, "lint", "--vcs-enabled=false", "--max-diagnostics=100", "--colors=off", "."],
      { cwd: dir, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") return reject(error);
        // Each diagnostic starts with "path:line:col lint/group/rule".
        const hits = `${stdout}\n${stderr}`.match(/^\S+:\d+:\d+ lint\/\S+/gm) ?? [];
        resolve({ code: error === null ? 0 : (error.code as number), hits: hits.map((h) => h.replace(/\\/g, "/")).sort() });
      },
    );
  });
}

describe("lint rules (biome.json)", () => {
  it("pass code that keeps them", async () => {
    const dir = tree({
      "src/core/lib/clean.ts": `import { other } from "./other";\nexport function twice(n: number): number {\n  const m = n * 2;\n  return m + other;\n}\n`,
      "src/core/lib/other.ts": "export const other = 0;\n",
      "src/host/loose.ts": "export function parse(text: string): any {\n  return JSON.parse(text);\n}\n",
    });
    const { code, hits } = await lint(dir);
    expect(hits).toEqual([]);
    expect(code).toBe(0);
  });

  it("report unused imports and variables, let never reassigned, == and any in core", async () => {
    const dir = tree({
      "src/core/lib/broken.ts": [
        `import { other } from "./other";`,
        "export function f(n: number): number {",
        "  let m = n * 2;",
        "  const unused = 3;",
        "  return n == 1 ? m : 0;",
        "}",
        "export const loose: any = 1;",
        "",
      ].join("\n"),
      "src/core/lib/other.ts": "export const other = 0;\n",
      "src/host/loose.ts": "export const loose: any = 1;\n",
    });
    const { code, hits } = await lint(dir);
    expect(code).not.toBe(0);
    expect(hits).toEqual([
      "src/core/lib/broken.ts:1:8 lint/correctness/noUnusedImports",
      "src/core/lib/broken.ts:3:3 lint/style/useConst",
      "src/core/lib/broken.ts:4:9 lint/correctness/noUnusedVariables",
      "src/core/lib/broken.ts:5:12 lint/suspicious/noDoubleEquals",
      "src/core/lib/broken.ts:7:21 lint/suspicious/noExplicitAny",
    ]);
  });
});
