/**
 * Moddable's per-folder manifests: the root manifest.json includes one fragment per firmware
 * folder (src/<folder>/manifest.json) with its module mapping and preload list. The committed
 * tree keeps them in step; broken in-memory copies show each check failing with the file and
 * module named.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkManifestFragments, readFirmwareTree, type FirmwareTree } from "../support/node/manifest-fragments";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8")) as Record<string, any>;
const tree = readFirmwareTree(root);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
function cloneTree(t: FirmwareTree): { modules: Map<string, string[]>; fragments: Map<string, any>; nativeSources: Map<string, string[]> } {
  return {
    modules: new Map([...t.modules].map(([k, v]) => [k, [...v]])),
    fragments: new Map([...t.fragments].map(([k, v]) => [k, clone(v)])),
    nativeSources: new Map([...t.nativeSources].map(([k, v]) => [k, [...v]])),
  };
}

describe("manifest fragments as committed", () => {
  it("every firmware folder has a fragment the root includes; every source file is preloaded or kept out with a reason", () => {
    expect([...tree.modules.keys()]).toEqual(expect.arrayContaining(["core/lib", "core/mqtt/codec", "core/clock/sntp", "device"]));
    expect(tree.fragments.size).toBe(tree.modules.size);
    expect(checkManifestFragments(manifest, tree)).toEqual([]);
  });

  it("preloads all of src/core, and the device modules but its entry point, the ESP32-only platform, the two that import preference and those that bind C", () => {
    const preloaded = [...tree.fragments.values()].flatMap((f) => (f as { preload: string[] }).preload);
    const core = [...tree.modules].filter(([folder]) => folder.startsWith("core/")).flatMap(([, m]) => m);
    expect(preloaded).toEqual(expect.arrayContaining(core));
    const device = tree.fragments.get("device") as { notPreloaded: Record<string, string> };
    expect(Object.keys(device.notPreloaded).sort()).toEqual([
      "device/boot-counter",
      "device/esp32-board",
      "device/esp32-console",
      "device/esp32-platform",
      "device/esp32-wifi",
      "device/main",
      "device/native-crc32",
      "device/preference-settings-store",
      "device/serial-provisioning",
      "device/uart-write",
    ]);
    expect(tree.nativeSources.get("device")).toEqual(["paycard-crc32", "paycard-uart"]);
  });
});

describe("manifest fragments: broken copies are caught", () => {
  it("a new source file in no preload set, a listed module with no file", () => {
    const t = cloneTree(tree);
    t.modules.get("core/lib")!.push("core/lib/new-helper");
    t.modules.set("core/stream", t.modules.get("core/stream")!.filter((m) => m !== "core/stream/watermark"));
    const problems = checkManifestFragments(manifest, t);
    expect(problems).toContain(
      'src/core/lib/new-helper.ts is in no preload set: add "core/lib/new-helper" to src/core/lib/manifest.json "preload" (or to "notPreloaded" with the reason)',
    );
    expect(problems).toContain('src/core/stream/manifest.json preload "core/stream/watermark" matches no file (src/core/stream/watermark.ts)');
    expect(problems).toHaveLength(2);
  });

  it("a native source mapped with no C file behind it, and a mapping outside ./native/", () => {
    const t = cloneTree(tree);
    t.nativeSources.set("device", []);
    const device = t.fragments.get("device") as { modules: Record<string, unknown> };
    device.modules["*"] = ["./native/paycard-crc32"];
    let problems = checkManifestFragments(manifest, t);
    expect(problems).toEqual(['src/device/manifest.json maps native "./native/paycard-crc32", but src/device/native/paycard-crc32.c does not exist']);
    device.modules["*"] = ["../core/lib/crc32"];
    problems = checkManifestFragments(manifest, t);
    expect(problems).toEqual([
      'src/device/manifest.json maps "*": ["../core/lib/crc32"]; a fragment maps only its own folder ("device/*") and its native C files ("*": ["./native/<name>"])',
    ]);
  });

  it("a new folder without a fragment, a fragment the root does not include, an include of no folder", () => {
    const t = cloneTree(tree);
    t.modules.set("core/extra", ["core/extra/thing"]);
    const m = clone(manifest);
    m.include = m.include.filter((i: string) => i !== "./src/core/detect/manifest.json");
    m.include.push("./src/core/gone/manifest.json");
    const problems = checkManifestFragments(m, t);
    expect(problems).toContain("src/core/extra/manifest.json is missing: src/core/extra holds firmware modules (core/extra/thing)");
    expect(problems).toContain('manifest.json does not include "./src/core/extra/manifest.json" (src/core/extra holds firmware modules)');
    expect(problems).toContain('manifest.json does not include "./src/core/detect/manifest.json" (src/core/detect holds firmware modules)');
    expect(problems).toContain('manifest.json includes "./src/core/gone/manifest.json", but src/core/gone holds no firmware modules');
  });

  it("module lists back in the root, the dist variable missing", () => {
    const m = clone(manifest);
    m.preload = ["core/lib/crc32"];
    m.modules = { "core/lib/*": "./build/dist/core/lib/*" };
    delete m.build;
    const problems = checkManifestFragments(m, tree);
    expect(problems).toContain('manifest.json has "preload" of its own: each folder lists its modules and preload entries in its fragment (src/<folder>/manifest.json)');
    expect(problems).toContain('manifest.json has "modules" of its own: each folder lists its modules and preload entries in its fragment (src/<folder>/manifest.json)');
    expect(problems).toContain('manifest.json build.PAYCARD_DIST must be "./build/dist" (the fragments map $(PAYCARD_DIST)/<folder>/*), found undefined');
  });

  it("a wildcard, another folder's module, a duplicate, a wrong mapping, a reason missing, a platform path to no file", () => {
    const t = cloneTree(tree);
    const lib = t.fragments.get("core/lib");
    lib.preload.push("core/lib/*", "core/model/swipe", "core/lib/crc32");
    lib.modules = { "core/lib/*": "./build/dist/core/lib/*", "core/*": "$(PAYCARD_DIST)/core/*" };
    const device = t.fragments.get("device");
    device.notPreloaded["device/main"] = "";
    device.notPreloaded["device/gone"] = "was here";
    device.platforms.lin.modules["~"] = ["$(PAYCARD_DIST)/device/esp8266-*"];
    const problems = checkManifestFragments(manifest, t);
    expect(problems).toEqual(
      expect.arrayContaining([
        'src/core/lib/manifest.json preload "core/lib/*": name each module (a "*" preloads by prefix, subfolders included)',
        'src/core/lib/manifest.json preloads "core/model/swipe", which is not a module of src/core/lib; its own folder\'s fragment lists it',
        'src/core/lib/manifest.json preloads "core/lib/crc32" twice',
        'src/core/lib/manifest.json must map "core/lib/*": "$(PAYCARD_DIST)/core/lib/*" (mcconfig does not descend into subfolders)',
        'src/core/lib/manifest.json maps "core/*": "$(PAYCARD_DIST)/core/*"; a fragment maps only its own folder ("core/lib/*") and its native C files ("*": ["./native/<name>"])',
        'src/device/manifest.json notPreloaded "device/main" needs the reason as a string',
        'src/device/manifest.json notPreloaded "device/gone" matches no file of src/device',
        'src/device/manifest.json platforms: "$(PAYCARD_DIST)/device/esp8266-*" matches no file of src/device',
      ]),
    );
    expect(problems).toHaveLength(8);
  });
});
