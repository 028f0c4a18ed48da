// Mutation testing of src/core (`npm run mutation`; docs/contributing.md). Stryker 9 runs on
// Node 20; its vitest runner runs the suites of hosttest/vitest.mutation.config.ts, only those
// that cover a mutant (perTest). Incremental: a rerun tests only mutants whose code or tests
// changed since the last run (reports/mutation/incremental.json).
export default {
  packageManager: "npm",
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "hosttest/vitest.mutation.config.ts" },
  mutate: ["src/core/**/*.ts"],
  coverageAnalysis: "perTest",
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
