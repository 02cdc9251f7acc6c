import { strict as assert } from 'node:assert';

import { GroundTruth } from '../../src/eval/ground-truth.js';
import { armMetrics, jerkRms, stat, type ChunkRecord } from '../../src/eval/metrics.js';
import type { Quat, Transform } from '../../src/geometry.js';
import { secToStamp } from '../../src/time.js';

const Q: Quat = [0, 0, 0, 1];
const at = (x: number): Transform => ({ t: [x, 0, 0], q: Q });

function truth(): GroundTruth {
  const g = new GroundTruth([{ name: 'left', baseFrame: 'base', eeFrame: 'ee', targetTopic: '/left/target_pose', gripperTopic: '/left/gripper_command', gripper: { joint: 'g', closedPosition: 0, openPosition: 1, modelClosed: 0, modelOpen: 1 } }]);
  // Recorded targets: x = t metres, from t = 0 to 1 s; the measured pose stays at x = 0.1.
  for (let i = 0; i <= 4; i++) {
    const t = i * 0.25;
    g.observe('/left/target_pose', 'geometry_msgs/msg/PoseStamped', t, { header: { stamp: secToStamp(t), frame_id: 'base' }, pose: { position: { x: t, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } } });
    g.observe('/left/gripper_command', 'std_msgs/msg/Float64', t, { data: t < 0.6 ? 0 : 1 });
    g.observe('/tf', 'tf2_msgs/msg/TFMessage', t, { transforms: [{ header: { stamp: secToStamp(t), frame_id: 'base' }, child_frame_id: 'ee', transform: { translation: { x: 0.1, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] });
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
      { time: 0.25, pose: at(0.26), gripper: 0 },
      { time: 0.5, pose: at(0.52), gripper: 0 },
      { time: 0.75, pose: at(0.78), gripper: 0 },
    ];
    const chunk: ChunkRecord = { published: 0.2, stamp: 0, dt: 0.25, arms: new Map([['left', { poses: [at(0), at(0.255), at(0.5)], gripper: null }]]) };
    const m = armMetrics('left', g, executed, [chunk], 0.5);
    assert.deepEqual(m.executed.position_error_mm, { count: 3, mean: 20, median: 20, p95: 29 });
    assert.equal(m.executed.rotation_error_deg.mean, 0);
    assert.equal(m.executed.gripper_agreement, 0.6667);
    // Holding the pose measured at the chunk's observation (x = 0.1): 150, 400, 650 mm off.
    assert.deepEqual(m.executed.hold_baseline.position_error_mm, { count: 3, mean: 400, median: 400, p95: 625 });
    assert.deepEqual(m.horizon.map((r) => r.position_error_mm.mean), [0, 5, 0]);
    assert.deepEqual(m.horizon.map((r) => r.hold_baseline_position_error_mm.mean), [100, 150, 400]);
  });

  it('jerk (RMS of the norm of the jerk vector): zero for constant velocity, 6 m/s^3 for x = t^3', () => {
    const line = [0, 1, 2, 3, 4].map((i) => ({ time: i * 0.1, pose: at(i * 0.1 * 2) }));
    assert.equal(jerkRms(line), 0);
    const cubic = [0, 1, 2, 3, 4, 5].map((i) => ({ time: i * 0.1, pose: at((i * 0.1) ** 3) }));
    assert.ok(Math.abs(jerkRms(cubic)! - 6) < 1e-3);
  });

  it('falls back to TF when the bag has no recorded targets', () => {
    const g = new GroundTruth([{ name: 'left', baseFrame: 'base', eeFrame: 'ee', targetTopic: '/none', gripperTopic: '/none', gripper: { joint: 'g', closedPosition: 0, openPosition: 1, modelClosed: 0, modelOpen: 1 } }]);
    g.observe('/tf', 'tf2_msgs/msg/TFMessage', 0, { transforms: [{ header: { stamp: secToStamp(0), frame_id: 'base' }, child_frame_id: 'ee', transform: { translation: { x: 0.2, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] });
    g.observe('/tf', 'tf2_msgs/msg/TFMessage', 1, { transforms: [{ header: { stamp: secToStamp(1), frame_id: 'base' }, child_frame_id: 'ee', transform: { translation: { x: 0.4, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } } }] });
    assert.equal(g.source('left'), 'tf');
    assert.ok(Math.abs(g.pose('left', 0.5)!.t[0] - 0.3) < 1e-12);
  });
});
