/**
 * `infer --save-dir`: per frame an annotated picture (boxes, "label score" tags, translucent mask) and,
 * per segmentation head, the class-id mask (grey PNG, value = class id) and the colour mask (PNG in the
 * cfg's colormap). Frames of a video or camera go into one annotated video instead of one picture each.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { annotate, bgrToRgb } from "../draw/annotate.js";
import { Raster, type Rgb } from "../draw/Raster.js";
import type { FrameResult, HeadInfo, RawImage } from "../engine/types.js";
import { callNative } from "../errors/callNative.js";
import { encodeClassIdPng, encodeColorMaskPng } from "../eval/labelPng.js";
import { writeImage } from "../image/writeImage.js";
import { loadNative, type NativeVideoWriter } from "../native.js";
import type { FrameSource } from "./frameSources.js";

export class ResultSaver {
  readonly dir: string;
  readonly #heads: readonly HeadInfo[];
  readonly #videos = new Map<FrameSource, { writer: NativeVideoWriter; file: string; width: number; height: number }>();

  constructor(dir: string, heads: readonly HeadInfo[]) {
    mkdirSync(dir, { recursive: true });
    this.dir = dir;
    this.#heads = heads;
  }

  #colors(headLayer: number): Rgb[] {
    return (this.#heads.find((h) => h.layer === headLayer)?.colormap ?? []).map(bgrToRgb);
  }

  /** `stem` names the output files (Frame.stem); `image` is the frame's pixels. */
  async save(source: FrameSource, stem: string, image: RawImage, result: FrameResult): Promise<void> {
    const raster = Raster.fromImage(image);
    const first = result.masks[0];
    annotate(raster, result.detections, result.masks.slice(0, 1), { maskColors: first ? this.#colors(first.headLayer) : [] });
    const annotated: RawImage = { width: raster.width, height: raster.height, encoding: "rgb8", step: raster.width * 3, data: raster.data };
    if (source.kind === "video" || source.kind === "camera") await this.#writeVideoFrame(source, annotated);
    else await writeImage(path.join(this.dir, `${stem}_annotated.jpg`), annotated);
    result.masks.forEach((m, k) => {
      const suffix = k > 0 ? `_${k}` : "";
      const ids = { width: m.width, height: m.height, data: m.classIds };
      writeFileSync(path.join(this.dir, `${stem}_mask${suffix}.png`), encodeClassIdPng(ids));
      writeFileSync(path.join(this.dir, `${stem}_color_mask${suffix}.png`), encodeColorMaskPng(ids, this.#colors(m.headLayer)));
    });
  }

  async #writeVideoFrame(source: FrameSource, image: RawImage): Promise<void> {
    let video = this.#videos.get(source);
    if (!video) {
      const Writer = loadNative().VideoWriter;
      if (!Writer) throw new Error(`${source.name}: cannot write video: the addon was built without OpenCV`);
      const base = source.kind === "camera" ? source.name.replace(/\s+/g, "") : path.parse(source.name).name;
      const file = path.join(this.dir, `${base}_annotated.mp4`);
      const fps = source.fps && source.fps > 0 ? source.fps : 30;
      video = { writer: new Writer(file, image.width, image.height, fps), file, width: image.width, height: image.height };
      this.#videos.set(source, video);
    }
    if (image.width !== video.width || image.height !== video.height) {
      throw new Error(`${video.file}: frame ${image.width}x${image.height}, expected the video's ${video.width}x${video.height}`);
    }
    const writer = video.writer;
    await callNative(() => writer.write(image));
  }

  /** Finishes the videos of `source` (or all), so their files are complete even if later inputs fail. */
  finish(source?: FrameSource): void {
    for (const [s, v] of this.#videos) {
      if (source && s !== source) continue;
      v.writer.close();
      this.#videos.delete(s);
    }
  }
}
