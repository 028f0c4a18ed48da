/**
 * A terminal-child.ts process for the suites that kill and restart terminals
 * (mqtt-mosquitto-faults, store-and-forward): its READY / P / DONE / ERR
 * lines parsed as they arrive, SIGKILL, and its exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "terminal-child.ts");

export interface Progress {
  accepted: number;
  refused: number;
  seq: number;
  restored: number;
  acknowledged: number;
  held: number;
  /** Transactions waiting in the store-and-forward backlog ("segments" store). */
  backlog: number;
  journal: number;
  storageBytes: number;
  maxMessages: number;
  maxBytes: number;
  highWaterMessages: number;
  highWaterBytes: number;
  backpressureCount: number;
  backpressureBytes: number;
  boundViolations: number;
  inconsistent: number;
  publisher: { published: number; acknowledged: number; disconnects: number; republishedFromOutbox: number; unknownAcks: number };
  session: { connects: number; retransmits: number; republished: number; pubacks: number; errors: Record<string, number> };
}

/** terminal-child.ts in its own process, its lines parsed as they come. */
export class TerminalProcess {
  readonly proc: ChildProcess;
  ready: { restored: number; backlog: number; resume: number; discardedBytes: number } | null = null;
  last: Progress | null = null;
  /** Progress lines received so far. */
  reports = 0;
  done: Progress | null = null;
  error = "";
  stderr = "";
  exitCode: number | null = null;
  signal: string | null = null;
  readonly exited: Promise<void>;

  /** `store`: "file" = a FileJournal file at `journal`; "segments" = a SegmentedJournal in the directory `journal`, with the device's sizes. */
  constructor(journal: string, port: number, terminal: string, total: number, seed: number, store: "file" | "segments" = "file") {
    this.proc = spawn(process.execPath, ["--import", "tsx", CHILD, journal, String(port), terminal, String(total), String(seed), store], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) =>
      this.proc.once("exit", (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        resolve();
      }),
    );
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      const sp = line.indexOf(" ");
      const kind = line.slice(0, sp);
      const body = line.slice(sp + 1);
      if (kind === "READY") {
        this.ready = JSON.parse(body);
      } else if (kind === "P") {
        this.last = JSON.parse(body);
        this.reports++;
      } else if (kind === "DONE") {
        this.done = this.last = JSON.parse(body);
      } else if (kind === "ERR") {
        this.error = body;
      }
    });
    this.proc.stderr!.on("data", (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-4000);
    });
  }

  get alive(): boolean {
    return this.exitCode === null && this.signal === null;
  }

  async kill9(): Promise<void> {
    if (this.alive) this.proc.kill("SIGKILL");
    await this.exited;
  }
}
