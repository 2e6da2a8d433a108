/**
 * Compatibility with the original lightNet-TRT command line: its gflags flags (given directly or in a
 * `--flagfile`) are translated into this tool's flags. gflags syntax: `--name=value`, `-name=value`,
 * `--name value` is NOT gflags (a bare `--name` is boolean true), `--noname` is false; in a flagfile one
 * flag per line, `#` comments, and nested `--flagfile=` lines.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

/** One gflags flag as parsed. */
export interface GFlag {
  name: string;
  value: string;
  /** "file:line" or "command line" */
  where: string;
}

const PRECISIONS: Readonly<Record<string, string>> = { kFLOAT: "fp32", kHALF: "fp16", kINT8: "int8" };
const truthy = (v: string, f: GFlag): boolean => {
  if (/^(1|true|yes|y|t)$/i.test(v)) return true;
  if (/^(0|false|no|n|f)$/i.test(v)) return false;
  throw new Error(`${f.where}: --${f.name}=${v}, expected true or false`);
};
const integer = (v: string, f: GFlag): string => {
  if (!/^-?\d+$/.test(v.trim())) throw new Error(`${f.where}: --${f.name}=${v}, expected an integer`);
  return v.trim();
};

/**
 * The original flags and what each becomes. Flags whose meaning needs another flag's value (the
 * save_detections pair, width/height) are combined in `translateGFlags`.
 */
const SIMPLE: Readonly<Record<string, (v: string, f: GFlag) => string[]>> = {
  config_file_path: (v) => ["--cfg", v],
  wts_file_path: (v) => ["--weights", v],
  labels_file_path: (v) => ["--names", v],
  precision: (v, f) => {
    const p = PRECISIONS[v];
    if (!p) throw new Error(`${f.where}: --precision=${v}, expected kFLOAT, kHALF or kINT8`);
    return ["--precision", p];
  },
  dla: (v, f) => (Number(integer(v, f)) >= 0 ? ["--dla-core", integer(v, f)] : []),
  d: (v) => ["--input", v],
  v: (v) => ["--input", v],
  cam_id: (v, f) => (Number(integer(v, f)) >= 0 ? ["--input", integer(v, f)] : []),
  thresh: (v) => ["--score-threshold", v],
  prof: (v, f) => (truthy(v, f) ? ["--profile"] : []),
  mp: (v, f) => (truthy(v, f) ? ["--mp"] : []),
  batch_size: (v, f) => ["--batch", integer(v, f)],
  calibration_images: (v) => ["--calib-list", v],
  dump: (v, f) => (truthy(v, f) ? ["--dump-outputs", "dump"] : []),
};
const PAIRED = new Set(["save_detections", "save_detections_path", "width", "height"]);
const BOOLEAN = new Set(["prof", "mp", "dump", "save_detections"]);
export const GFLAG_NAMES: readonly string[] = [...Object.keys(SIMPLE), ...PAIRED].sort();

/** Parses `--name=value` / `-name=value` / `--name` / `--noname` (value-less forms only for booleans). */
export function parseGFlag(arg: string, where: string): GFlag | null {
  const m = /^--?([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(arg);
  if (!m) return null;
  let name = m[1]!;
  let value = m[2];
  if (value === undefined) {
    if (name.startsWith("no") && BOOLEAN.has(name.slice(2))) {
      name = name.slice(2);
      value = "false";
    } else if (BOOLEAN.has(name)) value = "true";
    else if (name !== "flagfile" && !(name in SIMPLE) && !PAIRED.has(name)) return null;
    else throw new Error(`${where}: --${name} needs a value (gflags form --${name}=VALUE)`);
  }
  return { name, value, where };
}

/** The flags of a flagfile, nested flagfiles expanded (relative paths against the including file). */
export function readFlagfile(file: string, seen: Set<string> = new Set()): GFlag[] {
  const resolved = path.resolve(file);
  if (seen.has(resolved)) throw new Error(`${file}: flagfile includes itself`);
  seen.add(resolved);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read flagfile (${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message})`);
  }
  const flags: GFlag[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("//")) return;
    const where = `${file}:${i + 1}`;
    const flag = parseGFlag(line, where);
    if (!flag) throw new Error(`${where}: "${line}", expected a gflags line --name=value`);
    if (flag.name === "flagfile") flags.push(...readFlagfile(path.resolve(path.dirname(file), flag.value), seen));
    else flags.push(flag);
  });
  return flags;
}

/** Translates original flags into this tool's flags; an unknown flag is an error listing the known ones. */
export function translateGFlags(flags: readonly GFlag[]): string[] {
  const out: string[] = [];
  let save: GFlag | undefined;
  let savePath: string | undefined;
  let width: GFlag | undefined;
  let height: GFlag | undefined;
  for (const f of flags) {
    if (f.name === "save_detections") save = f;
    else if (f.name === "save_detections_path") savePath = f.value;
    else if (f.name === "width") width = f;
    else if (f.name === "height") height = f;
    else {
      const map = SIMPLE[f.name];
      if (!map) throw new Error(`${f.where}: unknown lightNet-TRT flag --${f.name} (known: ${GFLAG_NAMES.join(", ")})`);
      out.push(...map(f.value, f));
    }
  }
  if (save && truthy(save.value, save)) out.push("--save-dir", savePath ?? ".");
  if (width || height) {
    if (!width || !height) throw new Error(`${(width ?? height)!.where}: --width and --height go together (the camera capture size)`);
    out.push("--camera-size", `${integer(width.value, width)}x${integer(height.value, height)}`);
  }
  return out;
}
