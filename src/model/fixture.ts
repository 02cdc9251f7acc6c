/**
 * The fixtures the tools write beside each model (`fixtures/fixture.json`): deterministic inputs and
 * the PyTorch outputs, decoded into typed arrays for the parity checks of `twinvla predict --fixture`
 * and the tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ModelError } from '../errors.js';

interface RawArray {
  dtype: 'float32' | 'int64' | 'uint8';
  shape: number[];
  data?: number[];
  base64?: string;
}

export interface Fixture {
  file: string;
  instruction: string;
  images: Map<string, Uint8Array>; // by encoder input name (image_<role>)
  state: Float32Array;
  noise: Float32Array;
  xT: Float32Array;
  t: number;
  expected: {
    inputIds: Map<string, number[]>;
    stateNormalized: Float32Array;
    conditioning: Map<string, Float32Array>;
    velocity: Float32Array;
    chunkNormalized: Float32Array;
    chunk: Float32Array;
    poses: { position: Float32Array; quaternion: Float32Array; gripper: Float32Array }[];
  };
}

function f32(a: RawArray): Float32Array {
  return Float32Array.from(a.data ?? []);
}

/** The file's shape, as tools/twinvla_tools/fixtures.py writes it. */
interface RawFixture {
  instruction: string;
  inputs: { images: Record<string, RawArray>; state: RawArray; noise: RawArray; x_t: RawArray; t: number };
  expected: {
    input_ids: Record<string, RawArray>;
    state_normalized: RawArray;
    conditioning: Record<string, RawArray>;
    velocity: RawArray;
    chunk_normalized: RawArray;
    chunk: RawArray;
    poses: { position: RawArray; quaternion: RawArray; gripper: RawArray }[];
  };
}

export function loadFixture(modelDir: string): Fixture {
  const file = join(modelDir, 'fixtures', 'fixture.json');
  if (!existsSync(file)) {
    throw new ModelError('MODEL_FILE', `${file} is missing: this model folder has no fixture. Export it with tools/twinvla_tools/export.py, which writes fixtures/fixture.json.`);
  }
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawFixture;
  const exp = raw.expected;
  const images = new Map<string, Uint8Array>();
  for (const [name, a] of Object.entries(raw.inputs.images)) {
    images.set(name, new Uint8Array(Buffer.from(a.base64 ?? '', 'base64')));
  }
  return {
    file,
    instruction: raw.instruction,
    images,
    state: f32(raw.inputs.state),
    noise: f32(raw.inputs.noise),
    xT: f32(raw.inputs.x_t),
    t: raw.inputs.t,
    expected: {
      inputIds: new Map(Object.entries(exp.input_ids).map(([k, v]) => [k, v.data ?? []])),
      stateNormalized: f32(exp.state_normalized),
      conditioning: new Map(Object.entries(exp.conditioning).map(([k, v]) => [k, f32(v)])),
      velocity: f32(exp.velocity),
      chunkNormalized: f32(exp.chunk_normalized),
      chunk: f32(exp.chunk),
      poses: exp.poses.map((p) => ({ position: f32(p.position), quaternion: f32(p.quaternion), gripper: f32(p.gripper) })),
    },
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
