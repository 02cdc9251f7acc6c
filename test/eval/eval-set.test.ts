/**
 * Dataset-scale evaluation: a folder of bags evaluated in worker processes, each bag's own outputs,
 * one combined metrics.json and report.html whose pooled errors are the bags' samples together.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expandBags, outName } from '../../src/eval/bag-list.js';
import { ensureDemoBag } from '../../src/eval/demo-bag.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { evaluateSet, type SetMetrics } from '../../src/eval/eval-set.js';
import { stat } from '../../src/eval/metrics.js';
import { ROOT, TWINVLA_TINY } from '../helpers.js';

const PARAMS = join(ROOT, 'test', 'fixtures', 'loops.yaml');

describe('twinvla eval over many bags', function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-set-'));
  const bags = join(dir, 'bags');
  let single: Awaited<ReturnType<typeof evaluate>>;

  before(async () => {
    const bag = await ensureDemoBag(join(dir, 'loops.mcap'));
    mkdirSync(bags);
    for (const n of ['a', 'b', 'c']) copyFileSync(bag, join(bags, `${n}.mcap`));
    writeFileSync(join(bags, 'notes.txt'), 'not a bag');
    mkdirSync(join(bags, 'not-a-bag'));
    single = await evaluate({ bag, model: TWINVLA_TINY, params: PARAMS, out: join(dir, 'single'), latency: 0.04, seed: 0, end: 3 });
  });

  it('finds the bags of a folder (files and rosbag2 folders), in name order, and refuses clashes and empty folders', () => {
    mkdirSync(join(dir, 'mixed', 'r2'), { recursive: true });
    writeFileSync(join(dir, 'mixed', 'r2', 'metadata.yaml'), 'rosbag2_bagfile_information: {}\n');
    writeFileSync(join(dir, 'mixed', 'z.db3'), '');
    writeFileSync(join(dir, 'mixed', 'a.mcap'), '');
    assert.deepEqual(expandBags([join(dir, 'mixed')]).map(outName), ['a', 'r2', 'z']);
    assert.deepEqual(expandBags([join(dir, 'mixed', 'r2')]), [join(dir, 'mixed', 'r2')]);
    assert.throws(() => expandBags([join(dir, 'mixed'), join(dir, 'mixed', 'a.mcap')]), /would share the output folder a/);
    assert.throws(() => expandBags([join(bags, 'not-a-bag')]), /a folder without bags/);
    assert.throws(() => expandBags([join(dir, 'nope')]), /--bag .*nope: no such file or folder/);
  });

  it('evaluates each bag in a worker process, as a single run would, and pools the errors exactly', async () => {
    const done: number[] = [];
    const r = await evaluateSet(expandBags([bags]), { model: TWINVLA_TINY, params: PARAMS, out: join(dir, 'set'), latency: 0.04, seed: 0, end: 3 }, { jobs: 2, onDone: (i) => done.push(i) });
    assert.deepEqual(done.sort(), [0, 1, 2]);
    assert.equal(r.jobs, 2);
    const m = JSON.parse(readFileSync(join(dir, 'set', 'metrics.json'), 'utf8')) as SetMetrics;
    assert.equal(m.format, 'twinvla-eval-set/1');
    assert.deepEqual(m.bags.map((b) => b.out), ['a', 'b', 'c']);
    for (const n of ['a', 'b', 'c']) {
      const one = JSON.parse(readFileSync(join(dir, 'set', n, 'metrics.json'), 'utf8'));
      assert.deepEqual(one.arms, single.metrics.arms, `bag ${n} scored differently in a worker`);
      assert.ok(existsSync(join(dir, 'set', n, 'report.html')) && existsSync(join(dir, 'set', n, 'replay.mcap')));
    }
    // Three copies of one bag: the pooled statistics are those of the single run's samples thrice
    // (the mean the same; quantiles of the pooled samples, not averages of the bags' quantiles).
    const thrice = (a: Float32Array): Float32Array => { const o = new Float32Array(a.length * 3); for (let k = 0; k < 3; k++) o.set(a, k * a.length); return o; };
    for (const arm of ['left', 'right']) {
      const s = single.metrics.arms[arm]!.executed;
      const raw = single.raw[arm]!;
      const p = m.arms[arm]!;
      assert.deepEqual(p.position_error_mm, stat(thrice(raw.position_mm)));
      assert.deepEqual(p.hold_baseline.position_error_mm, stat(thrice(raw.hold_position_mm)));
      assert.equal(p.position_error_mm.mean, s.position_error_mm.mean);
      assert.equal(p.position_error_mm.count, 3 * s.position_error_mm.count);
      assert.equal(p.gripper_agreement, s.gripper_agreement);
      assert.equal(p.jerk_rms_m_s3.executed, Number(s.motion.executed.jerk_rms_m_s3!.toFixed(3)));
      assert.equal(p.jerk_rms_m_s3.recorded, Number(s.motion.recorded.jerk_rms_m_s3!.toFixed(3)));
    }
    const html = readFileSync(join(dir, 'set', 'report.html'), 'utf8');
    assert.equal((html.match(/<a href="[abc]\/report\.html">/g) ?? []).length, 3);
  });

  it('names a bag that fails in its worker once, with the worker\'s reason and code', async () => {
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    const bag = join(broken, 'corrupt.mcap');
    writeFileSync(bag, Buffer.alloc(4096, 7));
    const e = await evaluateSet([bag], { model: TWINVLA_TINY, params: PARAMS, out: join(dir, 'broken-out'), latency: 0.04, seed: 0, end: 3 }, { jobs: 1 }).then(() => null, (x: Error & { code?: string }) => x);
    assert.equal(e?.code, 'BAG');
    assert.equal(e?.message, `${bag}: cannot read the MCAP data (Expected MCAP magic '89 4d 43 41 50 30 0d 0a', found '07 07 07 07 07 07 07 07'); the file is corrupt. Try \`mcap recover\` and replay the recovered file.`);
  });

  it('runs from the command line on a folder, printing a line per bag and the pooled table', () => {
    const r = spawnSync('node', [join(ROOT, 'bin', 'twinvla.js'), 'eval', '--bag', bags, '--model', TWINVLA_TINY, '--params', PARAMS, '--out', join(dir, 'cli'), '--latency', '40', '--end', '2', '--jobs', '3'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stderr.match(/^bag \d of 3 done: /gm) ?? []).length, 3);
    assert.match(r.stdout, /^twinvla-tiny on 3 bags, latency 40 ms, seed 0\nreplayed 6\.0 s in [\d.]+ s with 3 worker processes\n/);
    assert.match(r.stdout, /\n {2}left: position error, mm +[\d.]+ +[\d.]+ +[\d.]+\n/);
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 80 || line.startsWith('outputs:'), line);
    const bad = spawnSync('node', [join(ROOT, 'bin', 'twinvla.js'), 'eval', '--bag', bags, '--model', TWINVLA_TINY, '--jobs', '0'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--jobs "0": expected a whole number of worker processes >= 1/);
  });
});
