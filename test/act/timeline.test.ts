import { strict as assert } from 'node:assert';

import type { Quat, Transform } from '../../src/geometry.js';
import type { ArmChunk } from '../../src/act/chunk.js';
import { ChunkTimeline, parseBlendMode } from '../../src/act/timeline.js';
import { thrown } from '../helpers.js';
import { ns } from '../scene.js';

const Q: Quat = [0, 0, 0, 1];
function chunk(stamp: number, xs: number[], dt = 0.1, gripper: number[] = xs.map(() => 0.5)): ArmChunk {
  return { stamp: ns(stamp), dt, poses: xs.map((x): Transform => ({ t: [x, 0, 0], q: Q })), gripper };
}
const x = (tl: ChunkTimeline, t: number): number | undefined => tl.sample(ns(t))?.pose.t[0];
const close = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) < 1e-9;

describe('chunk timeline', () => {
  it('dues step k at stamp + k dt and interpolates between steps', () => {
    const tl = new ChunkTimeline('left', { kind: 'latest' }, 'lerp');
    tl.add(chunk(10, [0, 1, 2, 3]), ns(10));
    assert.ok(close(x(tl, 10), 0) && close(x(tl, 10.1), 1) && close(x(tl, 10.25), 2.5));
    assert.equal(tl.sample(ns(10.31)), null); // past the last step: nothing covers it
  });

  it('drops and counts the steps already past on arrival', () => {
    const tl = new ChunkTimeline('left', { kind: 'latest' }, 'lerp');
    const r = tl.add(chunk(10, [0, 1, 2, 3, 4]), ns(10.25));
    assert.deepEqual(r, { accepted: true, dropped: 3 });
    assert.equal(tl.droppedSteps, 3);
    assert.equal(tl.sample(ns(10.2)), null); // before its arrival, the chunk commands nothing
    assert.ok(close(x(tl, 10.25), 2.5));
  });

  it('refuses a chunk entirely in the past, and one older than the newest', () => {
    const tl = new ChunkTimeline('left', { kind: 'latest' }, 'lerp');
    assert.deepEqual(tl.add(chunk(10, [0, 1]), ns(11)), { accepted: false, dropped: 2, reason: 'stale' });
    tl.add(chunk(12, [0, 1, 2]), ns(12));
    assert.deepEqual(tl.add(chunk(11.9, [5, 5, 5, 5, 5]), ns(12.01)), { accepted: false, dropped: 0, reason: 'out_of_order' });
    assert.equal(tl.staleChunks, 1);
    assert.equal(tl.outOfOrderChunks, 1);
  });

  it('latest: the newest covering chunk wins', () => {
    const tl = new ChunkTimeline('left', { kind: 'latest' }, 'lerp');
    tl.add(chunk(10, [0, 0, 0, 0, 0]), ns(10));
    tl.add(chunk(10.2, [1, 1, 1]), ns(10.2));
    assert.ok(close(x(tl, 10.15), 0) && close(x(tl, 10.3), 1));
  });

  it('temporal ensembling: weights exp(-m i), the oldest chunk first', () => {
    const m = 0.5;
    const tl = new ChunkTimeline('left', { kind: 'temporal_ensemble', coefficient: m }, 'lerp');
    tl.add(chunk(10, [0, 0, 0, 0, 0]), ns(10));
    tl.add(chunk(10.1, [1, 1, 1, 1, 1]), ns(10.1));
    tl.add(chunk(10.2, [4, 4, 4, 4]), ns(10.2));
    const w = [1, Math.exp(-m), Math.exp(-2 * m)];
    assert.ok(close(x(tl, 10.3), (0 * w[0]! + 1 * w[1]! + 4 * w[2]!) / (w[0]! + w[1]! + w[2]!)));
    assert.ok(close(x(tl, 10.45), (1 * w[0]! + 4 * w[1]!) / (w[0]! + w[1]!))); // first chunk ended at 10.4
  });

  it('crossfade: linear from the previous chunk to the new one over n steps from arrival', () => {
    const tl = new ChunkTimeline('left', { kind: 'crossfade', steps: 4, profile: 'linear' }, 'lerp');
    tl.add(chunk(10, Array(10).fill(0)), ns(10));
    tl.add(chunk(10.2, Array(10).fill(1)), ns(10.25));
    assert.ok(close(x(tl, 10.25), 0));
    assert.ok(close(x(tl, 10.35), 0.25));
    assert.ok(close(x(tl, 10.45), 0.5));
    assert.ok(close(x(tl, 10.65), 1));
  });

  it('crossfade: a chunk arriving while the last is still fading in takes over from the blend, without a jump', () => {
    const tl = new ChunkTimeline('left', { kind: 'crossfade', steps: 4, profile: 'linear' }, 'lerp');
    tl.add(chunk(10, Array(20).fill(0)), ns(10));
    tl.add(chunk(10.1, Array(20).fill(1)), ns(10.1)); // fades in over 10.1 .. 10.5
    assert.ok(close(x(tl, 10.3), 0.5));
    tl.add(chunk(10.3, Array(20).fill(2)), ns(10.3)); // arrives half-way through that fade
    // At its arrival the command is still the blend (0.5), not the chunk before (1) or the oldest (0).
    assert.ok(close(x(tl, 10.3), 0.5));
    // Then: the earlier fade goes on inside (0.75 at 10.4), the new chunk fades in over it (a quarter).
    assert.ok(close(x(tl, 10.4), 0.75 * 0.75 + 0.25 * 2));
    assert.ok(close(x(tl, 10.7), 2));
  });

  it('slerps rotation and holds or lerps the gripper', () => {
    const half: Quat = [0, 0, Math.SQRT1_2, Math.SQRT1_2];
    const c: ArmChunk = { stamp: 0n, dt: 1, poses: [{ t: [0, 0, 0], q: Q }, { t: [0, 0, 0], q: half }], gripper: [0, 1] };
    const hold = new ChunkTimeline('left', { kind: 'latest' }, 'hold');
    hold.add(c, ns(0));
    const s = hold.sample(ns(0.5))!;
    assert.ok(Math.abs(s.pose.q[2] - Math.sin(Math.PI / 8)) < 1e-12);
    assert.equal(s.gripper, 0);
    const lerp = new ChunkTimeline('left', { kind: 'latest' }, 'lerp');
    lerp.add(c, ns(0));
    assert.equal(lerp.sample(ns(0.5))!.gripper, 0.5);
  });

  it('refuses a chunk with NaN, naming the arm and step, and keeps nothing of it', () => {
    const tl = new ChunkTimeline('right', { kind: 'latest' }, 'lerp');
    const bad = chunk(10, [0, 1, NaN]);
    const e = thrown(() => tl.add(bad, ns(10)));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /action chunk for arm right: step 2 has a non-finite pose .*; the chunk is refused/);
    assert.equal(tl.sample(ns(10)), null);
    assert.match(thrown(() => tl.add(chunk(10, [0, 1], 0.1, [0, Infinity]), ns(10))).message, /step 1 has gripper value Infinity/);
    assert.match(thrown(() => tl.add({ ...chunk(10, [0]), dt: 0 }, ns(10))).message, /dt 0 must be a positive number of seconds/);
  });

  it('names an unknown blending mode', () => {
    assert.match(thrown(() => parseBlendMode('average', 0, 0, 'parameter blending.mode')).message, /parameter blending\.mode: unknown blending mode "average"; expected latest, temporal_ensemble or crossfade/);
  });
});
