/**
 * lightnet_trt_node: the ROS 2 shell around the engine. Declares the parameters, subscribes to the
 * camera topics, keeps the newest frame per camera, runs batched inference on the serving engine and
 * publishes Autoware's messages per camera. Everything ROS goes through RosNodeHandle.
 */
import type { DetectInput, FrameResult, RawImage } from "../engine/types.js";
import { inferredImage } from "../engine/inferredImage.js";
import { isEncodedImage } from "../engine/validateDetectInput.js";
import { CameraOutputs, type Frame } from "./CameraOutputs.js";
import { checkCompressedFormat } from "./compressedImage.js";
import type { Detector, DetectorFactory } from "./detector.js";
import { EngineSupervisor, type SupervisorStatus } from "./EngineSupervisor.js";
import { toRawImage } from "./imageInput.js";
import { LatestDecoder } from "./LatestDecoder.js";
import { chooseLabelMap, type ClassMapping } from "./labelMap.js";
import { LatestFrameScheduler, type CameraFrame } from "./LatestFrameScheduler.js";
import { float64Stamped, timeFromNanoseconds } from "./messages/debugMessages.js";
import {
  EngineState, MessageType, type CompressedImage, type EngineStatus, type Float64Stamped, type Header, type Image,
} from "./messages/types.js";
import {
  descriptorOf, engineOptionsOf, PARAMETER_SPECS, parameterSpec, toNodeParameters, validateParameter, type NodeParameters,
} from "./parameters.js";
import type { ParameterValue, RosNodeHandle, RosPublisher, SetParametersResult } from "./rosInterface.js";
import { Throttle } from "./Throttle.js";

export interface LightnetNodeOptions {
  createDetector: DetectorFactory;
  /** the package's config/ (shipped label maps) */
  configDir: string;
  /**
   * Decodes sensor_msgs/CompressedImage in JS before inference when input_transport is compressed. By default
   * the detector decodes each frame itself (the Engine: natively, straight into its input buffer, in the same
   * task as the inference).
   */
  decodeCompressed?: (message: CompressedImage) => Promise<RawImage>;
  /** monotonic milliseconds for processing and cycle times */
  monotonicMs?: () => number;
  /** period of repeated warnings (ms) */
  warnPeriodMs?: number;
}

const STATE_CODE = { building: EngineState.BUILDING, ready: EngineState.READY, failed: EngineState.FAILED } as const;

export class LightnetNode {
  readonly #ros: RosNodeHandle;
  readonly #options: LightnetNodeOptions;
  readonly #values = new Map<string, ParameterValue>();
  #params: NodeParameters;
  readonly #supervisor: EngineSupervisor;
  readonly #mappings = new WeakMap<Detector, ClassMapping[]>();
  readonly #cameras: CameraOutputs[];
  /** per camera, when input_transport is compressed and decodeCompressed is given */
  readonly #decoders: LatestDecoder[] = [];
  readonly #scheduler: LatestFrameScheduler<Frame>;
  readonly #status: RosPublisher<EngineStatus>;
  readonly #processingTime: RosPublisher<Float64Stamped>;
  readonly #cyclicTime: RosPublisher<Float64Stamped>;
  readonly #throttle: Throttle;
  readonly #now: () => number;
  #lastBatchStart: number | null = null;
  #loggedDecile = -1;
  #lastStatusMessage = "";
  #configError = "";
  /** whether an engine build was ever requested (not while the startup parameters are invalid) */
  #requested = false;

