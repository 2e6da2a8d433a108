import { Command } from "commander";
import { addNodeParameterOptions, resolveNodeParameters } from "./nodeParameterOptions.js";
import { integerAtLeast, numberIn } from "./parseOptionValue.js";
import { formatEvalResult, runEval } from "./runEval.js";

/** `lightnet-trt eval`: mAP / mIoU / agreement / latency, with an optional HTML report. */
export function registerEvalCommand(program: Command, reportError: (err: unknown) => void): void {
  const command = program
    .command("eval")
    .description("detection mAP, segmentation mIoU, agreement between runs and latency, with an HTML report")
    .option("--images <paths...>", "images (files or directories) to run the model on")
    .option("--predictions <file>", "evaluate this recorded run (`infer --json` lines or darknet's -out JSON) instead of running the model")
    .option("--prediction-masks <dir>", "class-id mask PNGs (<image name>.png) of --predictions")
    .option("--gt <path>", "detection ground truth: BDD100K JSON, COCO JSON or a directory of darknet .txt labels")
    .option("--class-map <json>", 'ground-truth class name → model label, e.g. {"pedestrian": "person"}')
    .option("--seg-labels <dir>", "segmentation label PNGs named <image name>.png (grey/palette class ids, 255 ignored)")
    .option("--label-colormap", "label PNGs are colour images in the cfg's colormap")
    .option("--against <file>", "compare with another run (`infer --json` lines or darknet's -out JSON): the reference, A")
    .option("--against-masks <dir>", "class-id mask PNGs of the --against run")
    .option("--iou-threshold <iou>", "box IoU for agreement matches", numberIn(0, 1), 0.5)
    .option("--save-predictions <file>", "write this run as `infer --json` lines (to compare later)")
    .option("--save-masks <dir>", "write this run's class-id masks as PNG")
    .option("--report <file.html>", "self-contained HTML report with charts and sample frames")
    .option("--samples <n>", "annotated sample frames in the report", integerAtLeast(0), 6)
    .option("--json", "print the results as one JSON object");
  addNodeParameterOptions(command).action(async (opts) => {
    if (!opts.predictions && !opts.images) throw new Error("give --images to run the model, or --predictions to evaluate a recorded run");
    const params = opts.predictions ? undefined : resolveNodeParameters(opts);
    const result = await runEval(
      {
        images: opts.images ?? [],
        predictions: opts.predictions,
        predictionMasks: opts.predictionMasks,
        ...(params && { params }),
        groundTruth: opts.gt,
        classMap: opts.classMap,
        segLabels: opts.segLabels,
        labelColormap: opts.labelColormap === true,
        against: opts.against,
        againstMasks: opts.againstMasks,
        iouThreshold: opts.iouThreshold,
        savePredictions: opts.savePredictions,
        saveMasks: opts.saveMasks,
        report: opts.report,
        samples: opts.samples,
        json: opts.json === true,
      },
      reportError,
    );
    process.stdout.write(opts.json ? JSON.stringify(result) + "\n" : formatEvalResult(result));
  });
}
