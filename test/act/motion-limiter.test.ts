import { strict as assert } from 'node:assert';

import { MotionLimiter } from '../../src/act/motion-limiter.js';
import type { Vec3 } from '../../src/geometry.js';

const H = 0.02;

/** Runs the limiter over a requested stream; the published positions and the accelerations and jerks between them. */
function run(limiter: MotionLimiter, request: (t: number) => Vec3, ticks: number): { p: Vec3[]; acc: number[]; jerk: number[]; limited: number } {
  const p: Vec3[] = [];
  let limited = 0;
  limiter.reset(request(0));
  p.push(request(0));
  for (let k = 1; k <= ticks; k++) {
    const r = limiter.step(request(k * H), H);
    if (r.limited) limited++;
    p.push(r.p);
  }
  const acc: number[] = [], jerk: number[] = [];
  // Per axis (the limits are per axis of the output frame): the largest axis's.
  for (let k = 2; k < p.length; k++) acc.push(Math.max(...[0, 1, 2].map((i) => Math.abs(p[k]![i]! - 2 * p[k - 1]![i]! + p[k - 2]![i]!) / H ** 2)));
  for (let k = 3; k < p.length; k++) jerk.push(Math.max(...[0, 1, 2].map((i) => Math.abs(p[k]![i]! - 3 * p[k - 1]![i]! + 3 * p[k - 2]![i]! - p[k - 3]![i]!) / H ** 3)));
  return { p, acc, jerk, limited };
}

describe('motion limiter', () => {
  it('passes a stream within the limits through exactly (no lag)', () => {
    // Starts at rest: 0.1 m along x with a minimum-jerk profile over 1 s (peak acceleration 0.58 m/s^2).
    const mj = (t: number): Vec3 => { const s = Math.min(t, 1); return [0.3 + 0.1 * s ** 3 * (10 - 15 * s + 6 * s * s), 0, 0.2]; };
    const r = run(new MotionLimiter({ maxAcceleration: 2, maxJerk: 0 }), mj, 80);
    r.p.forEach((p, k) => assert.ok(Math.abs(p[0] - mj(k * H)[0]) < 1e-12, `tick ${k}: ${p[0]} for ${mj(k * H)[0]}`));
    assert.equal(r.limited, 0);
  });

  it('shapes a step: at most the acceleration limit, no overshoot, then on the target', () => {
    const step = (t: number): Vec3 => (t < 0.1 ? [0.3, 0, 0.2] : [0.4, -0.05, 0.2]);
    const r = run(new MotionLimiter({ maxAcceleration: 2, maxJerk: 0 }), step, 100);
    assert.ok(Math.max(...r.acc) <= 2 + 1e-9, `acceleration ${Math.max(...r.acc)}`);
    // No overshoot beyond the discretisation (0.1 mm of a 100 mm step).
    assert.ok(Math.max(...r.p.map((p) => p[0])) <= 0.4 + 1e-4, `overshoot in x: ${Math.max(...r.p.map((p) => p[0]))}`);
    assert.ok(Math.min(...r.p.map((p) => p[1])) >= -0.05 - 1e-4, 'overshoot in y');
    // Time-optimal: 0.1 m at 2 m/s^2 (accelerate, brake) takes 2 sqrt(0.1 / 2) = 0.45 s; on target within 0.6 s.
    r.p.slice(Math.round(0.7 / H)).forEach((p) => assert.ok(Math.hypot(p[0] - 0.4, p[1] + 0.05) < 1e-9));
    assert.ok(r.limited > 10 && r.limited < 40, `${r.limited} ticks shaped`);
  });

  it('with a jerk limit: acceleration changes by at most J dt per tick, still no overshoot', () => {
    const step = (t: number): Vec3 => (t < 0.1 ? [0.3, 0, 0.2] : [0.4, 0, 0.2]);
    const r = run(new MotionLimiter({ maxAcceleration: 2, maxJerk: 20 }), step, 200);
    assert.ok(Math.max(...r.acc) <= 2 + 1e-9);
    assert.ok(Math.max(...r.jerk) <= 20 + 1e-6, `jerk ${Math.max(...r.jerk)}`);
    assert.ok(Math.max(...r.p.map((p) => p[0])) <= 0.4 + 1e-9, 'overshoot');
    r.p.slice(Math.round(3 / H)).forEach((p) => assert.ok(Math.abs(p[0] - 0.4) < 1e-4, `${p[0]}`));
  });

  it('catches up with a moving target without ringing (one overshoot, small), then follows it exactly', () => {
    // A sine whose own acceleration (1.2 m/s^2) is within the limit, requested from rest away from it.
    const sine = (t: number): Vec3 => (t === 0 ? [0.3, 0, 0.2] : [0.3 + 0.12 * Math.sin(Math.PI * t), 0, 0.2]);
    const r = run(new MotionLimiter({ maxAcceleration: 3, maxJerk: 0 }), sine, 250);
    const err = r.p.map((p, k) => p[0] - sine(k * H)[0]);
    // Behind (19 mm at most), then past it by under 5 % of that (the braking plans with the target's
    // acceleration of the moment, and the sine's changes), then exact from 1 s on.
    const lag = -Math.min(...err), ahead = Math.max(...err);
    assert.ok(lag > 0.015 && lag < 0.025, `lag ${lag}`);
    assert.ok(ahead < 0.05 * lag, `overshoot ${ahead} for a lag of ${lag}`);
    err.slice(Math.round(1 / H)).forEach((e) => assert.ok(Math.abs(e) < 1e-9, `${e}`));
  });
});
