/**
 * .github/workflows/firmware.yml cannot run on our machines (it needs GitHub's runners, the
 * ESP-IDF container and the network): it is checked offline. It must parse as YAML; its ESP-IDF
 * container and Moddable SDK tag must be the build scripts' (and the README's); every npm script,
 * file and artifact path it names must exist or be what the build writes; the Wokwi step must be
 * guarded by the token and run the lab's valid scenario; a release must carry the images. The
 * negative cases feed broken copies to the same validator, so each check is known to fail.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EXPECTED_IDF, MERGED_IMAGE, MODDABLE_SDK_TAG, WOKWI_DIR, WOKWI_ELF, WOKWI_FIRMWARE } from "../../src/host/device-build";
import { validateFirmwareWorkflow, type WorkflowFacts } from "../support/node/firmware-workflow";
import { validateScenario, type Diagram } from "../support/node/wokwi-lab";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (rel: string) => readFileSync(path.join(root, rel), "utf8");
const WORKFLOW = ".github/workflows/firmware.yml";
const SCENARIO = "hosttest/wokwi/card-test.scenario.yaml";

const workflow = parse(read(WORKFLOW)) as Record<string, unknown>;
const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
const facts: WorkflowFacts = {
  idfImage: `espressif/idf:v${EXPECTED_IDF.major}.${EXPECTED_IDF.minor}`,
  moddableTag: MODDABLE_SDK_TAG,
  npmScripts: new Set(Object.keys(pkg.scripts)),
  exists: (rel) => existsSync(path.join(root, rel)),
  imageDir: WOKWI_DIR,
  releaseFiles: [MERGED_IMAGE, WOKWI_FIRMWARE, WOKWI_ELF].map((p) => path.basename(p)),
  scenario: SCENARIO,
  installerFiles: ["web/installer/index.html", "web/installer/manifest.json", `build/wokwi/${path.basename(MERGED_IMAGE)}`, "node_modules/esp-web-tools/dist/web site/esp-web-tools"],
};
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
type Jobs = Record<string, { steps: Record<string, unknown>[] } & Record<string, unknown>>;
const jobsOf = (w: Record<string, unknown>) => w.jobs as Jobs;

describe("the firmware workflow, checked offline", () => {
  it("parses, and everything it names matches the build scripts and the repository", () => {
    expect(validateFirmwareWorkflow(workflow, facts)).toEqual([]);
    expect(Object.keys(jobsOf(workflow))).toEqual(["esp32", "wokwi", "lin", "release", "pages"]);
  });

  it("runs the lab's scenario, which is valid against diagram.json", () => {
    const scenario = parse(read(SCENARIO));
    expect(validateScenario(scenario, JSON.parse(read("diagram.json")) as Diagram)).toEqual([]);
  });

  it("the README gives the same versions and says the workflow has not run yet", () => {
    const readme = read("README.md");
    expect(readme).toContain(`Moddable SDK ${MODDABLE_SDK_TAG}`);
    expect(readme).toContain(`ESP-IDF v${EXPECTED_IDF.major}.${EXPECTED_IDF.minor}`);
    expect(readme).toContain(WORKFLOW);
    expect(readme).toMatch(/has not run yet/);
  });

  it("catches a wrong ESP-IDF container, SDK tag or npm script, and an unpinned action", () => {
    const w = clone(workflow);
    jobsOf(w).esp32!.container = "espressif/idf:v5.4";
    (w.env as Record<string, unknown>).MODDABLE_TAG = "8.2.2";
    jobsOf(w).lin!.steps.push({ run: "npm run build:wasm" });
    jobsOf(w).lin!.steps.push({ uses: "actions/cache@main" });
    const problems = validateFirmwareWorkflow(w, facts).join("\n");
    expect(problems).toContain("must run in espressif/idf:v6.0");
    expect(problems).toContain('env.MODDABLE_TAG must be "8.2.3"');
    expect(problems).toContain("npm run build:wasm, which package.json does not have");
    expect(problems).toContain("actions/cache@main is not pinned");
  });

  it("catches an unguarded Wokwi step, another scenario, a missing file and a release without the merged image", () => {
    const w = clone(workflow);
    const wokwiStep = jobsOf(w).wokwi!.steps.find((s) => String(s.uses).startsWith("wokwi/"))!;
    delete wokwiStep.if;
    (wokwiStep.with as Record<string, unknown>).scenario = "hosttest/wokwi/other.scenario.yaml";
    jobsOf(w).lin!.steps.push({ run: "npx vitest run hosttest/node/no-such.test.ts" });
    const gh = jobsOf(w).release!.steps.find((s) => String(s.uses).startsWith("softprops/"))!;
    (gh.with as Record<string, unknown>).files = "dist/esp32/flasher_args.json\ndist/esp32/xs_esp32.elf\n";
    const problems = validateFirmwareWorkflow(w, facts).join("\n");
    expect(problems).toContain("only when WOKWI_CLI_TOKEN is set");
    expect(problems).toContain(`must run ${SCENARIO}`);
    expect(problems).toContain("hosttest/node/no-such.test.ts, which does not exist");
    expect(problems).toContain("must attach paycard-esp32.bin");
  });

  it("catches a web installer site without ESP Web Tools, or published from a branch", () => {
    const w = clone(workflow);
    const assemble = jobsOf(w).pages!.steps.find((s) => String(s.run).includes("mkdir -p site"))!;
    assemble.run = String(assemble.run).replace("cp -r node_modules/esp-web-tools/dist/web site/esp-web-tools", "");
    jobsOf(w).pages!.if = "github.ref == 'refs/heads/main'";
    const problems = validateFirmwareWorkflow(w, facts).join("\n");
    expect(problems).toContain("must copy node_modules/esp-web-tools/dist/web site/esp-web-tools");
    expect(problems).toContain("jobs.pages must run on tags only");
  });

  it("catches the IDF environment sourced after the build, and images uploaded from elsewhere", () => {
    const w = clone(workflow);
    const build = jobsOf(w).esp32!.steps.find((s) => String(s.run).includes("npm run build:esp32"))!;
    build.run = 'npm run build:esp32\n. "$IDF_PATH/export.sh"\n';
    const upload = jobsOf(w).esp32!.steps.find((s) => String(s.uses).startsWith("actions/upload-artifact"))!;
    (upload.with as Record<string, unknown>).path = "build/moddable/";
    const problems = validateFirmwareWorkflow(w, facts).join("\n");
    expect(problems).toContain('source "$IDF_PATH/export.sh" before npm run build:esp32');
    expect(problems).toContain("must upload build/wokwi/");
  });
});
