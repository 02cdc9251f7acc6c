import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openBag } from '../../src/bag/open-bag.js';
import { ensureDemoBag } from '../../src/eval/demo-bag.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { Progress } from '../../src/eval/progress.js';
import { rejection, ROOT, TWINVLA_TINY } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'twinvla-eval-'));
const PARAMS = join(ROOT, 'test', 'fixtures', 'loops.yaml');

describe('twinvla eval', function () {
  this.timeout(120_000);
  let bag: string;
  before(async () => { bag = await ensureDemoBag(join(dir, 'demo.mcap')); });

  it('gives byte-identical metrics.json for the same seed and a fixed latency, other numbers for another seed', async () => {
    const run = (out: string, seed: number): Promise<unknown> => evaluate({ bag, model: TWINVLA_TINY, params: PARAMS, out: join(dir, out), latency: 0.03, seed, end: 4 });
    await run('a', 3);
    await run('b', 3);
    await run('c', 4);
    const a = readFileSync(join(dir, 'a', 'metrics.json'));
    assert.ok(a.equals(readFileSync(join(dir, 'b', 'metrics.json'))), 'two runs with seed 3 differ');
    assert.ok(!a.equals(readFileSync(join(dir, 'c', 'metrics.json'))), 'seed 4 gave the same numbers');
  });

  it('writes metrics.json, a self-contained report.html and a replay.mcap with inputs and outputs', async () => {
    const r = await evaluate({ bag, model: TWINVLA_TINY, params: PARAMS, out: join(dir, 'full'), latency: 0.05, seed: 0, start: 1, end: 6 });
    const m = JSON.parse(readFileSync(r.files.metrics, 'utf8'));
    assert.equal(m.format, 'twinvla-eval/1');
    assert.equal(m.model, 'twinvla-tiny');
    assert.deepEqual(m.window_s, { start: 1, end: 6 });
    assert.equal(m.inference_latency_ms.median, 50);
    assert.ok(m.inference_latency_ms.count === m.chunks);
    // Observation to chunk, split: each chunk's frame age at the start of its inference, then the
    // fixed 50 ms of inference, so every statistic of the one is the other's plus 50 ms.
    assert.equal(m.frame_age_ms.count, m.chunks);
    assert.ok(m.frame_age_ms.median > 0, `frame age median ${m.frame_age_ms.median} ms`);
    for (const k of ['mean', 'median', 'p95']) {
      assert.ok(Math.abs(m.observation_to_chunk_ms[k] - m.frame_age_ms[k] - 50) < 0.01, `${k}: observation to chunk ${m.observation_to_chunk_ms[k]} ms, frame age ${m.frame_age_ms[k]} ms`);
    }
    for (const arm of ['left', 'right']) {
      assert.equal(m.arms[arm].ground_truth, 'recorded_targets');
      assert.ok(m.arms[arm].executed.position_error_mm.count > 150);
      assert.ok(m.arms[arm].horizon.length >= 10);
      assert.ok(m.arms[arm].executed.hold_baseline.position_error_mm.count > 0);
    }
    const html = readFileSync(r.files.report, 'utf8');
    assert.ok(!/<script|<link|src="http/.test(html), 'report.html is not self-contained');
    // Per episode, 4 plots per arm; then error by chunk step per arm, and the per-episode means when there are several.
    assert.ok(m.episodes.length >= 1);
    assert.equal((html.match(/<svg/g) ?? []).length, 8 * m.episodes.length + 2 + (m.episodes.length > 1 ? 1 : 0));
    const out = await openBag(r.files.replay);
    const topics = out.topics.map((t) => t.name);
    for (const t of ['/camera/head/image_raw', '/camera/left_wrist/image_raw/compressed', '/tf', '/tf_static', '/joint_states',
      '/twinvla_policy/action_chunk', '/twinvla_left_executor/target_pose', '/twinvla_right_executor/gripper_command', '/diagnostics']) {
      assert.ok(topics.includes(t), `replay.mcap lacks ${t}`);
    }
    await out.close();
  });

  it('names the missing topic and the file when the bag lacks a required input', async () => {
    const e = await rejection(evaluate({ bag, model: TWINVLA_TINY, out: join(dir, 'x'), latency: 0, seed: 0 }));
    assert.equal(e.code, 'BAG');
    assert.match(e.message, /demo\.mcap: the bag has no \/camera\/left_wrist\/image_raw, which the policy needs \(parameters: defaults\)\. It has: .*\/camera\/left_wrist\/image_raw\/compressed/);
  });

  it('reports progress as a bar with rate and ETA on a terminal, as plain lines otherwise', () => {
    const lines: string[] = [];
    const plain = new Progress(0, 10, { tty: false, write: (s) => lines.push(s) });
    for (let t = 0; t <= 10; t += 0.5) plain.update(t);
    assert.equal(lines.length, 11);
    assert.match(lines[5]!, /^replay 50%: 5\.0 of 10\.0 s, [\d.]+x real time\n$/);
    const bar: string[] = [];
    const tty = new Progress(0, 10, { tty: true, write: (s) => bar.push(s) });
    tty.update(10);
    assert.match(bar[0]!, /^\r\[#+\] 100% {2}10\.0\/10\.0 s {2}[\d.]+x real time {2}ETA/);
  });
});
