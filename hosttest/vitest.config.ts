import { defineConfig } from "vitest/config";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export default defineConfig({
  root,
  test: {
    include: ["hosttest/**/*.test.ts"],
    // Separate processes: the XS suites lock down their realm with @endo/init.
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default", path.join(root, "hosttest", "plain-summary-reporter.ts")],
    // `npm test` runs with --coverage: V8's branch coverage of src/core over every Node suite, with
    // a floor it may not drop below (docs/contributing.md). A run of some files alone skips it.
    coverage: {
      provider: "v8",
      include: ["src/core/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      reportsDirectory: path.join(root, "reports", "coverage"),
      thresholds: { branches: 95 },
    },
  },
});
