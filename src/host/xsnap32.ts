/**
 * A 32-bit xsnap worker, for measuring the device app with the ESP32's
 * pointer size (a slot is 16 bytes there, 32 on a 64-bit host; chunks hold
 * pointers too). Built from the xsnap sources @agoric/xsnap installs
 * (node_modules/@agoric/xsnap/{xsnap-native,moddable}), copied to
 * build/xsnap32/<key>/, with gcc -m32 (Debian's gcc-multilib) and three
 * changes made in the copy at build time, each found by its exact text:
 * - the machine's creation sizes: given ones with no growth (a fixed heap,
 *   as on the ESP32), or xsnap's own (32 MB of chunks, 256 K slots, growing);
 * - a field for the stack's deepest point, updated at each return (where XS's
 *   instrumentation takes it: its own field exists only under mxInstrument,
 *   which also turns xsnap's command loop into a select() that blocks here);
 * - the meter reply also carries XS's own counters: peakHeapCount,
 *   peakChunksSize, currentChunksSize, maximumChunksSize, maximumHeapCount,
 *   and that stack peak in slots, reset after each evaluate.
 * Compiled with SSE2 arithmetic: with i386's default x87 (80-bit registers)
 * XS's number code loops forever on fractions.
 * Nothing of it is committed: build/ is ignored.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Fixed sizes: bytes of chunks, slots, stack slots; no growth. */
export interface Xs32Creation {
  chunkBytes: number;
  heapSlots: number;
  stackSlots: number;
}

export const GCC_MULTILIB_MISSING = "a 32-bit C toolchain is missing: install Debian's gcc-multilib (apt-get install gcc-multilib)";

/** Whether `gcc -m32` can build and link a program here. */
export function canBuild32(): boolean {
  const r = spawnSync("sh", ["-c", "printf 'int main(void){return 0;}' | gcc -m32 -x c - -o /dev/null"], { stdio: "ignore" });
  return r.status === 0;
}

function replaceExact(text: string, from: string, to: string, what: string, file = "xsnap-worker.c"): string {
  if (!text.includes(from)) throw new Error(`xsnap32: ${what}: the expected source text is not in ${file} (another @agoric/xsnap version?)`);
  return text.replace(from, to);
}

function patchFile(file: string, from: string, to: string, what: string): void {
  writeFileSync(file, replaceExact(readFileSync(file, "utf8"), from, to, what, path.basename(file)));
}

const CREATION = `		32 * 1024 * 1024,	/* initialChunkSize */
		4 * 1024 * 1024,	/* incrementalChunkSize */
		256 * 1024,			/* initialHeapCount */
		128 * 1024,			/* incrementalHeapCount */
		4096,				/* stackCount */`;

const METER_FORMAT = `				  "\\"allocate\\":%u,"`;
const METER_ARGS = `			 meterIndex, the->allocatedSpace, tsbuf);`;
/** What the meter reply adds, in paycardMeter's order. */
const METER_KEYS = ["peakHeapCount", "peakChunksSize", "stackPeakSlots", "currentChunksSize", "maximumChunksSize", "maximumHeapCount"];
const PEAK_DECLARATION_AFTER = `extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);`;

/** Changes when what the build does changes, so an old build in build/ is not reused. */
const BUILD_REVISION = "r5";

