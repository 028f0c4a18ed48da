import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Throwaway folders of small files for suites that run a tool over a tree of their own:
 * `make({"src/a.ts": "..."})` writes one and returns its path; `removeAll()` (from afterEach)
 * deletes every folder made so far.
 */
export class TempTrees {
  private readonly dirs: string[] = [];

  constructor(private readonly prefix: string) {}

  make(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), this.prefix));
    this.dirs.push(dir);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    return dir;
  }

  removeAll(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
