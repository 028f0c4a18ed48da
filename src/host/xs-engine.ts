/**
 * Runs bundled code inside the real XS engine (Moddable's, as built by the
 * `@agoric/xsnap` package) from Node. Used by the XS test pass and by the
 * benchmarks, which read XS's deterministic step counter (`compute`) and live
 * slot count (`currentHeapCount`).
 *
 * The caller must `import "@endo/init"` before importing this module: xsnap
 * needs a hardened realm. Keep that import out of ordinary test files.
 */
import { xsnap } from "@agoric/xsnap";
import * as esbuild from "esbuild";
import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";

export interface XsMeter {
  compute: number;
  currentHeapCount: number;
}

export interface XsWorker {
  /** Evaluates a script; returns XS's meter readings for it. */
  evaluate(code: string): Promise<XsMeter>;
  /** JSON messages the script sent with `issueCommand`. */
  readonly messages: unknown[];
  close(): Promise<void>;
}

export async function startXsWorker(name = "paycard-xs"): Promise<XsWorker> {
  const messages: unknown[] = [];
  const decoder = new TextDecoder();
  const worker = await xsnap({
    name,
    os: os.type(),
    spawn,
    fs: { ...fsp, createReadStream: fs.createReadStream },
    meteringLimit: 0,
    stdout: "inherit",
    stderr: "inherit",
    handleCommand: async (bytes: Uint8Array) => {
      messages.push(JSON.parse(decoder.decode(bytes)));
      return new Uint8Array(0);
    },
  });
  return {
    messages,
    async evaluate(code: string) {
      const r = await worker.evaluate(code);
      return { compute: Number(r.meterUsage.compute), currentHeapCount: Number(r.meterUsage.currentHeapCount) };
    },
    close: () => worker.close(),
  };
}

export interface BundleOptions {
  /** Module aliases, e.g. { vitest: "/abs/path/shim.ts" }. */
  alias?: Record<string, string>;
  /** Name of a global to assign the entry module's exports to. */
  globalName?: string;
}

/**
 * fast-check reads the timer globals when it loads (it never calls them in
 * synchronous properties). XS has no timers, so the test bundles declare them
 * as undefined globals: reading works, calling still fails as on the device.
 * Core code cannot name them anyway: it is type-checked with lib es2022 only.
 */
const TIMER_PLACEHOLDERS = "var setTimeout, clearTimeout, setInterval, clearInterval;";

/** Bundles `entry` into one IIFE script for XS (no Node built-ins allowed). */
export async function bundleForXs(entry: string, opts: BundleOptions = {}): Promise<string> {
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    write: false,
    logLevel: "silent",
    alias: opts.alias,
    globalName: opts.globalName,
    banner: { js: TIMER_PLACEHOLDERS },
  });
  return out.outputFiles[0].text;
}

/** Script text that sends a JSON value back to Node from inside XS. */
export function xsReportSnippet(expression: string): string {
  return `issueCommand(new TextEncoder().encode(JSON.stringify(${expression})).buffer);`;
}
