/**
 * P1: three 640x480 cameras (two raw rgb8, one JPEG) to model inputs at the tiny (56) and published
 * (448) sizes, one frame set at a time on one core (sharp's thread pool held to 1), against the
 * Python reference preprocessing (numpy + PIL) doing the same work in the same run.
 * Goal: p99 <= 3 ms and >= 3x faster than Python.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

import type { CompressedImage, Image } from '../src/messages.js';
import { CameraPreprocessor } from '../src/observe/camera-preprocessor.js';
import { fmt, median, quantile } from './stats.js';

function cameraFrame(): Uint8Array {
  const w = 640, h = 480;
  const out = new Uint8Array(w * h * 3);
  let seed = 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const n = (seed >>> 24) / 16 - 8;
      const o = (y * w + x) * 3;
      out[o] = Math.max(0, Math.min(255, (x / w) * 255 + n));
      out[o + 1] = Math.max(0, Math.min(255, (y / h) * 255 + n));
      out[o + 2] = Math.max(0, Math.min(255, (Math.sin(x / 9) * Math.cos(y / 13) * 0.5 + 0.5) * 255 + n));
    }
  }
  return out;
}

export async function benchObserve(root: string, iterations: number): Promise<string[]> {
  sharp.concurrency(1);
  const raw = cameraFrame();
  const jpeg = new Uint8Array(await sharp(raw, { raw: { width: 640, height: 480, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' };
  const image: Image = { header, width: 640, height: 480, encoding: 'rgb8', is_bigendian: 0, step: 640 * 3, data: raw };
  const compressed: CompressedImage = { header, format: 'rgb8; jpeg compressed bgr8', data: jpeg };
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-p1-'));
  writeFileSync(join(dir, 'cam.rgb'), raw);
  writeFileSync(join(dir, 'cam.jpg'), jpeg);
  const py = join(root, '.venv', 'bin', 'python');

  const lines = [`P1: three 640x480 cameras (2 raw rgb8, 1 JPEG) -> model inputs, one core, ${iterations} frame sets`];
  lines.push(`${'size'.padEnd(10)}${'node p50'.padStart(11)}${'node p99'.padStart(11)}${'python p50'.padStart(12)}${'python p99'.padStart(12)}${'speed-up'.padStart(10)}`);
  for (const size of [56, 448]) {
    const pre = new CameraPreprocessor({ role: 'head', input: 'image_head', width: size, height: size, resize: 'bicubic', letterbox: false });
    const once = async (): Promise<void> => {
      await pre.fromImage(image, 'camera head');
      await pre.fromImage(image, 'camera left_wrist');
      await pre.fromCompressed(compressed, 'camera right_wrist');
    };
    for (let i = 0; i < 20; i++) await once();
    const ms: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      await once();
      ms.push(performance.now() - t);
    }
    let pyCells = ['-', '-', '-'];
    if (existsSync(py)) {
      const out = execFileSync(py, ['-m', 'twinvla_tools.bench_preprocess', '--raw', join(dir, 'cam.rgb'), '--jpeg', join(dir, 'cam.jpg'), '--size', String(size), '--iterations', String(iterations)], {
        cwd: root, env: { ...process.env, PYTHONPATH: join(root, 'tools'), OMP_NUM_THREADS: '1' }, encoding: 'utf8',
      });
      const pyMs = (JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ms: number[] }).ms;
      pyCells = [`${fmt(median(pyMs))} ms`, `${fmt(quantile(pyMs, 0.99))} ms`, `${(median(pyMs) / median(ms)).toFixed(1)}x`];
    }
    lines.push(`${String(size).padEnd(10)}${`${fmt(median(ms))} ms`.padStart(11)}${`${fmt(quantile(ms, 0.99))} ms`.padStart(11)}${pyCells[0]!.padStart(12)}${pyCells[1]!.padStart(12)}${pyCells[2]!.padStart(10)}`);
  }
  sharp.concurrency(0);
  return lines;
}
