import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CameraPreprocessor } from '../../src/observe/camera-preprocessor.js';
import type { CameraSpec } from '../../src/model/manifest.js';
import type { Image } from '../../src/messages.js';
import { rejection, ROOT } from '../helpers.js';

const header = { stamp: { sec: 1, nanosec: 0 }, frame_id: 'cam' };
const spec: CameraSpec = { role: 'head', input: 'image_head', width: 56, height: 56, resize: 'bicubic', letterbox: false };
const SRC = 'camera head (/cam_high/image_raw)';
const jpeg = new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', 'images', 'jpeg.bin')));

function raw(over: Partial<Image>): Image {
  return { header, width: 4, height: 2, encoding: 'rgb8', is_bigendian: 0, step: 12, data: new Uint8Array(24), ...over };
}

describe('bad camera input gives a clear error and no image', () => {
  const pre = new CameraPreprocessor(spec);

  it('an unknown encoding, with the supported ones', async () => {
    const e = await rejection(pre.fromImage(raw({ encoding: 'bayer_rggb8' }), SRC));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /^camera head \(\/cam_high\/image_raw\): image encoding "bayer_rggb8" is not supported; expected one of rgb8, bgr8, rgba8, bgra8, mono8, yuv422, yuv422_yuy2, yuyv/);
  });

  it('a step smaller than one row', async () => {
    const e = await rejection(pre.fromImage(raw({ step: 10 }), SRC));
    assert.match(e.message, /step 10 is smaller than one row of rgb8 \(width 4 x 3 bytes = 12\)/);
  });

  it('data shorter than height x step', async () => {
    const e = await rejection(pre.fromImage(raw({ step: 16, data: new Uint8Array(20) }), SRC));
    assert.match(e.message, /image data has 20 bytes, expected height x step = 2 x 16 = 32; the message is truncated/);
  });

  it('data longer than height x step (refused: the header does not describe it)', async () => {
    const e = await rejection(pre.fromImage(raw({ data: new Uint8Array(30) }), SRC));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /^camera head \(\/cam_high\/image_raw\): image data has 30 bytes, more than height x step = 2 x 12 = 24; the header \(encoding rgb8, width, step\) does not describe the data\.$/);
  });

  it('a YUV 4:2:2 image of odd width', async () => {
    const e = await rejection(pre.fromImage(raw({ encoding: 'yuv422', width: 3, step: 6, data: new Uint8Array(12) }), SRC));
    assert.match(e.message, /yuv422 needs an even width/);
  });

  it('a zero-sized image', async () => {
    assert.match((await rejection(pre.fromImage(raw({ width: 0, step: 0 }), SRC))).message, /image size 0x2 is not a positive integer size/);
  });

  it('a corrupt JPEG', async () => {
    const data = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const e = await rejection(pre.fromCompressed({ header, format: 'rgb8; jpeg compressed bgr8', data }, SRC));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /^camera head \(\/cam_high\/image_raw\): cannot decode the jpeg image \(.+\); the data is corrupt or truncated/);
  });

  it('a JPEG cut in half', async () => {
    const e = await rejection(pre.fromCompressed({ header, format: 'jpeg', data: jpeg.subarray(0, jpeg.length >> 1) }, SRC));
    assert.match(e.message, /cannot decode the jpeg image .*corrupt or truncated/);
  });

  it('data that is neither JPEG nor PNG', async () => {
    const e = await rejection(pre.fromCompressed({ header, format: 'png', data: Uint8Array.from([1, 2, 3, 4, 5]) }, SRC));
    assert.match(e.message, /format says png, but the data \(5 bytes, starting 01 02 03 04\) is neither a JPEG nor a PNG/);
  });

  it('a format string that disagrees with the data', async () => {
    const e = await rejection(pre.fromCompressed({ header, format: 'bgr8; png compressed bgr8', data: jpeg }, SRC));
    assert.match(e.message, /format says png, but the data is a jpeg; fix the publisher's format string/);
  });

  it('a compressed depth image', async () => {
    const e = await rejection(pre.fromCompressed({ header, format: '16UC1; compressedDepth png', data: jpeg }, SRC));
    assert.match(e.message, /is a compressed depth image/);
  });

  it('an unknown compressed format', async () => {
    const e = await rejection(pre.fromCompressed({ header, format: 'rgb8; webp compressed bgr8', data: jpeg }, SRC));
    assert.match(e.message, /compressed format "rgb8; webp compressed bgr8" is not supported; expected jpeg or png/);
  });
});
