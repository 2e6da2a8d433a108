import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { registerBagCommand } from "./bagCommand.js";
import { registerEvalCommand } from "./evalCommand.js";
import { integerAtLeast, numberIn } from "./parseOptionValue.js";
import { addQuantizationOptions } from "./quantizationOptions.js";
import { runBench } from "./runBench.js";
import { runFullFrameBench } from "./runFullFrameBench.js";
import { runBuild } from "./runBuild.js";
import { runInfer } from "./runInfer.js";
import { runInfo } from "./runInfo.js";

const BACKENDS = ["cpu", "cuda", "tensorrt", "auto"];
const PRECISIONS = ["fp32", "fp16", "int8"];

/**
 * The `lightnet-trt` command line (contract: issue 2, item 6). `reportError` prints one failure (no stack);
 * commands set process.exitCode rather than exiting, so output is flushed.
 */
export function createProgram(reportError: (err: unknown) => void): Command {
  const program = new Command("lightnet-trt")
    .description("LightNet / darknet CNN inference (YOLO detection + semantic segmentation) on a native engine")
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const backend = () => new Option("--backend <name>", "inference backend").choices(BACKENDS).default("auto");
  const precision = () => new Option("--precision <p>", "inference precision").choices(PRECISIONS).default("fp32");

  program
    .command("info")
    .description("layers, shapes, GFLOPs, params and heads of a darknet cfg")
    .requiredOption("--cfg <file>", "darknet .cfg")
    .option("--weights <file>", "darknet .weights to check against the cfg")
    .option("--json", "one JSON object (top-level gflops, params, layers, heads)")
    .action((opts) => runInfo(opts));

  const infer = program
    .command("infer")
    .description("detections and segmentation masks for image files")
    .requiredOption("--cfg <file>", "darknet .cfg")
    .requiredOption("--weights <file>", "darknet .weights")
    .option("--names <file>", "class names, one per line (default: the cfg's names=, else numbers)")
    .requiredOption("--input <paths...>", "image files or directories, video files, camera indices, rosbag2 bags (.mcap, .db3, directories)")
    .addOption(backend())
    .addOption(precision())
    .option("--score-threshold <s>", "minimum objectness × class probability", numberIn(0, 1), 0.25)
    .option("--nms-threshold <iou>", "class-wise NMS IoU threshold", numberIn(0, 1), 0.45)
    .option("--json", "one JSON line per image")
    .option("--dump-outputs <dir>", "write each head-feeding conv's raw output as <dir>/<layer>.npy (float32 NCHW)")
    .option("--save-dir <dir>", "write annotated images (a video per video/camera input) and class-id / colour mask PNGs")
    .option("--image-topic <topics...>", "image topics of rosbag2 inputs (default: every Image / CompressedImage topic)")
    .option("--camera-size <WxH>", "requested capture size of camera inputs")
    .option("--batch <n>", "engine batch size", integerAtLeast(1))
    .option("--dla-core <n>", "Jetson DLA core (tensorrt backend)", integerAtLeast(0))
    .option("--profile", "print mean per-layer times at the end");
  addQuantizationOptions(infer).action(async (opts) => {
    process.exitCode = await runInfer(opts, reportError);
  });

  const bench = program
    .command("bench")
    .description("network forward time (no pre/post-processing); seeded random weights when none are given")
    .requiredOption("--cfg <file>", "darknet .cfg")
    .option("--weights <file>", "darknet .weights")
    .addOption(backend())
    .addOption(precision())
    .option("--batch <n>", "images per forward", integerAtLeast(1), 1)
    .option("--iters <n>", "timed iterations", integerAtLeast(1), 10)
    .option("--warmup <n>", "untimed iterations first", integerAtLeast(0), 2)
    .option("--threads <n>", "CPU threads (0 = all cores)", integerAtLeast(0))
    .option("--json", "one JSON line {median_ms, p90_ms, min_ms, iters, backend, precision, batch}")
    .option("--full-frame", "time detect() on a full frame instead: host pixels to results in JS (see --frame)")
    .option("--frame <WxH>", "--full-frame: size of the synthetic bgr8 frame (default 1920x1080)")
    .option("--pageable-input", "--full-frame: keep frames in the addon's memory, not the engine's input buffers")
    .option("--encoded <file>", "--full-frame: every frame is this JPEG/PNG, decoded inside the detect task");
  addQuantizationOptions(bench).action(async (opts) => {
    if (opts.fullFrame) await runFullFrameBench(opts);
    else if (opts.frame !== undefined || opts.pageableInput || opts.encoded !== undefined)
      throw new Error("--frame, --pageable-input and --encoded need --full-frame");
    else await runBench(opts);
  });

  const build = program
    .command("build")
    .description("build an engine once (INT8: calibrate and write the calibration table) and report it")
    .requiredOption("--cfg <file>", "darknet .cfg")
    .option("--weights <file>", "darknet .weights (default: seeded random weights)")
    .addOption(backend())
    .addOption(precision())
    .option("--batch <n>", "maximum images per inference", integerAtLeast(1), 1)
    .option("--json", "one JSON line {cfg, backend, precision, batch, build_ms, calibration_table}");
  addQuantizationOptions(build).action(async (opts) => {
    await runBuild(opts);
  });

  registerBagCommand(program, reportError);
  registerEvalCommand(program, reportError);

  return program;
}

function packageVersion(): string {
  const pkg = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}
