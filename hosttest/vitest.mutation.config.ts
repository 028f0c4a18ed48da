/**
 * The suites mutation testing runs against src/core (stryker.config.mjs): every core suite, the
 * codec's Node suites (the differential test against mqtt-packet, the fuzzer), and the device
 * configuration's Node suite (src/core/settings/device-config.ts against the manifest's values). The XS runs of the
 * core suites are left out: they run the same tests under another engine.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export default defineConfig({
  root,
  test: {
    include: ["hosttest/core/**/*.test.ts", "hosttest/node/mqtt-differential.test.ts", "hosttest/node/mqtt-fuzz.test.ts", "hosttest/node/device-config.test.ts"],
    // The fuzzer's 100 000 streams run again for every mutant the codec's suites do not kill first:
    // 5 000 here (npm test keeps 100 000).
    env: { PAYCARD_FUZZ_RUNS: "5000" },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
