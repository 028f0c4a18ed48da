/**
 * Device builds with the real Moddable tools: `npm run build:esp32`, `npm run flash`,
 * `npm run build:lin`.
 *
 * Each target first checks the tools it needs and names every missing piece with
 * where to get it, then compiles src/ with `npm run build` (runBuild) and hands the
 * top-level manifest.json to mcconfig:
 *   esp32  mcconfig -m -p esp32 -i -t build -o build/moddable   instrumented build, copied for Wokwi
 *   flash  mcconfig -m -p esp32 -i -o build/moddable            builds, flashes, opens the serial monitor
 *   lin    mcconfig -m -p lin -t build -o build/moddable        release build for the Linux simulator
 *
 * mcconfig can exit 0 without producing a new binary (the esp32 `build` make target
 * ignores idf.py failures and leaves the previous xs_esp32.bin in place), so the
 * expected outputs are deleted first and must come back newer than the start of the
 * run.
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkBuildOverrides } from "./build-overrides";
import { UsageError } from "./cli-args";

export type DeviceTarget = "esp32" | "flash" | "lin" | "lin-instrumented";

export const DEVICE_TARGETS: readonly DeviceTarget[] = ["esp32", "flash", "lin", "lin-instrumented"];

/** The targets that build for the Linux simulator (release, or -i: XS's instrumentation, whose heap figures STATUS prints). */
export function isLinTarget(target: DeviceTarget): boolean {
  return target === "lin" || target === "lin-instrumented";
}

/** The repository root (the folder holding manifest.json). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** mcconfig's output root (`-o`), relative to the repository root. */
export const MODDABLE_OUT_DIR = "build/moddable";
/** Where `build:esp32` puts what Wokwi loads; wokwi.toml points here. */
export const WOKWI_DIR = "build/wokwi";
/** wokwi.toml `firmware`: ESP-IDF's flash map, with the images it names beside it. */
export const WOKWI_FIRMWARE = `${WOKWI_DIR}/flasher_args.json`;
/** wokwi.toml `elf`. */
export const WOKWI_ELF = `${WOKWI_DIR}/xs_esp32.elf`;
/** One image of the whole flash from address 0 (bootloader, partition table, app): for esptool, wokwi.com and the release. */
export const MERGED_IMAGE = `${WOKWI_DIR}/paycard-esp32.bin`;

/** The Moddable SDK release paycard builds with (its git tag). */
export const MODDABLE_SDK_TAG = "8.2.3";
/** Moddable SDK 8.2.3 stops with a hard error on any other ESP-IDF major.minor. */
export const EXPECTED_IDF = { major: 6, minor: 0 } as const;
/** mcconfig's TypeScript step targets es2025: TypeScript 6 or newer. */
export const MIN_TSC_MAJOR = 6;
/** The largest image wokwi-cli uploads (its MAX_FIRMWARE_SIZE). */
export const WOKWI_MAX_FLASH_BYTES = 4 * 1024 * 1024;

const GETTING_STARTED = "https://github.com/Moddable-OpenSource/moddable/blob/public/documentation/Moddable%20SDK%20-%20Getting%20Started.md";
const MODDABLE_ESP32_GUIDE = "https://github.com/Moddable-OpenSource/moddable/blob/public/documentation/devices/esp32.md";
const IDF_GETTING_STARTED = "https://docs.espressif.com/projects/esp-idf/en/v6.0/esp32/get-started/linux-macos-setup.html";
const XS_DEV_HINT = "or let the community CLI do it: `npm i -g xs-dev`, then `xs-dev setup`";

/** The machines the SDK's tools build on: its `lin` and `mac` tool folders. Windows means WSL2 (Linux). */
export type ToolHost = "lin" | "mac";

/** The SDK's tools for `platform` (process.platform), or undefined where paycard's build scripts do not run. */
export function toolHost(platform: NodeJS.Platform): ToolHost | undefined {
  if (platform === "linux") return "lin";
  if (platform === "darwin") return "mac";
  return undefined;
}

/** The SDK's tool folder on `host`, relative to $MODDABLE: mcconfig, xsc, xsl, mcrez (and mcsim on Linux). */
export function sdkToolsDir(host: ToolHost): string {
  return `build/bin/${host}/release`;
}

/** Relative location of mcconfig inside the SDK (the Linux tools build). */
export const MCCONFIG_IN_SDK = `${sdkToolsDir("lin")}/mcconfig`;
/** The Linux simulator, for running a `lin` build. */
export const MCSIM_IN_SDK = `${sdkToolsDir("lin")}/mcsim`;

