import { strict as assert } from 'node:assert';

import { GroundTruth } from '../../src/eval/ground-truth.js';
import { armMetrics, Samples, stat, type ChunkRecord } from '../../src/eval/metrics.js';
import { FlipCounter, MotionAccumulator } from '../../src/eval/motion.js';
import type { Quat, Transform, Vec3 } from '../../src/geometry.js';
import { nsToStamp } from '../../src/time.js';
import { ns } from '../scene.js';

const secToStamp = (t: number): ReturnType<typeof nsToStamp> => nsToStamp(ns(t));

const Q: Quat = [0, 0, 0, 1];
const at = (x: number): Transform => ({ t: [x, 0, 0], q: Q });

function truth(): GroundTruth {
  const g = new GroundTruth([{ name: 'left', baseFrame: 'base', eeFrame: 'ee', targetTopic: '/left/target_pose', gripperTopic: '/left/gripper_command', gripper: { joint: 'g', closedPosition: 0, openPosition: 1, modelClosed: 0, modelOpen: 1 } }]);
  // Recorded targets: x = t metres, from t = 0 to 1 s; the measured pose stays at x = 0.1.
  for (let i = 0; i <= 4; i++) {
    const t = i * 0.25;
    g.observe('/left/target_pose', 'geometry_msgs/msg/PoseStamped', ns(t), { header: { stamp: secToStamp(t), frame_id: 'base' }, pose: { position: { x: t, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } });
    g.observe('/left/gripper_command', 'std_msgs/msg/Float64', ns(t), { data: t < 0.6 ? 0 : 1 });
    g.observe('/tf', 'tf2_msgs/msg/TFMessage', ns(t), { transforms: [{ header: { stamp: secToStamp(t), frame_id: 'base' }, child_frame_id: 'ee', transform: { translation: { x: 0.1, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] });
  }
  return g;
}

describe('evaluation metrics, computed by hand', () => {
  it('stat: mean, median and p95 with linear interpolation', () => {
    assert.deepEqual(stat([30, 10, 20]), { count: 3, mean: 20, median: 20, p95: 29 });
    assert.deepEqual(stat([]), { count: 0, mean: null, median: null, p95: null });
  });

  it('executed targets, horizon steps, hold baseline and gripper agreement', () => {
    const g = truth();
    assert.equal(g.source('left'), 'recorded_targets');
    // Executed 10, 20, 30 mm ahead of the recorded target along x; grippers right, right, wrong.
    const executed = [
      { time: ns(0.25), pose: at(0.26), gripper: 0 },
      { time: ns(0.5), pose: at(0.52), gripper: 0 },
      { time: ns(0.75), pose: at(0.78), gripper: 0 },
    ];
    const chunk: ChunkRecord = { published: ns(0.2), stamp: 0n, dt: 0.25, arms: new Map([['left', { poses: [at(0), at(0.255), at(0.5)], gripper: null }]]) };
    const m = armMetrics('left', g, executed, [chunk], 0.5);
    assert.deepEqual(m.executed.position_error_mm, { count: 3, mean: 20, median: 20, p95: 29 });
    assert.equal(m.executed.rotation_error_deg.mean, 0);
    assert.equal(m.executed.gripper_agreement, 0.6667);
    // Holding the pose measured at the chunk's observation (x = 0.1): 150, 400, 650 mm off.
    assert.deepEqual(m.executed.hold_baseline.position_error_mm, { count: 3, mean: 400, median: 400, p95: 625 });
    assert.deepEqual(m.horizon.map((r) => r.position_error_mm.mean), [0, 5, 0]);
    assert.deepEqual(m.horizon.map((r) => r.hold_baseline_position_error_mm.mean), [100, 150, 400]);
  });

  it('motion: jerk, acceleration, peak speed and largest step by divided differences, on uneven spacing too', () => {
    const line = new MotionAccumulator();
    [0, 0.1, 0.15, 0.3, 0.4].forEach((t) => line.push(t, at(2 * t)));
    assert.deepEqual(line.stats, { samples: 5, jerk_rms_m_s3: 0, acceleration_rms_m_s2: 0, peak_speed_m_s: 2, max_step_mm: 300 });
    // x = t^3: jerk 6 everywhere; acceleration 6t at the mean of each triple's times.
    const cubic = new MotionAccumulator();
    [0, 0.1, 0.25, 0.3, 0.4].forEach((t) => cubic.push(t, at(t ** 3)));
    assert.equal(cubic.stats.jerk_rms_m_s3, 6);
    const acc = [[0, 0.1, 0.25], [0.1, 0.25, 0.3], [0.25, 0.3, 0.4]].map((w) => 2 * (w[0]! + w[1]! + w[2]!));
    assert.equal(cubic.stats.acceleration_rms_m_s2, Number(Math.sqrt(acc.reduce((a, v) => a + v * v, 0) / 3).toFixed(4)));
    // A break restarts the differences: no jerk across it.
    const broken = new MotionAccumulator();
    [0, 0.1, 0.2].forEach((t) => broken.push(t, at(t ** 3)));
    broken.break();
    [5, 5.1].forEach((t) => broken.push(t, at(0)));
    assert.equal(broken.stats.jerk_rms_m_s3, null);
    assert.equal(broken.stats.samples, 5);
  });

  it('counts quaternion sign flips between consecutive targets', () => {
    const f = new FlipCounter();
    for (const q of [[0, 0, 0, 1], [0, 0, 0.1, 0.99], [0, 0, -0.1, -0.99], [0, 0, -0.1, -0.99], [0, 0, 0.2, 0.98]] as Quat[]) f.push(q);
    assert.equal(f.flips, 2);
  });

  it('compares executed and recorded motion like for like, both sampled at the recorded stamps', () => {
    const g = truth();
    // Executed every 0.05 s along x = t (the recorded motion), but 20 mm ahead from t = 0.5 on: one
    // 20 mm step between the recorded stamps 0.25 and 0.5, none after; one sign flip (same rotation).
    const executed = Array.from({ length: 21 }, (_, i) => {
      const t = i * 0.05;
      return { time: ns(t), pose: { t: [t + (t >= 0.5 ? 0.02 : 0), 0, 0] as Vec3, q: (i === 10 ? [0, 0, 0, -1] : Q) as Quat }, gripper: 0 };
    });
    const m = armMetrics('left', g, executed, [], 0.5).executed.motion;
    assert.equal(m.sampled_at, 'recorded_stamps');
    // Recorded stamps 0.25, 0.5, 0.75, 1.0 (0 has no tick before it): steps of 250 mm.
    assert.deepEqual(m.recorded, { samples: 4, jerk_rms_m_s3: 0, acceleration_rms_m_s2: 0, peak_speed_m_s: 1, max_step_mm: 250, quaternion_sign_flips: 0 });
    assert.equal(m.executed.samples, 4);
    assert.equal(m.executed.max_step_mm, 270);
    assert.equal(m.executed.peak_speed_m_s, 1.08);
    assert.equal(m.executed.quaternion_sign_flips, 2);
    assert.equal(m.ratio.max_step, 1.08);
    assert.equal(m.ratio.peak_speed, 1.08);
    assert.equal(m.ratio.jerk_rms, null);
  });

  it('falls back to TF when the bag has no recorded targets', () => {
    const g = new GroundTruth([{ name: 'left', baseFrame: 'base', eeFrame: 'ee', targetTopic: '/none', gripperTopic: '/none', gripper: { joint: 'g', closedPosition: 0, openPosition: 1, modelClosed: 0, modelOpen: 1 } }]);
    g.observe('/tf', 'tf2_msgs/msg/TFMessage', ns(0), { transforms: [{ header: { stamp: secToStamp(0), frame_id: 'base' }, child_frame_id: 'ee', transform: { translation: { x: 0.2, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] });
    g.observe('/tf', 'tf2_msgs/msg/TFMessage', ns(1), { transforms: [{ header: { stamp: secToStamp(1), frame_id: 'base' }, child_frame_id: 'ee', transform: { translation: { x: 0.4, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] });
    assert.equal(g.source('left'), 'tf');
    assert.ok(Math.abs(g.pose('left', ns(0.5))!.t[0] - 0.3) < 1e-12);
  });
});

describe('Samples, the scored errors kept for exact statistics', () => {
  it('gives back every sample in order, as float32, across its blocks (an hour scores millions)', () => {
    const s = new Samples();
    const n = 1024 + 2048 + 4096 + 65536 * 3 + 7; // the first blocks, the largest size several times, a partial block
    for (let i = 0; i < n; i++) s.push(i + 0.1);
    assert.equal(s.length, n);
    const v = s.values;
    assert.equal(v.length, n);
    for (const i of [0, 1023, 1024, 3071, 3072, 7167, 7168, 72703, 72704, n - 1]) assert.equal(v[i], Math.fround(i + 0.1), `sample ${i}`);
    let ordered = true;
    for (let i = 1; i < n; i++) if (!((v[i] as number) > (v[i - 1] as number))) ordered = false;
    assert.ok(ordered, 'samples out of order');
    assert.deepEqual(stat(v), stat(Float32Array.from({ length: n }, (_, i) => i + 0.1)));
  });

  it('is empty before the first push', () => {
    const s = new Samples();
    assert.equal(s.length, 0);
    assert.equal(s.values.length, 0);
  });
});
