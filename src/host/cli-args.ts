/** Minimal `--name value` / `--flag` parsing with clear errors for the paycard CLI. */
export class UsageError extends Error {}

export interface ParsedArgs {
  options: Map<string, string | true>;
  positional: string[];
}

export function parseArgs(argv: string[], known: Record<string, "value" | "flag">): ParsedArgs {
  const options = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const kind = known[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (kind === "flag") {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
    } else {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      options.set(name, v);
    }
  }
  return { options, positional };
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
