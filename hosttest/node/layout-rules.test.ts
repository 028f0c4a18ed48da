/**
 * The import rules of .dependency-cruiser.cjs (run on the real tree by `npm run check:deps`,
 * part of `npm test`) can fail: each rule is broken once in a small throwaway tree, and the
 * report names the rule and both files. A tree that keeps the rules passes.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { TempTrees } from "../support/node/temp-tree";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = path.join(root, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const config = path.join(root, ".dependency-cruiser.cjs");

const trees = new TempTrees("paycard-layout-");
afterEach(() => trees.removeAll());

/** A tree of files (path → source) with a tsconfig like the project's. */
function tree(files: Record<string, string>): string {
  const tsconfig = { compilerOptions: { module: "esnext", moduleResolution: "bundler", target: "es2022" } };
  return trees.make({ "tsconfig.json": JSON.stringify(tsconfig), ...files });
}

/** Runs the project's rules over src/ and hosttest/ of a tree: exit code and report. */
function cruise(dir: string): Promise<{ code: number; report: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, "src", "hosttest", "--config", config, "--output-type", "err"],
      { cwd: dir, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") reject(error);
        else resolve({ code: error === null ? 0 : (error.code as number), report: stdout + stderr });
      },
    );
  });
}

const leaf = "export const v = 1;\n";
const importing = (spec: string) => `import { v as w } from "${spec}";\nexport const v = w;\n`;

describe("layout rules (.dependency-cruiser.cjs)", () => {
  it("pass a tree that keeps them: app → pipeline → detect → stream → lib, outbox → mqtt/codec, device and host on core", async () => {
    const dir = tree({
      "src/core/lib/bytes.ts": leaf,
      "src/core/model/swipe.ts": importing("../lib/bytes"),
      "src/core/stream/ring.ts": importing("../model/swipe"),
      "src/core/detect/burst.ts": importing("../stream/ring"),
      "src/core/pipeline/pipeline.ts": importing("../detect/burst"),
      "src/core/mqtt/codec/topic.ts": importing("../../lib/bytes"),
      "src/core/mqtt/session/session.ts": importing("../codec/topic"),
      "src/core/outbox/outbox.ts": importing("../mqtt/codec/topic"),
      "src/core/clock/reading.ts": leaf,
      "src/core/clock/sntp/client.ts": importing("../reading"),
      "src/core/app/app.ts": importing("../outbox/outbox"),
      "src/sim/traffic.ts": importing("../core/model/swipe"),
      "src/device/device-config.ts": importing("../core/app/app"),
      "src/device/main.ts": `import Timer from "timer";\n${importing("./device-config")}export const t = Timer;\n`,
      "src/host/cli.ts": `import { readFileSync } from "node:fs";\n${importing("../sim/traffic")}export const r = readFileSync;\n`,
      "hosttest/a.test.ts": importing("../src/device/main"),
    });
    const { code, report } = await cruise(dir);
    expect(report).toContain("no dependency violations found");
    expect(code).toBe(0);
  });

  it("name the rule and both files for each break", async () => {
    const dir = tree({
      // a cycle between two files
      "src/core/lib/a.ts": importing("./b"),
      "src/core/lib/b.ts": importing("./a"),
      // lib reaching up, stream reaching across to detect, mqtt reaching into the outbox
      "src/core/lib/up.ts": importing("../stream/window"),
      "src/core/stream/window.ts": importing("../detect/burst"),
      "src/core/detect/burst.ts": leaf,
      "src/core/mqtt/session/session.ts": importing("../../outbox/outbox"),
      "src/core/outbox/outbox.ts": leaf,
      // core using Node, a folder the rules do not know
      "src/core/model/file.ts": `import { readFileSync } from "node:fs";\nexport const v = readFileSync;\n`,
      "src/core/misc/thing.ts": importing("../lib/b"),
      // host and device, the firmware and the simulations, src and the tests
      "src/host/cli.ts": importing("../device/main"),
      "src/device/main.ts": importing("../sim/traffic"),
      "src/sim/traffic.ts": importing("../host/cli"),
      "src/sim/seeded.ts": importing("../../hosttest/support/bytes"),
      "hosttest/support/bytes.ts": leaf,
    });
    const { code, report } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(report).toMatch(/no-cycle: src\/core\/lib\/a\.ts →\s+src\/core\/lib\/b\.ts →\s+src\/core\/lib\/a\.ts/);
    expect(report).toContain("core-direction:lib: src/core/lib/up.ts → src/core/stream/window.ts");
    expect(report).toContain("core-direction:stream: src/core/stream/window.ts → src/core/detect/burst.ts");
    expect(report).toContain("core-direction:mqtt/session: src/core/mqtt/session/session.ts → src/core/outbox/outbox.ts");
    expect(report).toContain("core-is-engine-neutral: src/core/model/file.ts → fs");
    expect(report).toContain("core-unknown-folder: src/core/misc/thing.ts → src/core/lib/b.ts");
    expect(report).toContain("device-and-host-apart: src/host/cli.ts → src/device/main.ts");
    expect(report).toContain("device-not-sim: src/device/main.ts → src/sim/traffic.ts");
    expect(report).toContain("sim-is-engine-neutral: src/sim/traffic.ts → src/host/cli.ts");
    expect(report).toContain("src-not-tests: src/sim/seeded.ts → hosttest/support/bytes.ts");
  });
});
