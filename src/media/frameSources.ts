/**
 * Where `infer` gets its frames: image files (a file or a directory of them), a video file, a camera
 * index, or the image topics of a rosbag2. Each source yields decoded frames in order with a name for
 * JSON lines and file names, and says how many frames to expect when it knows.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { readFile } from "node:fs/promises";
import type { DetectInput } from "../engine/types.js";
import { callNative } from "../errors/callNative.js";
import { loadNative, type NativeVideoReader } from "../native.js";
import { imageMessageInput } from "../bag/imageMessage.js";
import { openBag } from "../bag/openBag.js";
import { selectImageTopics } from "../bag/selectImageTopics.js";
import { expandInputs } from "../cli/expandInputs.js";

export interface Frame {
  /** what `infer --json` reports as "source": the file, or "clip.mp4#12", or "bag#/topic@sec.nsec" */
  source: string;
  /** a file-name-safe stem for outputs ("dog", "clip_000012", "front_image_raw_1700000000_000000100") */
  stem: string;
  /**
   * What detect() takes: decoded pixels (video, camera, raw bag images), or the encoded bytes of an image file or
   * CompressedImage, which the engine decodes straight into its input buffer in the same task as the inference.
   */
  input: DetectInput;
  /** the frame's time in ns (video position, bag log time), when it has one */
  timeNs?: bigint;
}

export interface FrameSource {
  readonly name: string;
  readonly kind: "images" | "video" | "camera" | "bag";
  /** frames to expect; null when unknown (cameras, some streams) */
  readonly total: number | null;
  /** frames per second of a video or camera (0 when unknown); undefined for stills and bags */
  readonly fps?: number;
  /**
   * Frames in order. A frame that cannot be decoded is passed to `onError` and skipped; a source that
   * breaks off (truncated video, corrupt bag) throws after the frames before it.
   */
  frames(onError: (err: unknown) => void): AsyncGenerator<Frame>;
  close(): Promise<void>;
}

const VIDEO_EXTENSIONS = new Set([".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".mjpeg", ".h264", ".h265", ".hevc"]);
const BAG_EXTENSIONS = /\.(mcap|db3)(\.zstd)?$/;
const safe = (s: string) => s.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]+/g, "_");

class ImageFiles implements FrameSource {
  readonly kind = "images";
  readonly total: number;
  constructor(readonly name: string, readonly files: string[]) {
    this.total = files.length;
  }
  async *frames(onError: (err: unknown) => void): AsyncGenerator<Frame> {
    for (const file of this.files) {
      let encoded: Uint8Array;
      try {
        encoded = await readEncodedFile(file);
      } catch (err) {
        onError(err);
        continue;
      }
      yield { source: file, stem: safe(path.parse(file).name), input: { encoded, what: file } };
    }
  }
  async close(): Promise<void> {}
}

class Video implements FrameSource {
  readonly total: number | null;
  readonly fps: number;
  readonly #reader: NativeVideoReader;
  constructor(readonly name: string, readonly kind: "video" | "camera", reader: NativeVideoReader) {
    this.#reader = reader;
    const info = reader.info();
    this.total = info.frameCount >= 0 ? info.frameCount : null;
    this.fps = info.fps;
  }
  async *frames(): AsyncGenerator<Frame> {
    const stem = this.kind === "camera" ? `camera${this.name.replace(/\D+/g, "")}` : safe(path.parse(this.name).name);
    for (let index = 0; ; index++) {
      const next = await callNative(() => this.#reader.read());
      if (!next) return;
      yield {
        source: `${this.name}#${index}`,
        stem: `${stem}_${String(index).padStart(6, "0")}`,
        input: next.image,
        timeNs: BigInt(Math.round(next.positionMs * 1e6)),
      };
    }
  }
  async close(): Promise<void> {
    this.#reader.close();
  }
}

class BagImages implements FrameSource {
  readonly kind = "bag";
  constructor(readonly name: string, readonly bag: Awaited<ReturnType<typeof openBag>>, readonly topics: string[], readonly total: number | null) {}
  async *frames(onError: (err: unknown) => void): AsyncGenerator<Frame> {
    for await (const message of this.bag.messages(this.topics)) {
      let input: DetectInput;
      try {
        input = imageMessageInput(message).input;
      } catch (err) {
        onError(err);
        continue;
      }
      const t = message.logTime;
      const stamp = `${t / 1_000_000_000n}.${String(t % 1_000_000_000n).padStart(9, "0")}`;
      yield { source: `${this.name}#${message.topic}@${stamp}`, stem: safe(`${message.topic}_${stamp}`), input, timeNs: t };
    }
  }
  async close(): Promise<void> {
    await this.bag.close();
  }
}

/** An image file's bytes; errors name the file as the native image reader's do. */
async function readEncodedFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${file}: no such file`);
    if (code === "EISDIR") throw new Error(`${file}: is a directory, expected an image file`);
    throw new Error(`${file}: cannot read (${(err as Error).message})`);
  }
}

function openVideo(source: string | number, cameraSize?: { width: number; height: number }): NativeVideoReader {
  const native = loadNative();
  if (!native.VideoReader) throw new Error(`${source}: cannot read video: the addon was built without OpenCV (install libopencv-dev and rebuild)`);
  const Reader = native.VideoReader;
  try {
    return cameraSize ? new Reader(source, cameraSize) : new Reader(source);
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

function isBag(input: string): boolean {
  if (BAG_EXTENSIONS.test(input)) return true;
  return existsSync(input) && statSync(input).isDirectory() && existsSync(path.join(input, "metadata.yaml"));
}

/**
 * The source for one `--input` value: an integer that names no file is a camera index; a rosbag2 file or
 * directory needs `imageTopics` (or takes every image topic); a file with a video extension is a video;
 * anything else is image files.
 */
export async function openFrameSource(input: string, imageTopics: readonly string[] = [], cameraSize?: { width: number; height: number }): Promise<FrameSource> {
  if (/^\d+$/.test(input) && !existsSync(input)) return new Video(`camera ${input}`, "camera", openVideo(Number(input), cameraSize));
  if (isBag(input)) {
    const bag = await openBag(input);
    try {
      const topics = selectImageTopics(bag, imageTopics);
      const counts = bag.topics().filter((t) => topics.includes(t.name)).map((t) => t.messageCount);
      const total = counts.every((c) => c !== null) ? counts.reduce((a, b) => a! + b!, 0) : null;
      return new BagImages(input, bag, topics, total);
    } catch (err) {
      await bag.close();
      throw err;
    }
  }
  if (VIDEO_EXTENSIONS.has(path.extname(input).toLowerCase())) return new Video(input, "video", openVideo(input));
  return new ImageFiles(input, expandInputs([input]));
}
