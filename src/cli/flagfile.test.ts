import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expandArgv } from "./expandArgv.js";
import { parseGFlag, readFlagfile, translateGFlags } from "./flagfile.js";
import { progressLine } from "./ProgressBar.js";
import { readParamsFile } from "./paramsFile.js";
import { testPaths } from "../../test/support/testPaths.js";

const dir = mkdtempSync(path.join(tmpdir(), "flags-"));
const flag = (arg: string) => parseGFlag(arg, "cmd")!;

describe("lightNet-TRT flags", () => {
  it("translates every original flag", () => {
    const flags = [
      "--config_file_path=a.cfg", "--wts_file_path=a.weights", "--labels_file_path=a.names", "--precision=kHALF", "--dla=1", "--d=imgs",
      "--cam_id=-1", "--thresh=0.3", "--save_detections=true", "--save_detections_path=out", "--prof", "--nomp", "--batch_size=4",
      "--width=1280", "--height=960", "--calibration_images=list.txt", "--dump=false",
    ].map(flag);
    expect(translateGFlags(flags)).toEqual([
      "--cfg", "a.cfg", "--weights", "a.weights", "--names", "a.names", "--precision", "fp16", "--dla-core", "1", "--input", "imgs",
      "--score-threshold", "0.3", "--profile", "--batch", "4", "--calib-list", "list.txt",
      "--save-dir", "out", "--camera-size", "1280x960",
    ]);
    expect(translateGFlags([flag("--cam_id=2"), flag("--v=clip.mp4"), flag("--mp=1"), flag("--dump")])).toEqual(["--input", "2", "--input", "clip.mp4", "--mp", "--dump-outputs", "dump"]);
  });

  it("names the place of a bad flag", () => {
    expect(() => translateGFlags([flag("--batch_size=two")])).toThrow("cmd: --batch_size=two, expected an integer");
    expect(() => translateGFlags([flag("--prof=maybe")])).toThrow("cmd: --prof=maybe, expected true or false");
    expect(() => translateGFlags([flag("--width=640")])).toThrow("cmd: --width and --height go together");
    expect(() => parseGFlag("--thresh", "f:3")).toThrow("f:3: --thresh needs a value (gflags form --thresh=VALUE)");
    const file = path.join(dir, "loop.flags");
    writeFileSync(file, "--flagfile=loop.flags\n");
    expect(() => readFlagfile(file)).toThrow("flagfile includes itself");
    writeFileSync(file, "# comment\n\nconfig_file_path=x\n");
    expect(() => readFlagfile(file)).toThrow(`${file}:3: "config_file_path=x", expected a gflags line --name=value`);
  });

  it("puts translated flags before the typed ones, so typed flags win", () => {
    const file = path.join(dir, "a.flags");
    writeFileSync(file, "--thresh=0.3\n");
    expect(expandArgv(["node", "cli", "infer", "--json", "--flagfile", file, "-cam_id=0", "--score-threshold", "0.5"]))
      .toEqual(["node", "cli", "infer", "--score-threshold", "0.3", "--input", "0", "--json", "--score-threshold", "0.5"]);
  });
});

describe("--params", () => {
  it("reads the node's shipped parameter file with the node's own checks", () => {
    const values = readParamsFile(path.join(testPaths.repoRoot, "config", "lightnet_trt.param.yaml"));
    expect(values.has("model_cfg")).toBe(false); // left empty for the launch file
    expect(values.get("score_threshold")).toBe(0.35);
    expect(values.get("roi_overlay_segment_label.CAR")).toBe(true);
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, "node:\n  ros__parameters:\n    nms_threshold: 2\n");
    expect(() => readParamsFile(bad)).toThrow(`${bad}: nms_threshold: expected 0..1, found 2`);
    writeFileSync(bad, "node:\n  other: 1\n");
    expect(() => readParamsFile(bad)).toThrow(`${bad}: "node" has no ros__parameters mapping`);
  });
});

describe("progressLine", () => {
  it("shows count, percent, rate and time left", () => {
    expect(progressLine(25, 100, 5, 10)).toBe("[###.......] 25/100 25%  5.0 fps  ETA 00:15");
    expect(progressLine(7, null, 3.5)).toBe("7 frames  2.0 fps  00:04");
    expect(progressLine(0, 10, 0, 4)).toBe("[....] 0/10 0%  0.0 fps  ETA --:--");
  });
});
