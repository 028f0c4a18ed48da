/**
 * runDeviceBuild without the real SDK: every missing tool gets a message that
 * says what is missing and where to get it, and a fake mcconfig (a shell script
 * in a fake $MODDABLE) exercises the stale-output guard and the copy for Wokwi.
 * The real builds are checked by hand (see docs/installing.md); they need the Moddable
 * SDK and ESP-IDF, which CI does not have.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/host/cli-args";
import {
  deviceBuildPaths,
  MCCONFIG_IN_SDK,
  MERGED_IMAGE,
  mergeFlashImage,
  REPO_ROOT,
  mcconfigArgs,
  runDeviceBuild,
  sdkToolsDir,
  toolHost,
  WOKWI_ELF,
  WOKWI_FIRMWARE,
  type DeviceBuildOptions,
  type DeviceTarget,
} from "../../src/host/device-build";

const scratch = mkdtempSync(path.join(tmpdir(), "paycard-device-build-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => {
  const dir = path.join(scratch, `${n++}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

function script(file: string, body: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A folder on PATH with `tsc` printing the given version. */
function fakeTsc(version: string): string {
  const bin = fresh("tsc-bin");
  script(path.join(bin, "tsc"), `echo "Version ${version}"`);
  return bin;
}

/** A fake SDK whose mcconfig runs `body` (in the repo root, like the real one). */
function fakeModdable(body = "exit 0"): string {
  const sdk = fresh("moddable");
  script(path.join(sdk, MCCONFIG_IN_SDK), body);
  return sdk;
}

function fakeIdf(major: number, minor: number): string {
  const idf = fresh("esp-idf");
  mkdirSync(path.join(idf, "tools", "cmake"), { recursive: true });
  writeFileSync(
    path.join(idf, "tools", "cmake", "version.cmake"),
    `set(IDF_VERSION_MAJOR ${major})\nset(IDF_VERSION_MINOR ${minor})\nset(IDF_VERSION_PATCH 1)\n`,
  );
  return idf;
}

interface Run {
  code: number;
  out: string;
  err: string;
  built: number;
}

async function run(target: DeviceTarget, env: NodeJS.ProcessEnv, opts: Partial<DeviceBuildOptions> & { argv?: string[] } = {}): Promise<Run> {
  let out = "";
  let err = "";
  let built = 0;
  const code = await runDeviceBuild(target, opts.argv ?? [], {
    env,
    root: opts.root ?? fresh("repo"),
    useRepoBin: false,
    runBuild: async () => {
      built++;
      return 0;
    },
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    ...opts,
  });
  return { code, out, err, built };
}

/** PATH with only the system tools (sh, touch, cp) and, optionally, fake tools. */
const sysPath = (...extra: string[]) => [...extra, "/usr/bin", "/bin"].join(path.delimiter);

