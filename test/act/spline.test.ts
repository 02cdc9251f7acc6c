import { strict as assert } from 'node:assert';

import { interpolatePoses, parseInterpolation } from '../../src/act/spline.js';
import { validateChunk } from '../../src/act/chunk.js';
import { alignHemisphere, angleBetween, quatExp, quatLog, type Quat, type Transform, type Vec3 } from '../../src/geometry.js';

const yaw = (a: number): Quat => [0, 0, Math.sin(a / 2), Math.cos(a / 2)];
const pose = (x: number, a = 0): Transform => ({ t: [x, 0, 0], q: yaw(a) });
const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

/** Numerical derivatives of x along the interpolated trajectory, per step^n. */
function derivative(poses: Transform[], scheme: 'linear' | 'cubic' | 'minimum_jerk', x: number, order: number, h = 1e-3): number {
  const f = (u: number): number => interpolatePoses(poses, u, scheme).t[0];
  if (order === 1) return (f(x + h) - f(x - h)) / (2 * h);
  return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h);
}

describe('interpolation between chunk steps', () => {
  const steps = [0, 0.01, 0.04, 0.09, 0.16, 0.2].map((x, k) => pose(x, 0.1 * k));

  for (const scheme of ['linear', 'cubic', 'minimum_jerk'] as const) {
    it(`${scheme}: meets every step exactly and clamps outside the chunk`, () => {
      steps.forEach((p, k) => assert.deepEqual(interpolatePoses(steps, k, scheme), p));
      assert.deepEqual(interpolatePoses(steps, -1, scheme), steps[0]);
      assert.deepEqual(interpolatePoses(steps, 9, scheme), steps[5]);
    });
  }

  it('linear: a velocity jump at each step; cubic: continuous velocity; minimum_jerk: continuous acceleration', () => {
    // x = k^2 / 100: velocity k/50, acceleration 1/50 per step^2.
    const jump = (s: 'linear' | 'cubic' | 'minimum_jerk', order: number): number => Math.abs(derivative(steps, s, 2 + 0.01, order, 1e-4) - derivative(steps, s, 2 - 0.01, order, 1e-4));
    assert.ok(jump('linear', 1) > 0.009);
    assert.ok(jump('cubic', 1) < 1e-3);
    assert.ok(jump('minimum_jerk', 1) < 1e-3);
    assert.ok(jump('cubic', 2) < 0.05, 'cubic on a parabola: acceleration exact');
    close(derivative(steps, 'minimum_jerk', 2, 2), 0.02, 1e-4);
    close(derivative(steps, 'minimum_jerk', 2.5, 1), 0.05, 1e-4);
  });

  it('rotations: the same scheme on rotation vectors; linear is slerp, a constant turn stays constant', () => {
    for (const scheme of ['linear', 'cubic', 'minimum_jerk'] as const) {
      const q = interpolatePoses(steps, 2.5, scheme).q;
      close(angleBetween(q, yaw(0.25)), 0, 1e-6);
    }
  });

  it('keeps each interpolated quaternion in the hemisphere of the step before it, whatever sign the steps carry', () => {
    const flipped = steps.map((p, k) => (k % 2 ? { t: p.t, q: p.q.map((v) => -v) as Quat } : p));
    for (const scheme of ['cubic', 'minimum_jerk'] as const) {
      const q = interpolatePoses(flipped, 1.5, scheme).q;
      close(angleBetween(q, yaw(0.15)), 0, 1e-6);
      assert.ok(q[3] * (flipped[1] as Transform).q[3] > 0);
    }
  });

  it('names an unknown scheme', () => {
    assert.throws(() => parseInterpolation('spline', 'parameter interpolation'), /parameter interpolation: unknown interpolation "spline"; expected linear, cubic, minimum_jerk/);
  });
});

describe('quaternion hemisphere', () => {
  it('alignHemisphere flips q into the hemisphere of the reference, the same rotation', () => {
    assert.deepEqual(alignHemisphere([0, 0, 0.1, -0.99], [0, 0, 0, 1]), [-0, -0, -0.1, 0.99]);
    assert.deepEqual(alignHemisphere([0, 0, 0.1, 0.99], [0, 0, 0, 1]), [0, 0, 0.1, 0.99]);
  });

  it('log and exp are inverse (rotation vectors up to pi)', () => {
    for (const r of [[0, 0, 0], [0.1, -0.2, 0.3], [0, 3.1, 0]] as Vec3[]) {
      quatLog(quatExp(r)).forEach((v, i) => close(v, r[i] as number, 1e-12));
    }
  });

  it('a validated chunk has no sign flip between steps', () => {
    const c = validateChunk({ stamp: 0n, dt: 0.1, poses: [pose(0, 3.1), { t: [0, 0, 0], q: yaw(3.2).map((v) => v) as Quat }, pose(0, 3.3)], gripper: null }, 'left');
    for (let k = 1; k < c.poses.length; k++) {
      const a = c.poses[k - 1]!.q, b = c.poses[k]!.q;
      assert.ok(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] > 0, `step ${k}`);
    }
  });
});
