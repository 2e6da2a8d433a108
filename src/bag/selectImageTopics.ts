import { IMAGE_TYPES } from "./imageMessage.js";
import type { BagReader } from "./types.js";

/** The image topics to run, checked against the bag; the error lists what the bag has. */
export function selectImageTopics(bag: BagReader, requested: readonly string[]): string[] {
  const topics = bag.topics();
  const images = topics.filter((t) => IMAGE_TYPES.includes(t.type));
  const listing = () => topics.map((t) => `${t.name} (${t.type || "unknown type"})`).join(", ") || "none";
  if (!requested.length) {
    if (!images.length) throw new Error(`${bag.path}: no sensor_msgs Image or CompressedImage topic; topics: ${listing()}`);
    return images.map((t) => t.name);
  }
  for (const name of requested) {
    const t = topics.find((x) => x.name === name);
    if (!t) throw new Error(`${bag.path}: no topic ${name}; topics: ${listing()}`);
    if (!IMAGE_TYPES.includes(t.type)) throw new Error(`${bag.path}: topic ${name} carries ${t.type}, expected ${IMAGE_TYPES.join(" or ")}`);
  }
  return [...requested];
}
