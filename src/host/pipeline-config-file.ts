import { existsSync, readFileSync } from "node:fs";
import { resolvePipelineConfig, type PipelineConfig } from "../core/pipeline/pipeline-config";
import { UsageError } from "./cli-args";

/** The pipeline settings of a `--config` JSON file (the defaults without one); a setting given by an old name is noted on stderr. */
export function loadConfig(path: string | undefined): PipelineConfig {
  if (path === undefined) return resolvePipelineConfig({});
  if (!existsSync(path)) throw new UsageError(`config file not found: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const notices: string[] = [];
  const config = resolvePipelineConfig(raw, notices);
  for (const n of notices) process.stderr.write(`paycard: config file ${path}: ${n}\n`);
  return config;
}
