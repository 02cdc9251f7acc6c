/**
 * sensor_msgs/msg/CompressedImage: the `format` strings image_transport writes ("jpeg",
 * "rgb8; jpeg compressed bgr8", "bgr8; png compressed bgr8", ...), checked against the data's magic
 * bytes. compressed_image_transport converts colour images to BGR before cv::imencode, so the file
 * itself holds true colours whatever the source encoding: decoding gives RGB directly.
 */
import { InputError } from '../errors.js';
import type { CompressedImage } from '../messages.js';

export type CompressedKind = 'jpeg' | 'png';

export function compressedKind(msg: CompressedImage, source: string): CompressedKind {
  const format = String(msg.format ?? '').toLowerCase();
  if (format.includes('compresseddepth')) {
    throw new InputError(`${source}: format ${JSON.stringify(msg.format)} is a compressed depth image; the model's cameras take colour images (jpeg or png).`);
  }
  const declared: CompressedKind | null = /\b(jpeg|jpg)\b/.test(format) ? 'jpeg' : /\bpng\b/.test(format) ? 'png' : null;
  const data = msg.data instanceof Uint8Array ? msg.data : Uint8Array.from(msg.data);
  const magic: CompressedKind | null =
    data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff ? 'jpeg'
      : data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47 ? 'png' : null;
  if (declared === null) {
    throw new InputError(`${source}: compressed format ${JSON.stringify(msg.format)} is not supported; expected jpeg or png (for example "rgb8; jpeg compressed bgr8").`);
  }
  if (magic === null) {
    const head = Array.from(data.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputError(`${source}: format says ${declared}, but the data (${data.length} bytes, starting ${head || 'empty'}) is neither a JPEG nor a PNG; the image is corrupt or truncated.`);
  }
  if (magic !== declared) {
    throw new InputError(`${source}: format says ${declared}, but the data is a ${magic}; fix the publisher's format string.`);
  }
  return declared;
}
