import { strict as assert } from 'node:assert';

import { smoothChunk } from '../../src/act/smooth-chunk.js';
import { ChunkTimeline } from '../../src/act/timeline.js';
import type { Quat, Transform } from '../../src/geometry.js';
import { secondsToNs } from '../../src/time.js';

const Q: Quat = [0, 0, 0, 1];
const chunkOf = (xs: number[]): { stamp: bigint; dt: number; poses: Transform[]; gripper: null } => ({ stamp: 0n, dt: 0.05, poses: xs.map((x) => ({ t: [x, 0, 0], q: Q })), gripper: null });
const third = (xs: number[]): number => Math.sqrt(xs.slice(3).reduce((a, _, i) => a + (xs[i + 3]! - 3 * xs[i + 2]! + 3 * xs[i + 1]! - xs[i]!) ** 2, 0) / (xs.length - 3));

describe('chunk smoothing (jerk-penalised least squares)', () => {
  it('leaves a constant-acceleration motion as it is (third differences zero) and off means off', () => {
    const xs = Array.from({ length: 20 }, (_, k) => 0.3 + 0.01 * k + 0.001 * k * k);
    const s = smoothChunk(chunkOf(xs), 100);
    s.poses.forEach((p, k) => assert.ok(Math.abs(p.t[0] - xs[k]!) < 1e-9));
    const c = chunkOf(xs);
    assert.equal(smoothChunk(c, 0), c);
  });

  it('divides step-to-step noise by about 1 + 64 lambda in jerk', () => {
    const xs = Array.from({ length: 20 }, (_, k) => 0.01 * k + (k % 2 ? 0.002 : -0.002));
    const before = third(xs);
    const after = third(smoothChunk(chunkOf(xs), 10).poses.map((p) => p.t[0]));
    assert.ok(after < before / 100, `${after} vs ${before}`);
  });

  it('a timeline with smoothing stores the smoothed chunk', () => {
    const tl = new ChunkTimeline('left', { kind: 'latest' }, 'hold');
    tl.setSmoothing(10);
    const xs = Array.from({ length: 20 }, (_, k) => (k % 2 ? 0.002 : -0.002));
    tl.add(chunkOf(xs), 0n);
    assert.ok(Math.abs(tl.sample(secondsToNs(0.5))!.pose.t[0]) < 2e-4);
  });

  it('crossfade with the minimum-jerk profile: weight 10s^3 - 15s^4 + 6s^5 of the new chunk', () => {
    const tl = new ChunkTimeline('left', { kind: 'crossfade', steps: 4, profile: 'minimum_jerk' }, 'hold');
    tl.add(chunkOf(Array(20).fill(0)), 0n);
    tl.add({ ...chunkOf(Array(20).fill(1)), stamp: secondsToNs(0.1) }, secondsToNs(0.1));
    const s = 0.25;
    assert.ok(Math.abs(tl.sample(secondsToNs(0.1 + s * 0.2))!.pose.t[0] - (10 * s ** 3 - 15 * s ** 4 + 6 * s ** 5)) < 1e-9);
    assert.ok(Math.abs(tl.sample(secondsToNs(0.3))!.pose.t[0] - 1) < 1e-12);
  });
});
