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
  /** Engines built by src/host/xsnap32.ts only (else undefined): XS's own high-water marks. */
  peakHeapCount?: number;
  peakChunksSize?: number;
  /** The deepest the stack went during this evaluate, in slots from its top. */
  stackPeakSlots?: number;
  currentChunksSize?: number;
  maximumChunksSize?: number;
  maximumHeapCount?: number;
}

export interface XsWorker {
  /** Evaluates a script; returns XS's meter readings for it. */
  evaluate(code: string): Promise<XsMeter>;
  /** JSON messages the script sent with `issueCommand`. */
  readonly messages: unknown[];
  /** The live heap as XS's own snapshot writer sizes it (after its collection): see `readHeapSections`. */
  liveHeap(): Promise<XsLiveHeap>;
  close(): Promise<void>;
}

/** Bytes of the two heaps XS writes into a snapshot: only what is reachable. */
export interface XsLiveHeap {
  /** Chunks (strings, typed-array and ArrayBuffer storage, byte code, arrays' item tables) reachable from live slots. */
  chunkBytes: number;
  /** Live slots × sizeof(txSlot) (32 B on 64-bit hosts, 16 B on the ESP32). */
  slotBytes: number;
}

/**
 * The chunk and slot sizes from an XS snapshot's header: atoms of a 4-byte
 * big-endian size (itself included) and a 4-character type, the whole file one
 * `XS_M` atom holding VERS, SIGN, CREA, then BLOC (the live chunks) and HEAP
 * (the live slots) — xsSnapshot.c's fxWriteSnapshot. Only the atoms'
 * headers are read.
 */
export function readHeapSections(bytes: Uint8Array): XsLiveHeap {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
  if (bytes.length < 8 || type(0) !== "XS_M") throw new Error("not an XS snapshot (no XS_M atom)");
  let at = 8;
  let chunkBytes = -1;
  while (at + 8 <= bytes.length) {
    const size = view.getUint32(at);
    const t = type(at);
    if (size < 8) throw new Error(`XS snapshot atom ${t} has size ${size}`);
    if (t === "BLOC") chunkBytes = size - 8;
    if (t === "HEAP") {
      if (chunkBytes < 0) throw new Error("XS snapshot: HEAP before BLOC");
      return { chunkBytes, slotBytes: size - 8 };
    }
    at += size;
  }
  throw new Error("XS snapshot ended before its HEAP atom");
}

/**
 * A fresh xsnap worker. `onCommand`, when given, may answer the script's
 * `issueCommand(bytes)` (synchronous on the XS side); a command it leaves
 * (undefined) is parsed as JSON into `messages` and answered with nothing.
 */
export async function startXsWorker(name = "paycard-xs", onCommand?: (request: Uint8Array) => Uint8Array | undefined, binary?: string): Promise<XsWorker> {
  const messages: unknown[] = [];
  const decoder = new TextDecoder();
  const worker = await xsnap({
    name,
    os: os.type(),
    // Another worker binary (the 32-bit one of xsnap32.ts): the same protocol, another program.
    spawn: binary === undefined ? spawn : ((_cmd: string, args: readonly string[], opts: object) => spawn(binary, args, opts)) as typeof spawn,
    fs: { ...fsp, createReadStream: fs.createReadStream },
    meteringLimit: 0,
    stdout: "inherit",
    stderr: "inherit",
    handleCommand: async (bytes: Uint8Array) => {
      const answer = onCommand?.(bytes);
      if (answer !== undefined) return answer;
      messages.push(JSON.parse(decoder.decode(bytes)));
      return new Uint8Array(0);
    },
  });
  return {
    messages,
    async evaluate(code: string) {
      const r = await worker.evaluate(code);
      const m = r.meterUsage as unknown as Record<string, unknown>;
      const opt = (k: string) => (m[k] === undefined ? undefined : Number(m[k]));
      return {
        compute: Number(m.compute),
        currentHeapCount: Number(m.currentHeapCount),
        peakHeapCount: opt("peakHeapCount"),
        peakChunksSize: opt("peakChunksSize"),
        stackPeakSlots: opt("stackPeakSlots"),
        currentChunksSize: opt("currentChunksSize"),
        maximumChunksSize: opt("maximumChunksSize"),
        maximumHeapCount: opt("maximumHeapCount"),
      };
    },
    async liveHeap() {
      const parts: Uint8Array[] = [];
      let length = 0;
      for await (const part of worker.makeSnapshotStream("paycard-live-heap")) {
        parts.push(part);
        length += part.length;
      }
      const all = new Uint8Array(length);
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      return readHeapSections(all);
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

/** Evaluates `expression` in the worker and returns its value, sent back as JSON (xsReportSnippet). */
export async function xsReport<T>(w: XsWorker, expression: string): Promise<T> {
  const before = w.messages.length;
  await w.evaluate(xsReportSnippet(expression));
  return w.messages[before] as T;
}
