// Mutation testing of src/core (`npm run mutation`; docs/contributing.md). Stryker 9 runs on
// Node 20; its vitest runner runs the suites of hosttest/vitest.mutation.config.ts, only those
// that cover a mutant (perTest). `npm run mutation` (src/host/mutation-run.ts) runs this
// configuration once per folder of src/core, each with its own incremental file and report under
// reports/mutation/folders/; `npx stryker run` alone mutates all of src/core at once.
// Static mutants (in code that runs once, when a module loads) are ignored: each would rerun
// every suite; the summary counts them with the other ignored mutants.
export default {
  packageManager: "npm",
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "hosttest/vitest.mutation.config.ts" },
  mutate: ["src/core/**/*.ts"],
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  incremental: true,
  incrementalFile: "reports/mutation/incremental.json",
  reporters: ["json", "html", "progress"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/index.html" },
  thresholds: { high: 90, low: 85, break: null },
  concurrency: 2,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
