/**
 * `twinvla compare`: two real evaluations (the TwinVLA and the TwinBrainVLA demo models on the first
 * episodes of the held-out bag) side by side, in the terminal and in Chromium; bad folders refused.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ARM_FIGURES, best, difference, loadRun } from '../../src/eval/compare.js';
import type { Metrics } from '../../src/eval/eval-metrics.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { ensureChromium, openPage } from '../browser.js';
import { rejection, ROOT } from '../helpers.js';
import { SCREENSHOTS } from './report-browser.test.js';

const BIN = join(ROOT, 'bin', 'twinvla.js');

describe('twinvla compare', function () {
  this.timeout(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-compare-'));
  const runs = [join(dir, 'twinvla'), join(dir, 'twinbrainvla')];
  const metrics: Metrics[] = [];

  before(async () => {
    for (const [i, model] of ['twinvla-demo', 'twinbrainvla-demo'].entries()) {
      const r = await evaluate({ bag: join(ROOT, 'demo', 'heldout.mcap'), model: join(ROOT, 'models', model), params: join(ROOT, 'params', 'demo.yaml'), out: runs[i] as string, latency: 0.05, seed: 0, end: 14 });
      metrics.push(r.metrics);
    }
  });

  it('picks the better run per figure: lower errors, higher gripper agreement, jerk ratio closer to 1; ties have none', () => {
    assert.equal(best([14.2, 9.1, 12], 'lower'), 1);
    assert.equal(best([0.9, 0.97], 'higher'), 1);
    assert.equal(best([3.5, 0.5, 1.6], 'closer_to_1'), 2);
    assert.equal(best([null, 2], 'lower'), 1);
    assert.equal(best([2, 2], 'lower'), null);
    assert.equal(best([null, null], 'lower'), null);
    assert.equal(difference(12, 10), '+2.0 (+20%)');
    assert.equal(difference(7.5, 10), '-2.5 (-25%)');
    assert.equal(difference(null, 10), '-');
  });

  it('prints the runs, the settings that differ and a table per arm with the better run', () => {
    const out = join(dir, 'cmp');
    const r = spawnSync('node', [BIN, 'compare', ...runs, '--out', out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^runs:\n {2}1: twinvla-demo \(twinvla\)\n {2}2: twinbrainvla-demo \(twinbrainvla\)\n/);
    assert.match(r.stdout, /settings that differ:\n {2}model: 1\) twinvla-demo {2}2\) twinbrainvla-demo\n/);
    for (const line of r.stdout.split('\n')) assert.ok(line.length <= 80 || line.startsWith('  ') && !line.includes('run 1'), `${line.length} columns: ${line}`);
    for (const arm of ['left', 'right']) {
      const f = ARM_FIGURES.find((x) => x.key === 'position_mean')!;
      const values = metrics.map((m) => f.value(m, arm));
      const b = best(values, 'lower');
      const row = new RegExp(`\\n${arm} arm\\n.*\\n {2}position error, mean, mm +${values[0]!.toFixed(1)} +${values[1]!.toFixed(1)} {2}run ${b! + 1}\\n`);
      assert.match(r.stdout, row);
    }
    assert.match(r.stdout, new RegExp(`output: ${out.replace(/[/\\]/g, '.')}.compare\\.html\\n$`));
  });

  it('renders compare.html that Chromium shows without a console error, the better run marked per figure', async function () {
    const c = ensureChromium();
    if ('skip' in c) {
      process.stderr.write(`\n*** SKIPPED: compare browser test: ${c.skip} ***\n\n`);
      this.skip();
    }
    const out = join(dir, 'cmp-html');
    assert.equal(spawnSync('node', [BIN, 'compare', ...runs, '--out', out], { cwd: ROOT, encoding: 'utf8' }).status, 0);
    const l = await openPage(c.path, join(out, 'compare.html'), { width: 1280, height: 800 });
    try {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await l.page.screenshot({ path: join(SCREENSHOTS, 'compare.png'), fullPage: true });
      process.stderr.write(`      screenshot: ${join(SCREENSHOTS, 'compare.png')}\n`);
      assert.deepEqual(l.errors, []);
      const tables = await l.page.$$eval('table.compare', (ts) => ts.map((t) => [...t.querySelectorAll('tr')].slice(1).map((tr) => [...tr.children].map((c) => c.textContent?.trim() ?? ''))));
      assert.equal(tables.length, 3); // left, right, latency
      for (const [k, arm] of ['left', 'right'].entries()) {
        for (const [i, f] of ARM_FIGURES.entries()) {
          const b = best(metrics.map((m) => f.value(m, arm)), f.better);
          assert.equal(tables[k]![i]!.at(-1), b === null ? 'equal' : `run ${b + 1}`, `${arm} ${f.label}`);
        }
      }
      const differs = await l.page.$$eval('tr.differs th', (ths) => ths.map((t) => t.textContent));
      assert.ok(differs.includes('model'), `differing settings: ${differs.join(', ')}`);
      assert.equal(await l.page.locator('svg.plot').count(), 4);
    } finally {
      await l.close();
    }
  });

  it('refuses fewer than two folders, a folder without metrics.json, and a metrics.json of another format', async () => {
    const one = spawnSync('node', [BIN, 'compare', runs[0] as string], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(one.status, 2);
    assert.match(one.stderr, /^twinvla compare: expected two or more eval output folders, got 1; .*\nusage: twinvla compare <run-dir> <run-dir> \.\.\. \[--out <dir>\]\n$/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    assert.match((await rejection(Promise.resolve().then(() => loadRun(empty, 0)))).message, /empty has no metrics\.json; pass the --out folder of a `twinvla eval` run/);
    const old = join(dir, 'old');
    mkdirSync(old);
    writeFileSync(join(old, 'metrics.json'), JSON.stringify({ format: 'twinvla-eval/0', arms: {} }));
    assert.match((await rejection(Promise.resolve().then(() => loadRun(old, 0)))).message, /has format "twinvla-eval\/0", expected "twinvla-eval\/1"/);
    assert.ok(readFileSync(join(runs[0] as string, 'metrics.json'), 'utf8').includes('"parameters"'));
  });
});
