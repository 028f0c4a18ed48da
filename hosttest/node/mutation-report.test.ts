/** `npm run mutation`'s summary: folders of src/core, the score as Stryker counts it, the JSON. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

  it("merges the folders' reports, and counts a folder whose report holds none of its files as not measured", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "paycard-mutation-"));
    try {
      const report = (files: Record<string, unknown>) => JSON.stringify({ files });
      writeFileSync(path.join(dir, "stream.json"), report({ "src/core/stream/watermark.ts": mutants("Killed", "Survived") }));
      writeFileSync(path.join(dir, "model.json"), report({ "src/core/model/request-id.ts": mutants("Killed") }));
      // Left by a failed run: another folder's report under clock's name.
      writeFileSync(path.join(dir, "clock.json"), report({ "src/core/stream/watermark.ts": mutants("Killed", "Survived") }));
      const r = spawnSync(process.execPath, ["--import", "tsx", "src/host/mutation-report.ts", "--json"], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, PAYCARD_MUTATION_FOLDERS: dir, PAYCARD_MUTATION_REPORT: "" },
      });
      expect(r.status, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout.trim().split("\n").pop() as string) as { mutation_score: number; folders: Record<string, number>; not_measured: string[] };
      expect(json.folders).toEqual({ model: 100, stream: 50 });
      expect(json.mutation_score).toBeCloseTo(66.7, 1);
      expect(json.not_measured).toContain("clock");
      expect(json.not_measured).not.toContain("stream");
      expect(r.stdout).toContain("targets (over the measured folders only)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