  private constructor(ros: RosNodeHandle, options: LightnetNodeOptions) {
    this.#ros = ros;
    this.#options = options;
    this.#now = options.monotonicMs ?? (() => performance.now());
    this.#throttle = new Throttle(options.warnPeriodMs ?? 5000, this.#now);

    for (const spec of PARAMETER_SPECS) this.#values.set(spec.name, ros.declareParameter(descriptorOf(spec), spec.default));
    this.#params = toNodeParameters(this.#values);
    this.#configError = this.#invalidParameters();

    this.#supervisor = new EngineSupervisor(options.createDetector, (s) => this.#onStatus(s), (d) => {
      this.#mappings.set(d, this.#resolveLabels(d));
    });
    this.#status = ros.createPublisher<EngineStatus>(MessageType.EngineStatus, "~/out/status", "latched");
    this.#processingTime = ros.createPublisher<Float64Stamped>(MessageType.Float64Stamped, "~/debug/processing_time_ms", "default");
    this.#cyclicTime = ros.createPublisher<Float64Stamped>(MessageType.Float64Stamped, "~/debug/cyclic_time_ms", "default");

    const many = this.#params.inputTopics.length > 1;
    this.#cameras = this.#params.inputTopics.map((input, i) => new CameraOutputs(ros, input, many ? String(i) : ""));
    this.#scheduler = new LatestFrameScheduler<Frame>(this.#cameras.length, (batch) => this.#infer(batch), (e) => {
      this.#warn("inference", `inference failed: ${e instanceof Error ? e.message : String(e)}`);
    });

    this.#cameras.forEach((camera, i) => {
      if (this.#params.inputTransport === "compressed") {
        const decode = options.decodeCompressed;
        if (decode !== undefined) {
          this.#decoders[i] = new LatestDecoder({
            decode,
            onImage: (header, image) => this.#accept(i, header, image),
            onError: (e) => this.#warn(`input-${i}`, `${camera.input}: cannot decode (${e.message}); frame skipped`),
          });
        }
        ros.createSubscription<CompressedImage>(MessageType.CompressedImage, camera.input, "sensor_data", (m) => this.#onCompressed(i, m));
      } else {
        ros.createSubscription<Image>(MessageType.Image, camera.input, "sensor_data", (m) => this.#onImage(i, m));
      }
    });
    ros.onSetParameters((changes) => this.#onSetParameters(changes));
  }

  /**
   * Creates the node and starts the first engine build in the background. With build_only, exits
   * (RosNodeHandle.shutdown) with 0 once the engine is built, 1 if it cannot be.
   */
  static start(ros: RosNodeHandle, options: LightnetNodeOptions): LightnetNode {
    const node = new LightnetNode(ros, options);
    node.#begin();
    return node;
  }

  get parameters(): NodeParameters {
    return this.#params;
  }

  get status(): SupervisorStatus {
    return this.#supervisor.status;
  }

  /** Frames replaced before inference, per camera. */
  get droppedFrames(): readonly number[] {
    // with compressed input, a frame can also be replaced while it waits for its decode
    return this.#scheduler.dropped.map((n, i) => n + (this.#decoders[i]?.dropped ?? 0));
  }

  /** Resolves when no build runs and no frame waits (tests, shutdown). */
  async whenIdle(): Promise<void> {
    for (const d of this.#decoders) await d.whenIdle();
    await this.#supervisor.whenIdle();
    await this.#scheduler.whenIdle();
  }

  async close(): Promise<void> {
    for (const d of this.#decoders) await d.whenIdle();
    await this.#scheduler.whenIdle();
    await this.#supervisor.close();
  }

  #begin(): void {
    const { buildOnly } = this.#params;
    if (this.#configError !== "") {
      this.#ros.logger.error(`invalid parameters, no engine is built: ${this.#configError}`);
      this.#publishStatus({ ...this.#supervisor.status, state: "failed", lastError: this.#configError, message: "invalid parameters" });
      if (buildOnly) this.#ros.shutdown(1);
      return;
    }
    this.#ros.logger.info(`building engine for ${this.#params.modelCfg} (${this.#params.backend}, ${this.#params.precision}, batch ${this.#cameras.length})`);
    this.#requestBuild();
    if (buildOnly) {
      void this.#supervisor.whenIdle().then(() => {
        const ok = this.#supervisor.status.state === "ready";
        if (ok) this.#ros.logger.info("build_only: engine built, exiting");
        else this.#ros.logger.error(`build_only: build failed: ${this.#supervisor.status.lastError}`);
        this.#ros.shutdown(ok ? 0 : 1);
      });
    }
  }

  /** Reasons of every parameter value that fails validation, joined; "" when all are valid. */
  #invalidParameters(): string {
    const reasons: string[] = [];
    for (const [name, value] of this.#values) {
      const reason = validateParameter(name, value);
      if (reason !== null) reasons.push(reason);
    }
    return reasons.join("; ");
  }

  #requestBuild(): void {
    this.#requested = true;
    this.#supervisor.request(engineOptionsOf(this.#params));
  }

  #resolveLabels(detector: Detector): ClassMapping[] {
    const { mapping, source } = chooseLabelMap(this.#params.labelMap, detector.labels, this.#options.configDir);
    this.#ros.logger.info(`label map: ${source}`);
    return mapping;
  }

  #onStatus(status: SupervisorStatus): void {
    const decile = Math.floor(status.progress * 10);
    if (status.state !== "ready" || status.rebuilding) {
      if (decile !== this.#loggedDecile && status.progress < 1) this.#ros.logger.info(`engine build ${Math.round(status.progress * 100)}%: ${status.message}`);
    }
    this.#loggedDecile = status.progress >= 1 ? -1 : decile;
    const changed = status.message !== this.#lastStatusMessage;
    this.#lastStatusMessage = status.message;
    if (changed && status.message === "ready") this.#ros.logger.info(`engine ready: ${status.backend} ${status.precision}`);
    if (changed && status.message === "build failed") {
      const still = status.state === "ready" ? "; the previous engine keeps serving" : "";
      this.#ros.logger.error(`engine build failed: ${status.lastError}${still}`);
    }
    this.#publishStatus(status);
  }

  #publishStatus(status: SupervisorStatus): void {
    this.#status.publish({
      header: { stamp: timeFromNanoseconds(this.#ros.nowNanoseconds()), frame_id: "" },
      state: STATE_CODE[status.state],
      rebuilding: status.rebuilding,
      backend: status.backend,
      precision: status.precision,
      model_cfg: status.options?.cfg ?? this.#params.modelCfg,
      build_progress: Math.fround(status.progress), // float32 on the wire
      build_message: status.message,
      last_error: status.lastError,
    });
  }

  #onSetParameters(changes: { name: string; value: ParameterValue }[]): SetParametersResult {
    const reasons: string[] = [];
    for (const { name, value } of changes) {
      const spec = parameterSpec(name);
      if (spec?.effect === "restart") reasons.push(`${name}: read-only, restart the node to change it`);
      else {
        const reason = validateParameter(name, value);
        if (reason !== null) reasons.push(reason);
      }
    }
    if (reasons.length > 0) return { successful: false, reason: reasons.join("; ") };

    const next = new Map(this.#values);
    for (const { name, value } of changes) next.set(name, value);
    const params = toNodeParameters(next);

    // A new label map must fit the serving engine's classes before it is accepted.
    let mapping: { detector: Detector; mapping: ClassMapping[] } | null = null;
    if (params.labelMap !== this.#params.labelMap) {
      const lease = this.#supervisor.acquire();
      if (lease !== null) {
        try {
          mapping = { detector: lease.detector, mapping: chooseLabelMap(params.labelMap, lease.detector.labels, this.#options.configDir).mapping };
        } catch (e) {
          return { successful: false, reason: (e as Error).message };
        } finally {
          lease.release();
        }
      }
    }

    const rebuild = changes.some(({ name }) => parameterSpec(name)?.effect === "rebuild");
    for (const [k, v] of next) this.#values.set(k, v);
    this.#params = params;
    if (mapping !== null) this.#mappings.set(mapping.detector, mapping.mapping);
    this.#configError = this.#invalidParameters();
    if (this.#configError !== "" && !this.#requested) {
      this.#publishStatus({ ...this.#supervisor.status, state: "failed", lastError: this.#configError, message: "invalid parameters" });
    }
    if (this.#configError === "" && (rebuild || !this.#requested)) {
      this.#ros.logger.info(`parameters changed (${changes.map((c) => c.name).join(", ")}): building the engine in the background`);
      this.#requestBuild();
    }
    return { successful: true, reason: "" };
  }

  #warn(key: string, message: string): void {
    const suppressed = this.#throttle.take(key);
    if (suppressed === null) return;
    this.#ros.logger.warn(suppressed > 0 ? `${message} (${suppressed} more since the last warning)` : message);
  }

  #accept(camera: number, header: Header, input: DetectInput): void {
    if (this.#supervisor.status.state !== "ready") {
      const s = this.#supervisor.status;
      const why = this.#configError !== "" ? `invalid parameters: ${this.#configError}`
        : s.state === "building" ? `building ${Math.round(s.progress * 100)}%` : `build failed: ${s.lastError}`;
      this.#warn("not-ready", `engine not ready (${why}): frames skipped`);
      return;
    }
    this.#scheduler.push(camera, { header, input });
  }

  #onImage(camera: number, message: Image): void {
    const checked = toRawImage(message);
    if (!checked.ok) {
      this.#warn(`input-${camera}`, `${this.#cameras[camera]?.input}: ${checked.reason}; frame skipped`);
      return;
    }
    this.#accept(camera, message.header, checked.image);
  }

  /**
   * Data that is not JPEG/PNG is rejected at once. The rest waits, as bytes, for inference (latest frame per
   * camera), where the detector decodes it; or, with a decodeCompressed option, decodes first, off the JS thread.
   */
  #onCompressed(camera: number, message: CompressedImage): void {
    try {
      checkCompressedFormat(message);
    } catch (e) {
      this.#warnUndecodable(camera, e);
      return;
    }
    const decoder = this.#decoders[camera];
    if (decoder !== undefined) decoder.push(message);
    else this.#accept(camera, message.header, { encoded: message.data, what: `format "${message.format}"` });
  }

  #warnUndecodable(camera: number, e: unknown): void {
    this.#warn(`input-${camera}`, `${this.#cameras[camera]?.input}: cannot decode (${e instanceof Error ? e.message : String(e)}); frame skipped`);
  }

  /**
   * One chunk through the detector. A CompressedImage that turns out undecodable fails the whole call; the
   * chunk's frames then run one by one, so only that camera loses its frame (with a warning).
   */
  async #detectChunk(detector: Detector, chunk: CameraFrame<Frame>[], thresholds: { scoreThreshold: number; nmsThreshold: number }): Promise<(FrameResult | undefined)[]> {
    const returnDecoded = chunk.some((f) => isEncodedImage(f.frame.input) && this.#cameras[f.camera]?.wantsImage === true);
    const run = (frames: CameraFrame<Frame>[]) => detector.detect(frames.map((f) => f.frame.input), thresholds, returnDecoded ? { returnDecoded } : {});
    try {
      return await run(chunk);
    } catch (e) {
      if (!isDecodeError(e) || !chunk.some((f) => isEncodedImage(f.frame.input))) throw e;
      if (chunk.length === 1) {
        this.#warnUndecodable(chunk[0]!.camera, e);
        return [undefined];
      }
    }
    const results: (FrameResult | undefined)[] = [];
    for (const f of chunk) {
      try {
        results.push((await run([f]))[0]);
      } catch (e) {
        if (!isDecodeError(e) || !isEncodedImage(f.frame.input)) throw e;
        this.#warnUndecodable(f.camera, e);
        results.push(undefined);
      }
    }
    return results;
  }

  async #infer(batch: CameraFrame<Frame>[]): Promise<void> {
    const lease = this.#supervisor.acquire();
    if (lease === null) return;
    const start = this.#now();
    try {
      const detector = lease.detector;
      const mapping = this.#mappings.get(detector) ?? [];
      const params = this.#params;
      const thresholds = { scoreThreshold: params.scoreThreshold, nmsThreshold: params.nmsThreshold };
      for (let i = 0; i < batch.length; i += Math.max(1, detector.maxBatch)) {
        const chunk = batch.slice(i, i + Math.max(1, detector.maxBatch));
        const results = await this.#detectChunk(detector, chunk, thresholds);
        chunk.forEach((f, k) => {
          const result = results[k];
          if (result !== undefined) {
            this.#cameras[f.camera]?.publish(f.frame.header, inferredImage(f.frame.input, result), result, detector, mapping, params);
          }
        });
      }
    } finally {
      lease.release();
    }
    const end = this.#now();
    const stamp = timeFromNanoseconds(this.#ros.nowNanoseconds());
    this.#processingTime.publish(float64Stamped(stamp, end - start));
    if (this.#lastBatchStart !== null) this.#cyclicTime.publish(float64Stamped(stamp, start - this.#lastBatchStart));
    this.#lastBatchStart = start;
  }
}

/** A decode failure of the detector (the addon's MediaError), as opposed to an inference failure. */
function isDecodeError(e: unknown): boolean {
  return e instanceof Error && (e as Error & { code?: string }).code === "LIGHTNET_MEDIA_ERROR";
}
