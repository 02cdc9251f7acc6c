import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader, McapWriter } from '@mcap/core';

import { Ros2McapWriter } from '../../src/bag/mcap-writer.js';
import { openBag } from '../../src/bag/open-bag.js';
import { decodedMessages, type DecodedMessage } from '../../src/bag/decoded-messages.js';
import type { JointState, StringMsg } from '../../src/messages.js';
import { rejection, ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'twinvla-bags-'));

async function collect(path: string): Promise<DecodedMessage[]> {
  const out = [];
  const bag = await openBag(path);
  try {
    for await (const m of decodedMessages(bag)) out.push(m);
  } finally {
    await bag.close();
  }
  return out;
}

async function writeSample(path: string): Promise<void> {
  const w = await Ros2McapWriter.create(path);
  for (let i = 0; i < 50; i++) {
    await w.write('/joint_states', 'sensor_msgs/msg/JointState', 100_000_000_000n + BigInt(i) * 10_000_000n, { header: { stamp: { sec: 100, nanosec: i * 10_000_000 }, frame_id: '' }, name: ['a', 'b'], position: [i, -i], velocity: [], effort: [] }, 'sensor_data');
    if (i % 10 === 0) await w.write('/instruction', 'std_msgs/msg/String', 100_001_000_000n + BigInt(i) * 10_000_000n, { data: `go ${i}` });
  }
  await w.close();
}

