import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BootCounterPort } from "../core/lib/ports";

/**
 * The boot counter on the host: a small JSON file `{"boot": n}`, written to
 * a temporary file and renamed over the old one, so a crash leaves either
 * the old or the new value. A missing file starts at 0; an unreadable one
 * makes nextBoot() return null (request ids then carry a random boot part).
 */
export class FileBootCounter implements BootCounterPort {
  constructor(readonly file: string) {}

  nextBoot(): number | null {
    let n = 0;
    try {
      const raw = JSON.parse(readFileSync(this.file, "utf8")) as { boot?: unknown };
      if (typeof raw.boot !== "number" || !Number.isInteger(raw.boot) || raw.boot < 0) return null;
      n = raw.boot;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") return null;
    }
    const next = n + 1;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = this.file + ".tmp";
      writeFileSync(tmp, JSON.stringify({ boot: next }) + "\n");
      renameSync(tmp, this.file);
    } catch {
      return null;
    }
    return next;
  }
}
