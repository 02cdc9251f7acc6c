/**
 * Runs a model folder's fixture through the TypeScript runtime and measures it against the outputs
 * the tools recorded (PyTorch's, or for a streamed export Python onnxruntime's: ort_fixture.py): token ids, normalised state, conditioning, one velocity, the sampled
 * chunk (with the fixture's noise) and the decoded per-arm poses.
 */
import { loadFixture, maxAbsDiff } from './fixture.js';
import { normalize } from './normalization.js';
import type { Policy } from './policy.js';

export interface ParityReport {
  tokensMatch: boolean;
  errors: { name: string; maxAbs: number }[];
  maxAbs: number;
  /** Wall-clock seconds of the encoder run and of the sampling (every denoiser step), for a person
   * running a large model once; never asserted. */
  seconds: { encoder: number; sampling: number };
}

/** Quaternions q and -q are one rotation; compare the one nearer the reference. */
function quaternionDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i += 4) {
    let same = 0, flipped = 0;
    for (let j = 0; j < 4; j++) {
      same = Math.max(same, Math.abs((a[i + j] as number) - (b[i + j] as number)));
      flipped = Math.max(flipped, Math.abs((a[i + j] as number) + (b[i + j] as number)));
    }
    m = Math.max(m, Math.min(same, flipped));
  }
  return m;
}

export async function runFixture(policy: Policy): Promise<ParityReport> {
  const m = policy.manifest;
  const fx = loadFixture(m.dir);
  const images: Record<string, Uint8Array> = {};
  for (const c of m.cameras) images[c.role] = fx.images.get(c.input) ?? new Uint8Array(0);
  const obs = { images, state: fx.state, instruction: fx.instruction };
  const errors: { name: string; maxAbs: number }[] = [];

  let start = performance.now();
  const cond = await policy.encode(obs);
  const encoder = (performance.now() - start) / 1e3;
  errors.push({ name: 'state_normalized', maxAbs: maxAbsDiff(normalize(fx.state, m.state.normalization), fx.expected.stateNormalized) });
  for (const [name, want] of fx.expected.conditioning) {
    errors.push({ name: `conditioning.${name}`, maxAbs: maxAbsDiff(cond.get(name)?.data as Float32Array, want) });
  }
  errors.push({ name: 'velocity', maxAbs: maxAbsDiff(await policy.velocity(cond, fx.xT, fx.t), fx.expected.velocity) });
  start = performance.now();
  const normalized = await policy.sample(cond, { noise: fx.noise });
  const sampling = (performance.now() - start) / 1e3;
  errors.push({ name: 'chunk_normalized', maxAbs: maxAbsDiff(normalized, fx.expected.chunkNormalized) });
  const chunk = policy.decode(normalized);
  errors.push({ name: 'chunk', maxAbs: maxAbsDiff(chunk.actions, fx.expected.chunk) });
  chunk.arms.forEach((arm, a) => {
    const want = fx.expected.poses[a];
    if (!want) return;
    errors.push({ name: `${arm.name}.position`, maxAbs: maxAbsDiff(arm.position, want.position) });
    errors.push({ name: `${arm.name}.quaternion`, maxAbs: quaternionDiff(arm.quaternion, want.quaternion) });
    if (arm.gripper) errors.push({ name: `${arm.name}.gripper`, maxAbs: maxAbsDiff(arm.gripper, want.gripper) });
  });

  // Token ids are compared exactly: a different tokenisation is a different prompt.
  const ids = policy.promptIds(fx.instruction);
  let tokensMatch = true;
  for (const [name, want] of fx.expected.inputIds) {
    const got = ids.get(name) ?? [];
    if (got.length !== want.length || got.some((v, i) => v !== want[i])) tokensMatch = false;
  }
  return { tokensMatch, errors, maxAbs: Math.max(...errors.map((e) => e.maxAbs)), seconds: { encoder, sampling } };
}
