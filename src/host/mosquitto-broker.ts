import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { executable, findSystemBinary, terminate } from "./system-binary";

export const MOSQUITTO_MISSING = "mosquitto not found: install the Debian package `mosquitto` (and `mosquitto-clients`); .ci/run does this in CI";

/** Path of a mosquitto binary, or null. Throws under CI=true when there is none. */
export function findMosquitto(): string | null {
  return findSystemBinary("mosquitto", MOSQUITTO_MISSING);
}

/** Path of a companion tool (mosquitto_passwd, mosquitto_pub) or null. */
export function findMosquittoTool(name: string): string | null {
  for (const dir of ["/usr/bin", "/usr/sbin", "/usr/local/bin"]) {
    const p = path.join(dir, name);
    if (executable(p)) return p;
  }
  return null;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (!alive()) throw new Error(`mosquitto exited before listening on ${port}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface MosquittoTlsListener {
  certfile: string;
  keyfile: string;
  cafile?: string;
}

export interface MosquittoOptions {
  /** Path of the binary (default: findMosquitto()). */
  binary?: string;
  /** Password file (mosquitto_passwd format): sets allow_anonymous false. */
  passwordFile?: string;
  aclFile?: string;
  /** A second listener with TLS, on its own free port (`tlsPort`). */
  tls?: MosquittoTlsListener;
  /** Further config lines, verbatim. */
  extra?: string[];
  /** Keep the temp dir after cleanup (debugging). */
  keepDir?: boolean;
}

/**
 * A real mosquitto broker for integration tests: started on a free
 * 127.0.0.1 port with a generated config in a temp dir, persistence on,
 * optionally with a password file, an ACL and a TLS listener. It can be
 * stopped (SIGTERM, then SIGKILL), killed (SIGKILL) and restarted on the
 * same port and persistence directory.
 *
 * Availability: `findMosquitto()` returns the binary's path, or null when
 * it is missing (suites then skip with one line naming the Debian package);
 * under CI=true a missing broker throws instead, so CI never skips silently.
 */
export class Mosquitto {
  readonly dir: string;
  readonly configFile: string;
  readonly persistenceDir: string;
  port = 0;
  tlsPort = 0;
  starts = 0;
  kills = 0;
  /** Last lines mosquitto wrote (stderr and stdout), for failure messages. */
  readonly log: string[] = [];
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly binary: string;

  private constructor(private readonly options: MosquittoOptions) {
    const binary = options.binary ?? findMosquitto();
    if (binary === null) throw new Error(MOSQUITTO_MISSING);
    this.binary = binary;
    this.dir = mkdtempSync(path.join(os.tmpdir(), "paycard-mosquitto-"));
    this.configFile = path.join(this.dir, "mosquitto.conf");
    this.persistenceDir = path.join(this.dir, "data") + "/";
    mkdirSync(this.persistenceDir); // mosquitto does not create it, and then silently saves nothing
  }

  /** Starts a broker and waits until it accepts connections. */
  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const m = new Mosquitto(options);
    try {
      m.port = await freePort();
      if (options.tls !== undefined) m.tlsPort = await freePort();
      m.writeConfig();
      await m.launch();
    } catch (e) {
      await m.cleanup();
      throw e;
    }
    return m;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Graceful: SIGTERM (mosquitto saves its persistence file), SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.proc !== null) await terminate(this.proc, this.exited, graceMs);
  }

  /** kill -9: no chance to save anything. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (p === null || !this.running) return;
    this.kills++;
    p.kill("SIGKILL");
    await this.exited;
  }

  /** Starts again on the same port and persistence dir (stops it first if running, SIGKILL after `graceMs`). */
  async restart(graceMs = 3000): Promise<void> {
    await this.stop(graceMs);
    await this.launch();
  }

  /** Stops the broker and removes the temp dir. */
  async cleanup(): Promise<void> {
    if (this.running) {
      this.proc!.kill("SIGKILL");
      await this.exited;
    }
    if (this.options.keepDir !== true) rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(n = 20): string {
    return this.log.slice(-n).join("\n");
  }

  private writeConfig(): void {
    const o = this.options;
    const lines = [
      `# generated by src/host/mosquitto-broker.ts`,
      `listener ${this.port} 127.0.0.1`,
      `persistence true`,
      `persistence_location ${this.persistenceDir}`,
      `log_dest stderr`,
      `log_type error`,
      `log_type warning`,
      `log_type notice`,
    ];
    // Started as root, mosquitto drops to user `mosquitto` and can no longer
    // read files in a private temp dir (FACTS: "Unable to open pwfile").
    if (typeof process.getuid === "function" && process.getuid() === 0) lines.push(`user root`);
    if (o.passwordFile !== undefined) {
      lines.push(`allow_anonymous false`, `password_file ${o.passwordFile}`);
    } else {
      lines.push(`allow_anonymous true`);
    }
    if (o.aclFile !== undefined) lines.push(`acl_file ${o.aclFile}`);
    if (o.tls !== undefined) {
      lines.push(`listener ${this.tlsPort} 127.0.0.1`, `certfile ${o.tls.certfile}`, `keyfile ${o.tls.keyfile}`);
      if (o.tls.cafile !== undefined) lines.push(`cafile ${o.tls.cafile}`);
    }
    for (const l of o.extra ?? []) lines.push(l);
    writeFileSync(this.configFile, lines.join("\n") + "\n");
  }

  private async launch(): Promise<void> {
    const p = spawn(this.binary, ["-c", this.configFile], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = p;
    this.starts++;
    this.exited = new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) resolve();
      else p.once("exit", () => resolve());
    });
    const keep = (b: Buffer) => {
      for (const line of b.toString().split("\n")) if (line !== "") this.log.push(line);
      if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
    };
    p.stdout!.on("data", keep);
    p.stderr!.on("data", keep);
    p.on("error", (e) => this.log.push(`spawn error: ${e.message}`));
    try {
      await waitForPort(this.port, 10_000, () => this.running);
      if (this.tlsPort !== 0) await waitForPort(this.tlsPort, 10_000, () => this.running);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${this.logTail()}`);
    }
  }
}
