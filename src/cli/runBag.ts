/**
 * `lightnet-trt bag`: replays the image topics of a rosbag2 through the engine and writes what the node
 * would publish into an MCAP bag, with the input's timestamps. Messages that cannot be used (unknown
 * encoding, undecodable data) are reported and skipped; if the input turns unreadable part-way, the output
 * written so far is closed properly and kept.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { McapBagWriter, type ChunkCompression } from "../bag/McapBagWriter.js";
import { imageMessageInput } from "../bag/imageMessage.js";
import { nodeOutputs, type NodeOutputSettings } from "../bag/nodeOutputs.js";
import { openBag } from "../bag/openBag.js";
import { selectImageTopics } from "../bag/selectImageTopics.js";
import { Engine } from "../engine/Engine.js";
import { inferredImage } from "../engine/inferredImage.js";
import { chooseLabelMap } from "../ros/labelMap.js";
import { engineOptionsOf, type NodeParameters } from "../ros/parameters.js";
import { ProgressBar } from "./ProgressBar.js";

export interface BagOptions {
  input: string;
  output: string;
  /** image topics to run; default every Image/CompressedImage topic of the bag */
  imageTopics: string[];
  params: NodeParameters;
  /** the node's name: outputs go to /<name>/out/… */
  nodeName: string;
  debugImage: boolean;
  compression: ChunkCompression;
}

const configDir = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "config");

export async function runBag(options: BagOptions, reportError: (err: unknown) => void): Promise<number> {
  if (path.resolve(options.input) === path.resolve(options.output)) throw new Error(`${options.output}: output would overwrite the input bag`);
  const bag = await openBag(options.input);
  let failures = 0;
  try {
    const topics = selectImageTopics(bag, options.imageTopics);
    const p = options.params;
    const engine = await Engine.build({ ...engineOptionsOf({ ...p, inputTopics: ["~/in/image"] }) });
    const labelMap = chooseLabelMap(p.labelMap, engine.labels, existsSync(configDir()) ? configDir() : "config");
    const settingsFor = (cameraIndex: number): NodeOutputSettings => ({
      nodeName: options.nodeName,
      cameraIndex,
      cameraCount: topics.length,
      params: p,
      mapping: labelMap.mapping,
      heads: engine.info.heads,
      debugImage: options.debugImage,
    });
    const counts = new Map(bag.topics().map((t) => [t.name, t.messageCount]));
    const total = topics.every((t) => counts.get(t) !== null) ? topics.reduce((n, t) => n + (counts.get(t) ?? 0), 0) : null;
    const writer = await McapBagWriter.create(options.output, options.compression);
    const progress = new ProgressBar(total);
    const thresholds = { scoreThreshold: p.scoreThreshold, nmsThreshold: p.nmsThreshold };
    try {
      for await (const message of bag.messages(topics)) {
        try {
          const { header, input } = imageMessageInput(message);
          // a CompressedImage is decoded inside detect(); its pixels come back only for the debug image
          const [frame] = await engine.detect([input], thresholds, { returnDecoded: options.debugImage });
          for (const out of nodeOutputs(settingsFor(topics.indexOf(message.topic)), header, inferredImage(input, frame!), frame!)) {
            await writer.write(out.topic, out.type, out.message, message.logTime, message.publishTime);
          }
        } catch (err) {
          failures++;
          progress.clear();
          reportError(err);
        }
        progress.tick();
      }
    } catch (err) {
      failures++;
      progress.clear();
      reportError(err); // the input broke off: keep (and properly close) what was written
    } finally {
      progress.finish();
      await writer.close();
      engine.close();
    }
    const written = [...writer.counts()].map(([t, n]) => `${t}: ${n}`).join(", ");
    process.stderr.write(`lightnet-trt bag: wrote ${options.output} (${written || "no messages"}); label map: ${labelMap.source}\n`);
  } finally {
    await bag.close();
  }
  return failures === 0 ? 0 : 1;
}
