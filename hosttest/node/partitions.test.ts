// The firmware's flash layout (partitions.csv, named by manifest.json's esp32
// build): four partitions of a 4 MB flash, in order, without overlap, and a
// littlefs `storage` large enough for the store-and-forward backlog that
// src/core/settings/device-config.ts promises.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_BACKLOG_KB, DEVICE_STORAGE_PARTITION_BYTES, deviceStorageOptions } from "../../src/core/settings/device-config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const FLASH = 4 * 1024 * 1024;

interface Partition { name: string; type: string; subtype: string; offset: number; size: number }

function parse(csv: string): Partition[] {
  return csv
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [name, type, subtype, offset, size] = l.split(",").map((c) => c.trim());
      return { name: name!, type: type!, subtype: subtype!, offset: Number(offset), size: Number(size) };
    });
}

describe("partitions.csv", () => {
  const parts = parse(readFileSync(path.join(root, "partitions.csv"), "utf8"));

  it("is the esp32 build's partition table", () => {
    const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8")) as { platforms: { esp32: { build: Record<string, string> } } };
    expect(manifest.platforms.esp32.build.PARTITIONS_FILE).toBe("./partitions.csv");
  });

  it("lays out nvs, phy_init, the factory app at 0x10000 and storage, in order, within 4 MB", () => {
    expect(parts.map((p) => p.name)).toEqual(["nvs", "phy_init", "factory", "storage"]);
    for (const p of parts) {
      expect(Number.isInteger(p.offset) && Number.isInteger(p.size) && p.size > 0, p.name).toBe(true);
      expect(p.offset % 0x1000, `${p.name} on a 4 KB sector`).toBe(0);
    }
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.offset, parts[i]!.name).toBeGreaterThanOrEqual(parts[i - 1]!.offset + parts[i - 1]!.size);
    const app = parts[2]!;
    expect([app.type, app.subtype, app.offset]).toEqual(["app", "factory", 0x10000]);
    expect(app.size % 0x10000).toBe(0);
    const last = parts.at(-1)!;
    expect(last.offset + last.size).toBeLessThanOrEqual(FLASH);
  });

  it("gives littlefs the storage the backlog is sized for, with room for littlefs's own blocks", () => {
    const storage = parts.find((p) => p.name === "storage")!;
    expect(storage.type).toBe("data");
    expect(storage.size).toBe(DEVICE_STORAGE_PARTITION_BYTES);
    const budget = deviceStorageOptions(DEFAULT_BACKLOG_KB).maxBytes;
    expect(budget).toBeLessThanOrEqual(storage.size - 64 * 4096); // 64 blocks of 4 KB left to littlefs
    // ~490 B a transaction: at least 2 000 of them, an hour at one swipe every 2 s.
    expect(Math.floor(budget / 490)).toBeGreaterThanOrEqual(2_000);
  });
});
