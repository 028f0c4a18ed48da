import * as esbuild from "esbuild";
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/**
 * `npm run build`: compiles src/core and src/device, one ES module per file
 * and unbundled, into build/dist/{core,device}, which each folder's manifest
 * fragment (src/<folder>/manifest.json, included by manifest.json) maps for
 * mcconfig. Bare specifiers (preference, timer, ...) stay imports for the SDK.
 */
export async function runBuild(): Promise<number> {
  const outdir = path.join(root, "build", "dist");
  rmSync(outdir, { recursive: true, force: true });
  const entryPoints = [...tsFiles(path.join(root, "src", "core")), ...tsFiles(path.join(root, "src", "device"))];
  await esbuild.build({
    entryPoints,
    outdir,
    outbase: path.join(root, "src"),
    bundle: false,
    format: "esm",
    target: "es2022",
    sourcemap: "external",
    logLevel: "warning",
  });
  process.stdout.write(`build: ${entryPoints.length} modules -> ${path.relative(root, outdir)}/\n`);
  return 0;
}
