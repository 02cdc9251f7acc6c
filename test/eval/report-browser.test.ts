/**
 * report.html in a real headless Chromium (Debian's package): the page loads without a console error,
 * the headline numbers are above the fold, each episode has its card with readable plots and camera
 * frames, and a screenshot is left for people to look at ($TWINVLA_SCREENSHOTS, else a temp folder).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Metrics } from '../../src/eval/eval-metrics.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { ensureChromium, openPage, type Loaded } from '../browser.js';
import { ROOT } from '../helpers.js';

export const SCREENSHOTS = process.env['TWINVLA_SCREENSHOTS'] ?? mkdtempSync(join(tmpdir(), 'twinvla-screenshots-'));

/** Tick labels of every plot's y axis, in order, per plot. */
async function yTicks(l: Loaded): Promise<number[][]> {
  return l.page.$$eval('svg.plot', (svgs) => svgs.map((s) => [...s.querySelectorAll('text[text-anchor="end"]')].map((t) => Number(t.textContent)).filter((v) => !Number.isNaN(v))));
}

/** True when the steps between ticks are one value, 1, 2 or 5 times a power of ten. */
function nice(ticks: number[]): boolean {
  if (ticks.length < 2) return true;
  const step = (ticks[1] as number) - (ticks[0] as number);
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6) && ticks.every((t, i) => Math.abs(t - (ticks[0] as number) - i * step) < step * 1e-6);
}

describe('report.html in Chromium', function () {
  this.timeout(600_000);
  let chromium = '';
  let out = '';
  let metrics: Metrics;

  before(async function () {
    const c = ensureChromium();
    if ('skip' in c) {
      process.stderr.write(`\n*** SKIPPED: report browser tests: ${c.skip} ***\n\n`);
      this.skip();
    }
    chromium = c.path;
    out = mkdtempSync(join(tmpdir(), 'twinvla-report-'));
    // Three episodes of the held-out demo bag through the trained demo model.
    const r = await evaluate({ bag: join(ROOT, 'demo', 'heldout.mcap'), model: join(ROOT, 'models', 'twinvla-demo'), params: join(ROOT, 'params', 'demo.yaml'), out, latency: 0.05, seed: 0, end: 20 });
    metrics = r.metrics;
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  it('loads without a console error, headline numbers above the fold, one card per episode with plots and frames', async () => {
    const file = join(out, 'report.html');
    assert.ok(!/src="http|href="http|<script|<link/.test(readFileSync(file, 'utf8')), 'report.html fetches or runs something');
    const l = await openPage(chromium, file, { width: 1280, height: 800 });
    try {
      await l.page.screenshot({ path: join(SCREENSHOTS, 'report.png') });
      await l.page.locator('#episode-2').screenshot({ path: join(SCREENSHOTS, 'report-episode-2.png') });
      process.stderr.write(`      screenshots: ${join(SCREENSHOTS, 'report.png')}, report-episode-2.png\n`);
      assert.deepEqual(l.errors, []);

      const headline = await l.page.locator('table.headline').boundingBox();
      assert.ok(headline && headline.y + headline.height <= 800, `the headline table ends at ${headline && headline.y + headline.height} px, below the fold (800)`);
      const rows = await l.page.$$eval('table.headline tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent?.trim() ?? '')));
      assert.deepEqual(rows.map((r) => r[0]), ['left', 'right']);
      for (const row of rows) {
        const arm = metrics.arms[row[0] as string]!;
        assert.equal(Number(row[1]), Number(arm.executed.position_error_mm.mean!.toFixed(1)));
        assert.equal(row[7], `${(arm.executed.gripper_agreement! * 100).toFixed(1)}%`);
      }

      assert.ok(metrics.episodes.length >= 3, `${metrics.episodes.length} episodes in 20 s of the demo bag`);
      const cards = await l.page.$$eval('details.episode', (ds) => ds.map((d) => ({ id: d.id, open: d.hasAttribute('open'), plots: d.querySelectorAll('svg.plot').length, frames: [...d.querySelectorAll('img')].map((i) => (i as unknown as { naturalWidth: number }).naturalWidth) })));
      assert.deepEqual(cards.map((c) => c.id), metrics.episodes.map((e) => `episode-${e.index}`));
      for (const c of cards) {
        assert.ok(c.open, `${c.id} is closed`);
        assert.equal(c.plots, 8, `${c.id}: ${c.plots} plots`);
        assert.ok(c.frames.length >= 2 && c.frames.every((w) => w === 160), `${c.id}: frames ${c.frames.join(', ')}`);
      }
      assert.equal(await l.page.locator('table tbody tr a[href^="#episode-"]').count(), metrics.episodes.length);
      // Every plot is drawn at its size and has nice ticks.
      const sizes = await l.page.$$eval('svg.plot', (svgs) => svgs.map((s) => s.getBoundingClientRect().width));
      assert.ok(sizes.every((w) => w > 200), `plot widths ${sizes.join(', ')}`);
      for (const ticks of await yTicks(l)) assert.ok(nice(ticks), `ticks ${ticks.join(', ')}`);
    } finally {
      await l.close();
    }
  });
});
