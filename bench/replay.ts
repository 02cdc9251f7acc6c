/**
 * P5: `twinvla eval` on the loops bag (src/eval/demo-bag.ts) looped to at least one simulated hour with the tiny model:
 * replay speed in multiples of real time, and resident memory at each quarter of the replay, so
 * growth with replay length shows. Goal: >= 20x real time, RSS growth < 5 % (first quarter to end).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureDemoBag, DEMO_SECONDS } from '../src/eval/demo-bag.js';
import { evaluate } from '../src/eval/evaluate.js';
import { secondsBetween } from '../src/time.js';
import { fmt } from './stats.js';
import { summarize } from './summary.js';

export async function benchReplay(root: string, simulatedSeconds: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-p5-'));
  const bag = await ensureDemoBag(join(root, 'out', 'demo', 'demo.mcap'));
  const loops = Math.ceil(simulatedSeconds / DEMO_SECONDS);
  const marks: { sim: number; rss: number; wall: number }[] = [];
  let first: bigint | null = null;
  const wall0 = performance.now();
  const r = await evaluate({
    bag, model: join(root, 'models', 'twinvla-tiny'), params: join(root, 'test', 'fixtures', 'loops.yaml'), out: dir, latency: 0.05, seed: 0, loops,
    onProgress: (t) => {
      first ??= t;
      const sim = secondsBetween(t, first);
      const quarter = Math.floor((sim / (loops * DEMO_SECONDS)) * 4);
      if (quarter > marks.length - 1 && quarter < 4) marks.push({ sim, rss: process.memoryUsage().rss, wall: (performance.now() - wall0) / 1e3 });
    },
  });
  marks.push({ sim: r.simulatedSeconds, rss: process.memoryUsage().rss, wall: (performance.now() - wall0) / 1e3 });
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
  const base = marks[1] ?? marks[0]!;
  const last = marks[marks.length - 1]!;
  const growth = ((last.rss - base.rss) / base.rss) * 100;
  summarize({ id: 'P5', what: `twinvla eval of the loops bag looped to ${(r.simulatedSeconds / 60).toFixed(0)} simulated min, tiny model`, goal: '>= 20x, RSS growth < 5 %', result: `${(r.simulatedSeconds / r.wallSeconds).toFixed(1)}x real time; RSS ${mb(base.rss)} -> ${mb(last.rss)} (${growth.toFixed(1)} %)` });
  return [
    `P5: loops bag looped ${loops}x (${(r.simulatedSeconds / 60).toFixed(1)} simulated min), tiny model, fixed 50 ms latency`,
    `  replay speed ${(r.simulatedSeconds / r.wallSeconds).toFixed(1)}x real time (${fmt(r.wallSeconds)} s wall, metrics and report included)`,
    `  RSS at ${marks.map((m) => `${(m.sim / 60).toFixed(0)} min: ${mb(m.rss)}`).join(', ')}`,
    `  RSS growth from the first quarter to the end: ${growth.toFixed(1)} %`,
  ];
}
