#!/usr/bin/env node
// Launcher for the paycard CLI: loads the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
