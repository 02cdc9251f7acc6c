import { strict as assert } from 'node:assert';

import { normalize, unnormalize } from '../../src/model/normalization.js';
import { GaussianNoise } from '../../src/model/noise.js';
import { guidanceActive, sampleFlow, timeGrid } from '../../src/model/sampler.js';

describe('flow-matching sampler', () => {
  it('lists the evaluation times of both directions', () => {
    assert.deepEqual(timeGrid(1, 4), [1, 0.75, 0.5, 0.25]);
    assert.deepEqual(timeGrid(0, 4), [0, 0.25, 0.5, 0.75]);
  });

  it('integrates a known field exactly: dx/dt = v moves x by -v from t=1 to t=0', async () => {
    const noise = Float32Array.of(0.5, -1);
    const x = await sampleFlow(async () => ({ conditional: Float32Array.of(2, 3), unconditional: null }), noise, { noiseTime: 1, steps: 10, guidance: null });
    assert.ok(Math.abs(x[0]! - (0.5 - 2)) < 1e-6 && Math.abs(x[1]! - (-1 - 3)) < 1e-6);
    const y = await sampleFlow(async () => ({ conditional: Float32Array.of(2, 3), unconditional: null }), noise, { noiseTime: 0, steps: 4, guidance: null });
    assert.ok(Math.abs(y[0]! - 2.5) < 1e-6 && Math.abs(y[1]! - 2) < 1e-6);
  });

  it('recovers the data point of a straight-line flow in one step', async () => {
    // For x_t = t*noise + (1-t)*a, the true velocity is noise - a.
    const a = Float32Array.of(0.3, -0.7, 1.2);
    const noise = new GaussianNoise(1).fill(new Float32Array(3));
    const v = noise.map((n, i) => n - a[i]!);
    const x = await sampleFlow(async () => ({ conditional: v, unconditional: null }), noise, { noiseTime: 1, steps: 1, guidance: null });
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(x[i]! - a[i]!) < 1e-6);
  });

  it('applies guidance as u + s (c - u) and clamps the guided velocity', async () => {
    const field = async () => ({ conditional: Float32Array.of(1, 4), unconditional: Float32Array.of(0, -2) });
    const x = await sampleFlow(field, Float32Array.of(0, 0), { noiseTime: 0, steps: 1, guidance: { scale: 1.5, clamp: 5, clampTarget: 'velocity', appliesAbove: null } });
    // Guided: [1.5, -2 + 1.5 * 6 = 7 -> clamped to 5].
    assert.deepEqual(Array.from(x), [1.5, 5]);
  });

  // TwinVLA (action_heads.py denoise_cfg): x += dt * guided velocity, then x = clamp(x, -5, 5); the
  // velocity is never clamped, and guidance runs only for scale > 1 (denoise otherwise).
  const twinvla = (scale: number) => ({ scale, clamp: 5, clampTarget: 'sample' as const, appliesAbove: 1 });

  it('clamps the sample after each step, not the velocity, when the clamp target is the sample', async () => {
    const field = async () => ({ conditional: Float32Array.of(60, 4), unconditional: Float32Array.of(0, -2) });
    // One step from t=1 to 0 (dt = -1): guided velocity [90, 7]; x = [0.5 - 90, 0.5 - 7] -> [-5, -5].
    const x = await sampleFlow(field, Float32Array.of(0.5, 0.5), { noiseTime: 1, steps: 1, guidance: twinvla(1.5) });
    assert.deepEqual(Array.from(x), [-5, -5]);
    // Two steps of dt = -0.5: a velocity of 7 (above 5) moves the sample by 3.5 each step; only the
    // second step's sample (0.5 - 7 = -6.5) is bounded.
    const y = await sampleFlow(async () => ({ conditional: Float32Array.of(4), unconditional: Float32Array.of(-2) }), Float32Array.of(0.5), { noiseTime: 1, steps: 2, guidance: twinvla(1.5) });
    assert.deepEqual(Array.from(y), [-5]);
    const z = await sampleFlow(async () => ({ conditional: Float32Array.of(4), unconditional: Float32Array.of(-2) }), Float32Array.of(4), { noiseTime: 1, steps: 2, guidance: twinvla(1.5) });
    assert.deepEqual(Array.from(z), [-3]); // 4 - 3.5 - 3.5: never beyond +-5, never clamped
  });

  it('samples without guidance, and without its clamp, when the scale is not above applies_above', async () => {
    const field = async (_x: Float32Array) => ({ conditional: Float32Array.of(60), unconditional: Float32Array.of(0) });
    const x = await sampleFlow(field, Float32Array.of(0.5), { noiseTime: 1, steps: 1, guidance: twinvla(1) });
    assert.deepEqual(Array.from(x), [0.5 - 60]);
    assert.equal(guidanceActive(twinvla(1)), false);
    assert.equal(guidanceActive(twinvla(1.1)), true);
    assert.equal(guidanceActive({ ...twinvla(0.5), appliesAbove: null }), true);
  });

  it('pins prefix rows to the forward process at every evaluated time, and exactly at the end', async () => {
    const seen: number[][] = [];
    const noise = Float32Array.of(1, 1, 1, 1);
    const prefix = { rows: 1, values: Float32Array.of(0.2, -0.4) };
    const x = await sampleFlow(async (xt) => { seen.push(Array.from(xt)); return { conditional: new Float32Array(4), unconditional: null }; },
      noise, { noiseTime: 1, steps: 2, guidance: null }, prefix);
    // t = 1: pure noise; t = 0.5: halfway between noise and the prefix.
    assert.deepEqual(seen[0]!.slice(0, 2), [1, 1]);
    assert.ok(Math.abs(seen[1]![0]! - 0.6) < 1e-6 && Math.abs(seen[1]![1]! - 0.3) < 1e-6);
    assert.deepEqual(Array.from(x.subarray(0, 2)), Array.from(prefix.values));
  });
});

describe('quantile normalisation', () => {
  const q = { method: 'quantile' as const, q01: [0, -1, 5], q99: [2, 1, 6], mask: [true, false, true], eps: 1e-6 };

  it('maps [q01, q99] to [-1, 1] on masked dimensions only', () => {
    const y = normalize([1, 0.25, 5], q);
    assert.ok(Math.abs(y[0]! - (2 * 1 / (2 + 1e-6) - 1)) < 1e-7);
    assert.equal(y[1], 0.25);
    assert.equal(y[2], -1);
  });

  it('un-normalises rows of any count, and clips first where the family clips', () => {
    const y = Float32Array.of(0, 3, 1, -2, -3, 2);
    const free = unnormalize(y, q, false);
    assert.ok(Math.abs(free[0]! - 1) < 1e-6);
    assert.equal(free[1], 3);
    assert.ok(Math.abs(free[3]! - -1) < 1e-5); // (-2 + 1) / 2 * (2 + 1e-6) + 0
    const clipped = unnormalize(y, q, true);
    assert.equal(clipped[1], 1);
    assert.ok(Math.abs(clipped[3]! - 0) < 1e-6);
    assert.equal(clipped[4], -1);
  });

  it('uses the manifest eps (starVLA un-normalises with none) and rounds the dimensions asked, half to even', () => {
    const exact = { ...q, eps: 0 };
    assert.equal(unnormalize(Float32Array.of(0.5, 0, 0), exact, false)[0], 1.5);
    const r = unnormalize(Float32Array.of(0, 0.5, -1, 0, 1.5, -0.2), { ...exact, mask: [true, false, false] }, false, undefined, [true, true, false]);
    assert.deepEqual(Array.from(r), [1, 0, -1, 1, 2, -0.2].map(Math.fround));
  });
});
