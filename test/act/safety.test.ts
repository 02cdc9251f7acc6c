import { strict as assert } from 'node:assert';

import { angleBetween, distance, quatNormalize, type Quat, type Transform, type Vec3 } from '../../src/geometry.js';
import { ArmPipeline } from '../../src/act/arm-pipeline.js';
import { easedGap, SafetyFilter, type SafetyContext, type SafetyLimits } from '../../src/act/safety.js';
import type { BlendMode } from '../../src/act/timeline.js';
import { GaussianNoise } from '../../src/model/noise.js';
import { ns } from '../scene.js';

const LIMITS: SafetyLimits = {
  workspaceMin: [0.1, -0.4, 0.02], workspaceMax: [0.6, 0.4, 0.5],
  maxLinearSpeed: 0.5, maxAngularSpeed: 2.0, gripperMin: 0, gripperMax: 1, gripperTolerance: 0.25, maxStepInterval: 0.05,
  maxLinearAcceleration: 0, maxLinearJerk: 0, maxTrackingDistance: 0, minArmDistance: 0, armDistanceBand: 0,
};
/** The measured pose, no other arm. */
const at = (measured: Transform | null): SafetyContext => ({ measured, otherArm: null });
const DOWN: Quat = [1, 0, 0, 0];
const pose = (t: Vec3, q: Quat = DOWN): Transform => ({ t, q });

