/**
 * Moddable's module convention for the firmware: each folder the firmware maps (every folder of
 * src/core and src/device holding modules) carries its own manifest fragment,
 * `src/<folder>/manifest.json`, with its module mapping and its preload entries, and the root
 * manifest.json includes them all. These checks keep the fragments and the tree in step: every
 * firmware source file is preloaded (or named in its fragment's `notPreloaded` with the reason),
 * and every listed module is a file.
 *
 * `notPreloaded` is paycard's own key; mcconfig ignores keys it does not know.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** The manifest variable the root sets to the compiled modules' folder (`npm run build`). */
export const DIST_VARIABLE = "PAYCARD_DIST";
export const DIST_FOLDER = "./build/dist";
const DIST = `$(${DIST_VARIABLE})`;

/** The folders the firmware maps: folders of src/core and src/device holding .ts modules, e.g. "core/lib", "device". */
export function firmwareFolders(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(root, "src", rel);
    const names = readdirSync(abs);
    if (names.some(isModuleFile)) out.push(rel);
    for (const n of names) if (statSync(path.join(abs, n)).isDirectory()) walk(`${rel}/${n}`);
  };
  walk("core");
  walk("device");
  return out.sort();
}

/** The module specifiers of one folder's source files: "core/lib/crc32", ... */
export function folderModules(root: string, folder: string): string[] {
  return readdirSync(path.join(root, "src", folder))
    .filter(isModuleFile)
    .map((n) => `${folder}/${n.slice(0, -3)}`)
    .sort();
}

function isModuleFile(name: string): boolean {
  return name.endsWith(".ts") && !name.endsWith(".d.ts");
}

export const fragmentPath = (folder: string) => `src/${folder}/manifest.json`;
const includeOf = (folder: string) => `./${fragmentPath(folder)}`;

export interface FirmwareTree {
  /** Each firmware folder with its module specifiers. */
  modules: Map<string, string[]>;
  /** The fragments that exist, by folder (parsed JSON). */
  fragments: Map<string, unknown>;
  /** Each folder's native C sources (src/<folder>/native/<name>.c), by name. */
  nativeSources: Map<string, string[]>;
}

