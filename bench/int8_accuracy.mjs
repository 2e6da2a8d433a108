#!/usr/bin/env node
/**
 * INT8 vs FP32 accuracy of the CPU backend (issue 4, "Measure"), in one run.
 *
 *  - Yolo-Fastest VOC (trained weights): detection F1 at IoU >= 0.5 (same class), FP32 detections as truth,
 *    over ../shared/images and the frames of Debian opencv-doc's vtest.avi, for each calibration algorithm
 *    (entropy, minmax, percentile, clip), plus entropy with the linear-activation convs kept at FP16 through
 *    per-layer precision (a copy of the cfg with precision=fp16 on them, built with multi-precision, i.e. --mp).
 *    Calibration reads an image list file of every Nth frame (--every, default 16); those frames are left out
 *    of the evaluation.
 *    Then, from the calibration tables: each algorithm's range as a fraction of the observed max (minmax's range),
 *    median over the tensors of each kind that INT8 convs read (outputs of leaky dense convs, of depthwise /
 *    grouped convs, of linear convs, of shortcuts), which shows where an algorithm clips; and F1 with percentile's
 *    ranges everywhere but entropy's on one of those kinds, which shows where entropy's clipping costs detections.
 *  - The det-semaseg LightNet cfg (seeded random weights: no trained ones exist here): segmentation mask pixel
 *    agreement INT8 vs FP32 over ../shared/images and a few frames, 2:4 sparsity off (quantization alone) and
 *    on (quantization + pruning of its sparse=1 layers). With random weights this is a numerics check of the
 *    INT8 path on a deep 1280x960 network, not a statement about a trained model's mask quality.
 *
 * usage: npm run build && node bench/int8_accuracy.mjs [--every N] [--seg-frames N] [--clip-value X]
 *                                                     [--percentile P] [--no-seg] [--json]
 * Needs opencv-doc (vtest.avi) and /usr/bin/python3 with cv2 (frame extraction).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Engine, readImage } from "../dist/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const shared = path.resolve(root, "..", "shared");
const args = parseArgs(process.argv.slice(2));
const every = Number(args["--every"] ?? 16);
const segFrames = Number(args["--seg-frames"] ?? 4);
const clipValue = Number(args["--clip-value"] ?? 6);
const percentile = Number(args["--percentile"] ?? 99.99);
const work = path.join(os.tmpdir(), `lightnet-int8-accuracy-${process.pid}`);
mkdirSync(work, { recursive: true });

const images = readdirSync(path.join(shared, "images")).sort().map((f) => path.join(shared, "images", f));
const frames = extractFrames(findVtest(), path.join(work, "frames"));
const calibFrames = frames.filter((_, i) => i % every === 0);
const evalFrames = frames.filter((_, i) => i % every !== 0);
const calibList = path.join(work, "calibration.txt");
writeFileSync(calibList, calibFrames.join("\n") + "\n");
log(`${frames.length} vtest.avi frames: ${calibFrames.length} for calibration, ${evalFrames.length} + ${images.length} images evaluated`);

const algorithms = [
  { name: "entropy", options: { calibrationAlgorithm: "entropy" } },
  { name: "minmax", options: { calibrationAlgorithm: "minmax" } },
  { name: `percentile ${percentile}`, options: { calibrationAlgorithm: "percentile", percentile } },
  { name: `clip ${clipValue}`, options: { clipValue } },
];

const voc = {
  cfg: path.join(shared, "models/yolo-fastest/yolo-fastest-xl-voc.cfg"),
  weights: path.join(shared, "models/yolo-fastest/yolo-fastest-xl-voc.weights"),
  backend: "cpu",
};
const evalSet = [...images, ...evalFrames];
const truth = await detectAll({ ...voc, precision: "fp32" }, evalSet);
const detection = [];
for (const a of algorithms) {
  const table = tablePath(a.name.split(" ")[0]);
  const options = { ...voc, precision: "int8", calibrationList: calibList, calibrationTable: table, ...a.options };
  const found = await detectAll(options, evalSet);
  detection.push({ algorithm: a.name, ...f1(truth, found) });
  log(`yolo-fastest-xl-voc int8 ${a.name}: F1 ${detection.at(-1).f1.toFixed(4)}`);
}

{
  // Per-layer precision: the linear (pre-shortcut bottleneck and head) convs at FP16, the rest INT8 (entropy).
  const cfg = path.join(work, "yolo-fastest-xl-voc-linear-fp16.cfg");
  const sections = readFileSync(voc.cfg, "utf8").split(/(?=^\[)/m);
  writeFileSync(cfg, sections.map((s) => (s.startsWith("[convolutional]") && /^activation\s*=\s*linear/m.test(s) ? s.trimEnd() + "\nprecision=fp16\n\n" : s)).join(""));
  const options = { ...voc, cfg, precision: "int8", multiPrecision: true, calibrationList: calibList, calibrationAlgorithm: "entropy" };
  detection.push({ algorithm: "entropy, linear convs FP16 (--mp)", ...f1(truth, await detectAll(options, evalSet)) });
  log(`yolo-fastest-xl-voc int8 ${detection.at(-1).algorithm}: F1 ${detection.at(-1).f1.toFixed(4)}`);
}

const ranges = rangeFractions(voc.cfg, ["entropy", "percentile"]);
for (const r of ranges)
  log(`ranges / max, ${r.kind} (${r.tensors} tensors): ${Object.entries(r.median).map(([a, v]) => `${a} ${v.toFixed(2)}`).join(", ")}`);

// Where entropy loses: percentile's ranges everywhere except entropy's on one kind of tensor at a time.
const swaps = [];
for (const kind of ranges.map((r) => r.kind)) {
  const options = { ...voc, precision: "int8", calibrationTable: mixedTable(voc.cfg, "percentile", kind), calibrationAlgorithm: "entropy" };
  swaps.push({ kind, ...f1(truth, await detectAll(options, evalSet)) });
  log(`yolo-fastest-xl-voc int8 percentile with entropy on ${kind} outputs: F1 ${swaps.at(-1).f1.toFixed(4)}`);
}

const segmentation = [];
if (!("--no-seg" in args)) {
  const seg = { cfg: path.join(shared, "models/lightnet/lightNet-BDD100K-det-semaseg-1280x960.cfg"), backend: "cpu", seed: 1 };
  const segCalib = path.join(work, "seg-calibration.txt");
  writeFileSync(segCalib, calibFrames.slice(0, segFrames).join("\n") + "\n");
  const segEval = [...images, ...evalFrames.filter((_, i) => i % Math.ceil(evalFrames.length / segFrames) === 0)];
  const reference = await masksOf({ ...seg, precision: "fp32" }, segEval);
  // What a constant mask of the most frequent FP32 class would score: the floor agreement must beat to mean anything.
  const majority = majorityFraction(reference);
  log(`det-semaseg fp32 masks: the most frequent class covers ${(majority * 100).toFixed(2)}% of the pixels`);
  for (const sparsity of [false, true]) {
    for (const a of [algorithms[0], algorithms[2]]) {
      const options = { ...seg, precision: "int8", calibrationList: segCalib, sparsity, ...a.options };
      const masks = await masksOf(options, segEval);
      segmentation.push({ algorithm: a.name, sparsity, images: segEval.length, agreement: agreement(reference, masks), majority });
      log(`det-semaseg int8 ${a.name} sparsity ${sparsity ? "on" : "off"}: mask agreement ${segmentation.at(-1).agreement.toFixed(4)}`);
    }
  }
}

rmSync(work, { recursive: true, force: true });
const result = { date: new Date().toISOString(), host: `${os.cpus()[0]?.model} x${os.cpus().length}`, detection, ranges, swaps, segmentation };
if ("--json" in args) {
  process.stdout.write(JSON.stringify(result) + "\n");
} else {
  process.stdout.write(`INT8 vs FP32 (CPU backend), ${result.date}, ${result.host}\n`);
  process.stdout.write(`Yolo-Fastest VOC, ${evalSet.length} images, FP32 detections as truth (IoU >= 0.5, same class):\n`);
  process.stdout.write("| algorithm | F1 | precision | recall | FP32 boxes | INT8 boxes |\n|---|---|---|---|---|---|\n");
  for (const d of detection)
    process.stdout.write(`| ${d.algorithm} | ${d.f1.toFixed(4)} | ${d.precision.toFixed(4)} | ${d.recall.toFixed(4)} | ${d.truth} | ${d.found} |\n`);
  process.stdout.write("Calibrated range / observed max (minmax), median over the tensors INT8 convs read, by producer:\n");
  process.stdout.write(`| tensors | count | ${ranges[0] ? Object.keys(ranges[0].median).join(" | ") : ""} |\n|---|---|---|---|\n`);
  for (const r of ranges) process.stdout.write(`| ${r.kind} | ${r.tensors} | ${Object.values(r.median).map((v) => v.toFixed(2)).join(" | ")} |\n`);
  process.stdout.write(`Percentile ${percentile} ranges everywhere except entropy's on the outputs of one kind of layer:\n`);
  process.stdout.write("| entropy on | F1 | precision | recall | INT8 boxes |\n|---|---|---|---|---|\n");
  for (const w of swaps)
    process.stdout.write(`| ${w.kind} | ${w.f1.toFixed(4)} | ${w.precision.toFixed(4)} | ${w.recall.toFixed(4)} | ${w.found} |\n`);
  if (segmentation.length > 0) {
    process.stdout.write(
      `det-semaseg (random weights), mask pixel agreement over ${segmentation[0].images} images ` +
        `(a constant mask of FP32's most frequent class would agree on ${(segmentation[0].majority * 100).toFixed(2)}%):\n`,
    );
    process.stdout.write("| algorithm | 2:4 sparsity | agreement |\n|---|---|---|\n");
    for (const s of segmentation) process.stdout.write(`| ${s.algorithm} | ${s.sparsity ? "on" : "off"} | ${s.agreement.toFixed(4)} |\n`);
  }
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (["--json", "--no-seg"].includes(argv[i])) out[argv[i]] = true;
    else out[argv[i]] = argv[++i];
  }
  return out;
}

function log(message) {
  process.stderr.write(`int8_accuracy: ${message}\n`);
}

function findVtest() {
  const listed = execFileSync("dpkg", ["-L", "opencv-doc"], { encoding: "utf8" }).split("\n").find((f) => f.endsWith("/vtest.avi"));
  if (!listed || !existsSync(listed)) throw new Error("vtest.avi not found: apt-get install opencv-doc");
  return listed;
}

/** Every frame of the video as a JPEG (quality 95), decoded by OpenCV as a video player would. */
function extractFrames(video, dir) {
  mkdirSync(dir, { recursive: true });
  const script =
    "import cv2, sys\n" +
    "cap = cv2.VideoCapture(sys.argv[1]); n = 0\n" +
    "while True:\n" +
    "    ok, f = cap.read()\n" +
    "    if not ok: break\n" +
    "    cv2.imwrite('%s/frame_%04d.jpg' % (sys.argv[2], n), f, [cv2.IMWRITE_JPEG_QUALITY, 95]); n += 1\n" +
    "if n == 0: sys.exit(sys.argv[1] + ': no frames decoded')\n";
  execFileSync("/usr/bin/python3", ["-c", script, video, dir], { stdio: ["ignore", "ignore", "inherit"] });
  return readdirSync(dir).sort().map((f) => path.join(dir, f));
}

