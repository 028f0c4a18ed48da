/** `npm run mutation`'s summary: folders of src/core, the score as Stryker counts it, the JSON. */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { coreFolders, folderFileName, folderOf, scoreOf, summarize } from "../../src/host/mutation-report";
import { folderConfig } from "../../src/host/mutation-run";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const mutants = (...statuses: string[]) => ({ mutants: statuses.map((status) => ({ status, mutatorName: "x", location: { start: { line: 1 } } })) });

describe("mutation report", () => {
  it("files each src/core file under its folder, mqtt's two apart", () => {
    expect(folderOf("src/core/stream/watermark.ts")).toBe("stream");
    expect(folderOf("/abs/repo/src/core/mqtt/codec/packet-parser.ts")).toBe("mqtt/codec");
    expect(folderOf("src/core/mqtt/session/mqtt-session.ts")).toBe("mqtt/session");
    expect(folderOf("src/core/clock/sntp/sntp-client.ts")).toBe("clock");
    expect(folderOf("src/core/clock/clock-ports.ts")).toBe("clock");
    expect(folderOf("src/host/cli.ts")).toBeNull();
    expect(folderOf("src/core/index.ts")).toBeNull();
  });

  it("scores detected / (detected + survived + no coverage), leaving errors and ignored mutants out", () => {
    const { all, folders, files } = summarize({
      files: {
        "src/core/stream/watermark.ts": mutants("Killed", "Killed", "Timeout", "Survived"),
        "src/core/stream/window-math.ts": mutants("NoCoverage", "CompileError", "Ignored", "Killed"),
        "src/core/model/request-id.ts": mutants("Killed", "RuntimeError"),
        "src/host/cli.ts": mutants("Survived"),
      },
    });
    expect(all).toEqual({ detected: 5, survived: 1, noCoverage: 1, uncounted: 3 });
    expect(scoreOf(all)).toBeCloseTo((100 * 5) / 7, 6);
    expect(scoreOf(folders.get("stream")!)).toBeCloseTo((100 * 4) / 6, 6);
    expect(scoreOf(folders.get("model")!)).toBe(100);
    expect(files.has("src/host/cli.ts")).toBe(false);
    expect(scoreOf({ detected: 0, survived: 0, noCoverage: 0, uncounted: 2 })).toBe(100);
  });

  it("measures src/core folder by folder (mqtt's two apart), each with its own configuration, incremental file and report", () => {
    const folders = coreFolders();
    expect(folders).toContain("stream");
    expect(folders).toContain("mqtt/codec");
    expect(folders).toContain("mqtt/session");
    expect(folders).not.toContain("mqtt");
    expect(folders).toEqual([...folders].sort());
    expect(folderFileName("mqtt/codec")).toBe("mqtt-codec");
    const dir = path.join(root, "reports", "mutation", "folders");
    const text = folderConfig("mqtt/codec", dir);
    expect(text).toContain('import base from "../../../stryker.config.mjs";');
    expect(text).toContain('mutate: ["src/core/mqtt/codec/**/*.ts"],');
    expect(text).toContain('incrementalFile: "reports/mutation/folders/mqtt-codec.incremental.json",');
    expect(text).toContain('jsonReporter: { fileName: "reports/mutation/folders/mqtt-codec.json" },');
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/host/mutation-run.ts", "nosuch"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("mutation: no folder nosuch in src/core; the folders are: app, clock");
  });

  it("says where the report is missing instead of failing obscurely", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/host/mutation-report.ts"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PAYCARD_MUTATION_REPORT: path.join(root, "no-such-dir", "mutation.json") },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no report at");
  });
});
