import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CameraPreprocessor } from '../../src/observe/camera-preprocessor.js';
import type { CameraSpec } from '../../src/model/manifest.js';
import type { CompressedImage, Image } from '../../src/messages.js';
import { ROOT } from '../helpers.js';

const DIR = join(ROOT, 'test', 'fixtures', 'images');

interface Case { name: string; kind: 'raw' | 'compressed'; encoding?: string; step?: number; format?: string }
interface Cases { width: number; height: number; specs: Record<string, { width: number; height: number; resize: 'bicubic'; letterbox: boolean }>; cases: Case[] }

const meta = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as Cases;
const header = { stamp: { sec: 1, nanosec: 0 }, frame_id: 'cam' };

export function compare(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  assert.equal(a.length, b.length);
  let sum = 0, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

describe('camera preprocessing against the Python reference (golden images)', () => {
  for (const c of meta.cases) {
    for (const [specName, s] of Object.entries(meta.specs)) {
      it(`${c.name} -> ${specName} (${s.width}x${s.height}${s.letterbox ? ', letterbox' : ''}): mean <= 1.0, max <= 8 levels`, async () => {
        const spec: CameraSpec = { role: 'head', input: 'image_head', ...s };
        const pre = new CameraPreprocessor(spec);
        const data = new Uint8Array(readFileSync(join(DIR, `${c.name}.bin`)));
        const out = c.kind === 'raw'
          ? await pre.fromImage({ header, height: meta.height, width: meta.width, encoding: c.encoding!, is_bigendian: 0, step: c.step!, data } satisfies Image, 'camera head')
          : await pre.fromCompressed({ header, format: c.format!, data } satisfies CompressedImage, 'camera head');
        assert.equal(out.width, s.width);
        assert.equal(out.height, s.height);
        assert.equal(out.sourceWidth, meta.width);
        const ref = new Uint8Array(readFileSync(join(DIR, `${c.name}.${specName}.rgb`)));
        const { mean, max } = compare(out.data, ref);
        assert.ok(mean <= 1.0 && max <= 8, `mean ${mean.toFixed(3)}, max ${max}`);
      });
    }
  }

  it('decodes raw encodings exactly before resizing (same size in and out: no resampling)', async () => {
    const spec: CameraSpec = { role: 'head', input: 'image_head', width: meta.width, height: meta.height, resize: 'bicubic', letterbox: false };
    const pre = new CameraPreprocessor(spec);
    const rgb = new Uint8Array(readFileSync(join(DIR, 'rgb8.bin')));
    for (const c of meta.cases.filter((k) => ['rgb8_padded', 'bgr8', 'bgr8_padded', 'rgba8', 'bgra8'].includes(k.name))) {
      const data = new Uint8Array(readFileSync(join(DIR, `${c.name}.bin`)));
      const out = await pre.fromImage({ header, height: meta.height, width: meta.width, encoding: c.encoding!, is_bigendian: 0, step: c.step!, data }, 'camera head');
      assert.deepEqual(Buffer.from(out.data), Buffer.from(rgb), c.name);
    }
  });
});
