/**
 * Autoware's run-length form of a class-id mask (perception_utils::runLengthEncoder): row-major runs,
 * each a 5-byte record of uint8 class id and int32 little-endian run length, no zero-length runs.
 */

export const RLE_RECORD_BYTES = 5;

/** Encodes `classIds` (row-major, one byte per pixel) into 5-byte records. */
export function encodeRle(classIds: Uint8Array): Uint8Array {
  if (classIds.length === 0) return new Uint8Array(0);
  let runs = 1;
  for (let i = 1; i < classIds.length; i++) if (classIds[i] !== classIds[i - 1]) runs++;
  const out = new Uint8Array(runs * RLE_RECORD_BYTES);
  const view = new DataView(out.buffer);
  let record = 0;
  let start = 0;
  for (let i = 1; i <= classIds.length; i++) {
    if (i === classIds.length || classIds[i] !== classIds[start]) {
      out[record] = classIds[start] as number;
      view.setInt32(record + 1, i - start, true);
      record += RLE_RECORD_BYTES;
      start = i;
    }
  }
  return out;
}

/** Decodes 5-byte records into `pixelCount` class ids; throws when the runs do not add up exactly. */
export function decodeRle(data: Uint8Array, pixelCount: number): Uint8Array {
  if (data.length % RLE_RECORD_BYTES !== 0) {
    throw new Error(`RLE mask: ${data.length} bytes, expected a multiple of ${RLE_RECORD_BYTES}`);
  }
  const out = new Uint8Array(pixelCount);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  for (let r = 0; r < data.length; r += RLE_RECORD_BYTES) {
    const length = view.getInt32(r + 1, true);
    if (length <= 0 || pos + length > pixelCount) {
      throw new Error(`RLE mask: record ${r / RLE_RECORD_BYTES} run length ${length}, expected 1..${pixelCount - pos}`);
    }
    out.fill(data[r] as number, pos, pos + length);
    pos += length;
  }
  if (pos !== pixelCount) throw new Error(`RLE mask: runs cover ${pos} pixels, expected ${pixelCount}`);
  return out;
}
