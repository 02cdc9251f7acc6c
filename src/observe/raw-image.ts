/**
 * sensor_msgs/msg/Image -> packed RGB (height x width x 3, no row padding), honouring `step`.
 *
 * YUV 4:2:2 follows cv_bridge: `yuv422` is UYVY byte order, `yuv422_yuy2` (and `yuyv`) is YUYV; both
 * are converted with OpenCV's fixed-point BT.601 limited-range coefficients, so the result is the
 * same, bit for bit, as cv_bridge and the Python reference in tools/.
 */
import { InputError } from '../errors.js';
import type { Image } from '../messages.js';

export const RAW_ENCODINGS = ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', 'yuv422', 'yuv422_yuy2', 'yuyv'] as const;
export type RawEncoding = (typeof RAW_ENCODINGS)[number];

const BYTES_PER_PIXEL: Record<RawEncoding, number> = {
  rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1, yuv422: 2, yuv422_yuy2: 2, yuyv: 2,
};

export interface RgbImage {
  width: number;
  height: number;
  /** Packed RGB bytes; for rgb8 without padding, a view of the message's own buffer (no copy). */
  data: Uint8Array;
}

function bytesOf(data: Uint8Array | number[]): Uint8Array {
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

// OpenCV's ITU-R BT.601 fixed-point constants (modules/imgproc/src/color_yuv.simd.hpp).
const SHIFT = 20;
const HALF = 1 << (SHIFT - 1);
const CY = 1220542, CUB = 2116026, CUG = -409993, CVG = -852492, CVR = 1673527;

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function yuv422Row(src: Uint8Array, o: number, width: number, out: Uint8Array, p: number, yuyv: boolean): void {
  for (let x = 0; x < width; x += 2, o += 4, p += 6) {
    // Byte offsets of Y0 U Y1 V inside the 4-byte group (no array per pixel pair: this is the hot loop).
    const y0 = src[o + (yuyv ? 0 : 1)]!, u = src[o + (yuyv ? 1 : 0)]!, y1 = src[o + (yuyv ? 2 : 3)]!, v = src[o + (yuyv ? 3 : 2)]!;
    const uu = u - 128, vv = v - 128;
    const ruv = HALF + CVR * vv, guv = HALF + CVG * vv + CUG * uu, buv = HALF + CUB * uu;
    const a = Math.max(0, y0 - 16) * CY, b = Math.max(0, y1 - 16) * CY;
    out[p] = clamp8((a + ruv) >> SHIFT); out[p + 1] = clamp8((a + guv) >> SHIFT); out[p + 2] = clamp8((a + buv) >> SHIFT);
    out[p + 3] = clamp8((b + ruv) >> SHIFT); out[p + 4] = clamp8((b + guv) >> SHIFT); out[p + 5] = clamp8((b + buv) >> SHIFT);
  }
}

/** `source` names the input in messages, for example "camera head (/cam_high/image_raw)". */
export function rawToRgb(msg: Image, source: string): RgbImage {
  const { width, height, step } = msg;
  const encoding = String(msg.encoding).toLowerCase();
  if (!(RAW_ENCODINGS as readonly string[]).includes(encoding)) {
    throw new InputError(`${source}: image encoding ${JSON.stringify(msg.encoding)} is not supported; expected one of ${RAW_ENCODINGS.join(', ')}. Publish 8-bit colour or mono (for Bayer cameras, debayer with image_proc first).`);
  }
  const enc = encoding as RawEncoding;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InputError(`${source}: image size ${width}x${height} is not a positive integer size.`);
  }
  const bpp = BYTES_PER_PIXEL[enc];
  const row = width * bpp;
  if (!Number.isInteger(step) || step < row) {
    throw new InputError(`${source}: step ${step} is smaller than one row of ${enc} (width ${width} x ${bpp} bytes = ${row}); the driver's step field is wrong.`);
  }
  const src = bytesOf(msg.data);
  if (src.length < height * step) {
    throw new InputError(`${source}: image data has ${src.length} bytes, expected height x step = ${height} x ${step} = ${height * step}; the message is truncated.`);
  }
  if (src.length > height * step) {
    // More bytes than the header accounts for: the encoding, width or step is wrong, so the pixels
    // cannot be trusted to be where the header says.
    throw new InputError(`${source}: image data has ${src.length} bytes, more than height x step = ${height} x ${step} = ${height * step}; the header (encoding ${enc}, width, step) does not describe the data.`);
  }
  if ((enc === 'yuv422' || enc === 'yuv422_yuy2' || enc === 'yuyv') && width % 2 !== 0) {
    throw new InputError(`${source}: ${enc} needs an even width (two pixels share U and V), got ${width}.`);
  }
  if (enc === 'rgb8' && step === row) return { width, height, data: src.subarray(0, height * row) };

  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    let o = y * step;
    let p = y * width * 3;
    switch (enc) {
      case 'rgb8':
        out.set(src.subarray(o, o + row), p);
        break;
      case 'bgr8':
        for (let x = 0; x < width; x++, o += 3, p += 3) { out[p] = src[o + 2]!; out[p + 1] = src[o + 1]!; out[p + 2] = src[o]!; }
        break;
      case 'rgba8':
        for (let x = 0; x < width; x++, o += 4, p += 3) { out[p] = src[o]!; out[p + 1] = src[o + 1]!; out[p + 2] = src[o + 2]!; }
        break;
      case 'bgra8':
        for (let x = 0; x < width; x++, o += 4, p += 3) { out[p] = src[o + 2]!; out[p + 1] = src[o + 1]!; out[p + 2] = src[o]!; }
        break;
      case 'mono8':
        for (let x = 0; x < width; x++, o += 1, p += 3) { const v = src[o]!; out[p] = v; out[p + 1] = v; out[p + 2] = v; }
        break;
      case 'yuv422':
        yuv422Row(src, o, width, out, p, false);
        break;
      case 'yuv422_yuy2':
      case 'yuyv':
        yuv422Row(src, o, width, out, p, true);
        break;
      default: {
        const never: never = enc;
        throw new InputError(`${source}: unhandled encoding ${String(never)}`);
      }
    }
  }
  return { width, height, data: out };
}