describe('safety filter', () => {
  it('starts from the measured pose and limits the first step', () => {
    const f = new SafetyFilter(LIMITS);
    const r = f.filter({ pose: pose([0.5, 0, 0.3]), gripper: 0.5 }, ns(1), at(pose([0.3, 0, 0.3])));
    assert.ok(r.ok);
    assert.ok(Math.abs(r.target.pose.t[0] - (0.3 + 0.5 * 0.05)) < 1e-12);
    assert.deepEqual(r.interventions, ['linear_speed']);
  });

  it('refuses to start without a measured pose, or from one outside the workspace', () => {
    const f = new SafetyFilter(LIMITS);
    assert.deepEqual(f.filter({ pose: pose([0.3, 0, 0.3]), gripper: null }, ns(0), at(null)), { ok: false, reason: 'no_measured_pose' });
    assert.deepEqual(f.filter({ pose: pose([0.3, 0, 0.3]), gripper: null }, ns(0), at(pose([0.9, 0, 0.3]))), { ok: false, reason: 'measured_outside_workspace' });
    assert.equal(f.counts.get('measured_outside_workspace'), 1);
  });

  it('clips a gripper output within the tolerance silently and counts one beyond it as an intervention', () => {
    const f = new SafetyFilter(LIMITS);
    const start = pose([0.3, 0, 0.3]);
    const run = (gripper: number, time: number): { gripper: number | null; interventions: string[] } => {
      const r = f.filter({ pose: start, gripper }, ns(time), at(start));
      assert.ok(r.ok);
      return { gripper: r.target.gripper, interventions: r.interventions };
    };
    // What a regression head gives around its 0..1 range: clipped, not an intervention.
    assert.deepEqual(run(1.11, 0), { gripper: 1, interventions: [] });
    assert.deepEqual(run(-0.2, 0.02), { gripper: 0, interventions: [] });
    assert.deepEqual(run(1.25, 0.04), { gripper: 1, interventions: [] });
    assert.deepEqual(run(0.5, 0.06), { gripper: 0.5, interventions: [] });
    assert.equal(f.gripperClipped, 3);
    assert.equal(f.counts.get('gripper_range'), undefined);
    // Far outside anything the model was trained on: the operator should hear of it.
    assert.deepEqual(run(1.26, 0.08), { gripper: 1, interventions: ['gripper_range'] });
    assert.deepEqual(run(-3, 0.1), { gripper: 0, interventions: ['gripper_range'] });
    assert.equal(f.counts.get('gripper_range'), 2);
    assert.equal(f.gripperClipped, 3);
  });

  it('clamps into the box, limits rotation speed, clamps the gripper, counts each kind', () => {
    const f = new SafetyFilter(LIMITS);
    const start = pose([0.59, 0, 0.3]);
    const turned = quatNormalize([0, 1, 0, 0]); // 180 degrees from DOWN about z
    const r = f.filter({ pose: pose([0.7, 0, 0.3], turned), gripper: 1.3 }, ns(0.05), at(start));
    assert.ok(r.ok);
    assert.equal(r.target.pose.t[0], 0.6);
    assert.ok(Math.abs(angleBetween(DOWN, r.target.pose.q) - 2.0 * 0.05) < 1e-9);
    assert.equal(r.target.gripper, 1);
    assert.deepEqual(r.interventions.sort(), ['angular_speed', 'gripper_range', 'workspace']);
    assert.deepEqual([...f.counts.keys()].sort(), ['angular_speed', 'gripper_range', 'workspace']);
  });

  it('refuses a non-finite target, counted', () => {
    const f = new SafetyFilter(LIMITS);
    assert.deepEqual(f.filter({ pose: pose([NaN, 0, 0.3]), gripper: 0 }, ns(0), at(pose([0.3, 0, 0.3]))), { ok: false, reason: 'non_finite' });
    assert.equal(f.counts.get('non_finite'), 1);
  });

  it('keeps the target within max_tracking_distance of the measured pose, and refuses without one', () => {
    const f = new SafetyFilter({ ...LIMITS, maxLinearSpeed: 10, maxTrackingDistance: 0.1 });
    const measured = pose([0.3, 0, 0.3]);
    const r = f.filter({ pose: pose([0.45, 0, 0.3]), gripper: null }, ns(1), at(measured));
    assert.ok(r.ok);
    assert.ok(distance(r.target.pose.t, [0.4, 0, 0.3]) < 1e-12, `${r.target.pose.t}`);
    assert.deepEqual(r.interventions, ['tracking_distance']);
    // On, the measured pose is needed at every tick, not only the first.
    assert.equal(f.needsMeasured, true);
    assert.deepEqual(f.filter({ pose: pose([0.4, 0, 0.3]), gripper: null }, ns(1.02), at(null)), { ok: false, reason: 'no_measured_pose' });
    assert.equal(f.counts.get('tracking_distance'), 1);
  });

  it('moves a target nearer than min_arm_distance + band straight away from the other arm\'s target, never inside the bound', () => {
    const f = new SafetyFilter({ ...LIMITS, maxLinearSpeed: 10, minArmDistance: 0.1, armDistanceBand: 0.02 });
    const start = pose([0.3, 0, 0.3]);
    const other: Vec3 = [0.3, 0.15, 0.3];
    const tick = (t: Vec3, time: number, otherArm: Vec3 | null | 'unavailable' = other) => f.filter({ pose: pose(t), gripper: null }, ns(time), { measured: start, otherArm });
    const far = tick([0.3, 0.02, 0.3], 1);
    assert.ok(far.ok);
    assert.deepEqual(far.target.pose.t, [0.3, 0.02, 0.3]); // 0.13 m away, beyond bound + band: as asked
    assert.deepEqual(far.interventions, []);
    // 0.11 m: inside the band above the bound, moved out to 0.1 + (0.11 - 0.08)^2 / 0.08 = 0.11125 m.
    const band = tick([0.3, 0.04, 0.3], 1.02);
    assert.ok(band.ok);
    assert.deepEqual(band.interventions, ['arm_distance']);
    assert.ok(Math.abs(band.target.pose.t[1] - (0.15 - 0.11125)) < 1e-12, `y ${band.target.pose.t[1]}`);
    assert.equal(band.target.pose.t[0], 0.3);
    assert.equal(band.target.pose.t[2], 0.3);
    // 0.05 m, under bound - band: onto the bound, along the line from the other arm's target.
    const deep = tick([0.3, 0.1, 0.3], 1.04);
    assert.ok(deep.ok);
    assert.ok(Math.abs(distance(deep.target.pose.t, other) - 0.1) < 1e-12);
    assert.ok(Math.abs(deep.target.pose.t[1] - 0.05) < 1e-12);
    // On the other arm's target itself there is no direction to move out along: the previous position holds.
    const on = tick([...other], 1.06);
    assert.ok(on.ok);
    assert.deepEqual(on.target.pose.t, deep.target.pose.t);
    assert.deepEqual(on.interventions, ['arm_distance']);
    // No target from the other arm yet: nothing to keep away from. One that cannot be placed: refused.
    assert.ok(tick([0.3, 0.06, 0.3], 1.08, null).ok);
    assert.deepEqual(tick([0.3, 0.06, 0.3], 1.1, 'unavailable'), { ok: false, reason: 'no_other_arm_pose' });
    assert.equal(f.counts.get('arm_distance'), 3);
  });

  it('eases the distance to the other arm without a kink: the curve meets the bound and the untouched range with their slopes', () => {
    const [bound, band, h] = [0.05, 0.02, 1e-7];
    const slope = (g: number): number => (easedGap(g + h, bound, band) - easedGap(g - h, bound, band)) / (2 * h);
    assert.equal(easedGap(0.08, bound, band), 0.08); // beyond bound + band: unchanged
    assert.equal(easedGap(0.07, bound, band), 0.07);
    assert.equal(easedGap(0.03, bound, band), bound); // at bound - band and under: the bound
    assert.equal(easedGap(0.001, bound, band), bound);
    assert.ok(Math.abs(easedGap(0.05, bound, band) - 0.055) < 1e-15); // at the bound: band / 4 out
    assert.ok(Math.abs(slope(0.07 - 2 * h) - 1) < 1e-5 && Math.abs(slope(0.03 + 2 * h)) < 1e-5, 'slopes 1 and 0 at the ends');
    for (let g = 0; g <= 0.1; g += 0.0005) {
      assert.ok(easedGap(g, bound, band) >= Math.max(g, bound) - 1e-15, `never nearer than asked or than the bound at ${g}`);
      assert.ok(easedGap(g + 0.0005, bound, band) >= easedGap(g, bound, band), `monotone at ${g}`);
    }
    // Band 0: straight onto the bound.
    assert.equal(easedGap(0.02, bound, 0), bound);
    assert.equal(easedGap(0.06, bound, 0), 0.06);
  });

  it('keeps the published quaternions in one hemisphere across a reset', () => {
    const f = new SafetyFilter(LIMITS);
    const first = f.filter({ pose: pose([0.3, 0, 0.3]), gripper: null }, ns(1), at(pose([0.3, 0, 0.3])));
    assert.ok(first.ok);
    f.reset();
    // The arm measured with the opposite sign (the same rotation): the next target stays on the first's side.
    const neg: Quat = [-DOWN[0], -DOWN[1], -DOWN[2], -DOWN[3]];
    const r = f.filter({ pose: pose([0.3, 0, 0.3], neg), gripper: null }, ns(2), at(pose([0.3, 0, 0.3], neg)));
    assert.ok(r.ok);
    assert.deepEqual(r.target.pose.q, first.target.pose.q);
  });

  it('property: 10,000 random chunks, poses and timings never leave the box, exceed the limits or yield NaN', () => {
    const g = new GaussianNoise(2024);
    const u = (lo: number, hi: number): number => lo + (hi - lo) * g.uniform();
    const randQuat = (): Quat => quatNormalize([g.normal(), g.normal(), g.normal(), g.normal()]);
    const modes: BlendMode[] = [{ kind: 'latest' }, { kind: 'temporal_ensemble', coefficient: 0.1 }, { kind: 'crossfade', steps: 3, profile: 'linear' }];
    let targets = 0, chunks = 0, refusedNaN = 0;
    for (let episode = 0; chunks < 10_000; episode++) {
      const p = new ArmPipeline('left', { blend: modes[episode % 3]!, gripperInterpolation: episode % 2 ? 'lerp' : 'hold', limits: LIMITS });
      // Sometimes the arm is measured outside the workspace: nothing may be commanded then.
      const measured = pose([u(0, 0.7), u(-0.5, 0.5), u(0, 0.6)], randQuat());
      const outside = !p.safety.inWorkspace(measured.t);
      let now = u(0, 1000);
      let prev: { pose: Transform; time: number } | null = null;
      for (let c = 0; c < 25; c++, chunks++) {
        const dt = u(0.01, 0.2);
        const horizon = 1 + Math.floor(u(0, 30));
        const latency = u(0, 0.5);
        const wild = g.uniform() < 0.2; // far out of the box, big jumps, occasional NaN
        const poses = Array.from({ length: horizon }, () => pose(
          wild ? [u(-5, 5), u(-5, 5), u(-5, 5)] : [u(0.05, 0.65), u(-0.45, 0.45), u(0, 0.55)], randQuat()));
        const gripper = Array.from({ length: horizon }, () => (wild ? u(-3, 3) : u(0, 1)));
        if (wild && g.uniform() < 0.3) poses[Math.floor(u(0, horizon))]!.t[1] = NaN;
        try {
          p.addChunk({ stamp: ns(now - latency), dt, poses, gripper }, ns(now));
        } catch {
          refusedNaN++;
        }
        const ticks = Math.floor(u(1, 20));
        for (let k = 0; k < ticks; k++) {
          now += u(0.001, 0.03) * (g.uniform() < 0.05 ? 10 : 1); // jittered ticks, some late
          const r = p.tick(ns(now), at(measured));
          if (r.kind !== 'target') continue;
          targets++;
          assert.ok(!outside, 'commanded while the measured pose is outside the workspace');
          const { t, q } = r.target.pose;
          assert.ok([...t, ...q, r.target.gripper ?? 0].every(Number.isFinite), 'non-finite target');
          assert.ok(t.every((v, i) => v >= LIMITS.workspaceMin[i]! && v <= LIMITS.workspaceMax[i]!), `outside the box: ${t}`);
          assert.ok(r.target.gripper! >= 0 && r.target.gripper! <= 1, 'gripper out of range');
          const from = prev ?? { pose: measured, time: now - LIMITS.maxStepInterval };
          const span = Math.min(now - from.time, LIMITS.maxStepInterval);
          assert.ok(distance(from.pose.t, t) <= LIMITS.maxLinearSpeed * span + 1e-9, 'linear step limit exceeded');
          assert.ok(angleBetween(from.pose.q, q) <= LIMITS.maxAngularSpeed * span + 1e-6, 'angular step limit exceeded');
          prev = { pose: r.target.pose, time: now };
        }
      }
    }
    assert.ok(chunks >= 10_000);
    assert.ok(targets > 10_000, `only ${targets} targets were produced`);
    assert.ok(refusedNaN > 100);
  });
});
