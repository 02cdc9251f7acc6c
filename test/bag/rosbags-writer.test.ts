/**
 * Bags written by the pure-Python `rosbags` library (an independent rosbag2 writer; fixtures from
 * tools/twinvla_tools/rosbags_fixtures.py): zstd file and message compression with the sqlite3 and
 * mcap storages, and a recording split over two files whose messages interleave in time.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { decodedMessages } from '../../src/bag/decoded-messages.js';
import { openBag } from '../../src/bag/open-bag.js';
import type { JointState, StringMsg } from '../../src/messages.js';
import { ROOT } from '../helpers.js';

const DIR = join(ROOT, 'test', 'fixtures', 'rosbags');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { topic: string; time_ns: string; position?: number[]; data?: string }[];

async function check(name: string): Promise<void> {
  const bag = await openBag(join(DIR, name));
  try {
    assert.equal(bag.start, BigInt(expected[0]!.time_ns));
    assert.equal(bag.end, BigInt(expected[expected.length - 1]!.time_ns));
    const got = [];
    for await (const m of decodedMessages(bag)) got.push(m);
    assert.deepEqual(got.map((m) => [m.topic, m.time]), expected.map((e) => [e.topic, BigInt(e.time_ns)]));
    got.forEach((m, i) => {
      const want = expected[i]!;
      if (want.position) assert.deepEqual(Array.from((m.message as JointState).position), want.position);
      if (want.data) assert.equal((m.message as StringMsg).data, want.data);
    });
  } finally {
    await bag.close();
  }
}

describe('bags written by rosbags', () => {
  for (const name of ['zstd_file_sqlite3', 'zstd_file_mcap', 'zstd_message_sqlite3', 'zstd_message_mcap']) {
    it(`reads ${name.replace(/_/g, ' ')}: every message, in order, to the nanosecond`, () => check(name));
  }

  it('merges a recording split over two files by log time', () => check('split_sqlite3'));
});
