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
  },
});
