/**
 * Bad bags and bad windows: a clear error naming what is wrong, or the bad message skipped and
 * counted while the evaluation goes on; outputs reach --out only when a run completes.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapWriter } from '@mcap/core';

import { decodedMessages } from '../../src/bag/decoded-messages.js';
import { Ros2McapWriter } from '../../src/bag/mcap-writer.js';
import { openBag } from '../../src/bag/open-bag.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { rejection, ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'twinvla-bad-bags-'));
const HELDOUT = join(ROOT, 'demo', 'heldout.mcap');
const MODEL = join(ROOT, 'models', 'twinvla-demo');
const PARAMS = join(ROOT, 'params', 'demo.yaml');

/** The first 2 s of the held-out bag, messages passed through `edit` (null drops one). */
type Out = { topic: string; type: string; raw?: Uint8Array };
async function edited(name: string, edit: (m: { topic: string; type: string; data: Uint8Array; message: unknown }, i: number) => Out | Out[] | null): Promise<string> {
  const src = await openBag(HELDOUT);
  const path = join(dir, name);
  const w = await Ros2McapWriter.create(path);
  let i = 0;
  for await (const m of decodedMessages(src, { end: src.start + 2_000_000_000n })) {
    const r = edit(m, i++);
    for (const e of r === null ? [] : Array.isArray(r) ? r : [r]) {
      const qos = e.topic === '/tf_static' ? 'transient_local' : 'reliable';
      await w.writeRaw(e.topic, e.type, m.time, e.raw ?? m.data, qos);
    }
  }
  await w.close();
  await src.close();
  return path;
}

const run = (bag: string, out: string, window: { start?: number; end?: number } = {}) =>
  evaluate({ bag, model: MODEL, params: PARAMS, out: join(dir, out), latency: 0.05, seed: 0, ...window });

