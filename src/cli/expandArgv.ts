/**
 * Rewrites the command line before commander sees it: `--flagfile FILE` / `--flagfile=FILE` and the
 * original lightNet-TRT single-dash flags (`-config_file_path=…`, `-cam_id=0`) become this tool's flags,
 * and for `infer`, `--params FILE` (the node's param.yaml) becomes the equivalent flags. Translated flags
 * go right after the command name, so flags typed on the command line come later and win.
 */
import { readParamsFile } from "./paramsFile.js";
import { GFLAG_NAMES, parseGFlag, readFlagfile, translateGFlags, type GFlag } from "./flagfile.js";

/** node parameter → infer flag (those infer takes; the others only matter to the ROS outputs) */
const PARAMS_TO_INFER: Readonly<Record<string, (v: unknown) => string[]>> = {
  model_cfg: (v) => (v ? ["--cfg", String(v)] : []),
  model_weights: (v) => (v ? ["--weights", String(v)] : []),
  names: (v) => (v ? ["--names", String(v)] : []),
  backend: (v) => ["--backend", String(v)],
  precision: (v) => ["--precision", String(v)],
  score_threshold: (v) => ["--score-threshold", String(v)],
  nms_threshold: (v) => ["--nms-threshold", String(v)],
  calibration_image_list_path: (v) => (v ? ["--calib-list", String(v)] : []),
  multi_precision: (v) => (v === true ? ["--mp"] : []),
  dla_core_id: (v) => (Number(v) >= 0 ? ["--dla-core", String(v)] : []),
  input_topics: (v) => (Array.isArray(v) && !v.every((t) => String(t).startsWith("~")) ? ["--image-topic", ...v.map(String)] : []),
};

export function expandArgv(argv: readonly string[]): string[] {
  const [node, script, command, ...rest] = argv;
  if (command === undefined || node === undefined || script === undefined) return [...argv];
  const gflags: GFlag[] = [];
  const kept: string[] = [];
  const front: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const eq = /^--?flagfile=(.*)$/.exec(arg);
    if (eq || arg === "--flagfile" || arg === "-flagfile") {
      const file = eq ? eq[1]! : rest[++i];
      if (!file) throw new Error("--flagfile needs a file");
      gflags.push(...readFlagfile(file));
      continue;
    }
    if (command === "infer" && (arg === "--params" || arg.startsWith("--params="))) {
      const file = arg.includes("=") ? arg.slice(9) : rest[++i];
      if (!file) throw new Error("--params needs a file");
      for (const [name, value] of readParamsFile(file)) front.push(...(PARAMS_TO_INFER[name]?.(value) ?? []));
      continue;
    }
    // original single-dash gflags (-thresh=0.3); our own flags are double-dash and never take "="-less single dashes
    const single = /^-([a-z_]+)(=.*)?$/.exec(arg);
    if (single && GFLAG_NAMES.includes(single[1]!) && !arg.startsWith("--")) {
      gflags.push(parseGFlag(arg, "command line")!);
      continue;
    }
    kept.push(arg);
  }
  return [node, script, command, ...front, ...translateGFlags(gflags), ...kept];
}
