/**
 * The web installer (web/installer), checked offline: its ESP Web Tools manifest against the
 * format of npm esp-web-tools (the installer it loads), the image it installs against what
 * build:esp32 writes, its version against package.json, and the page against the manifest and the
 * copy of ESP Web Tools the firmware workflow puts beside it. Web Serial itself cannot be driven
 * here (no board, no user gesture).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Manifest } from "esp-web-tools/dist/const";
import { MERGED_IMAGE } from "../../src/host/device-build";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (rel: string) => readFileSync(path.join(root, rel), "utf8");

const MANIFEST_KEYS = ["name", "version", "home_assistant_domain", "funding_url", "new_install_prompt_erase", "new_install_improv_wait_time", "builds"];

/** What is wrong with an ESP Web Tools manifest for paycard's one ESP32 image (empty: nothing). */
function manifestProblems(m: Manifest, version: string): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(m)) if (!MANIFEST_KEYS.includes(k)) problems.push(`unknown manifest key ${k}`);
  if (typeof m.name !== "string" || m.name === "") problems.push("name must be a non-empty string");
  if (m.version !== version) problems.push(`version ${m.version} is not package.json's ${version}`);
  if (!Array.isArray(m.builds) || m.builds.length !== 1) return [...problems, "builds must hold the one ESP32 build"];
  const b = m.builds[0]!;
  if (b.chipFamily !== "ESP32") problems.push(`chipFamily ${b.chipFamily}: the image is for the original ESP32`);
  const parts = b.parts;
  if (!Array.isArray(parts) || parts.length !== 1 || parts[0]!.offset !== 0 || parts[0]!.path !== path.basename(MERGED_IMAGE)) {
    problems.push(`parts must be the merged image ${path.basename(MERGED_IMAGE)} at offset 0 (the whole flash from address 0)`);
  }
  if (m.new_install_improv_wait_time !== 0) problems.push("new_install_improv_wait_time must be 0 until the firmware answers Improv");
  return problems;
}

const manifest = JSON.parse(read("web/installer/manifest.json")) as Manifest;
const version = (JSON.parse(read("package.json")) as { version: string }).version;
const page = read("web/installer/index.html");

describe("the web installer, checked offline", () => {
  it("its manifest is an ESP Web Tools manifest for the merged image, at the package's version", () => {
    expect(manifestProblems(manifest, version)).toEqual([]);
  });

  it("the page loads ESP Web Tools from beside it and points its install button at the manifest", () => {
    expect(page).toContain('<script type="module" src="./esp-web-tools/install-button.js"></script>');
    expect(page).toMatch(/<esp-web-install-button manifest="manifest.json">/);
    expect(page).toContain('slot="unsupported"');
    expect(page).toContain('slot="not-allowed"');
    // What the workflow copies to ./esp-web-tools: the installer's web bundle, its chunks beside it.
    expect(existsSync(path.join(root, "node_modules/esp-web-tools/dist/web/install-button.js"))).toBe(true);
  });

  it("catches a manifest for another chip, offset or version", () => {
    const bad = JSON.parse(JSON.stringify(manifest)) as Manifest & { improv?: boolean };
    bad.version = "9.9.9";
    bad.builds[0]!.chipFamily = "ESP32-S3";
    bad.builds[0]!.parts[0]!.offset = 0x10000;
    bad.improv = true;
    const problems = manifestProblems(bad, version).join("\n");
    expect(problems).toContain("version 9.9.9 is not package.json's");
    expect(problems).toContain("chipFamily ESP32-S3");
    expect(problems).toContain("at offset 0");
    expect(problems).toContain("unknown manifest key improv");
  });
});
