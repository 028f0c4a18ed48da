import type { TerminalCommands } from "../app/console-reports";
import { DeviceConfigError, deviceConfig, type DeviceConfig } from "./device-config";
import { parseConsoleLine } from "./console-command";
import type { InstallerLock } from "./installer-lock";
import { MAX_SETTING_NAME, SETTING_KEYS, isSecret } from "./setting-keys";
import type { SettingsStorePort } from "./settings-store";
import type { TerminalIdentity } from "./terminal-identity";

export interface SettingsConsoleCounters {
  /** Lines handled. */
  lines: number;
  /** Commands carried out. */
  done: number;
  /** Lines that were no command, and values the rules refused. */
  rejected: number;
  /** set / reset / passphrase refused while locked, wrong or locked-out unlocks. */
  refused: number;
  /** Writes the store could not take. */
  storageFailures: number;
}

const MASK = "****";

/** The settings stored on this terminal (only known keys; a value that is no string is skipped). */
export function storedSettings(store: SettingsStorePort): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SETTING_KEYS) {
    const v = store.read(k.name);
    if (typeof v === "string") out[k.name] = v;
  }
  return out;
}

/** Why a flat configuration is refused by device-config.ts's rules, or null. */
function configProblem(flat: Record<string, unknown>): string | null {
  try {
    deviceConfig(flat);
    return null;
  } catch (e) {
    const message = e instanceof DeviceConfigError || e instanceof Error ? e.message : String(e);
    return message.replace(/(^|[\s(])config\./g, "$1");
  }
}

/**
 * The configuration a terminal starts with: the build's config, then the stored settings, then
 * the resolved terminal id. Stored settings that break the rules (written by an older firmware,
 * say) are all set aside, with the reason, rather than stopping the terminal.
 */
export function startupConfig(
  build: Record<string, unknown>,
  store: SettingsStorePort,
  identity: TerminalIdentity,
): { config: Record<string, unknown>; stored: Record<string, string>; setAside: string | null } {
  const stored = storedSettings(store);
  const config: Record<string, unknown> = { ...build, ...stored, terminalId: identity.id };
  const problem = configProblem(config);
  if (problem === null || Object.keys(stored).length === 0) return { config, stored, setAside: null };
  return { config: { ...build, terminalId: identity.id }, stored: {}, setAside: problem };
}

/** The value in use for a key the build's config leaves out (the rules' default). */
function ruleDefault(key: string, c: DeviceConfig): unknown {
  const p = c.terminal.pipeline;
  switch (key) {
    case "watermarkMs":
      return p.watermarkDelayMs;
    case "burstMax":
      return p.burst.maxCount;
    case "burstSmall":
      return p.burst.smallBurstCount;
    case "burstSmallCents":
      return p.burst.smallAverageCents;
    case "anomalyThresh":
      return p.anomaly.threshold;
    default:
      return undefined;
  }
}

function mask(text: string, secret: string): string {
  if (secret === "") return text;
  return text.split(JSON.stringify(secret)).join(JSON.stringify(MASK)).split(secret).join(MASK);
}

/**
 * The settings console: the commands an installer types on the serial console (or, on the `lin`
 * simulator, in its console file), answered with lines of text.
 *
 *   help                      commands and keys
 *   show                      every setting (secrets masked), which are set here, the lock
 *   set key=value             validate with device-config.ts's rules, store in NVS (next start)
 *   reset                     remove every stored setting: the build's values at the next start
 *   passphrase <p>            set the installer passphrase (first time), or change it (unlocked)
 *   unlock <p> / lock         open and close `set` and `reset` once a passphrase is set
 *
 * Values are checked against the whole configuration they would make (the build's config, the
 * stored settings and this value), so cross-key rules hold too. Secrets are never echoed.
 */
export class SettingsConsole {
  readonly counters: SettingsConsoleCounters = { lines: 0, done: 0, rejected: 0, refused: 0, storageFailures: 0 };
  /** Keys saved (or removed) since this start: they apply at the next one. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly build: Record<string, unknown>,
    private readonly store: SettingsStorePort,
    private readonly lock: InstallerLock,
    private readonly identity: TerminalIdentity,
    /** The running terminal's commands (status, ring, offline, online); null where there is none. */
    private readonly terminal: TerminalCommands | null = null,
  ) {}

  /** The answer to one console line. */
  handle(line: string): string[] {
    this.counters.lines++;
    const parsed = parseConsoleLine(line);
    if (!parsed.ok) {
      this.counters.rejected++;
      return [`error: ${parsed.reason}`];
    }
    const c = parsed.command;
    switch (c.kind) {
      case "help":
        return this.ok(this.help());
      case "show":
        return this.ok(this.show());
      case "set":
        return this.set(c.key, c.value);
      case "reset":
        return this.reset();
      case "lock":
        this.lock.lock();
        return this.ok(["locked"]);
      case "unlock":
        return this.unlock(c.passphrase);
      case "passphrase":
        return this.passphrase(c.passphrase);
      case "status":
        return this.terminal === null ? this.unavailable("status") : this.ok(this.terminal.status());
      case "ring":
        return this.terminal === null ? this.unavailable("ring") : this.ok(this.terminal.ring(c.max));
      case "offline":
      case "online":
        // Taking a deployed terminal off the network is an installer's act, like changing its settings.
        if (!this.lock.mayChange) return this.refuse(this.lockedLine(c.kind));
        if (this.terminal === null) return this.unavailable(c.kind);
        return this.ok([c.kind === "offline" ? this.terminal.offline() : this.terminal.online()]);
    }
  }

  private unavailable(what: string): string[] {
    this.counters.rejected++;
    return [`error: ${what} needs a running terminal`];
  }

  private ok(lines: string[]): string[] {
    this.counters.done++;
    return lines;
  }

  private refuse(line: string): string[] {
    this.counters.refused++;
    return [line];
  }

  private lockedLine(what: string): string {
    return `refused: ${what} is locked (unlock <passphrase> first)`;
  }

  private set(key: string, value: string): string[] {
    if (!this.lock.mayChange) return this.refuse(this.lockedLine("set"));
    const problem = this.problemWith({ [key]: value });
    const secret = isSecret(key);
    if (problem !== null) {
      this.counters.rejected++;
      return [`error: ${secret ? mask(problem, value) : problem}`];
    }
    if (!this.store.write(key, value)) {
      this.counters.storageFailures++;
      return [`error: ${key} not saved: the settings store refused the write`];
    }
    this.pending.add(key);
    return this.ok([`ok ${key}=${secret ? MASK : value} (saved; applies at the next start)`]);
  }

  /**
   * Wi-Fi credentials from Improv provisioning (improv-provisioner.ts), stored as `set wifiSsid=...`
   * and `set wifiPassword=...` would store them: locked like `set`, checked by the same rules,
   * counted with the console's commands. Null when both are saved, else why not (never the password).
   */
  storeWifi(ssid: string, password: string): string | null {
    if (!this.lock.mayChange) {
      this.counters.refused++;
      return "Wi-Fi settings are locked like set (unlock <passphrase> on the console first)";
    }
    const problem = this.problemWith({ wifiSsid: ssid, wifiPassword: password });
    if (problem !== null) {
      this.counters.rejected++;
      return mask(problem, password);
    }
    if (!this.store.write("wifiSsid", ssid) || !this.store.write("wifiPassword", password)) {
      this.counters.storageFailures++;
      return "Wi-Fi settings not saved: the settings store refused the write";
    }
    this.pending.add("wifiSsid");
    this.pending.add("wifiPassword");
    this.counters.done++;
    return null;
  }

  /** What device-config's rules say of the configuration these changes would make (null: fine). */
  private problemWith(changes: Record<string, string>): string | null {
    const candidate: Record<string, unknown> = { ...this.build, ...storedSettings(this.store), ...changes };
    // An empty terminalId means "derive it from the chip": check the rest with the id in use.
    if (typeof candidate.terminalId !== "string" || candidate.terminalId.trim() === "") candidate.terminalId = this.identity.id;
    return configProblem(candidate);
  }

  private reset(): string[] {
    if (!this.lock.mayChange) return this.refuse(this.lockedLine("reset"));
    let removed = 0;
    for (const k of SETTING_KEYS) {
      if (this.store.read(k.name) !== undefined) {
        this.store.remove(k.name);
        this.pending.add(k.name);
        removed++;
      }
    }
    return this.ok([`ok: ${removed} stored setting(s) removed; the build's values apply at the next start`]);
  }

  private unlock(passphrase: string): string[] {
    switch (this.lock.unlock(passphrase)) {
      case "unlocked":
        return this.ok(["unlocked: set and reset are open until lock or the next start"]);
      case "no-passphrase":
        this.counters.rejected++;
        return ["error: no passphrase is set yet (passphrase <p> sets one)"];
      case "locked-out":
        return this.refuse(`refused: too many wrong passphrases; try again in ${Math.ceil(this.lock.lockoutLeftMs() / 1000)} s`);
      case "wrong":
        return this.refuse("refused: wrong passphrase");
    }
  }

  private passphrase(p: string): string[] {
    const r = this.lock.setPassphrase(p);
    if (r === "locked") return this.refuse(this.lockedLine("passphrase"));
    if (r === "storage-failed") {
      this.counters.storageFailures++;
      return ["error: passphrase not saved: the settings store refused the write"];
    }
    if (typeof r === "object") {
      this.counters.rejected++;
      return [`error: ${r.problem}`];
    }
    return this.ok([
      r === "set" ? "ok: passphrase set; set and reset now need unlock <passphrase>" : "ok: passphrase changed; locked",
    ]);
  }

  private help(): string[] {
    const lines = [
      "commands: help | show | set key=value | reset | passphrase <p> | unlock <p> | lock",
      "          status | ring [n] | offline | online   (the running terminal; offline/online are locked like set)",
      "  (a line starting with { is a JSON swipe)",
      "keys:",
    ];
    for (const k of SETTING_KEYS) lines.push(`  ${k.name.padEnd(MAX_SETTING_NAME)} ${k.kind.padEnd(6)} ${k.help}`);
    return lines;
  }

  private show(): string[] {
    const stored = storedSettings(this.store);
    let defaults: DeviceConfig | null = null;
    try {
      defaults = deviceConfig({ ...this.build, terminalId: this.identity.id });
    } catch {
      // The build's own config is refused: show what it holds.
    }
    const lines = ["settings (* stored on this terminal, the rest from the build; changes apply at the next start):"];
    for (const k of SETTING_KEYS) {
      const here = k.name in stored;
      const fromBuild = this.build[k.name];
      const raw = here ? stored[k.name] : fromBuild === undefined && defaults !== null ? ruleDefault(k.name, defaults) : fromBuild;
      let text = raw === undefined || raw === null || raw === "" ? "(empty)" : String(raw);
      if (k.kind === "secret" && text !== "(empty)") text = MASK;
      if (k.name === "terminalId" && !here && (raw === undefined || raw === "")) text = `${this.identity.id} (${this.identity.source === "mac" ? "from the chip" : this.identity.source === "generated" ? "generated" : "kept"})`;
      lines.push(`${here ? "*" : " "} ${k.name.padEnd(MAX_SETTING_NAME)} = ${text}`);
    }
    if (this.pending.size > 0) lines.push(`pending until the next start: ${[...this.pending].join(", ")}`);
    const lockText = this.lock.damaged
      ? "stored passphrase hash is damaged: set a new one with passphrase <p>"
      : !this.lock.hasPassphrase
        ? "no passphrase yet (anyone may set; passphrase <p> locks)"
        : this.lock.unlocked
          ? "passphrase set, unlocked"
          : "passphrase set, locked";
    const c = this.counters;
    lines.push(`installer lock: ${lockText}; refused ${c.refused}, rejected ${c.rejected}, storage failures ${c.storageFailures}`);
    return lines;
  }
}
