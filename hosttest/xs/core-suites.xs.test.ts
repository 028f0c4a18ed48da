/**
 * Runs every engine-neutral suite in hosttest/core inside the real XS engine.
 * Each suite is bundled with esbuild ("vitest" aliased to a small shim), run
 * in a fresh xsnap worker, and each of its tests becomes a test here, so a
 * failure under XS fails `npm test`.
 */
import "@endo/init";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleForXs, startXsWorker, xsReportSnippet } from "../../src/host/xs-engine";

interface XsTestResult { name: string; ok: boolean; error?: string; ms: number }

const here = path.dirname(fileURLToPath(import.meta.url));
const coreDir = path.join(here, "..", "core");
const shim = path.join(here, "vitest-shim.ts");
const suiteFiles = readdirSync(coreDir).filter((f) => f.endsWith(".test.ts")).sort();

async function runSuiteInXs(file: string): Promise<XsTestResult[] | string> {
  let code: string;
  try {
    code = await bundleForXs(path.join(coreDir, file), { alias: { vitest: shim } });
  } catch (e) {
    return `bundling ${file} for XS failed: ${(e as Error).message}`;
  }
  const worker = await startXsWorker(`xs-${file}`);
  try {
    await worker.evaluate(code + "\n" + xsReportSnippet("globalThis.__paycardRunTests(Date.now)"));
    const [results] = worker.messages as XsTestResult[][];
    return results ?? `${file} reported no results from XS`;
  } catch (e) {
    return `${file} crashed the XS worker: ${(e as Error).message}`;
  } finally {
    await worker.close();
  }
}

const outcomes = new Map<string, XsTestResult[] | string>();
for (const f of suiteFiles) outcomes.set(f, await runSuiteInXs(f));

let ran = 0;
let passed = 0;
for (const r of outcomes.values()) {
  if (typeof r === "string") continue;
  ran += r.length;
  passed += r.filter((t) => t.ok).length;
}
console.log(`XS engine: ${ran} core tests ran under XS in ${suiteFiles.length} suites, ${passed} passed, ${ran - passed} failed`);

describe("core suites under the XS engine", () => {
  it("found core suites to run", () => {
    expect(suiteFiles.length).toBeGreaterThan(0);
    expect(ran).toBeGreaterThan(0);
  });
  for (const [file, r] of outcomes) {
    describe(file, () => {
      if (typeof r === "string") {
        it("loads and runs under XS", () => {
          throw new Error(r);
        });
        return;
      }
      it("registers tests under XS", () => {
        expect(r.length).toBeGreaterThan(0);
      });
      for (const t of r) {
        it(`[xs] ${t.name}`, () => {
          if (!t.ok) throw new Error(t.error);
        });
      }
    });
  }
});
