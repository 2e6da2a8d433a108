/**
 * Offline inputs and outputs of `infer` (issue 6): video in and annotated video out, the original
 * lightNet-TRT flags and flagfiles, the node's --params file, rosbag2 input, and bad inputs that must give
 * clear errors without losing the other frames. Videos are written and read back by OpenCV in
 * /usr/bin/python3, independently of the addon.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { McapBagWriter } from "../src/bag/McapBagWriter.js";
import { openBag } from "../src/bag/openBag.js";
import { readImage } from "../src/image/readImage.js";
import { runCli } from "./support/runCli.js";
import { testPaths } from "./support/testPaths.js";

const coco = testPaths.yoloFastest.coco;
const dir = mkdtempSync(path.join(tmpdir(), "offline-"));
const model = ["--cfg", coco.cfg, "--weights", coco.weights, "--names", coco.names, "--backend", "cpu", "--precision", "fp32"];
const py = (script: string, ...args: string[]) => execFileSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8" });
const clip = path.join(dir, "clip.avi");
/** JSON lines without timing_ms (times differ from run to run) */
const results = (stdout: string) => stdout.split("\n").filter(Boolean).map((l) => {
  const { timing_ms: _, ...rest } = JSON.parse(l);
  return rest;
});
const frameDir = path.join(dir, "frames");

