import { strict as assert } from 'node:assert';

import { CameraFeed } from '../../src/observe/camera-feed.js';
import { CameraPreprocessor } from '../../src/observe/camera-preprocessor.js';
import { rejection } from '../helpers.js';
import { jpegImage, rawImage } from '../scene.js';

const SPEC = { role: 'head', input: 'image_head', width: 56, height: 56, resize: 'bicubic', letterbox: false } as const;

/** A 96x72 rgb8 frame of one grey level, so each frame's model image tells which frame it came from. */
function grey(t: number, level: number): ReturnType<typeof rawImage> {
  return rawImage(t, new Uint8Array(96 * 72 * 3).fill(level));
}

describe('camera feed: frames decoded as they arrive', () => {
  it('decodes the first frame at once, and of a burst only the newest: each frame once at most', async () => {
    const feed = new CameraFeed(new CameraPreprocessor(SPEC), 'head', '/cam');
    feed.push({ kind: 'raw', msg: grey(1, 10) });
    feed.push({ kind: 'raw', msg: grey(2, 20) });
    feed.push({ kind: 'raw', msg: grey(3, 30) });
    // Frame 1 is in flight; frame 2 was replaced by frame 3 before it started, and is never decoded.
    assert.deepEqual(feed.counts, { received: 3, decoded: 1 });
    const img = await feed.image();
    assert.equal(img.data.length, 56 * 56 * 3);
    assert.ok(img.data.every((v) => v === 30), 'the snapshot sees the newest frame');
    // Asking again is the same ready image: no second decode.
    assert.equal(await feed.image(), img);
    assert.deepEqual(feed.counts, { received: 3, decoded: 2 });
  });

  it('gives the same image as decoding at snapshot time', async () => {
    const pre = new CameraPreprocessor(SPEC);
    const feed = new CameraFeed(pre, 'head', '/cam');
    feed.push({ kind: 'compressed', msg: jpegImage(1) });
    const direct = await pre.fromCompressed(jpegImage(1), 'camera head (/cam)');
    assert.deepEqual((await feed.image()).data, direct.data);
  });

  it('refuses a corrupt newest frame when asked for it, naming the camera, and recovers with the next frame', async () => {
    const feed = new CameraFeed(new CameraPreprocessor(SPEC), 'head', '/cam');
    feed.push({ kind: 'compressed', msg: jpegImage(1, Uint8Array.from([0xff, 0xd8, 0xff, 0, 0, 0])) });
    const e = await rejection(feed.image());
    assert.match(e.message, /^camera head \(\/cam\): cannot decode the jpeg image/);
    feed.push({ kind: 'raw', msg: grey(2, 40) });
    assert.ok((await feed.image()).data.every((v) => v === 40));
  });
});

describe('camera feed: frames decoded when first used (fixed-latency replay)', () => {
  it('decodes nothing on arrival, the newest frame once when a snapshot asks, and reuses it', async () => {
    const feed = new CameraFeed(new CameraPreprocessor(SPEC), 'head', '/cam', { arrival: false });
    feed.push({ kind: 'raw', msg: grey(1, 10) });
    feed.push({ kind: 'raw', msg: grey(2, 20) });
    assert.deepEqual(feed.counts, { received: 2, decoded: 0 });
    const img = await feed.image();
    assert.ok(img.data.every((v) => v === 20));
    assert.equal(await feed.image(), img);
    assert.deepEqual(feed.counts, { received: 2, decoded: 1 });
  });
});
