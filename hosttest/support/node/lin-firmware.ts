/**
 * The firmware on the Moddable `lin` simulator, for suites that run it: whether the SDK's Linux
 * tools are here (MODDABLE, mcsim, xvfb-run), the build, and a run with its output.
 */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deviceBuildPaths, MCSIM_IN_SDK } from "../../../src/host/device-build";

const MODDABLE = process.env.MODDABLE;
export const MCSIM = MODDABLE === undefined ? "" : path.join(MODDABLE, MCSIM_IN_SDK);
const XVFB_RUN = ["/usr/bin/xvfb-run", "/usr/local/bin/xvfb-run"].find((p) => existsSync(p));

export const LIN_AVAILABLE = MCSIM !== "" && existsSync(MCSIM) && XVFB_RUN !== undefined;
export const LIN_MISSING = 'needs the Moddable SDK Linux tools (MODDABLE, mcsim) and xvfb-run; see docs/installing.md, "The Linux simulator"';

/** Which lin build: release (`npm run build:lin`) or instrumented (`npm run build:lin-instrumented`: STATUS shows the heap's peaks). */
export type LinBuild = "lin" | "lin-instrumented";

/** `npm run build:lin -- key=value ...` (or build:lin-instrumented) in `root`. */
export function buildLin(root: string, overrides: string[], build: LinBuild = "lin"): void {
  execFileSync(process.execPath, ["src/host/paycard.mjs", build === "lin" ? "build-lin" : "build-lin-instrumented", ...overrides], { cwd: root, env: process.env, stdio: "pipe", timeout: 300_000 });
}

/**
 * Runs the built firmware for `seconds` (stdin from `stdinFile`, or none); resolves with its
 * output lines. `onLine` sees each line as it comes.
 */
export function runLin(root: string, seconds: number, stdinFile?: string, onLine?: (line: string) => void, build: LinBuild = "lin"): Promise<string[]> {
  return startLin(root, seconds, stdinFile, onLine, build).lines;
}

export interface LinRun {
  /** Resolves with every output line once the simulator has exited. */
  lines: Promise<string[]>;
  /** SIGKILLs the simulator now: a power cut. */
  powerCut(): void;
}

/**
 * runLin, with a handle to cut the simulator's power (SIGKILL) before its time is up. `onStdout`
 * sees stdout's bytes as they come (Improv's binary frames are there, between the log's lines).
 */
export function startLin(
  root: string,
  seconds: number,
  stdinFile?: string,
  onLine?: (line: string) => void,
  build: LinBuild = "lin",
  onStdout?: (chunk: Buffer) => void,
): LinRun {
  const mcSo = deviceBuildPaths(build, root).mcSo as string;
  const fd = stdinFile === undefined ? "ignore" : openSync(stdinFile, "r");
  // setsid: its own process group, so a power cut reaches xvfb-run, timeout and mcsim at once.
  const child = spawn("setsid", [XVFB_RUN as string, "-a", "timeout", "-s", "INT", String(seconds), "stdbuf", "-oL", MCSIM, mcSo], {
    cwd: root,
    stdio: [fd, "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  const take = (chunk: Buffer) => {
    const text = partial + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    for (const l of parts) {
      lines.push(l);
      onLine?.(l);
    }
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    onStdout?.(chunk);
    take(chunk);
  });
  child.stderr?.on("data", take);
  let cut = false;
  const powerCut = () => {
    if (cut || child.pid === undefined || child.exitCode !== null) return;
    cut = true;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  };
  const done = new Promise<string[]>((resolve, reject) => {
    const guard = setTimeout(powerCut, (seconds + 30) * 1000);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(guard);
      if (typeof fd === "number") closeSync(fd);
      if (partial !== "") lines.push(partial);
      if (lines.some((l) => l.includes("XS abort"))) reject(new Error(`the firmware aborted:\n${lines.join("\n")}`));
      else resolve(lines);
    });
  });
  return { lines: done, powerCut };
}

/** Where lin keeps Preference (mc/config file.root + modpreferences.json). */
export const LIN_PREFERENCES = "/tmp/modpreferences.json";

/** Starts lin's Preference afresh (a new board); the returned function puts the developer's file back. */
export function freshPreferences(): () => void {
  const saved = existsSync(LIN_PREFERENCES) ? readFileSync(LIN_PREFERENCES, "utf8") : null;
  rmSync(LIN_PREFERENCES, { force: true });
  return () => {
    if (saved === null) rmSync(LIN_PREFERENCES, { force: true });
    else writeFileSync(LIN_PREFERENCES, saved);
  };
}

/** Where lin's file module keeps files (mc/config file.root): the journal's segments among them. */
export const LIN_FILE_ROOT = "/tmp";

/** Deletes the journal `name`'s segment files (`<name>.000001`, ...) and a left-over `<name>.tmp`: a fresh start. */
export function removeJournal(name: string): void {
  for (const f of readdirSync(LIN_FILE_ROOT)) if (f.startsWith(`${name}.`)) rmSync(path.join(LIN_FILE_ROOT, f), { force: true });
}

/** The journal `name`'s segment files now. */
export function journalSegments(name: string): string[] {
  return readdirSync(LIN_FILE_ROOT).filter((f) => /^\d{6,}$/.test(f.slice(name.length + 1)) && f.startsWith(`${name}.`)).sort();
}