describe("infer on video", () => {
  beforeAll(() => {
    // 6 frames 320×240, Motion-JPEG; the same frames as decoded by OpenCV saved losslessly as PNG
    py(`
import cv2, sys, os
img = cv2.resize(cv2.imread(sys.argv[1]), (320, 240))
w = cv2.VideoWriter(sys.argv[2], cv2.VideoWriter_fourcc(*"MJPG"), 5, (320, 240))
for i in range(6): w.write(cv2.flip(img, 1) if i % 2 else img)
w.release()
os.makedirs(sys.argv[3])
c = cv2.VideoCapture(sys.argv[2]); i = 0
while True:
    ok, f = c.read()
    if not ok: break
    cv2.imwrite(os.path.join(sys.argv[3], "clip_%06d.png" % i), f); i += 1
`, path.join(testPaths.images, "dog.jpg"), clip, frameDir);
  });

  it("gives one line per frame, the same as the decoded frames as images, and writes an annotated video", () => {
    const saveDir = path.join(dir, "out");
    const run = runCli(["infer", ...model, "--input", clip, "--json", "--save-dir", saveDir]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.lines.map((l) => JSON.parse(l));
    expect(lines.map((l) => l.source)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `${clip}#${i}`));
    const stills = runCli(["infer", ...model, "--input", frameDir, "--json"]).lines.map((l) => JSON.parse(l));
    expect(lines.map((l) => l.detections)).toEqual(stills.map((l) => l.detections));
    expect(lines[0].detections.map((d: { label: string }) => d.label)).toContain("dog");

    expect(readdirSync(saveDir)).toEqual(["clip_annotated.mp4"]);
    const info = py(`
import cv2, sys
c = cv2.VideoCapture(sys.argv[1]); n = 0
while c.read()[0]: n += 1
print(n, int(c.get(cv2.CAP_PROP_FRAME_WIDTH)), int(c.get(cv2.CAP_PROP_FRAME_HEIGHT)))
`, path.join(saveDir, "clip_annotated.mp4"));
    expect(info.trim()).toBe("6 320 240");
  });

  it("saves annotated stills for image inputs", () => {
    const saveDir = path.join(dir, "stills");
    expect(runCli(["infer", ...model, "--input", path.join(testPaths.images, "dog.jpg"), "--save-dir", saveDir]).status).toBe(0);
    expect(readdirSync(saveDir)).toEqual(["dog_annotated.jpg"]);
  });

  it("accepts the original lightNet-TRT flags, in a flagfile or on the command line", () => {
    const reference = results(runCli(["infer", ...model, "--input", clip, "--json", "--score-threshold", "0.4"]).stdout);
    const inner = path.join(dir, "model.flags");
    writeFileSync(inner, `# model\n--config_file_path=${coco.cfg}\n--wts_file_path=${coco.weights}\n--labels_file_path=${coco.names}\n`);
    const flags = path.join(dir, "run.flags");
    writeFileSync(flags, `--flagfile=model.flags\n--precision=kFLOAT\n--v=${clip}\n--thresh=0.4\n--noprof\n`);
    const run = runCli(["infer", "--flagfile", flags, "--backend", "cpu", "--json"]);
    expect(run.stderr).toBe("");
    expect(results(run.stdout)).toEqual(reference);
    const single = runCli(["infer", `-config_file_path=${coco.cfg}`, `-wts_file_path=${coco.weights}`, `-labels_file_path=${coco.names}`, "-precision=kFLOAT", `-v=${clip}`, "-thresh=0.4", "--backend", "cpu", "--json"]);
    expect(results(single.stdout)).toEqual(reference);
    // flags typed on the command line win over the flagfile
    const stricter = runCli(["infer", "--flagfile", flags, "--backend", "cpu", "--json", "--score-threshold", "0.9"]);
    expect(results(stricter.stdout)).not.toEqual(reference);

    writeFileSync(flags, "--precision=kFLOAT\n--fps=30\n");
    const bad = runCli(["infer", "--flagfile", flags, "--json"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${flags}:2: unknown lightNet-TRT flag --fps (known: `);
    writeFileSync(flags, "--precision=kDOUBLE\n");
    expect(runCli(["infer", "--flagfile", flags]).stderr).toContain(`${flags}:1: --precision=kDOUBLE, expected kFLOAT, kHALF or kINT8`);
  });

  it("reads the node's parameter file, flags overriding it", () => {
    const params = path.join(dir, "node.param.yaml");
    writeFileSync(params, `/**:\n  ros__parameters:\n    model_cfg: "${coco.cfg}"\n    model_weights: "${coco.weights}"\n    names: "${coco.names}"\n    backend: cpu\n    precision: fp32\n    score_threshold: 0.4\n`);
    const reference = results(runCli(["infer", ...model, "--input", clip, "--json", "--score-threshold", "0.4"]).stdout);
    expect(results(runCli(["infer", "--params", params, "--input", clip, "--json"]).stdout)).toEqual(reference);
    const strict = runCli(["infer", "--params", params, "--input", clip, "--json", "--score-threshold", "0.9"]);
    expect(strict.lines.map((l) => JSON.parse(l).detections.every((d: { score: number }) => d.score >= 0.9))).toEqual(Array(6).fill(true));
    writeFileSync(params, `/**:\n  ros__parameters:\n    precision: fp64\n`);
    expect(runCli(["infer", "--params", params, "--input", clip]).stderr).toContain(`${params}: precision: expected one of fp32|fp16|int8, found "fp64"`);
  });

  it("reads frames from a rosbag2 image topic", async () => {
    const bag = path.join(dir, "cam.mcap");
    const image = await readImage(path.join(testPaths.images, "dog.jpg"));
    const w = await McapBagWriter.create(bag);
    const msg = { header: { stamp: { sec: 5, nanosec: 7 }, frame_id: "cam" }, height: image.height, width: image.width, encoding: "bgr8", is_bigendian: 0, step: image.step, data: image.data };
    await w.write("/cam/image_raw", "sensor_msgs/msg/Image", msg, 5_000000007n);
    await w.close();
    const run = runCli(["infer", ...model, "--input", bag, "--image-topic", "/cam/image_raw", "--json"]);
    expect(run.status).toBe(0);
    const [line] = run.lines.map((l) => JSON.parse(l));
    expect(line.source).toBe(`${bag}#/cam/image_raw@5.000000007`);
    const still = JSON.parse(runCli(["infer", ...model, "--input", path.join(testPaths.images, "dog.jpg"), "--json"]).lines[0]!);
    expect(line.detections).toEqual(still.detections);
    const missing = runCli(["infer", ...model, "--input", bag, "--image-topic", "/nope"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`${bag}: no topic /nope; topics: /cam/image_raw (sensor_msgs/msg/Image)`);
  });

  it("reports unreadable inputs clearly and still processes the others", () => {
    const junk = path.join(dir, "junk.mp4");
    writeFileSync(junk, "not a video");
    const absent = path.join(dir, "absent.jpg");
    mkdirSync(path.join(dir, "empty"));
    const run = runCli(["infer", ...model, "--input", junk, absent, path.join(testPaths.images, "dog.jpg"), "--json"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${junk}: cannot open video (not a video OpenCV/FFmpeg can read)`);
    expect(run.stderr).toContain(`${absent}: no such file`);
    expect(run.lines.map((l) => JSON.parse(l).source)).toEqual([path.join(testPaths.images, "dog.jpg")]);
  });
});

describe("bag and eval commands", () => {
  it("bag: writes the node's topics for a recorded camera", async () => {
    const input = path.join(dir, "rec.mcap");
    const image = await readImage(path.join(testPaths.images, "pexels_double_decker_bus.jpg"));
    const w = await McapBagWriter.create(input);
    for (const sec of [10, 11]) {
      const msg = { header: { stamp: { sec, nanosec: 0 }, frame_id: "cam" }, height: image.height, width: image.width, encoding: "bgr8", is_bigendian: 0, step: image.step, data: image.data };
      await w.write("/sensing/camera/image_raw", "sensor_msgs/msg/Image", msg, BigInt(sec) * 1_000_000_000n);
    }
    await w.close();
    const output = path.join(dir, "rec-out.mcap");
    const run = runCli(["bag", "--input", input, "--output", output, ...model, "--debug-image", "--node-name", "detector"]);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`wrote ${output} (/detector/out/objects: 2, /detector/out/image: 2)`);
    const bag = await openBag(output);
    expect(bag.topics().map((t) => [t.name, t.type, t.messageCount])).toEqual([
      ["/detector/out/objects", "tier4_perception_msgs/msg/DetectedObjectsWithFeature", 2],
      ["/detector/out/image", "sensor_msgs/msg/Image", 2],
    ]);
    await bag.close();
    expect(runCli(["bag", "--input", input, "--output", input, ...model]).stderr).toContain("output would overwrite the input bag");
  });

  it("eval: scores a recorded run from the command line", () => {
    const run = path.join(dir, "eval-run.jsonl");
    expect(runCli(["eval", ...model, "--images", path.join(testPaths.images, "dog.jpg"), "--save-predictions", run]).status).toBe(0);
    const labels = path.join(dir, "labels");
    mkdirSync(labels);
    // darknet labels: the dog the model finds, as a normalised centre box of the 768×576 image
    const dog = JSON.parse(readFileSync(run, "utf8")).detections.find((d: { label: string }) => d.label === "dog");
    writeFileSync(path.join(labels, "dog.txt"), `16 ${(dog.x + dog.width / 2) / 768} ${(dog.y + dog.height / 2) / 576} ${dog.width / 768} ${dog.height / 576}\n`);
    const r = runCli(["eval", "--predictions", run, "--gt", labels, "--json"]);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.detection.classes[16].ap50).toBeCloseTo(1, 9);
    // the other detected classes have no ground truth: no AP, not in the mean
    expect(result.detection.map50).toBeCloseTo(1, 9);
    expect(runCli(["eval", "--gt", labels]).stderr).toContain("give --images to run the model, or --predictions to evaluate a recorded run");
  });
});
