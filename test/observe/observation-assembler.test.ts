import { strict as assert } from 'node:assert';

import { MemoryLogger } from '../../src/log.js';
import { loadManifest } from '../../src/model/manifest.js';
import { Policy } from '../../src/model/policy.js';
import { quaternionToRot6d } from '../../src/model/rotation.js';
import { ObservationAssembler } from '../../src/observe/observation-assembler.js';
import { SnapshotRefused } from '../../src/observe/snapshot.js';
import { rejection, thrown, TWINVLA_TINY } from '../helpers.js';
import { eeTf, jointState, jpegImage, observeConfig, rawImage, staticTf, ns } from '../scene.js';

function scene(t: number, over = {}): ObservationAssembler {
  const a = new ObservationAssembler(loadManifest(TWINVLA_TINY), observeConfig(over));
  a.onTf(staticTf(), true);
  a.onTf(eeTf(t - 0.02), false);
  a.onImage('head', rawImage(t - 0.03));
  a.onCompressedImage('left_wrist', jpegImage(t - 0.01));
  a.onImage('right_wrist', rawImage(t - 0.02));
  a.onJointState('/joint_states', jointState(t - 0.01, 'left', 0.03));
  a.onJointState('/joint_states', jointState(t - 0.01, 'right', 0.05));
  return a;
}

async function refusal(p: Promise<unknown>): Promise<SnapshotRefused> {
  const e = await rejection(p);
  assert.ok(e instanceof SnapshotRefused, `expected SnapshotRefused, got ${e.message}`);
  return e;
}