/** Reads the tree's folders, their modules and their fragments. A fragment that is not JSON throws, naming the file. */
export function readFirmwareTree(root: string): FirmwareTree {
  const modules = new Map<string, string[]>();
  const fragments = new Map<string, unknown>();
  const nativeSources = new Map<string, string[]>();
  for (const folder of firmwareFolders(root)) {
    modules.set(folder, folderModules(root, folder));
    const native = path.join(root, "src", folder, "native");
    nativeSources.set(folder, existsSync(native) ? readdirSync(native).filter((f) => f.endsWith(".c")).map((f) => f.slice(0, -2)) : []);
    const file = path.join(root, fragmentPath(folder));
    if (!existsSync(file)) continue;
    try {
      fragments.set(folder, JSON.parse(readFileSync(file, "utf8")));
    } catch (e) {
      throw new Error(`${fragmentPath(folder)} is not valid JSON: ${(e as Error).message}`);
    }
  }
  return { modules, fragments, nativeSources };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Strings in `v` at any depth (platform module lists). */
function stringsIn(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  if (isRecord(v)) return Object.values(v).flatMap(stringsIn);
  return [];
}

/** Does a mcconfig path pattern with a trailing `*` (or none) match one of the folder's files? */
function matchesAFile(pattern: string, folder: string, modules: string[]): boolean {
  const rel = pattern.slice(`${DIST}/`.length);
  const star = rel.indexOf("*");
  if (star < 0) return modules.includes(rel);
  const head = rel.slice(0, star);
  return head.startsWith(`${folder}/`) && modules.some((m) => m.startsWith(head));
}

/**
 * Problems with the root manifest's fragments, each a sentence naming the file and the module.
 * `manifest` is the parsed root manifest.json; `tree` what readFirmwareTree found.
 */
export function checkManifestFragments(manifest: unknown, tree: FirmwareTree): string[] {
  const problems: string[] = [];
  if (!isRecord(manifest)) return ["manifest.json: the top level must be an object"];

  const build = isRecord(manifest.build) ? manifest.build : {};
  if (build[DIST_VARIABLE] !== DIST_FOLDER) {
    problems.push(`manifest.json build.${DIST_VARIABLE} must be "${DIST_FOLDER}" (the fragments map ${DIST}/<folder>/*), found ${JSON.stringify(build[DIST_VARIABLE])}`);
  }
  for (const key of ["modules", "preload"]) {
    if (key in manifest) problems.push(`manifest.json has "${key}" of its own: each folder lists its modules and preload entries in its fragment (src/<folder>/manifest.json)`);
  }

  const includes = Array.isArray(manifest.include) ? manifest.include.filter((i): i is string => typeof i === "string") : [];
  for (const folder of tree.modules.keys()) {
    if (!includes.includes(includeOf(folder))) problems.push(`manifest.json does not include "${includeOf(folder)}" (src/${folder} holds firmware modules)`);
  }
  for (const inc of includes) {
    const m = /^\.\/src\/(.+)\/manifest\.json$/.exec(inc);
    if (m !== null && !tree.modules.has(m[1])) problems.push(`manifest.json includes "${inc}", but src/${m[1]} holds no firmware modules`);
  }

  for (const [folder, modules] of tree.modules) {
    const file = fragmentPath(folder);
    const fragment = tree.fragments.get(folder);
    if (fragment === undefined) {
      problems.push(`${file} is missing: src/${folder} holds firmware modules (${modules.join(", ")})`);
      continue;
    }
    if (!isRecord(fragment)) {
      problems.push(`${file}: the top level must be an object`);
      continue;
    }

    // Its own folder, mapped once.
    const mapping = isRecord(fragment.modules) ? fragment.modules : {};
    const want = `${DIST}/${folder}/*`;
    if (mapping[`${folder}/*`] !== want) problems.push(`${file} must map "${folder}/*": "${want}" (mcconfig does not descend into subfolders)`);
    for (const [target, source] of Object.entries(mapping)) {
      if (target === `${folder}/*`) continue;
      // Native code: "*": ["./native/<name>"], each a C file of this folder's native/ (mcconfig compiles and links it).
      if (target === "*" && Array.isArray(source) && source.every((x) => typeof x === "string" && /^\.\/native\/[A-Za-z0-9_-]+$/.test(x))) {
        for (const x of source as string[]) {
          if (!(tree.nativeSources.get(folder) ?? []).includes(x.slice("./native/".length))) problems.push(`${file} maps native "${x}", but src/${folder}/${x.slice(2)}.c does not exist`);
        }
        continue;
      }
      problems.push(`${file} maps "${target}": ${JSON.stringify(source)}; a fragment maps only its own folder ("${folder}/*") and its native C files ("*": ["./native/<name>"])`);
    }

    // Preload entries: explicit files of this folder.
    const preload = Array.isArray(fragment.preload) ? fragment.preload : [];
    if (!Array.isArray(fragment.preload)) problems.push(`${file} has no "preload" list`);
    const listed = new Set<string>();
    for (const entry of preload) {
      if (typeof entry !== "string") {
        problems.push(`${file} preload entry ${JSON.stringify(entry)} is not a module name`);
        continue;
      }
      if (listed.has(entry)) problems.push(`${file} preloads "${entry}" twice`);
      listed.add(entry);
      if (entry.includes("*")) problems.push(`${file} preload "${entry}": name each module (a "*" preloads by prefix, subfolders included)`);
      else if (!entry.startsWith(`${folder}/`) || entry.slice(folder.length + 1).includes("/")) {
        problems.push(`${file} preloads "${entry}", which is not a module of src/${folder}; its own folder's fragment lists it`);
      } else if (!modules.includes(entry)) problems.push(`${file} preload "${entry}" matches no file (src/${entry}.ts)`);
    }

    // Files kept out of preload, each with its reason.
    const notPreloaded = isRecord(fragment.notPreloaded) ? fragment.notPreloaded : {};
    for (const [name, reason] of Object.entries(notPreloaded)) {
      if (!modules.includes(name)) problems.push(`${file} notPreloaded "${name}" matches no file of src/${folder}`);
      if (typeof reason !== "string" || reason.trim() === "") problems.push(`${file} notPreloaded "${name}" needs the reason as a string`);
      if (listed.has(name)) problems.push(`${file} both preloads and keeps out "${name}"`);
    }
    for (const m of modules) {
      if (!listed.has(m) && !(m in notPreloaded)) {
        problems.push(`src/${m}.ts is in no preload set: add "${m}" to ${file} "preload" (or to "notPreloaded" with the reason)`);
      }
    }

    // Platform lists that name compiled files must name files of this folder.
    for (const s of stringsIn(fragment.platforms)) {
      if (s.startsWith(`${DIST}/`) && !matchesAFile(s, folder, modules)) problems.push(`${file} platforms: "${s}" matches no file of src/${folder}`);
    }
  }
  return problems;
}