async function build(options) {
  return Engine.build(options, (_f, message) => {
    if (/^(calibration|INT8)/.test(message)) log(message);  // warnings: the library prints them itself
  });
}

async function detectAll(options, files) {
  const engine = await build(options);
  try {
    const out = [];
    for (const f of files) out.push((await engine.detect([await readImage(f)]))[0].detections);
    return out;
  } finally {
    engine.close();
  }
}

async function masksOf(options, files) {
  const engine = await build(options);
  try {
    const out = [];
    // Score threshold 1: no boxes (random weights would flood NMS); only the masks are compared.
    for (const f of files) out.push((await engine.detect([await readImage(f)], { scoreThreshold: 1 }))[0].masks);
    return out;
  } finally {
    engine.close();
  }
}

function tablePath(algorithm) {
  return path.join(work, `yolo-fastest-${algorithm}.table`);
}

function readTable(file) {
  const amax = new Map();
  for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
    const [name, value] = line.trim().split(/\s+/);
    if (name) amax.set(name, Number(value));
  }
  return amax;
}

/** The tensors INT8 convs read (not the first conv's input, not the head convs'), by kind of producer layer. */
function readTensorKinds(cfg) {
  const sections = readFileSync(cfg, "utf8").split(/(?=^\[)/m).filter((s) => /^\[/.test(s)).slice(1);
  const key = (s, k) => s.match(new RegExp(`^\\s*${k}\\s*=\\s*([^#\\n]*)`, "m"))?.[1].trim();
  const kindOf = (s) => {
    if (s.startsWith("[shortcut]")) return "shortcut";
    if (!s.startsWith("[convolutional]")) return "other";
    if (Number(key(s, "groups") ?? 1) > 1) return "depthwise / grouped conv";
    return (key(s, "activation") ?? "logistic") === "linear" ? "linear conv" : "leaky dense conv";
  };
  const heads = new Set(sections.map((s, i) => (/^\[(yolo|softmax)\]/.test(s) ? i - 1 : -1)));
  const kinds = new Map();
  sections.forEach((s, i) => {
    if (s.startsWith("[convolutional]") && i > 0 && !heads.has(i)) kinds.set(i - 1, kindOf(sections[i - 1]));
  });
  return kinds;
}

/** Median of range / max (minmax's range) per kind of producer, over the tensors INT8 convs read. */
function rangeFractions(cfg, algos) {
  const tables = Object.fromEntries(["minmax", ...algos].map((a) => [a, readTable(tablePath(a))]));
  const groups = new Map();
  for (const [i, kind] of readTensorKinds(cfg)) {
    if (kind === "other") continue;
    const max = tables.minmax.get(String(i));
    if (!groups.has(kind)) groups.set(kind, Object.fromEntries(algos.map((a) => [a, []])));
    for (const a of algos) groups.get(kind)[a].push(tables[a].get(String(i)) / max);
  }
  const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  return [...groups].map(([kind, g]) => ({ kind, tensors: g[algos[0]].length, median: Object.fromEntries(algos.map((a) => [a, median(g[a])])) }));
}

/**
 * A table with `base`'s ranges except entropy's on the tensors produced by layers of `kind`: written with the
 * entropy table's header (same algorithm and model hash), so the engine reuses it as it is.
 */
function mixedTable(cfg, base, kind) {
  const [header, ...lines] = readFileSync(tablePath("entropy"), "utf8").trimEnd().split("\n");
  const fromBase = readTable(tablePath(base));
  const swap = new Set([...readTensorKinds(cfg)].filter(([, k]) => k === kind).map(([i]) => String(i)));
  const file = path.join(work, `mixed-${base}-${kind.replace(/\W+/g, "_")}.table`);
  const out = lines.map((l) => {
    const [name] = l.split(" ");
    return swap.has(name) ? l : `${name} ${fromBase.get(name)}`;
  });
  writeFileSync(file, [header, ...out].join("\n") + "\n");
  return file;
}

function iou(a, b) {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Greedy matching per image, highest INT8 score first, to the unmatched FP32 box of the same class with the best IoU. */
function f1(truth, found) {
  let tp = 0, fp = 0, fn = 0, nTruth = 0, nFound = 0;
  truth.forEach((t, i) => {
    const used = new Array(t.length).fill(false);
    const dets = [...found[i]].sort((a, b) => b.score - a.score);
    nTruth += t.length;
    nFound += dets.length;
    for (const d of dets) {
      let best = -1, bestIou = 0.5;
      t.forEach((g, k) => {
        if (used[k] || g.classId !== d.classId) return;
        const v = iou(d, g);
        if (v >= bestIou) best = k, bestIou = v;
      });
      if (best >= 0) used[best] = true, tp++;
      else fp++;
    }
    fn += used.filter((u) => !u).length;
  });
  return {
    f1: tp + fp + fn === 0 ? 1 : (2 * tp) / (2 * tp + fp + fn),
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: tp + fn === 0 ? 1 : tp / (tp + fn),
    truth: nTruth,
    found: nFound,
  };
}

function majorityFraction(reference) {
  const counts = new Map();
  let total = 0;
  for (const ms of reference)
    for (const m of ms) {
      for (const c of m.classIds) counts.set(c, (counts.get(c) ?? 0) + 1);
      total += m.classIds.length;
    }
  return total === 0 ? 0 : Math.max(...counts.values()) / total;
}

function agreement(reference, masks) {
  let same = 0, total = 0;
  reference.forEach((ms, i) =>
    ms.forEach((m, h) => {
      const o = masks[i][h].classIds;
      for (let p = 0; p < m.classIds.length; p++) same += m.classIds[p] === o[p] ? 1 : 0;
      total += m.classIds.length;
    }),
  );
  return total === 0 ? 1 : same / total;
}