/** Where mcconfig leaves each target's files. `name` is mcconfig's NAME: the folder holding manifest.json. */
export interface DeviceBuildPaths {
  name: string;
  outDir: string;
  /** Files that must be rebuilt by this run. */
  fresh: string[];
  /** esp32/flash: the IDF project's build folder (flasher_args.json, xs_esp32.elf, xs_esp32.bin). */
  idfBuildDir?: string;
  /** esp32/flash: the copies mcconfig makes of the three images. */
  binDir?: string;
  /** lin: the simulator library to hand to mcsim. */
  mcSo?: string;
}

export function deviceBuildPaths(target: DeviceTarget, root: string = REPO_ROOT): DeviceBuildPaths {
  const name = path.basename(path.resolve(root));
  const outDir = path.join(root, MODDABLE_OUT_DIR);
  if (isLinTarget(target)) {
    const mcSo = path.join(outDir, "bin", "lin", "mc", target === "lin" ? "release" : "instrument", name, "mc.so");
    return { name, outDir, fresh: [mcSo], mcSo };
  }
  // -i (instrumented): plain serial log with trace(), no xsbug protocol on the UART.
  const binDir = path.join(outDir, "bin", "esp32", "instrument", name);
  const idfBuildDir = path.join(outDir, "tmp", "esp32", "instrument", name, "xsProj-esp32", "build");
  return {
    name,
    outDir,
    binDir,
    idfBuildDir,
    fresh: [path.join(idfBuildDir, "xs_esp32.elf"), path.join(idfBuildDir, "xs_esp32.bin")],
  };
}

export function mcconfigArgs(target: DeviceTarget, configOverrides: string[] = []): string[] {
  const out = ["-o", MODDABLE_OUT_DIR];
  switch (target) {
    case "esp32":
      return ["-m", "-p", "esp32", "-i", "-t", "build", ...out, ...configOverrides];
    case "flash":
      return ["-m", "-p", "esp32", "-i", ...out, ...configOverrides];
    case "lin":
      return ["-m", "-p", "lin", "-t", "build", ...out, ...configOverrides];
    case "lin-instrumented":
      return ["-m", "-p", "lin", "-i", "-t", "build", ...out, ...configOverrides];
  }
}

export interface DeviceBuildOptions {
  /** Environment to check and to hand to mcconfig (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Repository root (default: this checkout). */
  root?: string;
  /** Prepend <root>/node_modules/.bin (TypeScript 6) to the tools' PATH (default true). */
  useRepoBin?: boolean;
  /** The `npm run build` step (default: runBuild from ./build). */
  runBuild?: () => Promise<number>;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  now?: () => number;
  /** The machine's OS, for the SDK's tool folder (default process.platform). */
  platform?: NodeJS.Platform;
}

const USAGE = `usage: paycard build-esp32|flash|build-lin|build-lin-instrumented [key=value ...]
  build-esp32  instrumented ESP32 build; copies flasher_args.json, images and ELF to ${WOKWI_DIR}/
  flash        the same build, flashed over USB, then ESP-IDF's serial monitor (Ctrl-] quits);
               set UPLOAD_PORT=/dev/ttyUSB0 to pick the port instead of probing
  build-lin    release build for the Moddable Linux simulator (mcsim)
  build-lin-instrumented
               the same with XS's instrumentation (-i): STATUS lines show the heap's peaks and headroom
  key=value pairs override manifest.json "config" entries for this build
  (mcconfig passes them as strings), e.g. wifiSsid=MyNet wifiPassword=secret brokerHost=192.168.1.10`;