describe('bags: MCAP and rosbag2 sqlite', function () {
  this.timeout(60_000);
  let expected: { topic: string; time_ns: string; position?: number[]; data?: string }[];

  before(() => {
    execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-m', 'twinvla_tools.test_bags', join(dir, 'py')], { env: { ...process.env, PYTHONPATH: join(ROOT, 'tools') } });
    expected = JSON.parse(readFileSync(join(dir, 'py', 'expected.json'), 'utf8'));
  });

  function check(got: Awaited<ReturnType<typeof collect>>): void {
    assert.equal(got.length, expected.length);
    got.forEach((m, i) => {
      const want = expected[i]!;
      assert.equal(m.topic, want.topic);
      assert.equal(m.time, BigInt(want.time_ns)); // to the nanosecond
      if (want.position) assert.deepEqual(Array.from((m.message as JointState).position), want.position);
      if (want.data) assert.equal((m.message as StringMsg).data, want.data);
    });
  }

  it('writes MCAP with the ros2 profile and reads it back: same messages, schemas and QoS', async () => {
    const path = join(dir, 'roundtrip.mcap');
    await writeSample(path);
    const got = await collect(path);
    assert.equal(got.length, 55);
    assert.deepEqual(Array.from((got.filter((m) => m.topic === '/joint_states')[1] as { message: JointState }).message.position), [1, -1]);
    assert.equal((got.find((m) => m.topic === '/instruction')!.message as StringMsg).data, 'go 0');
    const fh = await openFile(path, 'r');
    const size = BigInt(statSync(path).size);
    const reader = await McapIndexedReader.Initialize({ readable: { size: async () => size, read: async (o, n) => { const b = new Uint8Array(Number(n)); await fh.read(b, 0, b.length, Number(o)); return b; } } });
    assert.equal(reader.header.profile, 'ros2');
    const schemas = [...reader.schemasById.values()].map((s) => [s.name, s.encoding]);
    assert.deepEqual(schemas.sort(), [['sensor_msgs/msg/JointState', 'ros2msg'], ['std_msgs/msg/String', 'ros2msg']]);
    for (const c of reader.channelsById.values()) {
      assert.equal(c.messageEncoding, 'cdr');
      assert.match(c.metadata.get('offered_qos_profiles') ?? '', /reliability: [12]\n/);
    }
    await fh.close();
  });

  it('reads MCAP written by the Python mcap-ros2 writer, zstd and lz4 chunks', async () => {
    check(await collect(join(dir, 'py', 'python_zstd.mcap')));
    check(await collect(join(dir, 'py', 'python_lz4.mcap')));
  });

  it('reads a rosbag2 sqlite bag directory with its schemas (Iron and later), sorted by time', async () => {
    check(await collect(join(dir, 'py', 'rosbag2_jazzy')));
  });

  it('reads a rosbag2 sqlite bag without schemas (Humble) with the bundled definitions, and a .db3 file alone', async () => {
    check(await collect(join(dir, 'py', 'rosbag2_humble')));
    check(await collect(join(dir, 'py', 'rosbag2_humble', 'bag_0.db3')));
  });

  it('reads an MCAP without index or summary by streaming it', async () => {
    const path = join(dir, 'unindexed.mcap');
    const fh = await openFile(path, 'w');
    let pos = 0n;
    const w = new McapWriter({ writable: { position: () => pos, write: async (b) => { await fh.write(b); pos += BigInt(b.length); } }, useStatistics: false, useSummaryOffsets: false, useChunkIndex: false, useMessageIndex: false, useAttachmentIndex: false, useMetadataIndex: false, repeatSchemas: false, repeatChannels: false });
    await w.start({ profile: 'ros2', library: 'test' });
    const schema = await w.registerSchema({ name: 'std_msgs/msg/String', encoding: 'ros2msg', data: new TextEncoder().encode('string data') });
    const ch = await w.registerChannel({ topic: '/s', schemaId: schema, messageEncoding: 'cdr', metadata: new Map() });
    // CDR of std_msgs/String "hi": encapsulation header, length 3, "hi\0".
    const cdr = Uint8Array.from([0, 1, 0, 0, 3, 0, 0, 0, 104, 105, 0]);
    for (const t of [3n, 1n, 2n]) await w.addMessage({ channelId: ch, sequence: 0, logTime: t * 1_000_000_000n, publishTime: 0n, data: cdr });
    await w.end();
    await fh.close();
    const got = await collect(path);
    assert.deepEqual(got.map((m) => m.time), [1_000_000_000n, 2_000_000_000n, 3_000_000_000n]);
    assert.equal((got[0]!.message as StringMsg).data, 'hi');
  });

  it('a truncated MCAP: an error naming the file', async () => {
    const src = join(dir, 'roundtrip.mcap');
    const path = join(dir, 'truncated.mcap');
    const bytes = readFileSync(src);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const e = await rejection(collect(path));
    assert.equal(e.code, 'BAG');
    assert.match(e.message, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the MCAP file is truncated .*recording was cut short`));
  });

  it('a corrupt chunk: an error naming the file', async () => {
    const path = join(dir, 'corrupt.mcap');
    copyFileSync(join(dir, 'roundtrip.mcap'), path);
    const bytes = readFileSync(path);
    for (let i = 200; i < 260; i++) bytes[i] = (bytes[i]! ^ 0x5a) & 255;
    writeFileSync(path, bytes);
    const e = await rejection(collect(path));
    assert.equal(e.code, 'BAG');
    assert.match(e.message, /corrupt\.mcap: cannot read the MCAP data \(.+\); the file is corrupt/);
  });

  it('an unknown message type without a schema: an error naming the file, the topic and the type', async () => {
    const path = join(dir, 'unknown.mcap');
    const fh = await openFile(path, 'w');
    let pos = 0n;
    const w = new McapWriter({ writable: { position: () => pos, write: async (b) => { await fh.write(b); pos += BigInt(b.length); } } });
    await w.start({ profile: 'ros2', library: 'test' });
    const ch = await w.registerChannel({ topic: '/gripper_state', schemaId: 0, messageEncoding: 'cdr', metadata: new Map() });
    await w.addMessage({ channelId: ch, sequence: 0, logTime: 1n, publishTime: 1n, data: new Uint8Array(8) });
    await w.end();
    await fh.close();
    const e = await rejection(collect(path));
    assert.equal(e.code, 'BAG');
    assert.match(e.message, /unknown\.mcap \(topic \/gripper_state\): unknown message type : the bag carries no schema for it/);
  });

  it('a path that is not a bag, and a directory without metadata.yaml', async () => {
    assert.match((await rejection(openBag(join(dir, 'nothing.mcap')))).message, /no such bag file or directory/);
    assert.match((await rejection(openBag(join(ROOT, 'README.md')))).message, /README\.md: not a bag file; expected an \.mcap or \.db3 file/);
    assert.match((await rejection(openBag(join(ROOT, 'msg')))).message, /msg: a bag directory needs metadata\.yaml/);
  });
});
