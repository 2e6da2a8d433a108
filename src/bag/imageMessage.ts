/**
 * An image message from a bag → what the engine's detect() takes, and the message's header.
 * sensor_msgs/Image is checked by the node's own input check (same rules online and offline) and passed
 * as a RawImage without copying; CompressedImage passes its bytes as an EncodedImage, which the engine
 * decodes natively (OpenCV) straight into its input buffer, as the node does.
 */
import type { DetectInput } from "../engine/types.js";
import { toRawImage } from "../ros/imageInput.js";
import { CdrCodec } from "../ros/messages/cdr.js";
import { MessageType, type CompressedImage, type Header, type Image } from "../ros/messages/types.js";
import type { BagMessage } from "./types.js";

export const IMAGE_TYPES: readonly string[] = [MessageType.Image, MessageType.CompressedImage];

export interface ImageMessageInput {
  header: Header;
  input: DetectInput;
}

const stampText = (m: BagMessage) => `${m.topic} @ ${m.logTime / 1_000_000_000n}.${String(m.logTime % 1_000_000_000n).padStart(9, "0")}`;

/** Throws naming the topic and log time when the message is corrupt, of another type, or an unusable Image. */
export function imageMessageInput(message: BagMessage): ImageMessageInput {
  const where = stampText(message);
  if (message.type === MessageType.Image) {
    let msg: Image;
    try {
      msg = CdrCodec.for<Image>(MessageType.Image).deserialize(message.data);
    } catch (e) {
      throw new Error(`${where}: corrupt sensor_msgs/Image (${(e as Error).message})`);
    }
    const checked = toRawImage(msg);
    if (!checked.ok) throw new Error(`${where}: ${checked.reason}`);
    return { header: msg.header, input: checked.image };
  }
  if (message.type === MessageType.CompressedImage) {
    let msg: CompressedImage;
    try {
      msg = CdrCodec.for<CompressedImage>(MessageType.CompressedImage).deserialize(message.data);
    } catch (e) {
      throw new Error(`${where}: corrupt sensor_msgs/CompressedImage (${(e as Error).message})`);
    }
    if (msg.data.length === 0) throw new Error(`${where} (format "${msg.format}"): empty image data`);
    return { header: msg.header, input: { encoded: msg.data, what: `${where} (format "${msg.format}")` } };
  }
  throw new Error(`${where}: type ${message.type || "(unknown)"}, expected ${IMAGE_TYPES.join(" or ")}`);
}