describe('observation assembly', () => {
  it('turns topics into the model observation: images at model size, state in the model layout', async () => {
    const snap = await scene(100).snapshot(ns(100));
    const obs = snap.observation;
    for (const role of ['head', 'left_wrist', 'right_wrist']) assert.equal(obs.images[role]?.length, 56 * 56 * 3);
    assert.equal(obs.instruction, 'hand over the box to the other arm');
    // left: position, rot6d of the pointing-down rotation, gripper 0.03 on [0.01, 0.05] -> 0.5.
    const s = Array.from(obs.state);
    assert.deepEqual(s.slice(0, 3).map((v) => +v.toFixed(6)), [0.3, 0.2, 0.2]);
    assert.deepEqual(s.slice(3, 9).map((v) => Math.round(v * 1e6) / 1e6), quaternionToRot6d([1, 0, 0, 0]).map((v) => Math.round(v * 1e6) / 1e6));
    assert.ok(Math.abs(s[9]! - 0.5) < 1e-6 && Math.abs(s[19]! - 1) < 1e-6);
    // The snapshot is as old as its oldest input (the head camera, 30 ms).
    assert.equal(snap.stamp, ns(99.97));
    assert.ok(Math.abs(snap.ages.get('camera head (/cam_high/image_raw)')! - 0.03) < 1e-9);
  });

  it('feeds the policy end to end', async () => {
    const policy = await Policy.create(TWINVLA_TINY, { providers: ['cpu'], warmupRuns: 0, logger: new MemoryLogger() });
    const chunk = await policy.predict((await scene(50).snapshot(ns(50))).observation, { seed: 0 });
    assert.equal(chunk.arms.length, 2);
    await policy.release();
  });

  it('refuses a missing camera, naming it', async () => {
    const a = new ObservationAssembler(loadManifest(TWINVLA_TINY), observeConfig());
    const e = await refusal(a.snapshot(ns(1)));
    assert.equal(e.reason, 'missing');
    assert.match(e.message, /snapshot refused: camera head \(\/cam_high\/image_raw\): no image received yet/);
  });

  it('refuses a stale camera with its age and bound', async () => {
    const a = scene(100);
    const e = await refusal(a.snapshot(ns(100.25)));
    assert.equal(e.reason, 'stale');
    assert.match(e.message, /camera head \(\/cam_high\/image_raw\): latest sample is 280 ms old, above its bound of 200 ms/);
  });

  it('refuses an input stamped in the future', async () => {
    const a = scene(100);
    a.onImage('right_wrist', rawImage(100.5));
    const e = await refusal(a.snapshot(ns(100)));
    assert.equal(e.reason, 'future');
    assert.match(e.message, /camera right_wrist .*: stamp 100\.500000000 s is 500\.0 ms ahead of the clock/);
  });

  it('refuses a corrupt frame as an invalid input', async () => {
    const a = scene(100);
    a.onCompressedImage('left_wrist', jpegImage(100, Uint8Array.from([0xff, 0xd8, 0xff, 0, 0, 0])));
    const e = await refusal(a.snapshot(ns(100)));
    assert.equal(e.reason, 'invalid');
    assert.match(e.message, /camera left_wrist \(\/cam_left_wrist\/image_raw\/compressed\): cannot decode the jpeg image/);
  });

  it('refuses a missing gripper joint', async () => {
    const a = new ObservationAssembler(loadManifest(TWINVLA_TINY), observeConfig());
    a.onTf(staticTf(), true);
    a.onTf(eeTf(10), false);
    a.onImage('head', rawImage(10)); a.onImage('left_wrist', rawImage(10)); a.onImage('right_wrist', rawImage(10));
    a.onJointState('/joint_states', { ...jointState(10, 'left', 0.02), name: ['left_waist', 'left_shoulder', 'left_finger'] });
    const e = await refusal(a.snapshot(ns(10)));
    assert.match(e.message, /left joints \(\/joint_states\): joint left_gripper has not been seen on \/joint_states/);
  });

  it('refuses an end effector that TF cannot find', async () => {
    const cfg = observeConfig();
    cfg.arms[1]!.pose = { kind: 'tf', baseFrame: 'right_base', eeFrame: 'right_tool0' };
    const a = new ObservationAssembler(loadManifest(TWINVLA_TINY), cfg);
    a.onTf(staticTf(), true); a.onTf(eeTf(10), false);
    a.onImage('head', rawImage(10)); a.onImage('left_wrist', rawImage(10)); a.onImage('right_wrist', rawImage(10));
    a.onJointState('/joint_states', jointState(10, 'left', 0.02)); a.onJointState('/joint_states', jointState(10, 'right', 0.02));
    const e = await refusal(a.snapshot(ns(10)));
    assert.match(e.message, /right end-effector \(TF right_base <- right_tool0\): TF: right_tool0 -> right_base: unknown frame right_tool0/);
  });

  it('refuses a pose topic in the wrong frame and NaN poses', () => {
    const cfg = observeConfig();
    cfg.arms[0]!.pose = { kind: 'topic', topic: '/left/ee_pose', baseFrame: 'left_base' };
    const a = new ObservationAssembler(loadManifest(TWINVLA_TINY), cfg);
    const pose = { position: { x: 0.3, y: 0, z: 0.2 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };
    assert.match(thrown(() => a.onPose('left', { header: { stamp: { sec: 1, nanosec: 0 }, frame_id: 'world' }, pose })).message,
      /left end-effector \(\/left\/ee_pose\): pose is in frame world, expected left_base/);
    assert.match(thrown(() => a.onPose('left', { header: { stamp: { sec: 1, nanosec: 0 }, frame_id: 'left_base' }, pose: { ...pose, position: { x: NaN, y: 0, z: 0 } } })).message,
      /non-finite value or a zero quaternion/);
  });

  it('keeps the previous instruction when an empty one arrives, and replaces it with a new one', async () => {
    const a = scene(100);
    assert.match(thrown(() => a.instruction.set('  ', '/instruction')).message, /\/instruction: instruction must be a non-empty string/);
    a.instruction.set('fold the towel', '/instruction');
    assert.equal((await a.snapshot(ns(100))).observation.instruction, 'fold the towel');
  });

  it('refuses configuration that does not cover the model, listing all gaps', () => {
    const cfg = observeConfig({ cameras: [{ role: 'head', topic: '/h' }] });
    cfg.arms[1]!.gripper = null;
    const e = thrown(() => new ObservationAssembler(loadManifest(TWINVLA_TINY), cfg));
    assert.equal(e.code, 'PARAMETER');
    assert.match(e.message, /the model needs a topic for camera role left_wrist\n {2}cameras: the model needs a topic for camera role right_wrist\n {2}arms\.right\.gripper: the model's state has a gripper value/);
  });
});
