import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { testPaths } from "./testPaths.js";

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout split into non-empty lines */
  lines: string[];
}

/** Runs the built `lightnet-trt` (dist/cli/main.js) as a user would; `npm run build:ts` must have run. */
export function runCli(args: string[]): CliRun {
  if (!existsSync(testPaths.cli)) throw new Error(`${testPaths.cli} not found: run \`npm run build:ts\` first`);
  const r = spawnSync(process.execPath, [testPaths.cli, ...args], { encoding: "utf8", maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split("\n").filter((l) => l.length > 0) };
}
