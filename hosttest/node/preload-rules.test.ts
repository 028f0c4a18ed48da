/**
 * The firmware preloads its modules (run at build time, kept in flash). A RegExp a module makes
 * while it loads is then a flash object, and matching it over and over crashes XS: with the
 * Moddable SDK 8.2.3 on `lin`, a preloaded module's `const A = /^a/` and `A.test("abc")` ten times
 * a millisecond ended in a segfault in fx_RegExp_prototype_exec within a second, every run; the same
 * literal made inside a function, kept in a module `let`, or made with `new RegExp` at runtime ran
 * 69 000 matches without one (non-matching input never crashed, which hid it: the validator's
 * character check matches only bad ids). The lab's firmware crashed that way once (dmesg: "segfault
 * at 61 ... in mc.so", inside fx_RegExp_prototype_exec), on the broker-address check of each
 * reconnect. On an ESP32 a crash is a reboot. So no firmware module makes a RegExp at load: each is
 * made at first use (a module `let`) or in an instance field's initializer.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { firmwareFolders } from "../support/node/manifest-fragments";
import { regexpsAtLoad } from "../support/node/module-scope-regexps";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("preloaded modules make no RegExp at load", () => {
  it("holds for every firmware module (src/core, src/device)", () => {
    const found: string[] = [];
    let files = 0;
    for (const folder of firmwareFolders(root)) {
      for (const name of readdirSync(path.join(root, "src", folder))) {
        if (!name.endsWith(".ts") || name.endsWith(".d.ts")) continue;
        files++;
        const rel = `src/${folder}/${name}`;
        for (const r of regexpsAtLoad(rel, readFileSync(path.join(root, rel), "utf8"))) found.push(`${rel}:${r.line} ${r.text}`);
      }
    }
    expect(files).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });

  it("finds a RegExp made at load, and lets one made at runtime be", () => {
    const source = [
      "const A = /^a/;", // at load
      "export const B = new RegExp('b');", // at load
      "class C { static d = /d/; e = /e/; }", // static: at load; instance field: per instance
      "let f: RegExp | undefined;",
      "export function g(s: string) { if (f === undefined) f = /^f/; return f.test(s) || /h/.test(s); }",
      "export const i = (s: string) => RegExp('i').test(s);",
    ].join("\n");
    expect(regexpsAtLoad("x.ts", source).map((r) => `${r.line} ${r.text}`)).toEqual(["1 /^a/", "2 new RegExp('b')", "3 /d/"]);
  });
});
