/**
 * Offline checks of .github/workflows/firmware.yml, which our machines cannot run: its jobs,
 * the ESP-IDF container and Moddable SDK tag against the build scripts' versions, every npm
 * script, file and artifact path it names, the Wokwi step's guard and scenario, and the release.
 * Each check returns the problems it finds (empty: none), so tests can feed broken copies.
 */

type Obj = Record<string, unknown>;

export interface WorkflowFacts {
  /** The container image the esp32 job must use, e.g. espressif/idf:v6.0. */
  idfImage: string;
  /** The Moddable SDK git tag. */
  moddableTag: string;
  /** package.json's script names. */
  npmScripts: ReadonlySet<string>;
  /** Whether a repository path exists. */
  exists: (rel: string) => boolean;
  /** Where build:esp32 writes the images (the esp32 artifact's folder). */
  imageDir: string;
  /** The files a release must carry, by name (the merged image, the flash map, the ELF). */
  releaseFiles: readonly string[];
  /** The Wokwi scenario the lab's own checks validate. */
  scenario: string;
  /** What the pages job must copy into the web installer's site. */
  installerFiles: readonly string[];
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Obj;
  env?: Obj;
  shell?: string;
}

function stepsOf(job: unknown): Step[] {
  return isObj(job) && Array.isArray(job.steps) ? (job.steps.filter(isObj) as Step[]) : [];
}

const stepUsing = (job: unknown, action: string) => stepsOf(job).filter((s) => typeof s.uses === "string" && s.uses.startsWith(action + "@"));
const runText = (job: unknown) => stepsOf(job).map((s) => (typeof s.run === "string" ? s.run : "")).join("\n");
const dir = (p: string) => p.replace(/\/+$/, "") + "/";

