import { parseArgs as parseNodeArgs } from "node:util";

/** A mistake in how a command was called: printed with a pointer to the command's --help, exit 2. */
export class UsageError extends Error {}

export interface ParsedArgs {
  options: Map<string, string | true>;
  positional: string[];
}

/**
 * `--name value`, `--name=value` and `--flag` for one command, by Node's own `util.parseArgs`
 * (strict: an unknown option or a missing value is an error), with messages that say what the
 * command does take. `--help` is handled before a command parses its arguments (cli.ts).
 */
export function parseArgs(argv: string[], known: Record<string, "value" | "flag">): ParsedArgs {
  const spec: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, kind] of Object.entries(known)) spec[name] = { type: kind === "value" ? "string" : "boolean" };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseNodeArgs({ args: argv, options: spec, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(usageProblem(e as Error & { code?: string }, known));
  }
  const options = new Map<string, string | true>();
  for (const [name, v] of Object.entries(parsed.values)) if (v !== undefined && v !== false) options.set(name, v);
  return { options, positional: parsed.positionals };
}

/** util.parseArgs's error, said in the CLI's words. */
function usageProblem(e: Error & { code?: string }, known: Record<string, "value" | "flag">): string {
  const option = /'(-[^' <]*)/.exec(e.message)?.[1] ?? "";
  const valid = Object.entries(known)
    .map(([name, kind]) => (kind === "value" ? `--${name} <value>` : `--${name}`))
    .join(", ");
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${option} (${valid === "" ? "this command takes no options" : `options: ${valid}`})`;
  if (e.message.includes("does not take an argument")) return `${option} takes no value`;
  if (e.message.includes("argument is ambiguous")) return `${option} needs a value; one starting with "-" is written ${option}=-...`;
  if (e.message.includes("argument missing")) return `${option} needs a value`;
  return e.message;
}

export function intOption(args: ParsedArgs, name: string, dflt: number, min: number, max: number): number {
  const v = args.options.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
  return n;
}

export function numberOption(args: ParsedArgs, name: string, dflt: number, min: number, max: number): number {
  const v = args.options.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number in ${min}..${max}, got ${String(v)}`);
  }
  return n;
}

export function stringOption(args: ParsedArgs, name: string, dflt: string): string {
  const v = args.options.get(name);
  if (v === undefined) return dflt;
  if (typeof v !== "string") throw new UsageError(`--${name} needs a value`);
  return v;
}
