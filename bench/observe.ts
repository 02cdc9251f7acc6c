/**
 * P1: three 640x480 cameras (two raw rgb8, one JPEG) to model inputs at the tiny (56) and published
 * (448) sizes, against the Python reference preprocessing (numpy + PIL) doing the same work in the
 * same run, measured both ways:
 * - at arrival: the cost of decoding and resizing one frame set as the frames arrive, in sharp's
 *   thread pool held to one thread (a separate core from the inference path);
 * - at snapshot: ObservationAssembler.snapshot() with the frames ready, which is what the inference
 *   path waits for (the critical path): freshness checks, TF, joint states and the ready images.
 * Goal: p99 <= 3 ms on the critical path and >= 3x faster than Python.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

import type { CompressedImage, Image, TFMessage } from '../src/messages.js';
import { loadManifest } from '../src/model/manifest.js';
import { ObservationAssembler, type ObserveConfig } from '../src/observe/observation-assembler.js';
import { nsToStamp, secondsToNs } from '../src/time.js';

const secToStamp = (t: number): ReturnType<typeof nsToStamp> => nsToStamp(secondsToNs(t));
import { fmt, median, quantile } from './stats.js';
import { summarize } from './summary.js';

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

const ROLES = ['head', 'left_wrist', 'right_wrist'] as const;

function observeConfig(): ObserveConfig {
  return {
    cameras: ROLES.map((role) => ({ role, topic: `/${role}` })),
    arms: (['left', 'right'] as const).map((arm) => ({
      name: arm,
      pose: { kind: 'tf' as const, baseFrame: `${arm}_base`, eeFrame: `${arm}_ee` },
      jointTopic: '/joint_states',
      joints: [`${arm}_shoulder`],
      gripper: { joint: `${arm}_gripper`, closedPosition: 0, openPosition: 0.04, modelClosed: 0, modelOpen: 1 },
    })),
    instruction: 'hand over the box',
    maxAge: { camera: 1e9, joints: 1e9, pose: 1e9 },
    futureTolerance: 1e9,
  };
}

function tf(t: number, parent: string, child: string): TFMessage {
  return { transforms: [{ header: { stamp: secToStamp(t), frame_id: parent }, child_frame_id: child, transform: { translation: { x: 0.3, y: 0, z: 0.2 }, rotation: { x: 1, y: 0, z: 0, w: 0 } } }] };
}

/** An assembler for the tiny TwinVLA with its cameras at `size`, every input but the cameras present. */
function assembler(root: string, size: number): ObservationAssembler {
  const m = loadManifest(join(root, 'models', 'twinvla-tiny'));
  const a = new ObservationAssembler({ ...m, cameras: m.cameras.map((c) => ({ ...c, width: size, height: size, letterbox: false })) }, observeConfig());
  for (const arm of ['left', 'right']) {
    a.onTf(tf(0, 'world', `${arm}_base`), true);
    for (let t = 0; t <= 1e6; t += 1e6) a.onTf(tf(t, `${arm}_base`, `${arm}_ee`), false);
    a.onJointState('/joint_states', { header: { stamp: secToStamp(0), frame_id: '' }, name: [`${arm}_shoulder`, `${arm}_gripper`], position: [0.1, 0.02], velocity: [], effort: [] });
  }
  return a;
}

const row = (cells: string[], widths: number[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!))).join('');

export async function benchObserve(root: string, iterations: number): Promise<string[]> {
  sharp.concurrency(1);
  const raw = cameraFrame();
  const jpeg = new Uint8Array(await sharp(raw, { raw: { width: 640, height: 480, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-p1-'));
  writeFileSync(join(dir, 'cam.rgb'), raw);
  writeFileSync(join(dir, 'cam.jpg'), jpeg);
  const py = join(root, '.venv', 'bin', 'python');

  const widths = [7, 16, 11, 11, 12, 12, 10];
  const lines = [`P1: three 640x480 cameras (2 raw rgb8, 1 JPEG) -> model inputs, ${iterations} frame sets; sharp on one thread`];
  lines.push(row(['size', 'where', 'node p50', 'node p99', 'python p50', 'python p99', 'speed-up'], widths));
  for (const size of [56, 448]) {
    const a = assembler(root, size);
    let t = 1;
    const header = (): Image['header'] => ({ stamp: secToStamp(t), frame_id: 'cam' });
    // A new frame set arrives, is decoded in the thread pool; the snapshot then takes ready images.
    const arrive = (): void => {
      a.onImage('head', { header: header(), width: 640, height: 480, encoding: 'rgb8', is_bigendian: 0, step: 640 * 3, data: raw });
      a.onImage('left_wrist', { header: header(), width: 640, height: 480, encoding: 'rgb8', is_bigendian: 0, step: 640 * 3, data: raw });
      a.onCompressedImage('right_wrist', { header: header(), format: 'rgb8; jpeg compressed bgr8', data: jpeg } satisfies CompressedImage);
      t += 0.1;
    };
    const arrival: number[] = [];
    const snapshot: number[] = [];
    for (let i = 0; i < 20 + iterations; i++) {
      const t0 = performance.now();
      arrive();
      await a.snapshot(secondsToNs(t)); // waits for the three decodes: the arrival cost of one frame set
      const t1 = performance.now();
      await a.snapshot(secondsToNs(t)); // the frames are ready: the critical path of an inference
      const t2 = performance.now();
      if (i >= 20) { arrival.push(t1 - t0 - (t2 - t1)); snapshot.push(t2 - t1); }
    }
    const counts = [...a.cameraCounts().values()];
    if (counts.some((c) => c.decoded !== c.received)) throw new Error(`P1: frames decoded ${JSON.stringify(counts)}: each frame should be decoded once`);
    let pyMs: number[] | null = null;
    if (existsSync(py)) {
      const out = execFileSync(py, ['-m', 'twinvla_tools.bench_preprocess', '--raw', join(dir, 'cam.rgb'), '--jpeg', join(dir, 'cam.jpg'), '--size', String(size), '--iterations', String(iterations)], {
        cwd: root, env: { ...process.env, PYTHONPATH: join(root, 'tools'), OMP_NUM_THREADS: '1' }, encoding: 'utf8',
      });
      pyMs = (JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ms: number[] }).ms;
    }
    const cells: string[] = [];
    for (const [where, ms] of [['arrival', arrival], ['snapshot', snapshot]] as const) {
      const py = pyMs ? [`${fmt(median(pyMs))} ms`, `${fmt(quantile(pyMs, 0.99))} ms`, `${(median(pyMs) / median(ms)).toFixed(1)}x`] : ['-', '-', '-'];
      lines.push(row([String(size), where === 'arrival' ? 'at arrival' : 'at snapshot', `${fmt(median(ms))} ms`, `${fmt(quantile(ms, 0.99))} ms`, ...py], widths));
      cells.push(`${where === 'arrival' ? 'at arrival (off the inference path)' : 'at snapshot (critical path)'}: p50 ${fmt(median(ms))} ms, p99 ${fmt(quantile(ms, 0.99))} ms, ${py[2]}`);
    }
    summarize({ id: 'P1', what: `three 640x480 cameras (2 raw rgb8, 1 JPEG) to ${size} px model inputs, against PIL + numpy (p50 ${pyMs ? fmt(median(pyMs)) : '-'} ms)`, goal: 'critical path p99 <= 3 ms, >= 3x', result: cells.join('; ') });
  }
  lines.push('at arrival: decode + resize of one frame set, off the inference path; at snapshot: the critical path (python decodes there)');
  sharp.concurrency(0);
  return lines;
}