interface EnvCheck {
  problems: string[];
  mcconfig: string;
  childEnv: NodeJS.ProcessEnv;
  tscVersion?: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(command: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Reads IDF_VERSION_MAJOR/MINOR/PATCH from $IDF_PATH/tools/cmake/version.cmake, if there. */
export function readIdfVersion(idfPath: string): { major: number; minor: number; patch: number } | undefined {
  const file = path.join(idfPath, "tools", "cmake", "version.cmake");
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  const get = (part: string) => {
    const m = new RegExp(`set\\s*\\(\\s*IDF_VERSION_${part}\\s+(\\d+)\\s*\\)`).exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const major = get("MAJOR");
  const minor = get("MINOR");
  if (major === undefined || minor === undefined) return undefined;
  return { major, minor, patch: get("PATCH") ?? 0 };
}

/** Checks every tool the target needs; an empty `problems` means ready. */
export function checkDeviceEnvironment(
  target: DeviceTarget,
  env: NodeJS.ProcessEnv,
  root: string,
  useRepoBin = true,
  platform: NodeJS.Platform = process.platform,
): EnvCheck {
  const problems: string[] = [];
  const host = toolHost(platform);
  if (host === undefined) {
    problems.push(
      `paycard's device builds run on Linux and macOS, not on ${platform}: on Windows use WSL2 (Ubuntu) and follow the Linux steps ` +
        `(${GETTING_STARTED}#linux); USB serial reaches WSL2 through usbipd-win.`,
    );
    return { problems, mcconfig: "", childEnv: { ...env } };
  }
  if (host === "mac" && isLinTarget(target)) {
    problems.push(
      "the lin simulator build runs on Linux only (the SDK's macOS simulator is another platform, `mac`, which paycard's manifest does not target): " +
        "on macOS build for esp32 (`npm run build:esp32`) and run it in Wokwi or on a board, or build lin in a Linux VM or container.",
    );
  }
  const hostName = host === "mac" ? "macOS" : "Linux";
  const guide = `${GETTING_STARTED}#${host === "mac" ? "macos" : "linux"}`;
  const tools = sdkToolsDir(host);
  const moddable = env.MODDABLE;
  let mcconfig = "";
  let sdkBin = "";
  if (moddable === undefined || moddable === "") {
    problems.push(
      `MODDABLE is not set. Install the Moddable SDK and build its ${hostName} tools (${guide}), ` +
        `then \`export MODDABLE=<SDK folder>\`; ${XS_DEV_HINT}.`,
    );
  } else {
    mcconfig = path.join(moddable, tools, "mcconfig");
    sdkBin = path.dirname(mcconfig);
    if (!existsSync(moddable)) {
      problems.push(`MODDABLE=${moddable} does not exist. Point it at the Moddable SDK folder (${guide}).`);
    } else if (!isExecutable(mcconfig)) {
      problems.push(
        `${mcconfig} not found: the Moddable SDK tools are not built. Build them with ` +
          `\`export PATH=$MODDABLE/${tools}:$PATH; cd $MODDABLE/build/makefiles/${host} && make\` ` +
          `(the ${hostName} section of ${guide}); ${XS_DEV_HINT}.`,
      );
    }
  }

  if (!isLinTarget(target)) {
    const idfPath = env.IDF_PATH;
    const want = `v${EXPECTED_IDF.major}.${EXPECTED_IDF.minor}`;
    if (idfPath === undefined || idfPath === "") {
      problems.push(
        `IDF_PATH is not set: the esp32 build needs ESP-IDF ${want} (Moddable ${MODDABLE_SDK_TAG} refuses any other version). ` +
          `Install it (\`git clone -b ${want} --recursive https://github.com/espressif/esp-idf.git\`, then \`./install.sh esp32\`; ` +
          `${IDF_GETTING_STARTED} and ${MODDABLE_ESP32_GUIDE}), then \`export IDF_PATH=<esp-idf folder>\` and ` +
          `\`source $IDF_PATH/export.sh\`; or \`xs-dev setup --device esp32\`.`,
      );
    } else if (!existsSync(idfPath)) {
      problems.push(`IDF_PATH=${idfPath} does not exist. Point it at an ESP-IDF ${want} checkout (${IDF_GETTING_STARTED}).`);
    } else {
      const v = readIdfVersion(idfPath);
      if (v !== undefined && (v.major !== EXPECTED_IDF.major || v.minor !== EXPECTED_IDF.minor)) {
        problems.push(
          `IDF_PATH=${idfPath} is ESP-IDF v${v.major}.${v.minor}.${v.patch}, but Moddable ${MODDABLE_SDK_TAG} needs ESP-IDF ${want}: ` +
            `check out the ${want} tag (\`git -C $IDF_PATH checkout ${want} && git -C $IDF_PATH submodule update --init --recursive\`, ` +
            `then \`$IDF_PATH/install.sh esp32\`) or point IDF_PATH at a ${want} tree.`,
        );
      }
      if (findOnPath("idf.py", env.PATH) === undefined) {
        problems.push(`idf.py is not on PATH: run \`source $IDF_PATH/export.sh\` in this shell (ESP-IDF's environment: idf.py, the Xtensa toolchain, esptool).`);
      }
    }
  }

  // mcconfig runs xsc/xsl/mcrez and, for .ts modules, tsc from PATH.
  const pathParts = [
    ...(useRepoBin ? [path.join(root, "node_modules", ".bin")] : []),
    ...(sdkBin !== "" ? [sdkBin] : []),
    ...(env.PATH ?? "").split(path.delimiter).filter((p) => p !== ""),
  ];
  const childEnv: NodeJS.ProcessEnv = { ...env, PATH: pathParts.join(path.delimiter) };
  // The Wokwi diagram and the flash layout are for the original ESP32.
  delete childEnv.ESP32_SUBCLASS;

  let tscVersion: string | undefined;
  const tsc = findOnPath("tsc", childEnv.PATH);
  const tscHint = `\`npm i -g typescript@${MIN_TSC_MAJOR}\`, or run \`npm install\` in the repository so ./node_modules/.bin/tsc (TypeScript ${MIN_TSC_MAJOR}) exists: it is put first on mcconfig's PATH`;
  if (tsc === undefined) {
    problems.push(`No TypeScript compiler (tsc) on PATH; mcconfig needs TypeScript ${MIN_TSC_MAJOR}+ (it targets es2025). Get it with ${tscHint}.`);
  } else {
    const r = spawnSync(tsc, ["-v"], { env: childEnv, encoding: "utf8", timeout: 30_000 });
    const m = /Version (\d+)\.(\d+)\.(\d+)/.exec(`${r.stdout ?? ""}${r.stderr ?? ""}`);
    if (m === null) {
      problems.push(`${tsc} -v did not print a TypeScript version (${r.error?.message ?? `exit ${r.status}`}); mcconfig needs TypeScript ${MIN_TSC_MAJOR}+. Get it with ${tscHint}.`);
    } else {
      tscVersion = `${m[1]}.${m[2]}.${m[3]}`;
      if (Number(m[1]) < MIN_TSC_MAJOR) {
        problems.push(`${tsc} is TypeScript ${tscVersion}; mcconfig needs ${MIN_TSC_MAJOR}+ (5.x fails on lib es2025). Get it with ${tscHint}.`);
      }
    }
  }
  return { problems, mcconfig, childEnv, tscVersion };
}

function parseDeviceArgs(argv: string[]): { help: boolean; overrides: string[] } {
  const overrides: string[] = [];
  for (const a of argv) {
    if (a === "--help" || a === "-h") return { help: true, overrides };
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(a);
    if (m === null) throw new UsageError(`unexpected argument ${JSON.stringify(a)}: only key=value config overrides are accepted (--help)`);
    if (m[1] === "ssid" || m[1] === "password") {
      throw new UsageError(
        `${m[1]}= would be the SDK's own Wi-Fi setting; paycard manages Wi-Fi itself: use wifiSsid= / wifiPassword=`,
      );
    }
    overrides.push(a);
  }
  return { help: false, overrides };
}

interface RunResult {
  code: number;
  failureLine?: string;
}

/** Runs mcconfig, passing its output through; esp32 `-t build` output is scanned for IDF failures. */
function runTool(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  interactive: boolean,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<RunResult> {
  return new Promise((resolve) => {
    if (interactive) {
      const child = spawn(file, args, { cwd, env, stdio: "inherit" });
      child.on("error", (e) => {
        err(`paycard: cannot start ${file}: ${e.message}\n`);
        resolve({ code: 127 });
      });
      child.on("close", (code, signal) => resolve({ code: code ?? (signal !== null ? 128 : 1) }));
      return;
    }
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let failureLine: string | undefined;
    const failure = /^(FAILED: .*|ninja: build stopped.*|CMake Error.*|ESP-IDF Build Failed.*)$/m;
    const watch = (text: string) => {
      if (failureLine === undefined) {
        const m = failure.exec(text);
        if (m !== null) failureLine = m[1];
      }
    };
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (s: string) => {
      watch(s);
      out(s);
    });
    child.stderr.on("data", (s: string) => {
      watch(s);
      err(s);
    });
    child.on("error", (e) => {
      err(`paycard: cannot start ${file}: ${e.message}\n`);
      resolve({ code: 127 });
    });
    child.on("close", (code, signal) => resolve({ code: code ?? (signal !== null ? 128 : 1), failureLine }));
  });
}

/** Filesystems with 1 s timestamps may round a fresh file's mtime down. */
const MTIME_SLACK_MS = 1000;

function checkFresh(files: string[], startMs: number, root: string): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const rel = path.relative(root, f);
    if (!existsSync(f)) {
      problems.push(`${rel} was not produced`);
      continue;
    }
    const mtime = statSync(f).mtimeMs;
    if (mtime + MTIME_SLACK_MS < startMs) {
      problems.push(`${rel} is stale (modified ${new Date(mtime).toISOString()}, before this build started at ${new Date(startMs).toISOString()})`);
    }
  }
  return problems;
}

interface FlasherArgs {
  flash_files?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * Copies the IDF flash map and the images it names into build/wokwi (same relative
 * paths, so the copied flasher_args.json resolves them as wokwi-cli does: relative to
 * its own folder), plus the ELF. Returns one line per image.
 */
/**
 * What `esptool merge_bin` writes for raw output: from address 0, each image at its offset and
 * the gaps erased flash (0xFF), up to the end of the last. Throws on images that overlap.
 */
export function mergeFlashImage(parts: readonly { offset: number; bytes: Uint8Array }[]): Uint8Array {
  const sorted = [...parts].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const p of sorted) {
    if (!Number.isInteger(p.offset) || p.offset < end) throw new Error(`flash images overlap at 0x${p.offset.toString(16)}`);
    end = p.offset + p.bytes.length;
  }
  const image = new Uint8Array(end).fill(0xff);
  for (const p of sorted) image.set(p.bytes, p.offset);
  return image;
}

export function copyForWokwi(idfBuildDir: string, root: string): string[] {
  const wokwiDir = path.join(root, WOKWI_DIR);
  const flasherPath = path.join(idfBuildDir, "flasher_args.json");
  if (!existsSync(flasherPath)) throw new Error(`${path.relative(root, flasherPath)} not found: the IDF build did not write its flash map`);
  const flasher = JSON.parse(readFileSync(flasherPath, "utf8")) as FlasherArgs;
  const files = flasher.flash_files;
  if (files === undefined || typeof files !== "object" || Object.keys(files).length === 0) {
    throw new Error(`${path.relative(root, flasherPath)} has no flash_files: Wokwi cannot load it`);
  }
  rmSync(wokwiDir, { recursive: true, force: true });
  mkdirSync(wokwiDir, { recursive: true });
  const lines: string[] = [];
  const rewritten: Record<string, string> = {};
  const parts: { offset: number; bytes: Uint8Array }[] = [];
  let end = 0;
  for (const [offset, file] of Object.entries(files)) {
    const offsetNum = Number.parseInt(offset, 16);
    if (Number.isNaN(offsetNum)) throw new Error(`flasher_args.json: bad offset ${offset}`);
    const src = path.resolve(idfBuildDir, file);
    if (!existsSync(src)) throw new Error(`flasher_args.json names ${file} at ${offset}, but ${path.relative(root, src)} does not exist`);
    // Keep the IDF's relative layout; anything outside the build folder goes next to flasher_args.json.
    const inside = !path.isAbsolute(file) && !path.relative(idfBuildDir, src).startsWith("..");
    const rel = inside ? file : path.basename(src);
    const dest = path.join(wokwiDir, rel);
    mkdirSync(path.dirname(dest), { recursive: true });
    const bytes = readFileSync(src);
    writeFileSync(dest, bytes);
    parts.push({ offset: offsetNum, bytes });
    rewritten[offset] = rel.split(path.sep).join("/");
    const size = bytes.length;
    end = Math.max(end, offsetNum + size);
    lines.push(`  0x${offsetNum.toString(16).padStart(5, "0")}  ${rewritten[offset]} (${size} bytes)`);
  }
  if (end > WOKWI_MAX_FLASH_BYTES) {
    throw new Error(`the flash image ends at ${end} bytes, beyond the ${WOKWI_MAX_FLASH_BYTES} bytes wokwi-cli uploads`);
  }
  writeFileSync(path.join(wokwiDir, "flasher_args.json"), JSON.stringify({ ...flasher, flash_files: rewritten }, null, 2) + "\n");
  const merged = mergeFlashImage(parts);
  writeFileSync(path.join(root, MERGED_IMAGE), merged);
  lines.push(`  and all of it from 0x0 in one image: ${MERGED_IMAGE} (${merged.length} bytes)`);
  const elf = path.join(idfBuildDir, "xs_esp32.elf");
  copyFileSync(elf, path.join(root, WOKWI_ELF));
  return lines;
}

/**
 * `paycard build-esp32 | flash | build-lin [key=value ...]`. Returns the process exit
 * code; `options` lets tests inject the environment, the repository root and writers.
 */
export async function runDeviceBuild(target: DeviceTarget, argv: string[], options: DeviceBuildOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const root = options.root ?? REPO_ROOT;
  const out = options.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = options.stderr ?? ((s: string) => void process.stderr.write(s));
  const now = options.now ?? Date.now;

  const { help, overrides } = parseDeviceArgs(argv);
  if (help) {
    out(USAGE + "\n");
    return 0;
  }
  checkBuildOverrides(root, isLinTarget(target) ? "lin" : "esp32", overrides);

  const check = checkDeviceEnvironment(target, env, root, options.useRepoBin ?? true, options.platform);
  if (check.problems.length > 0) {
    err(`paycard: cannot build for ${target}; missing:\n${check.problems.map((p) => `  - ${p}\n`).join("")}`);
    return 1;
  }

  const build = options.runBuild ?? (await import("./build")).runBuild;
  const built = await build();
  if (built !== 0) {
    err(`paycard: npm run build failed (exit ${built}); not running mcconfig\n`);
    return built;
  }

  const paths = deviceBuildPaths(target, root);
  mkdirSync(paths.outDir, { recursive: true }); // mcconfig -o needs an existing folder
  // A no-op rebuild would leave these untouched; deleting them makes every run prove itself.
  for (const f of paths.fresh) rmSync(f, { force: true });
  if (paths.binDir !== undefined) rmSync(path.join(paths.binDir, "xs_esp32.bin"), { force: true });

  const args = mcconfigArgs(target, overrides);
  out(`paycard: mcconfig ${args.join(" ")}  (TypeScript ${check.tscVersion}, MODDABLE=${env.MODDABLE})\n`);
  const startMs = now();
  const result = await runTool(check.mcconfig, args, root, check.childEnv, target === "flash", out, err);
  if (result.code !== 0) {
    err(`paycard: mcconfig exited with ${result.code} (${target}); see its output above\n`);
    return result.code;
  }
  const stale = checkFresh(paths.fresh, startMs, root);
  if (stale.length > 0 || result.failureLine !== undefined) {
    const reasons = [...stale, ...(result.failureLine !== undefined ? [`the build log reports: ${result.failureLine}`] : [])];
    err(
      `paycard: mcconfig exited 0, but the ${target} build did not complete:\n${reasons.map((r) => `  - ${r}\n`).join("")}` +
        (isLinTarget(target)
          ? ""
          : "  The esp32 make target ignores idf.py failures; the first error is in the idf.py output above.\n"),
    );
    return 1;
  }

  if (isLinTarget(target)) {
    const mcsim = path.join(env.MODDABLE ?? "$MODDABLE", MCSIM_IN_SDK);
    out(
      `paycard: built ${path.relative(root, paths.mcSo!)}\n` +
        `  Run it headless (trace() goes to stdout; mcsim never exits, so stop it with a timeout):\n` +
        `    xvfb-run -a timeout -s INT 30 stdbuf -oL ${mcsim} ${path.relative(root, paths.mcSo!)}\n`,
    );
    return 0;
  }
  if (target === "esp32") {
    let lines: string[];
    try {
      lines = copyForWokwi(paths.idfBuildDir!, root);
    } catch (e) {
      err(`paycard: cannot prepare ${WOKWI_DIR}: ${(e as Error).message}\n`);
      return 1;
    }
    out(
      `paycard: built the instrumented esp32 image; for Wokwi (wokwi.toml):\n  ${WOKWI_FIRMWARE}\n${lines.join("\n")}\n  ${WOKWI_ELF}\n` +
        `  Simulate: open diagram.json in VS Code with the Wokwi extension, or\n` +
        `    WOKWI_CLI_TOKEN=... wokwi-cli . --scenario hosttest/wokwi/card-test.scenario.yaml --timeout 60000\n` +
        `  Flash a board: npm run flash, or the merged image with any esptool: esptool --chip esp32 write-flash 0x0 ${MERGED_IMAGE}\n`,
    );
    return 0;
  }
  out(`paycard: flashed ${path.relative(root, path.join(paths.idfBuildDir!, "xs_esp32.bin"))}\n`);
  return 0;
}
