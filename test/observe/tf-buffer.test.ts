import { strict as assert } from 'node:assert';

import { TfBuffer } from '../../src/observe/tf-buffer.js';
import type { TFMessage, TransformStamped } from '../../src/messages.js';
import { thrown } from '../helpers.js';
import { ns } from '../scene.js';

function tf(parent: string, child: string, sec: number, t: [number, number, number], q: [number, number, number, number] = [0, 0, 0, 1]): TransformStamped {
  return {
    header: { stamp: { sec: Math.floor(sec), nanosec: Math.round((sec % 1) * 1e9) }, frame_id: parent },
    child_frame_id: child,
    transform: { translation: { x: t[0], y: t[1], z: t[2] }, rotation: { x: q[0], y: q[1], z: q[2], w: q[3] } },
  };
}
const msg = (...transforms: TransformStamped[]): TFMessage => ({ transforms });
const S = Math.SQRT1_2;

describe('TF buffer', () => {
  function robot(): TfBuffer {
    const b = new TfBuffer();
    b.add(msg(tf('world', 'base', 0, [1, 0, 0])), true, '/tf_static');
    // The end effector moves along x and turns 90 degrees about z between t = 10 and t = 11.
    b.add(msg(tf('base', 'left_ee', 10, [0, 0, 0.5])), false, '/tf');
    b.add(msg(tf('base', 'left_ee', 11, [0.2, 0, 0.5], [0, 0, S, S])), false, '/tf');
    return b;
  }

  it('chains frames and interpolates in time (lerp and slerp)', () => {
    const { transform, stamp } = robot().lookup('world', 'left_ee', ns(10.5));
    assert.equal(stamp, ns(10.5));
    assert.ok(Math.abs(transform.t[0] - 1.1) < 1e-12 && Math.abs(transform.t[2] - 0.5) < 1e-12);
    // Half of a 90-degree turn about z: 45 degrees.
    const half = Math.sin(Math.PI / 8);
    assert.ok(Math.abs(transform.q[2] - half) < 1e-12 && Math.abs(transform.q[3] - Math.cos(Math.PI / 8)) < 1e-12);
  });

  it('answers the inverse direction and at the latest common time', () => {
    const { transform, stamp } = robot().lookup('left_ee', 'world', 'latest');
    assert.equal(stamp, ns(11));
    // world origin seen from left_ee: -(R^T (t)) with t = (1.2, 0, 0.5), R = 90 deg about z.
    assert.ok(Math.abs(transform.t[0] - 0) < 1e-12 && Math.abs(transform.t[1] - 1.2) < 1e-12 && Math.abs(transform.t[2] + 0.5) < 1e-12);
  });

  it('names an unknown frame and lists the known ones', () => {
    const e = thrown(() => robot().lookup('base', 'right_ee', 'latest'));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /TF: right_ee -> base: unknown frame right_ee \(known frames: base, left_ee, world\)/);
  });

  it('refuses a stamp from the future (no extrapolation)', () => {
    const e = thrown(() => robot().lookup('base', 'left_ee', ns(11.25)));
    assert.match(e.message, /the latest base -> left_ee transform is at 11\.000000000 s, 250\.0 ms before the requested time 11\.250000000 s \(extrapolation into the future\)/);
  });

  it('refuses a time older than the data', () => {
    assert.match(thrown(() => robot().lookup('base', 'left_ee', ns(9))).message, /extrapolation into the past/);
  });

  it('refuses a transform that would close a loop, within one message or across messages, keeping the tree', () => {
    const b = new TfBuffer();
    const e = thrown(() => b.add(msg(tf('a', 'b', 1, [0, 0, 0]), tf('b', 'c', 1, [0, 0, 0]), tf('c', 'a', 1, [0, 0, 0])), true, '/tf_static'));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /^\/tf_static: transform a -> b would close a loop in the frame tree \(b -> a -> c -> b\); the message is refused and the tree kept as it was\.$/);
    assert.deepEqual(b.frames(), []);
    const r = robot();
    assert.match(thrown(() => r.add(msg(tf('left_ee', 'world', 11, [0, 0, 0])), false, '/tf')).message, /\/tf: transform left_ee -> world would close a loop in the frame tree \(world -> left_ee -> base -> world\)/);
    assert.equal(r.lookup('world', 'left_ee', ns(10.5)).stamp, ns(10.5)); // unharmed
  });

  it('refuses, given the clock, a transform stamped far ahead of it; the history stays usable', () => {
    const r = robot();
    const e = thrown(() => r.add(msg(tf('base', 'left_ee', 1_000_011, [5, 5, 5])), false, '/tf', { now: ns(11), futureTolerance: 1 }));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /^\/tf: transform base -> left_ee is stamped 1000011\.000000000 s, 1000000\.000 s ahead of the clock \(11\.000000000 s\); the message is refused/);
    assert.equal(r.lookup('base', 'left_ee', 'latest').stamp, ns(11));
    r.add(msg(tf('base', 'left_ee', 11.5, [0.3, 0, 0.5])), false, '/tf', { now: ns(11), futureTolerance: 1 }); // within the tolerance
    assert.equal(r.lookup('base', 'left_ee', 'latest').stamp, ns(11.5));
  });

  it('names frames that are not connected', () => {
    const b = robot();
    b.add(msg(tf('map', 'odom', 0, [0, 0, 0])), true, '/tf_static');
    assert.match(thrown(() => b.lookup('base', 'odom', 'latest')).message, /the frames are not connected \(odom's tree has root map, base's has root world\)/);
  });

  it('refuses a transform with a non-unit quaternion, storing nothing of the message', () => {
    const b = new TfBuffer();
    const e = thrown(() => b.add(msg(tf('base', 'x', 1, [0, 0, 0]), tf('base', 'y', 1, [0, 0, 0], [0, 0, 0, 2])), false, '/tf'));
    assert.match(e.message, /\/tf: transform 1 \(base -> y\): rotation quaternion has norm 2\.0000, expected 1/);
    assert.deepEqual(b.frames(), []);
  });

  it('keeps only the cache duration of history', () => {
    const b = new TfBuffer({ cacheSeconds: 2 });
    for (let s = 0; s <= 10; s++) b.add(msg(tf('base', 'ee', s, [s, 0, 0])), false, '/tf');
    assert.match(thrown(() => b.lookup('base', 'ee', ns(7.5))).message, /oldest base -> ee transform is at 8\.000000000 s/);
    assert.equal(b.lookup('base', 'ee', ns(9.5)).transform.t[0], 9.5);
  });
});
