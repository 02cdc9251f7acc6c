import { strict as assert } from 'node:assert';

import { JointStateBuffer } from '../../src/observe/joint-states.js';
import type { JointState } from '../../src/messages.js';
import { thrown } from '../helpers.js';

function js(sec: number, name: string[], position: number[]): JointState {
  return { header: { stamp: { sec, nanosec: 0 }, frame_id: '' }, name, position, velocity: [], effort: [] };
}

describe('joint states', () => {
  it('picks joints by name in the asked order and merges partial messages', () => {
    const b = new JointStateBuffer('/joint_states');
    b.update(js(10, ['left_waist', 'right_waist', 'left_shoulder'], [0.1, 0.2, 0.3]));
    b.update(js(11, ['left_gripper'], [0.02]));
    const r = b.read(['left_gripper', 'left_shoulder', 'left_waist'], 'left joints');
    assert.deepEqual(Array.from(r.positions), [0.02, 0.3, 0.1]);
    assert.equal(r.stamp, 10_000_000_000n); // the oldest joint's stamp, nanoseconds
  });

  it('names a missing joint, the topic and the joints it has', () => {
    const b = new JointStateBuffer('/left/joint_states');
    b.update(js(1, ['waist'], [0]));
    const e = thrown(() => b.read(['waist', 'gripper'], 'left joints'));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /left joints: joint gripper has not been seen on \/left\/joint_states \(it has waist\)/);
  });

  it('refuses NaN positions, keeping the previous values', () => {
    const b = new JointStateBuffer('/joint_states');
    b.update(js(1, ['a', 'b'], [1, 2]));
    const e = thrown(() => b.update(js(2, ['a', 'b'], [5, NaN])));
    assert.match(e.message, /joint b has position NaN, expected a finite number; the message is ignored/);
    assert.deepEqual(Array.from(b.read(['a', 'b'], 'x').positions), [1, 2]);
  });

  it('refuses a message that names a joint twice, keeping the previous values', () => {
    const b = new JointStateBuffer('/joint_states');
    b.update(js(10, ['a', 'b'], [1, 2]));
    const e = thrown(() => b.update(js(11, ['a', 'b', 'a'], [5, 6, 7])));
    assert.equal(e.code, 'INPUT');
    assert.equal(e.message, 'joint states on /joint_states: joint a named more than once in one message; which position is meant cannot be told, so the message is ignored.');
    assert.deepEqual(Array.from(b.read(['a', 'b'], 'arm').positions), [1, 2]);
  });

  it('refuses a message whose names and positions differ in length', () => {
    const b = new JointStateBuffer('/joint_states');
    assert.match(thrown(() => b.update(js(1, ['a', 'b'], [1]))).message, /2 names but 1 positions/);
  });
});
