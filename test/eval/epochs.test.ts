/**
 * Time is whole nanoseconds from the bag to the scores: the same recording at another epoch, or
 * moved by a few nanoseconds, gives the same metrics, and the messages on the window's edges stay in.
 * The shifted bags are written by the project's MCAP writer (log times and every header stamp moved).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { shiftStamps } from '../../src/bag/looped.js';
import { Ros2McapWriter } from '../../src/bag/mcap-writer.js';
import { openBag } from '../../src/bag/open-bag.js';
import { decodedMessages } from '../../src/bag/decoded-messages.js';
import type { Metrics } from '../../src/eval/eval-metrics.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'twinvla-epochs-'));
const HELDOUT = join(ROOT, 'demo', 'heldout.mcap');
const MODEL = join(ROOT, 'models', 'twinvla-demo');
const PARAMS = join(ROOT, 'params', 'demo.yaml');
const SECOND = 1_000_000_000n;
const HELDOUT_START = 1_700_000_000n * SECOND;

/** The first `seconds` of the held-out bag, every time moved so that it starts at `start` (ns). */
async function shifted(name: string, start: bigint, { seconds = 3, drop = [] as string[] } = {}): Promise<string> {
  const src = await openBag(HELDOUT);
  const path = join(dir, `${name}.mcap`);
  const w = await Ros2McapWriter.create(path);
  const by = start - src.start;
  for await (const m of decodedMessages(src, { end: src.start + BigInt(seconds) * SECOND })) {
    if (drop.includes(m.topic)) continue;
    const qos = m.topic === '/tf_static' ? 'transient_local' : m.type.startsWith('sensor_msgs') ? 'sensor_data' : 'reliable';
    await w.write(m.topic, m.type, m.time + by, shiftStamps(m.message, by), qos);
  }
  await w.close();
  await src.close();
  return path;
}

async function metricsOf(bag: string, out: string, window: { start?: number; end?: number } = {}): Promise<Omit<Metrics, 'bag'>> {
  const r = await evaluate({ bag, model: MODEL, params: PARAMS, out: join(dir, out), latency: 0.05, seed: 0, ...window });
  const { bag: _bag, ...rest } = JSON.parse(readFileSync(r.files.metrics, 'utf8')) as Metrics;
  return rest;
}

describe('time in whole nanoseconds: the same data at any epoch', function () {
  this.timeout(300_000);
  let reference: Omit<Metrics, 'bag'>;

  before(async () => {
    reference = await metricsOf(await shifted('reference', HELDOUT_START), 'reference');
  });

  it('scores something to compare: chunks at the replan period and scored targets', () => {
    // 0.4 s replan period over 3 s: a chunk at 0.4 s steps once the inputs are there.
    assert.ok(reference.chunks >= 6, `${reference.chunks} chunks`);
    for (const arm of ['left', 'right']) assert.ok(reference.arms[arm]!.executed.position_error_mm.count > 50);
    // One refusal only: the attempt at activation, before the first message.
    assert.deepEqual(reference.refused_snapshots, { missing: 1 });
  });

  for (const [name, start] of [
    ['epoch 0', 0n],
    ['1 s after the epoch', SECOND],
    ['1.7e9 s + 1 ns', HELDOUT_START + 1n],
    ['1.7e9 s + 200 ns', HELDOUT_START + 200n],
    ['1.7e9 s + 123456789 ns', HELDOUT_START + 123_456_789n],
    ['2.1e9 s - 1 ns (near the end of int32 seconds)', 2_100_000_000n * SECOND - 1n],
  ] as const) {
    it(`gives identical metrics shifted to ${name}`, async () => {
      assert.deepEqual(await metricsOf(await shifted(name.replace(/\W+/g, '_'), start), name.replace(/\W+/g, '_')), reference);
    });
  }

  it('keeps the messages on both edges of an explicit window that spans the whole bag', async () => {
    const bag = await shifted('edges', HELDOUT_START + 987_654_321n);
    // The same window given in seconds: its edges fall exactly on the first and last messages.
    const m = await metricsOf(bag, 'edges-window', { start: 0, end: 3 });
    assert.deepEqual(m.window_s, { start: 0, end: 3 });
    assert.deepEqual({ ...m, window_s: reference.window_s }, reference);
  });

  it('delivers /tf_static and the instruction recorded before a window that starts later', async () => {
    // The held-out bag has /tf_static and the instruction only at its first instant.
    const m = await metricsOf(await shifted('late', HELDOUT_START + 1n), 'late', { start: 1 });
    assert.deepEqual(m.window_s, { start: 1, end: 3 });
    assert.deepEqual(m.refused_snapshots, { missing: 1 });
    assert.ok(m.chunks >= 4, `${m.chunks} chunks`);
  });
});
