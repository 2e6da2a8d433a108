/**
 * An image message from a bag → the engine's RawImage and the message's header. sensor_msgs/Image is
 * checked by the node's own input check (same rules online and offline); CompressedImage (JPEG, PNG) is
 * decoded by OpenCV in the native addon.
 */
import type { RawImage } from "../engine/types.js";
import { callNative } from "../errors/callNative.js";
import { loadNative } from "../native.js";
import { toRawImage } from "../ros/imageInput.js";
import { CdrCodec } from "../ros/messages/cdr.js";
import { MessageType, type CompressedImage, type Header, type Image } from "../ros/messages/types.js";
import type { BagMessage } from "./types.js";

export const IMAGE_TYPES: readonly string[] = [MessageType.Image, MessageType.CompressedImage];

export interface DecodedImageMessage {
  header: Header;
  image: RawImage;
}

const stampText = (m: BagMessage) => `${m.topic} @ ${m.logTime / 1_000_000_000n}.${String(m.logTime % 1_000_000_000n).padStart(9, "0")}`;

export async function decodeImageMessage(message: BagMessage): Promise<DecodedImageMessage> {
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
    return { header: msg.header, image: checked.image };
  }
  if (message.type === MessageType.CompressedImage) {
    let msg: CompressedImage;
    try {
      msg = CdrCodec.for<CompressedImage>(MessageType.CompressedImage).deserialize(message.data);
    } catch (e) {
      throw new Error(`${where}: corrupt sensor_msgs/CompressedImage (${(e as Error).message})`);
    }
    const decode = loadNative().decodeImage;
    if (!decode) throw new Error(`${where}: cannot decode CompressedImage: the addon was built without OpenCV`);
    const image = await callNative(() => decode(msg.data, `${where} (format "${msg.format}")`));
    return { header: msg.header, image };
  }
  throw new Error(`${where}: type ${message.type || "(unknown)"}, expected ${IMAGE_TYPES.join(" or ")}`);
}
