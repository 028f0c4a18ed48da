/**
 * The web installer (web/installer), checked offline: its ESP Web Tools manifest against the
 * format of npm esp-web-tools (the installer it loads), the image it installs against what
 * build:esp32 writes, its version against package.json, and the page against the manifest and the
 * copy of ESP Web Tools the firmware workflow puts beside it. Then the page as the workflow
 * assembles it, served on loopback, in a real headless Chromium (Debian's): it loads without an
 * error, an exception or a failed request, and shows the install button. Web Serial itself cannot
 * be driven here (no board, no user gesture to grant a port).
 */
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Manifest } from "esp-web-tools/dist/const";
import { FIRMWARE_NAME, FIRMWARE_VERSION } from "../../src/device/firmware-info";
import { MERGED_IMAGE } from "../../src/host/device-build";
import { findChromium, inspectPage } from "../support/node/headless-chromium";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (rel: string) => readFileSync(path.join(root, rel), "utf8");

const MANIFEST_KEYS = ["name", "version", "home_assistant_domain", "funding_url", "new_install_prompt_erase", "new_install_improv_wait_time", "builds"];

/** What is wrong with an ESP Web Tools manifest for paycard's one ESP32 image (empty: nothing). */
function manifestProblems(m: Manifest, version: string): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(m)) if (!MANIFEST_KEYS.includes(k)) problems.push(`unknown manifest key ${k}`);
  // ESP Web Tools takes a device whose Improv Device Info says this name as running this firmware (update, not install).
  if (m.name !== FIRMWARE_NAME) problems.push(`name ${JSON.stringify(m.name)} is not the firmware's Improv name ${JSON.stringify(FIRMWARE_NAME)} (src/device/firmware-info.ts)`);
  if (m.version !== version) problems.push(`version ${m.version} is not package.json's ${version}`);
  if (FIRMWARE_VERSION !== version) problems.push(`the firmware's Improv version ${FIRMWARE_VERSION} (src/device/firmware-info.ts) is not package.json's ${version}`);
  if (!Array.isArray(m.builds) || m.builds.length !== 1) return [...problems, "builds must hold the one ESP32 build"];
  const b = m.builds[0]!;
  if (b.chipFamily !== "ESP32") problems.push(`chipFamily ${b.chipFamily}: the image is for the original ESP32`);
  const parts = b.parts;
  if (!Array.isArray(parts) || parts.length !== 1 || parts[0]!.offset !== 0 || parts[0]!.path !== path.basename(MERGED_IMAGE)) {
    problems.push(`parts must be the merged image ${path.basename(MERGED_IMAGE)} at offset 0 (the whole flash from address 0)`);
  }
  // After flashing, a fresh board formats its littlefs partition before the console is read.
  const wait = m.new_install_improv_wait_time;
  if (typeof wait !== "number" || wait < 10) problems.push(`new_install_improv_wait_time ${wait}: give a fresh board at least 10 s to boot and answer Improv`);
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

  it("catches a manifest for another chip, offset, version, name or Improv wait", () => {
    const bad = JSON.parse(JSON.stringify(manifest)) as Manifest & { improv?: boolean };
    bad.version = "9.9.9";
    bad.builds[0]!.chipFamily = "ESP32-S3";
    bad.builds[0]!.parts[0]!.offset = 0x10000;
    bad.improv = true;
    bad.name = "paycard payment terminal";
    bad.new_install_improv_wait_time = 0;
    const problems = manifestProblems(bad, version).join("\n");
    expect(problems).toContain('name "paycard payment terminal" is not the firmware\'s Improv name "paycard"');
    expect(problems).toContain("new_install_improv_wait_time 0: give a fresh board at least 10 s");
    expect(problems).toContain("version 9.9.9 is not package.json's");
    expect(problems).toContain("chipFamily ESP32-S3");
    expect(problems).toContain("at offset 0");
    expect(problems).toContain("unknown manifest key improv");
  });
});

const chromium = findChromium();
if (chromium === null && process.env.CI === "true") throw new Error("CI=true but no Chromium (Debian package chromium): the web installer's browser check cannot run");
if (chromium === null) console.log("skipped the web installer's browser check: needs Chromium (Debian package chromium)");

/** The site as the workflow's pages job assembles it, served on 127.0.0.1 (a secure context, as https is). */
function serveSite(): Promise<{ url: string; server: Server }> {
  const files: Record<string, string> = {
    "/": "web/installer/index.html",
    "/index.html": "web/installer/index.html",
    "/manifest.json": "web/installer/manifest.json",
  };
  const types: Record<string, string> = { ".html": "text/html", ".json": "application/json", ".js": "text/javascript" };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x").pathname;
    const rel = files[url] ?? (url.startsWith("/esp-web-tools/") ? `node_modules/esp-web-tools/dist/web/${url.slice("/esp-web-tools/".length)}` : null);
    if (rel === null || rel.includes("..") || !existsSync(path.join(root, rel))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(rel)] ?? "application/octet-stream" }).end(readFileSync(path.join(root, rel)));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server })));
}

describe.skipIf(chromium === null)("the web installer in headless Chromium", () => {
  it("loads without an error and shows the install button", async () => {
    const { url, server } = await serveSite();
    try {
      const report = await inspectPage<{ defined: boolean; supported: boolean; unsupported: boolean; button: string | null; secure: boolean }>(
        chromium!,
        url,
        `(async () => {
          await Promise.race([customElements.whenDefined("esp-web-install-button"), new Promise((r) => setTimeout(r, 5000))]);
          const el = document.querySelector("esp-web-install-button");
          return {
            defined: customElements.get("esp-web-install-button") !== undefined,
            supported: el.hasAttribute("install-supported"),
            unsupported: el.hasAttribute("install-unsupported"),
            button: el.shadowRoot?.querySelector("button")?.textContent ?? null,
            secure: window.isSecureContext,
          };
        })()`,
      );
      expect(report.problems).toEqual([]);
      expect(report.value).toEqual({ defined: true, supported: true, unsupported: false, button: "Connect", secure: true });
    } finally {
      server.close();
    }
  }, 60_000);
});
