/**
 * Camera frames for the report: a recorded Image (rgb8, bgr8, mono8) or CompressedImage (jpeg, png)
 * made into a small JPEG data URI, so that report.html stays one self-contained file.
 */
import sharp from 'sharp';

import type { CompressedImage, Image } from '../messages.js';

const CHANNELS: Record<string, number> = { rgb8: 3, bgr8: 3, mono8: 1, rgba8: 4, bgra8: 4 };

/** A JPEG data URI `width` pixels wide, or null for an encoding this does not draw. */
export async function thumbnail(type: string, msg: unknown, width = 160): Promise<string | null> {
  let img: sharp.Sharp;
  if (type === 'sensor_msgs/msg/CompressedImage') {
    const { data } = msg as CompressedImage;
    img = sharp(data instanceof Uint8Array ? data : Uint8Array.from(data));
  } else if (type === 'sensor_msgs/msg/Image') {
    const m = msg as Image;
    const channels = CHANNELS[m.encoding];
    if (!channels || m.step !== m.width * channels) return null;
    let data = m.data instanceof Uint8Array ? m.data : Uint8Array.from(m.data);
    if (m.encoding.startsWith('bgr')) {
      data = Uint8Array.from(data);
      for (let i = 0; i + 2 < data.length; i += channels) { const b = data[i] as number; data[i] = data[i + 2] as number; data[i + 2] = b; }
    }
    img = sharp(data, { raw: { width: m.width, height: m.height, channels: channels as 1 | 3 | 4 } });
  } else {
    return null;
  }
  const jpeg = await img.resize({ width }).jpeg({ quality: 72 }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