describe("device build: missing tools are named, with where to get them", () => {
  it("no MODDABLE: points at the Moddable getting-started guide and xs-dev", async () => {
    const r = await run("lin", { PATH: sysPath(fakeTsc("6.0.3")) });
    expect(r.code).toBe(1);
    expect(r.err).toContain("MODDABLE is not set");
    expect(r.err).toContain("Moddable%20SDK%20-%20Getting%20Started.md#linux");
    expect(r.err).toContain("xs-dev setup");
    expect(r.built).toBe(0);
  });

  it("MODDABLE without built tools: names the missing mcconfig and the make step", async () => {
    const sdk = fresh("empty-sdk");
    const r = await run("lin", { MODDABLE: sdk, PATH: sysPath(fakeTsc("6.0.3")) });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(sdk, MCCONFIG_IN_SDK)} not found`);
    expect(r.err).toContain("cd $MODDABLE/build/makefiles/lin && make");
  });

  it("esp32 without IDF_PATH: asks for ESP-IDF v6.0; lin does not", async () => {
    const env = { MODDABLE: fakeModdable(), PATH: sysPath(fakeTsc("6.0.3")) };
    const esp = await run("esp32", env);
    expect(esp.code).toBe(1);
    expect(esp.err).toContain("IDF_PATH is not set");
    expect(esp.err).toContain("ESP-IDF v6.0");
    expect(esp.err).toContain("git clone -b v6.0 --recursive https://github.com/espressif/esp-idf.git");
    expect(esp.err).toContain("xs-dev setup --device esp32");
    const flash = await run("flash", env);
    expect(flash.err).toContain("IDF_PATH is not set");
    const lin = await run("lin", env);
    expect(lin.err).not.toContain("IDF_PATH");
  });

  it("esp32 with the wrong ESP-IDF version, and without export.sh sourced", async () => {
    const r = await run("esp32", { MODDABLE: fakeModdable(), IDF_PATH: fakeIdf(5, 4), PATH: sysPath(fakeTsc("6.0.3")) });
    expect(r.code).toBe(1);
    expect(r.err).toContain("is ESP-IDF v5.4.1, but Moddable 8.2.3 needs ESP-IDF v6.0");
    expect(r.err).toContain("idf.py is not on PATH: run `source $IDF_PATH/export.sh`");
  });

  it("no tsc, or a TypeScript older than 6", async () => {
    const none = await run("lin", { MODDABLE: fakeModdable(), PATH: sysPath() });
    expect(none.code).toBe(1);
    expect(none.err).toContain("No TypeScript compiler (tsc) on PATH");
    expect(none.err).toContain("npm i -g typescript@6");
    expect(none.err).toContain("./node_modules/.bin/tsc");
    const old = await run("lin", { MODDABLE: fakeModdable(), PATH: sysPath(fakeTsc("5.9.3")) });
    expect(old.err).toContain("is TypeScript 5.9.3; mcconfig needs 6+");
  });

  it("lists every missing piece at once", async () => {
    const r = await run("flash", { PATH: sysPath() });
    expect(r.err).toContain("MODDABLE is not set");
    expect(r.err).toContain("IDF_PATH is not set");
    expect(r.err).toContain("No TypeScript compiler");
  });

  it("the repo's node_modules/.bin goes first on the tools' PATH, so its TypeScript 6 wins", async () => {
    const root = fresh("repo-with-bin");
    script(path.join(root, "node_modules", ".bin", "tsc"), `echo "Version 6.0.3"`);
    const r = await run("lin", { MODDABLE: fakeModdable(), PATH: sysPath(fakeTsc("5.9.3")) }, { root, useRepoBin: true });
    expect(r.err).not.toContain("TypeScript 5.9.3");
  });
});

describe("device build: arguments", () => {
  it("passes key=value config overrides to mcconfig and rejects anything else", async () => {
    expect(mcconfigArgs("lin", ["brokerHost=10.0.0.2"])).toEqual(["-m", "-p", "lin", "-t", "build", "-o", "build/moddable", "brokerHost=10.0.0.2"]);
    expect(mcconfigArgs("lin-instrumented")).toEqual(["-m", "-p", "lin", "-i", "-t", "build", "-o", "build/moddable"]);
    expect(path.relative(REPO_ROOT, deviceBuildPaths("lin-instrumented").mcSo!)).toBe(`build/moddable/bin/lin/mc/instrument/${path.basename(REPO_ROOT)}/mc.so`);
    expect(mcconfigArgs("esp32")).toEqual(["-m", "-p", "esp32", "-i", "-t", "build", "-o", "build/moddable"]);
    expect(mcconfigArgs("flash")).toEqual(["-m", "-p", "esp32", "-i", "-o", "build/moddable"]);
    await expect(run("lin", {}, { argv: ["--debug"] })).rejects.toThrow(UsageError);
    await expect(run("lin", {}, { argv: ["ssid=Home"] })).rejects.toThrow(/use wifiSsid=/);
    const help = await run("lin", {}, { argv: ["--help"] });
    expect(help.code).toBe(0);
    expect(help.out).toContain("usage: paycard build-esp32|flash|build-lin");
  });
});

describe("device build: with a fake mcconfig", () => {
  it("lin: a fresh mc.so passes and the run hint names mcsim", async () => {
    const root = fresh("main");
    const so = path.relative(root, deviceBuildPaths("lin", root).mcSo!);
    const sdk = fakeModdable(`echo "mcconfig $*"; mkdir -p "$(dirname ${so})" && touch ${so}`);
    const r = await run("lin", { MODDABLE: sdk, PATH: sysPath(fakeTsc("6.0.3")) }, { root, argv: ["brokerPort=1884"] });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.built).toBe(1);
    expect(r.out).toContain("mcconfig -m -p lin -t build -o build/moddable brokerPort=1884");
    expect(r.out).toContain(`built ${so}`);
    expect(r.out).toContain(path.join(sdk, "build/bin/lin/release/mcsim"));
  });

  it("lin: mcconfig exiting 0 without a new mc.so is refused (the old one is removed first)", async () => {
    const root = fresh("main");
    const so = deviceBuildPaths("lin", root).mcSo!;
    mkdirSync(path.dirname(so), { recursive: true });
    writeFileSync(so, "old");
    const r = await run("lin", { MODDABLE: fakeModdable("exit 0"), PATH: sysPath(fakeTsc("6.0.3")) }, { root });
    expect(r.code).toBe(1);
    expect(r.err).toContain("mcconfig exited 0, but the lin build did not complete");
    expect(r.err).toContain("mc.so was not produced");
  });

  it("esp32: a binary older than the run is reported as stale", async () => {
    const root = fresh("main");
    const { idfBuildDir } = deviceBuildPaths("esp32", root);
    const dir = path.relative(root, idfBuildDir!);
    const sdk = fakeModdable(`mkdir -p ${dir} && touch -d 2001-01-01 ${dir}/xs_esp32.bin ${dir}/xs_esp32.elf`);
    const r = await run("esp32", { MODDABLE: sdk, IDF_PATH: fakeIdf(6, 0), PATH: sysPath(fakeTsc("6.0.3"), fresh("idf-bin")) }, { root });
    // idf.py missing from PATH is reported before anything runs:
    expect(r.err).toContain("idf.py is not on PATH");
    const idfBin = fresh("idf-bin");
    script(path.join(idfBin, "idf.py"), "exit 0");
    const r2 = await run("esp32", { MODDABLE: sdk, IDF_PATH: fakeIdf(6, 0), PATH: sysPath(fakeTsc("6.0.3"), idfBin) }, { root });
    expect(r2.code).toBe(1);
    expect(r2.err).toContain("xs_esp32.elf is stale");
    expect(r2.err).toContain("xs_esp32.bin is stale");
    expect(r2.err).toContain("The esp32 make target ignores idf.py failures");
  });

  it("esp32: an IDF failure line in the log fails the run even with fresh files", async () => {
    const root = fresh("main");
    const dir = path.relative(root, deviceBuildPaths("esp32", root).idfBuildDir!);
    const sdk = fakeModdable(`mkdir -p ${dir} && touch ${dir}/xs_esp32.bin ${dir}/xs_esp32.elf; echo "FAILED: esp-idf/main/CMakeFiles/x.obj"; echo "ninja: build stopped: subcommand failed."`);
    const idfBin = fresh("idf-bin");
    script(path.join(idfBin, "idf.py"), "exit 0");
    const r = await run("esp32", { MODDABLE: sdk, IDF_PATH: fakeIdf(6, 0), PATH: sysPath(fakeTsc("6.0.3"), idfBin) }, { root });
    expect(r.code).toBe(1);
    expect(r.err).toContain("the build log reports: FAILED: esp-idf/main/CMakeFiles/x.obj");
  });

  it("esp32: copies flasher_args.json, the images it names and the ELF to build/wokwi", async () => {
    const root = fresh("main");
    const dir = path.relative(root, deviceBuildPaths("esp32", root).idfBuildDir!);
    const flasher = JSON.stringify({
      write_flash_args: ["--flash_mode", "dio"],
      flash_files: { "0x1000": "bootloader/bootloader.bin", "0x8000": "partition_table/partition-table.bin", "0x10000": "xs_esp32.bin" },
      app: { offset: "0x10000", file: "xs_esp32.bin" },
    });
    const sdk = fakeModdable(
      [
        `mkdir -p ${dir}/bootloader ${dir}/partition_table`,
        `printf boot > ${dir}/bootloader/bootloader.bin`,
        `printf table > ${dir}/partition_table/partition-table.bin`,
        `printf app > ${dir}/xs_esp32.bin`,
        `printf elf > ${dir}/xs_esp32.elf`,
        `cat > ${dir}/flasher_args.json <<'EOF'\n${flasher}\nEOF`,
      ].join("\n"),
    );
    const idfBin = fresh("idf-bin");
    script(path.join(idfBin, "idf.py"), "exit 0");
    const r = await run("esp32", { MODDABLE: sdk, IDF_PATH: fakeIdf(6, 0), PATH: sysPath(fakeTsc("6.0.3"), idfBin) }, { root });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const copied = JSON.parse(readFileSync(path.join(root, WOKWI_FIRMWARE), "utf8")) as { flash_files: Record<string, string> };
    expect(copied.flash_files).toEqual({ "0x1000": "bootloader/bootloader.bin", "0x8000": "partition_table/partition-table.bin", "0x10000": "xs_esp32.bin" });
    const wokwiDir = path.dirname(path.join(root, WOKWI_FIRMWARE));
    expect(readFileSync(path.join(wokwiDir, "bootloader/bootloader.bin"), "utf8")).toBe("boot");
    expect(readFileSync(path.join(wokwiDir, "partition_table/partition-table.bin"), "utf8")).toBe("table");
    expect(readFileSync(path.join(wokwiDir, "xs_esp32.bin"), "utf8")).toBe("app");
    expect(readFileSync(path.join(root, WOKWI_ELF), "utf8")).toBe("elf");
    expect(r.out).toContain("0x01000  bootloader/bootloader.bin (4 bytes)");
    expect(existsSync(path.join(root, "build/moddable"))).toBe(true);
    // The merged image: each file at its offset from address 0, erased flash (0xFF) between.
    const merged = readFileSync(path.join(root, MERGED_IMAGE));
    expect(merged.length).toBe(0x10000 + 3);
    expect(merged.subarray(0x1000, 0x1004).toString()).toBe("boot");
    expect(merged.subarray(0x8000, 0x8005).toString()).toBe("table");
    expect(merged.subarray(0x10000).toString()).toBe("app");
    expect([merged[0], merged[0xfff], merged[0x1004], merged[0xffff]]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(r.out).toContain(`${MERGED_IMAGE} (65539 bytes)`);
  });

  it("merges flash images as esptool merge_bin does, and refuses overlapping ones", () => {
    const img = mergeFlashImage([
      { offset: 4, bytes: Uint8Array.of(9, 9) },
      { offset: 1, bytes: Uint8Array.of(7) },
    ]);
    expect([...img]).toEqual([0xff, 7, 0xff, 0xff, 9, 9]);
    expect(() => mergeFlashImage([{ offset: 0, bytes: new Uint8Array(8) }, { offset: 4, bytes: new Uint8Array(1) }])).toThrow("overlap at 0x4");
  });
});

describe("device build: the machine's OS picks the SDK's tools", () => {
  it("Linux and macOS have tool folders; anything else has none", () => {
    expect(toolHost("linux")).toBe("lin");
    expect(toolHost("darwin")).toBe("mac");
    expect(toolHost("win32")).toBeUndefined();
    expect(sdkToolsDir("lin")).toBe("build/bin/lin/release");
    expect(sdkToolsDir("mac")).toBe("build/bin/mac/release");
    expect(MCCONFIG_IN_SDK).toBe("build/bin/lin/release/mcconfig");
  });

  it("macOS: mcconfig comes from build/bin/mac/release, and a missing one names the mac make step", async () => {
    const empty = await run("esp32", { MODDABLE: fresh("empty-sdk"), PATH: sysPath(fakeTsc("6.0.3")) }, { platform: "darwin" });
    expect(empty.code).toBe(1);
    expect(empty.err).toContain("build/bin/mac/release/mcconfig not found");
    expect(empty.err).toContain("cd $MODDABLE/build/makefiles/mac && make");
    expect(empty.err).toContain("Getting%20Started.md#macos");

    const root = fresh("main");
    const { idfBuildDir } = deviceBuildPaths("esp32", root);
    const dir = path.relative(root, idfBuildDir!);
    const sdk = fresh("mac-sdk");
    script(path.join(sdk, sdkToolsDir("mac"), "mcconfig"), `echo "mac mcconfig $*"; mkdir -p ${dir} && touch ${dir}/xs_esp32.bin ${dir}/xs_esp32.elf`);
    const idfBin = fresh("idf-bin");
    script(path.join(idfBin, "idf.py"), "exit 0");
    const r = await run("esp32", { MODDABLE: sdk, IDF_PATH: fakeIdf(6, 0), PATH: sysPath(fakeTsc("6.0.3"), idfBin) }, { root, platform: "darwin" });
    expect(r.out).toContain("mac mcconfig -m -p esp32 -i -t build");
    expect(r.err).not.toContain("mcconfig not found");
    expect(r.err).toContain("cannot prepare build/wokwi"); // the fake built no flasher_args.json: past the tools, into the copy
  });

  it("macOS refuses the lin simulator build with what to do instead; Windows is sent to WSL2", async () => {
    const env = { MODDABLE: fresh("sdk"), PATH: sysPath(fakeTsc("6.0.3")) };
    const mac = await run("lin", env, { platform: "darwin" });
    expect(mac.code).toBe(1);
    expect(mac.err).toContain("the lin simulator build runs on Linux only");
    expect(mac.err).toContain("npm run build:esp32");
    const win = await run("esp32", env, { platform: "win32" });
    expect(win.code).toBe(1);
    expect(win.err).toContain("on Windows use WSL2");
    expect(win.built).toBe(0);
  });
});