export function validateFirmwareWorkflow(doc: unknown, f: WorkflowFacts): string[] {
  const problems: string[] = [];
  if (!isObj(doc)) return ["the workflow is not a YAML mapping"];
  const on = doc.on;
  if (!isObj(on) || !isObj(on.push) || !Array.isArray(on.push.tags) || !("pull_request" in on)) {
    problems.push("on: must run on pushes (with tags, for releases) and on pull requests");
  }
  if (!isObj(doc.env) || doc.env.MODDABLE_TAG !== f.moddableTag) {
    problems.push(`env.MODDABLE_TAG must be "${f.moddableTag}" (src/host/device-build.ts MODDABLE_SDK_TAG), got ${JSON.stringify(isObj(doc.env) ? doc.env.MODDABLE_TAG : undefined)}`);
  }
  const jobs = isObj(doc.jobs) ? doc.jobs : {};
  for (const name of ["esp32", "wokwi", "lin", "release"]) if (!isObj(jobs[name])) problems.push(`jobs.${name} is missing`);

  // Every action pinned to a major version; every npm script and test file it runs exists.
  for (const [name, job] of Object.entries(jobs)) {
    for (const s of stepsOf(job)) {
      if (typeof s.uses === "string" && !/^[\w.-]+\/[\w.-]+@v\d+$/.test(s.uses)) problems.push(`jobs.${name}: ${s.uses} is not pinned to a major version (owner/action@vN)`);
    }
    const text = runText(job);
    for (const m of text.matchAll(/npm run ([\w:-]+)/g)) if (!f.npmScripts.has(m[1]!)) problems.push(`jobs.${name} runs npm run ${m[1]}, which package.json does not have`);
    for (const m of text.matchAll(/(hosttest\/[\w./-]+)/g)) if (!f.exists(m[1]!)) problems.push(`jobs.${name} names ${m[1]}, which does not exist`);
    for (const m of text.matchAll(/git clone [^\n]*/g)) {
      const line = m[0];
      if (line.includes("moddable") && !(line.includes('--branch "$MODDABLE_TAG"') && line.includes("github.com/Moddable-OpenSource/moddable"))) {
        problems.push(`jobs.${name} clones the Moddable SDK without --branch "$MODDABLE_TAG": ${line}`);
      }
    }
  }

  const esp32 = jobs.esp32;
  if (isObj(esp32)) {
    const image = isObj(esp32.container) ? esp32.container.image : esp32.container;
    if (image !== f.idfImage) problems.push(`jobs.esp32 must run in ${f.idfImage} (the ESP-IDF Moddable ${f.moddableTag} needs), got ${JSON.stringify(image)}`);
    const text = runText(esp32);
    const exportAt = text.indexOf('. "$IDF_PATH/export.sh"');
    const buildAt = text.indexOf("npm run build:esp32");
    if (buildAt < 0) problems.push("jobs.esp32 does not run npm run build:esp32");
    else if (exportAt < 0 || exportAt > buildAt) problems.push('jobs.esp32 must source "$IDF_PATH/export.sh" before npm run build:esp32');
    if (!text.includes("make -C") || !text.includes("build/makefiles/lin")) problems.push("jobs.esp32 must build the Moddable SDK's tools (make -C $MODDABLE/build/makefiles/lin)");
    const upload = stepUsing(esp32, "actions/upload-artifact")[0];
    if (upload === undefined || !isObj(upload.with) || dir(String(upload.with.path)) !== dir(f.imageDir)) {
      problems.push(`jobs.esp32 must upload ${dir(f.imageDir)} (where build:esp32 writes the images)`);
    }
  }

  const wokwi = jobs.wokwi;
  if (isObj(wokwi)) {
    if (!isObj(wokwi.env) || wokwi.env.WOKWI_CLI_TOKEN !== "${{ secrets.WOKWI_CLI_TOKEN }}") {
      problems.push("jobs.wokwi must set env.WOKWI_CLI_TOKEN from secrets.WOKWI_CLI_TOKEN (secrets cannot be read in if:)");
    }
    const down = stepUsing(wokwi, "actions/download-artifact")[0];
    if (down === undefined || !isObj(down.with) || dir(String(down.with.path)) !== dir(f.imageDir)) {
      problems.push(`jobs.wokwi must download the images to ${dir(f.imageDir)}, where wokwi.toml looks`);
    }
    const step = stepUsing(wokwi, "wokwi/wokwi-ci-action")[0];
    if (step === undefined) {
      problems.push("jobs.wokwi has no wokwi/wokwi-ci-action step");
    } else {
      if (typeof step.if !== "string" || !/env\.WOKWI_CLI_TOKEN\s*!=\s*''/.test(step.if)) problems.push("the Wokwi step must run only when WOKWI_CLI_TOKEN is set (if: env.WOKWI_CLI_TOKEN != '')");
      const w = isObj(step.with) ? step.with : {};
      if (w.token !== "${{ secrets.WOKWI_CLI_TOKEN }}") problems.push("the Wokwi step's token must be secrets.WOKWI_CLI_TOKEN");
      if (w.path !== "/" || !f.exists("wokwi.toml")) problems.push("the Wokwi step's path must be / (the folder of wokwi.toml)");
      if (w.scenario !== f.scenario) problems.push(`the Wokwi step must run ${f.scenario}, got ${JSON.stringify(w.scenario)}`);
      else if (!f.exists(f.scenario)) problems.push(`${f.scenario} does not exist`);
      if (typeof w.timeout !== "number" || w.timeout < 10_000) problems.push("the Wokwi step needs a timeout of at least 10 000 ms of simulated time");
    }
    if (!stepsOf(wokwi).some((s) => typeof s.if === "string" && /env\.WOKWI_CLI_TOKEN\s*==\s*''/.test(s.if) && typeof s.run === "string" && s.run.includes("::notice::"))) {
      problems.push("jobs.wokwi must say with a notice when the scenario is skipped for want of a token");
    }
  }

  const lin = jobs.lin;
  if (isObj(lin)) {
    const text = runText(lin);
    for (const pkg of ["mosquitto", "chrony", "xvfb"]) if (!new RegExp(`apt-get install[^\\n]*\\b${pkg}\\b`).test(text)) problems.push(`jobs.lin must install ${pkg} (the lin suite needs it)`);
    const test = stepsOf(lin).find((s) => typeof s.run === "string" && s.run.includes("hosttest/node/lin-simulator.test.ts"));
    if (test === undefined) problems.push("jobs.lin must run hosttest/node/lin-simulator.test.ts");
    else if (!isObj(test.env) || test.env.CI !== "true") problems.push("jobs.lin must run the lin suite with CI=true (a missing tool fails instead of skipping)");
  }

  const release = jobs.release;
  if (isObj(release)) {
    if (typeof release.if !== "string" || !release.if.includes("refs/tags/")) problems.push("jobs.release must run on tags only");
    const needs = Array.isArray(release.needs) ? release.needs : [release.needs];
    if (!needs.includes("esp32")) problems.push("jobs.release must need jobs.esp32");
    if (!isObj(release.permissions) || release.permissions.contents !== "write") problems.push("jobs.release needs permissions.contents: write");
    const gh = stepUsing(release, "softprops/action-gh-release")[0];
    const files = gh !== undefined && isObj(gh.with) && typeof gh.with.files === "string" ? gh.with.files : "";
    for (const name of f.releaseFiles) if (!files.split("\n").some((l) => l.trim().endsWith("/" + name))) problems.push(`jobs.release must attach ${name}`);
  }
  const pages = jobs.pages;
  if (!isObj(pages)) {
    problems.push("jobs.pages is missing (the web installer)");
  } else {
    if (typeof pages.if !== "string" || !pages.if.includes("refs/tags/")) problems.push("jobs.pages must run on tags only");
    if (!isObj(pages.permissions) || pages.permissions.pages !== "write" || pages.permissions["id-token"] !== "write") {
      problems.push("jobs.pages needs permissions pages: write and id-token: write");
    }
    const text = runText(pages);
    for (const copied of f.installerFiles) if (!text.includes(copied)) problems.push(`jobs.pages must copy ${copied} into the site`);
    if (stepUsing(pages, "actions/upload-pages-artifact").length === 0 || stepUsing(pages, "actions/deploy-pages").length === 0) {
      problems.push("jobs.pages must upload the site (actions/upload-pages-artifact) and deploy it (actions/deploy-pages)");
    }
  }
  return problems;
}
