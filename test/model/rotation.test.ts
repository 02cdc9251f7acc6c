import { strict as assert } from 'node:assert';

import { GaussianNoise } from '../../src/model/noise.js';
import {
  matrixToQuaternion, quaternionToMatrix, quaternionToRot6d, rot6dToMatrix, rot6dToQuaternion, type Matrix3,
} from '../../src/model/rotation.js';

function randomQuaternion(g: GaussianNoise): number[] {
  const q = [g.normal(), g.normal(), g.normal(), g.normal()];
  const n = Math.hypot(...q);
  return q.map((v) => v / n);
}

function matClose(a: Matrix3, b: Matrix3, tol: number): void {
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(a[i]! - b[i]!) < tol, `entry ${i}: ${a[i]} vs ${b[i]}`);
}

describe('rotations', () => {
  const g = new GaussianNoise(42);

  it('quaternion -> rot6d -> quaternion is the identity (up to sign), unit norm, w >= 0', () => {
    for (let i = 0; i < 2000; i++) {
      const q = randomQuaternion(g);
      const back = rot6dToQuaternion(quaternionToRot6d(q));
      assert.ok(Math.abs(Math.hypot(...back) - 1) < 1e-12);
      assert.ok(back[3] >= 0);
      const s = Math.sign(q[3]!) || 1;
      for (let j = 0; j < 4; j++) assert.ok(Math.abs(back[j]! - s * q[j]!) < 1e-9);
    }
  });

  it('rot6d holds the first two columns of the rotation matrix', () => {
    const m = quaternionToMatrix([0.1, 0.7, -0.3, 0.6]);
    assert.deepEqual(quaternionToRot6d([0.1, 0.7, -0.3, 0.6]), [m[0], m[3], m[6], m[1], m[4], m[7]]);
  });

  it('Gram-Schmidt turns a noisy, unnormalised rot6d into a proper rotation', () => {
    for (let i = 0; i < 500; i++) {
      const d = quaternionToRot6d(randomQuaternion(g)).map((v) => 3 * v + 0.05 * g.normal());
      const m = rot6dToMatrix(d);
      // Orthonormal with determinant +1.
      const cols = [0, 1, 2].map((c) => [m[c]!, m[3 + c]!, m[6 + c]!]);
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const dot = cols[a]!.reduce((s, v, k) => s + v * cols[b]![k]!, 0);
          assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9);
        }
      }
      const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
      assert.ok(Math.abs(det - 1) < 1e-9);
      // The first column keeps the direction of the first input vector.
      const n = Math.hypot(d[0]!, d[1]!, d[2]!);
      assert.ok(Math.abs(m[0] - d[0]! / n) < 1e-12 && Math.abs(m[3] - d[1]! / n) < 1e-12);
    }
  });

  it('handles half turns about each axis (the trace <= 0 branches)', () => {
    const halfTurns: [number[], Matrix3][] = [
      [[1, 0, 0, 0], [1, 0, 0, 0, -1, 0, 0, 0, -1]],
      [[0, 1, 0, 0], [-1, 0, 0, 0, 1, 0, 0, 0, -1]],
      [[0, 0, 1, 0], [-1, 0, 0, 0, -1, 0, 0, 0, 1]],
    ];
    for (const [q, m] of halfTurns) {
      const got = matrixToQuaternion(m);
      for (let j = 0; j < 4; j++) assert.ok(Math.abs(got[j]! - q[j]!) < 1e-12);
      matClose(quaternionToMatrix(got), m, 1e-12);
    }
  });
});