describe('eval: bad bags, bad windows', function () {
  this.timeout(300_000);
  let good: string;
  before(async () => { good = await edited('good.mcap', (m) => m); });

  it('names both types when a topic has the expected name and another type', async () => {
    // The left wrist's JPEG frames recorded under the head camera's topic, which the policy reads raw.
    const bag = await edited('mistyped.mcap', (m) => (m.topic === '/camera/head/image_raw' ? null
      : m.topic === '/camera/left_wrist/image_raw/compressed' ? [m, { topic: '/camera/head/image_raw', type: m.type }] : m));
    const e = await rejection(run(bag, 'mistyped'));
    assert.equal(e.code, 'BAG');
    assert.match(e.message, /mistyped\.mcap: \/camera\/head\/image_raw is sensor_msgs\/msg\/CompressedImage in the bag, but the policy subscribes to it as sensor_msgs\/msg\/Image \(parameters: .*demo\.yaml\)\. Point the topic parameter at a topic of the expected type, or set cameras\.<role>\.transport/);
  });

  it('refuses a params file whose blocks all name other nodes, before replaying anything', async () => {
    const params = join(dir, 'other-nodes.yaml');
    writeFileSync(params, 'move_group:\n  ros__parameters: {planning_time: 5}\n');
    const e = await rejection(evaluate({ bag: good, model: MODEL, params, out: join(dir, 'other-nodes'), latency: 0.05, seed: 0 }));
    assert.equal(e.code, 'PARAMETER');
    assert.equal(e.message, `${params}: no block of this parameters file reaches the nodes that read it (/twinvla_policy, /twinvla_left_executor, /twinvla_right_executor, /twinvla_eval); it has blocks for /move_group. Name the blocks after these nodes (or "/**" for all of them), or pass the parameters file of this setup.`);
    assert.equal(existsSync(join(dir, 'other-nodes')), false);
  });

  it('leaves recorded ground truth that is not a number out of the scoring, and says so', async () => {
    // Every 4th recorded left target gets x = NaN, every 4th left gripper command NaN (CDR: the
    // pose's 7 float64 and the Float64's one end the message).
    const poisoned = new Map<string, number>();
    const seen = new Map<string, number>();
    const bag = await edited('nan-truth.mcap', (m) => {
      const tail = m.topic === '/left/target_pose' ? 56 : m.topic === '/left/gripper_command' ? 8 : 0;
      if (tail === 0) return m;
      const i = seen.get(m.topic) ?? 0;
      seen.set(m.topic, i + 1);
      if (i % 4 !== 0) return m;
      poisoned.set(m.topic, (poisoned.get(m.topic) ?? 0) + 1);
      const raw = Buffer.from(m.data);
      raw.writeDoubleLE(NaN, raw.length - tail);
      return { topic: m.topic, type: m.type, raw: new Uint8Array(raw) };
    });
    const r = await run(bag, 'nan-truth');
    const left = r.metrics.arms['left']?.executed;
    for (const v of [left?.position_error_mm.mean, left?.position_error_mm.p95, left?.rotation_error_deg.mean, left?.gripper_agreement]) assert.ok(Number.isFinite(v), String(v));
    assert.ok((poisoned.get('/left/target_pose') ?? 0) > 5 && (poisoned.get('/left/gripper_command') ?? 0) > 5);
    for (const topic of ['/left/target_pose', '/left/gripper_command']) {
      assert.ok(r.warnings.includes(`warn: ground truth: ${poisoned.get(topic)} recorded sample(s) on ${topic} hold a value that is not a number (NaN, Inf or a zero quaternion); left out of the scoring`), r.warnings.join('\n'));
    }
  });

  it('skips an undecodable message with its topic, time and reason, and goes on', async () => {
    let done = false;
    const bag = await edited('one-bad.mcap', (m) => {
      if (m.topic !== '/left/joint_states' || done) return m;
      done = true;
      return { topic: m.topic, type: m.type, raw: Uint8Array.from([0, 1, 0, 0, 200, 0, 0, 0]) };
    });
    const r = await run(bag, 'one-bad');
    assert.ok(r.metrics.chunks >= 3, `${r.metrics.chunks} chunks`);
    const skipped = r.warnings.filter((w) => w.includes('skipped a message'));
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!, /^warn: skipped a message that cannot be decoded \(log time 1700000000\.000000000 s\): .*one-bad\.mcap \(topic \/left\/joint_states\): cannot decode a sensor_msgs\/msg\/JointState message of 8 bytes as CDR/);
  });

  it('fails, naming the topic and the reason, when a needed topic has nothing decodable', async () => {
    const bag = await edited('all-bad.mcap', (m) => (m.topic === '/right/joint_states' ? { topic: m.topic, type: m.type, raw: Uint8Array.from([0, 1, 0, 0]) } : m));
    const e = await rejection(run(bag, 'all-bad'));
    assert.equal(e.code, 'BAG');
    assert.match(e.message, /all-bad\.mcap: no message of \/right\/joint_states could be decoded in the window, and the policy needs it: \/right\/joint_states: \d+ skipped, the first at 1700000000\.000000000 s: .*cannot decode a sensor_msgs\/msg\/JointState message of 4 bytes/);
  });

  it('skips a topic whose schema cannot be parsed when no node needs it (a second file of a bag directory, merged by time)', async () => {
    const bagDir = join(dir, 'two-files');
    mkdirSync(bagDir);
    const { copyFileSync } = await import('node:fs');
    copyFileSync(good, join(bagDir, 'part_0.mcap'));
    const fh = await openFile(join(bagDir, 'part_1.mcap'), 'w');
    let pos = 0n;
    const w = new McapWriter({ writable: { position: () => pos, write: async (b) => { await fh.write(b); pos += BigInt(b.length); } } });
    await w.start({ profile: 'ros2', library: 'test' });
    const schema = await w.registerSchema({ name: 'vendor_msgs/msg/Status', encoding: 'ros2msg', data: new TextEncoder().encode('this is not a message definition !!') });
    const ch = await w.registerChannel({ topic: '/vendor/status', schemaId: schema, messageEncoding: 'cdr', metadata: new Map() });
    for (let k = 0; k < 5; k++) await w.addMessage({ channelId: ch, sequence: k, logTime: 1_700_000_000_500_000_000n + BigInt(k) * 100_000_000n, publishTime: 0n, data: new Uint8Array(8) });
    await w.end();
    await fh.close();
    writeFileSync(join(bagDir, 'metadata.yaml'), 'rosbag2_bagfile_information:\n  version: 9\n  storage_identifier: mcap\n  relative_file_paths:\n    - part_0.mcap\n    - part_1.mcap\n');
    const r = await run(bagDir, 'two-files');
    assert.ok(r.metrics.chunks >= 3);
    const skipped = r.warnings.filter((w) => w.includes('skipped a message'));
    assert.equal(skipped.length, 5);
    assert.match(skipped[0]!, /\(log time 1700000000\.500000000 s\): .*two-files \(topic \/vendor\/status\): cannot parse the ros2msg schema of vendor_msgs\/msg\/Status/);
  });

  it('checks the window against the bag: negative, past the end, end before start', async () => {
    const cases: [{ start?: number; end?: number }, RegExp][] = [
      [{ start: -5 }, /--start -5: expected seconds >= 0 from the bag's first message/],
      [{ end: -1 }, /--end -1: expected seconds > 0/],
      [{ start: 50 }, /--start 50 is past the end of the bag, which lasts 2\.000 s/],
      [{ start: 1.5, end: 1 }, /--end 1 is not after --start 1\.5/],
    ];
    for (const [window, re] of cases) {
      const e = await rejection(run(good, 'window', window));
      assert.equal(e.code, 'INPUT');
      assert.match(e.message, re);
      assert.match(e.message, /the window is \[--start, --end\] in seconds from the bag's first message \(0 to 2\.000\)/);
    }
  });

  it('fails when nothing was scored, and leaves the previous outputs in --out untouched', async () => {
    await run(good, 'kept');
    const before = readFileSync(join(dir, 'kept', 'metrics.json'));
    // No /camera/head frames after the first 0.1 s: every snapshot is stale.
    const bag = await edited('stale.mcap', (m, i) => (m.topic === '/camera/head/image_raw' && i > 40 ? null : m));
    const e = await rejection(run(bag, 'kept', { start: 1 }));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /stale\.mcap: the evaluation scored nothing \(0 chunks, 0 executed targets with ground truth; refused snapshots: missing \d+\); no outputs were written/);
    assert.ok(readFileSync(join(dir, 'kept', 'metrics.json')).equals(before), 'the previous metrics.json changed');
    assert.ok(existsSync(join(dir, 'kept', 'replay.mcap')));
  });
});
