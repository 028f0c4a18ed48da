/**
 * Finding a system program an integration suite needs (mosquitto, chronyd):
 * the usual Debian locations, then the shell's PATH. Missing, the suite
 * skips with one line naming the Debian package; under CI=true a missing
 * program is an error instead, so CI never skips silently. Also: stopping
 * such a program gracefully.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

const DIRS = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];

export function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Path of `name`, or null; throws `missingMessage` under CI=true when there is none. */
export function findSystemBinary(name: string, missingMessage: string): string | null {
  let found: string | null = null;
  for (const d of DIRS) {
    const p = path.join(d, name);
    if (found === null && executable(p)) found = p;
  }
  if (found === null) {
    const which = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    const p = which.stdout.trim();
    if (which.status === 0 && p !== "") found = p;
  }
  if (found === null && process.env.CI === "true") throw new Error(missingMessage);
  return found;
}

/** SIGTERM, then SIGKILL if `exited` has not settled within `graceMs`; resolves once the process is gone. */
export async function terminate(proc: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
  if (!done) {
    proc.kill("SIGKILL");
    await exited;
  }
}