/** Builds (or reuses) a 32-bit xsnap-worker with `creation` (null: xsnap's own sizes); returns its path. */
export function buildXsnap32(root: string, creation: Xs32Creation | null): string {
  const sizes = creation === null ? "growing" : `c${creation.chunkBytes}-h${creation.heapSlots}-s${creation.stackSlots}`;
  const key = `${BUILD_REVISION}-${sizes}`;
  const dir = path.join(root, "build", "xsnap32", key);
  const binary = path.join(dir, "xsnap-native", "xsnap", "build", "bin", "lin", "release", "xsnap-worker");
  if (existsSync(binary)) return binary;
  if (!canBuild32()) throw new Error(GCC_MULTILIB_MISSING);
  const xsnap = path.join(root, "node_modules", "@agoric", "xsnap");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(xsnap, "xsnap-native"), path.join(dir, "xsnap-native"), { recursive: true });
  cpSync(path.join(xsnap, "moddable"), path.join(dir, "moddable"), { recursive: true });
  rmSync(path.join(dir, "xsnap-native", "xsnap", "build"), { recursive: true, force: true });
  const source = path.join(dir, "xsnap-native", "xsnap", "sources", "xsnap-worker.c");
  let c = readFileSync(source, "utf8");
  if (creation !== null) {
    c = replaceExact(
      c,
      CREATION,
      `		${creation.chunkBytes},	/* initialChunkSize */
		0,	/* incrementalChunkSize */
		${creation.heapSlots},	/* initialHeapCount */
		0,	/* incrementalHeapCount */
		${creation.stackSlots},	/* stackCount */`,
      "creation sizes",
    );
  }
  const meterKeys = METER_KEYS.map((k) => `\\"${k}\\":%u,`).join("");
  c = replaceExact(c, METER_FORMAT, `${METER_FORMAT}\n				  "${meterKeys}"`, "meter format");
  c = replaceExact(
    c,
    METER_ARGS,
    `			 meterIndex, the->allocatedSpace, ${METER_KEYS.map((_, i) => `paycardMeter(the, ${i})`).join(", ")}, tsbuf);`,
    "meter arguments",
  );
  c = replaceExact(c, PEAK_DECLARATION_AFTER, `${PEAK_DECLARATION_AFTER}\nextern unsigned paycardMeter(xsMachine* the, int which);`, "peak declaration");
  writeFileSync(source, c);
  // The peaks are fields of the engine's own machine record, visible where xsAll.h is included.
  const platform = path.join(dir, "xsnap-native", "xsnap", "sources", "xsnapPlatform.c");
  writeFileSync(
    platform,
    readFileSync(platform, "utf8") +
      `\nunsigned paycardMeter(txMachine* the, int which)\n{\n\tif (which == 0) return (unsigned)the->peakHeapCount;\n\tif (which == 1) return (unsigned)the->peakChunksSize;\n\tif (which == 3) return (unsigned)the->currentChunksSize;\n\tif (which == 4) return (unsigned)the->maximumChunksSize;\n\tif (which == 5) return (unsigned)the->maximumHeapCount;\n\ttxSlot* peak = the->paycardStackPeak;\n\tthe->paycardStackPeak = the->stack;\n\treturn (unsigned)(the->stackTop - peak);\n}\n`,
  );
  // XS tracks the stack's deepest point only with mxInstrument, which also turns xsnap's command
  // loop into a select() on a debugger descriptor that blocks here: the same two lines, alone.
  const xs = path.join(dir, "moddable", "xs", "sources");
  patchFile(path.join(xs, "xsAll.h"), "\ttxSize peakHeapCount;\n", "\ttxSize peakHeapCount;\n\ttxSlot* paycardStackPeak;\n", "stack peak field");
  patchFile(path.join(xs, "xsMemory.c"), "\tthe->stack = the->stackTop;\n", "\tthe->stack = the->stackTop;\n\tthe->paycardStackPeak = the->stackTop;\n", "stack peak start");
  patchFile(
    path.join(xs, "xsRun.c"),
    "\t\tXS_CODE_END_ALL:\n",
    "\t\tXS_CODE_END_ALL:\n\t\t\tif (the->paycardStackPeak > mxStack)\n\t\t\t\tthe->paycardStackPeak = mxStack;\n",
    "stack peak at each return",
  );
  execFileSync(
    "make",
    ["-f", "xsnap-worker.mk", "GOAL=release", `MODDABLE=${path.join(dir, "moddable")}`, "XSNAP_VERSION=paycard-32bit", "CC=gcc -m32 -msse2 -mfpmath=sse"],
    { cwd: path.join(dir, "xsnap-native", "xsnap", "makefiles", "lin"), stdio: "pipe", timeout: 300_000 },
  );
  if (!existsSync(binary)) throw new Error(`xsnap32: the build did not produce ${binary}`);
  return binary;
}
