/**
 * Bad input never crashes the CLI: each case prints one message naming the file (and line) on stderr, exits
 * non-zero, and shows no stack trace. In `infer`, a bad image among several is reported and the rest processed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type CliRun, runCli } from "./support/runCli.js";
import { testPaths } from "./support/testPaths.js";

const tmp = mkdtempSync(path.join(tmpdir(), "lightnet-bad-"));
const voc = testPaths.yoloFastest.voc;
const dog = path.join(testPaths.images, "dog.jpg");

function file(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

const NET = "[net]\nwidth=32\nheight=32\nchannels=3\n\n";

/** The run failed cleanly: non-zero status, every pattern on stderr, no stack frames. */
function expectCleanFailure(run: CliRun, ...patterns: (string | RegExp)[]): void {
  expect(run.status).not.toBe(0);
  for (const p of patterns) expect(run.stderr).toMatch(p);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("bad model input", () => {
  it("missing cfg file", () => {
    const cfg = path.join(tmp, "missing.cfg");
    expectCleanFailure(runCli(["info", "--cfg", cfg]), new RegExp(`^lightnet-trt: ${escape(cfg)}: .*not found`));
  });

  it("malformed value: names the cfg file and line", () => {
    const cfg = file("bad-value.cfg", `${NET}[convolutional]\nfilters=abc\nsize=3\n`);
    expectCleanFailure(runCli(["info", "--cfg", cfg]), `${cfg}:7: [convolutional] filters=abc`);
  });

  it("out-of-range value: expected vs found", () => {
    const cfg = file("bad-range.cfg", `${NET}[convolutional]\nfilters=0\nsize=3\n`);
    expectCleanFailure(runCli(["info", "--cfg", cfg]), `${cfg}:7: [convolutional] filters=0: expected > 0`);
  });

  it("unknown section", () => {
    const cfg = file("bad-section.cfg", `${NET}[conv2d]\nfilters=8\n`);
    expectCleanFailure(runCli(["info", "--cfg", cfg]), `${cfg}:6: [conv2d]`);
  });

  it("malformed cfg in bench and infer as well", () => {
    const cfg = file("bad-bench.cfg", `${NET}[convolutional]\nfilters=abc\n`);
    expectCleanFailure(runCli(["bench", "--cfg", cfg, "--iters", "1"]), `${cfg}:7:`);
    expectCleanFailure(runCli(["infer", "--cfg", cfg, "--weights", voc.weights, "--input", dog]), `${cfg}:7:`);
  });

  it("truncated weights: expected and found sizes", () => {
    const weights = file("truncated.weights", readFileSync(voc.weights).subarray(0, 100_000));
    const pattern = new RegExp(`${escape(weights)}: .*expected \\d+ bytes.*found 100000`);
    expectCleanFailure(runCli(["info", "--cfg", voc.cfg, "--weights", weights]), pattern);
    expectCleanFailure(runCli(["infer", "--cfg", voc.cfg, "--weights", weights, "--input", dog]), pattern);
  });

  it("missing weights file", () => {
    const weights = path.join(tmp, "missing.weights");
    expectCleanFailure(runCli(["infer", "--cfg", voc.cfg, "--weights", weights, "--input", dog]), `${weights}: `);
  });

  it("missing names file, and one with the wrong number of names", () => {
    const names = path.join(tmp, "missing.names");
    expectCleanFailure(runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--names", names, "--input", dog]), `${names}: cannot read names file`);
    const short = file("short.names", "cat\ndog\n");
    expectCleanFailure(
      runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--names", short, "--input", dog]),
      `${short}: 2 class names, expected 20`,
    );
  });
});

describe("bad images", () => {
  it("an undecodable and a missing image among good ones: both reported, the good ones processed", () => {
    const broken = file("broken.jpg", "this is not a JPEG\n");
    const missing = path.join(tmp, "missing.jpg");
    const run = runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--json", "--input", dog, broken, missing, dog]);
    expectCleanFailure(run, `lightnet-trt: ${broken}: cannot decode image`, `lightnet-trt: ${missing}: no such file`);
    expect(run.lines.map((l) => JSON.parse(l).source)).toEqual([dog, dog]);
  });
});

describe("bad options", () => {
  it.each([
    [["--backend", "gpu"], "argument 'gpu' is invalid. Allowed choices are cpu, cuda, tensorrt, auto"],
    [["--precision", "fp64"], "argument 'fp64' is invalid. Allowed choices are fp32, fp16, int8"],
    [["--score-threshold", "abc"], "expected a number in [0, 1], found 'abc'"],
    [["--nms-threshold", "2"], "expected a number in [0, 1], found '2'"],
  ])("infer %j", (args, message) => {
    expectCleanFailure(runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--input", dog, ...args]), message);
  });

  it("an option the backend does not support is an error, not ignored", () => {
    expectCleanFailure(
      runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--input", dog, "--backend", "cpu", "--precision", "fp16"]),
      /precision: the CPU backend supports fp32 and int8, found fp16/,
    );
  });

  it("bench --batch 0 and a missing required option", () => {
    expectCleanFailure(runCli(["bench", "--cfg", voc.cfg, "--batch", "0"]), "expected an integer >= 1, found '0'");
    expectCleanFailure(runCli(["infer", "--cfg", voc.cfg, "--input", dog]), "required option '--weights <file>' not specified");
  });
});
