/** INT8 through the CLI (issue 4): build calibrates and writes a table, infer reuses it, bad flags fail. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/runCli.js";
import { testPaths } from "./support/testPaths.js";

const voc = testPaths.yoloFastest.voc;
const dog = path.join(testPaths.images, "dog.jpg");

describe("int8 on the CPU backend", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lightnet-int8-"));
  const table = path.join(dir, "voc.table");
  const list = path.join(dir, "calib.txt");
  writeFileSync(list, `# LightNet-TRT image list\n${dog}\n${path.join(testPaths.images, "pexels_double_decker_bus.jpg")}\n`);

  it("build --precision int8 calibrates from an image list and writes the table", () => {
    const run = runCli(["build", "--cfg", voc.cfg, "--weights", voc.weights, "--backend", "cpu", "--precision", "int8",
      "--calib-list", list, "--calib-algo", "percentile", "--percentile", "99.9", "--calib-table", table, "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ backend: "cpu", precision: "int8", batch: 1, calibration_table: table });
    expect(run.stderr).toContain("calibration (percentile) pass 2: histograms over 2 images");
    const text = readFileSync(table, "utf8");
    expect(text).toMatch(/^lightnet_trt-int8-calibration 1 algorithm=percentile-99.9 model=[0-9a-f]{16}\n/);
    expect(text).toMatch(/\ninput 1\n/); // pixels / 255 reach 1 in these photos
  });

  it("infer reuses the table without images and finds the dog", () => {
    const run = runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--backend", "cpu", "--precision", "int8",
      "--calib-algo", "percentile", "--percentile", "99.9", "--calib-table", table, "--input", dog, "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`INT8 ranges: calibration table ${table} (percentile-99.9)`);
    const classes = JSON.parse(run.stdout).detections.map((d: { class_id: number }) => d.class_id);
    expect(classes).toContain(11); // VOC "dog"
  });

  it("a stale table without images is an error giving the reason", () => {
    const run = runCli(["infer", "--cfg", voc.cfg, "--weights", voc.weights, "--backend", "cpu", "--precision", "int8",
      "--calib-algo", "entropy", "--calib-table", table, "--input", dog]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("is stale (it was calibrated with percentile-99.9, this build asks for entropy)");
  });

  it("bench --clip-value needs no images; --sparsity takes on|off only", () => {
    const run = runCli(["bench", "--cfg", voc.cfg, "--backend", "cpu", "--precision", "int8", "--clip-value", "6",
      "--iters", "1", "--warmup", "0", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ precision: "int8" });
    const bad = runCli(["bench", "--cfg", voc.cfg, "--sparsity", "maybe"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("--sparsity");
  });
});
