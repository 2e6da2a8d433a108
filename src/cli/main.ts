#!/usr/bin/env node
import { CommanderError } from "commander";
import { createProgram } from "./createProgram.js";
import { expandArgv } from "./expandArgv.js";

/** Failures are one line on stderr naming the file/line (from the native message); never a stack dump. */
function reportError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`lightnet-trt: ${message}\n`);
  if (process.env["LIGHTNET_DEBUG"] && err instanceof Error) process.stderr.write(`${err.stack}\n`);
}

try {
  await createProgram(reportError).parseAsync(expandArgv(process.argv));
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed its message (and help); keep its exit code (0 for --help / --version).
    process.exitCode = err.exitCode;
  } else {
    reportError(err);
    process.exitCode = 1;
  }
}
