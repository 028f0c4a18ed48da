/**
 * One line typed on the terminal's serial console → a command, or the reason it is not one.
 * Never throws: any string (the console is fuzzed) yields one of the two. Lines starting with
 * `{` are JSON swipes and never reach this parser.
 */
import { nearestName } from "../lib/nearest-name";
import { codeUnitAt } from "../lib/string-scan";
import { looksLikeCardNumber } from "../model/card-number-check";
import { MAX_SETTING_VALUE, SETTING_KEYS, settingKey } from "./setting-keys";

export type ConsoleCommand =
  | { readonly kind: "help" }
  | { readonly kind: "show" }
  | { readonly kind: "reset" }
  | { readonly kind: "lock" }
  | { readonly kind: "set"; readonly key: string; readonly value: string }
  | { readonly kind: "unlock"; readonly passphrase: string }
  | { readonly kind: "passphrase"; readonly passphrase: string }
  | { readonly kind: "offline" }
  | { readonly kind: "online" }
  | { readonly kind: "status" }
  | { readonly kind: "ring"; readonly max: number };

export type ParsedLine = { readonly ok: true; readonly command: ConsoleCommand } | { readonly ok: false; readonly reason: string };

/** The longest console line: the serial console (esp32-console.ts) and the lin console file (console-file.ts) cut lines here. */
export const MAX_CONSOLE_LINE = 512;

const SETTING_NAMES: readonly string[] = SETTING_KEYS.map((k) => k.name);

const COMMAND_NAMES = Object.freeze(["help", "show", "set", "reset", "passphrase", "unlock", "lock", "status", "ring", "offline", "online"]);

const fail = (reason: string): ParsedLine => ({ ok: false, reason });
const done = (command: ConsoleCommand): ParsedLine => ({ ok: true, command });

/**
 * A word typed by mistake, quoted for an error message only when it is plain letters (a command
 * or key name misspelt): anything else might be a secret or a card number, so it is not shown.
 */
function quoted(s: string): string {
  return /^[A-Za-z_.-]{1,32}$/.test(s) ? JSON.stringify(s) : "(not shown)";
}

/** Does the line hold a card number (13-19 digits, spaces or dashes between, passing Luhn)? */
function holdsCardNumber(line: string): boolean {
  const runs = line.match(/\d[\d -]{11,}\d/g);
  if (runs === null) return false;
  for (const run of runs) if (looksLikeCardNumber(run.replace(/[ -]/g, ""))) return true;
  return false;
}

export function parseConsoleLine(raw: string): ParsedLine {
  if (typeof raw !== "string") return fail("not a line of text");
  if (raw.length > MAX_CONSOLE_LINE) return fail(`line too long (${raw.length} characters, at most ${MAX_CONSOLE_LINE})`);
  for (let i = 0; i < raw.length; i++) {
    const c = codeUnitAt(raw, i);
    // Tabs are spaces; other control characters (and DEL) are refused, so nothing unprintable is stored or echoed.
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return fail(`control character 0x${c.toString(16).padStart(2, "0")} at column ${i + 1}`);
    // A lone surrogate cannot be stored as UTF-8.
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < raw.length ? codeUnitAt(raw, i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else return fail(`broken character (lone surrogate) at column ${i + 1}`);
    }
  }
  if (holdsCardNumber(raw)) return fail("the line holds what looks like a card number: not stored, not shown (never type one here)");
  const line = raw.replace(/\t/g, " ").trim();
  if (line === "") return fail("empty line (type help)");
  const space = line.indexOf(" ");
  const word = (space < 0 ? line : line.slice(0, space)).toLowerCase();
  const rest = space < 0 ? "" : line.slice(space + 1).trim();

  switch (word) {
    case "help":
    case "show":
    case "reset":
    case "lock":
    case "offline":
    case "online":
    case "status":
      if (rest !== "") return fail(`${word} takes no arguments`);
      return done({ kind: word });
    case "ring": {
      if (rest === "") return done({ kind: "ring", max: 16 });
      if (!/^\d{1,3}$/.test(rest) || Number(rest) < 1 || Number(rest) > 128) return fail("ring takes how many swipes to show, 1-128 (default 16)");
      return done({ kind: "ring", max: Number(rest) });
    }
    case "set":
      return parseSet(rest);
    case "unlock":
    case "passphrase":
      if (rest === "") return fail(`${word} needs the passphrase, e.g. ${word} <passphrase>`);
      return done({ kind: word, passphrase: rest });
    default:
      return fail(`unknown command ${quoted(word)} (commands: ${COMMAND_NAMES.join(", ")})`);
  }
}

function parseSet(arg: string): ParsedLine {
  const eq = arg.indexOf("=");
  if (eq < 0) return fail("set needs key=value, e.g. set brokerPort=1883");
  const key = arg.slice(0, eq).trim();
  if (key === "") return fail("set needs a key before '=', e.g. set brokerPort=1883");
  if (settingKey(key) === undefined) {
    const near = nearestName(key, SETTING_NAMES);
    return fail(
      near !== undefined
        ? `unknown key ${quoted(key)} (did you mean ${near}?)`
        : `unknown key ${quoted(key)} (keys: ${SETTING_KEYS.map((k) => k.name).join(", ")})`,
    );
  }
  const value = arg.slice(eq + 1).trim();
  if (value.length > MAX_SETTING_VALUE) return fail(`${key}: value too long (${value.length} characters, at most ${MAX_SETTING_VALUE})`);
  return done({ kind: "set", key, value });
}
