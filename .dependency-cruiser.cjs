/**
 * The import rules of paycard's layout, checked by `npm run check:deps` (part of `npm test`).
 * A broken rule prints its name, the importing file and the imported file.
 *
 * src/core runs unchanged on Node and on XS, so it imports nothing outside itself. Inside it,
 * folders depend one way:
 *
 *   settings → app → pipeline / outbox / mqtt / clock → stream / detect / model → lib
 *
 * with a few named peers in a tier (the outbox checks topics with the MQTT codec's rules,
 * the session and codec of MQTT, the SNTP client and the discipline on the clock's shared
 * types, detectors on the stream's window state and the swipe model). Every other import is
 * a break, and no file may import itself back through others.
 */

/** Folders of src/core, each with the folders it may import (besides its own files). */
const TIER3 = ["lib"];
const TIER2 = ["stream", "detect", "model", "lib"];
const APP = ["pipeline", "outbox", "mqtt/codec", "mqtt/session", "clock", "clock/sntp", "clock/discipline", ...TIER2];
const CORE_FOLDERS = {
  settings: ["app", ...APP],
  app: APP,
  pipeline: TIER2,
  outbox: ["mqtt/codec", ...TIER2],
  "mqtt/session": ["mqtt/codec", ...TIER2],
  "mqtt/codec": TIER2,
  clock: TIER2,
  "clock/sntp": ["clock", ...TIER2],
  "clock/discipline": ["clock", ...TIER2],
  detect: ["stream", "model", ...TIER3],
  stream: ["model", ...TIER3],
  model: TIER3,
  lib: [],
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** Files directly in a folder of src/core (not in its subfolders). */
const filesIn = (folder) => `^src/core/${escape(folder)}/[^/]+$`;

const folderRules = Object.entries(CORE_FOLDERS).map(([folder, allowed]) => ({
  name: `core-direction:${folder}`,
  comment:
    `src/core/${folder} may import ` +
    (allowed.length === 0 ? "only its own files" : `only its own files and ${allowed.map((f) => `core/${f}`).join(", ")}`) +
    " (settings → app → pipeline / outbox / mqtt / clock → stream / detect / model → lib)",
  severity: "error",
  from: { path: filesIn(folder) },
  to: {
    path: "^src/core/",
    pathNot: [filesIn(folder), ...allowed.map(filesIn)],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycle",
      comment: "No file imports itself back through other files: cycles hide the order of module evaluation, and XS preloads modules in that order.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-is-engine-neutral",
      comment: "src/core runs unchanged on Node and XS: it imports only src/core (no Node built-in, no npm package, no Moddable module, no host or device code).",
      severity: "error",
      from: { path: "^src/core/" },
      to: { pathNot: "^src/core/" },
    },
    {
      name: "core-unknown-folder",
      comment: "Every file of src/core sits in one of the folders the direction rules name (add a new folder to CORE_FOLDERS in .dependency-cruiser.cjs, with what it may import).",
      severity: "error",
      from: { path: "^src/core/", pathNot: Object.keys(CORE_FOLDERS).map(filesIn) },
      to: {},
    },
    ...folderRules,
    {
      name: "device-and-host-apart",
      comment: "src/device (the firmware) and src/host (the Node side) both build on src/core and never import each other.",
      severity: "error",
      from: { path: "^src/(device|host)/" },
      to: { path: "^src/(device|host)/", pathNot: "^src/$1/" },
    },
    {
      name: "device-not-sim",
      comment: "src/sim (seeded traffic, simulations, benchmark entries) is for host tools, benchmarks and tests; the firmware never maps it.",
      severity: "error",
      from: { path: "^src/(device|core)/" },
      to: { path: "^src/sim/" },
    },
    {
      name: "sim-is-engine-neutral",
      comment: "src/sim runs under XS in the benchmarks and XS suites: it imports src/core and src/sim only.",
      severity: "error",
      from: { path: "^src/sim/" },
      to: { pathNot: "^src/(core|sim)/" },
    },
    {
      name: "src-not-tests",
      comment: "Nothing under src/ imports the test suites or their support (hosttest/).",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(hosttest|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|build)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
