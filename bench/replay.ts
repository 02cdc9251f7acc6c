/**
 * P5: `twinvla eval` on the loops bag (src/eval/demo-bag.ts) looped to at least one simulated hour with the tiny model:
 * replay speed in multiples of real time, and resident memory over the replay, so growth with the
 * replay's length shows. Goal: >= 20x real time, RSS growth < 5 %.
 *
 * RSS is sampled every few simulated seconds. A single reading lands anywhere in V8's collection
 * cycle (the heap's size swings by some 30 MB between collections), so each quarter is summed up by
 * the median of its readings, and its peak beside it. The first quarter is the warm-up (ONNX
 * Runtime's arenas, V8's heap growing to its working size, the loop's first chunks); growth is the
 * last quarter's median over the second's: what keeps growing once the process runs steadily.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureDemoBag, DEMO_SECONDS } from '../src/eval/demo-bag.js';
import { evaluate } from '../src/eval/evaluate.js';
import { secondsBetween } from '../src/time.js';
import { fmt } from './stats.js';
import { summarize } from './summary.js';

/** Simulated seconds between two RSS readings. */
const EVERY = 5;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

export async function benchReplay(root: string, simulatedSeconds: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-p5-'));
  const bag = await ensureDemoBag(join(root, 'out', 'demo', 'demo.mcap'));
  const loops = Math.ceil(simulatedSeconds / DEMO_SECONDS);
  const total = loops * DEMO_SECONDS;
  const quarters: number[][] = [[], [], [], []];
  let first: bigint | null = null;
  let next = 0;
  const r = await evaluate({
    bag, model: join(root, 'models', 'twinvla-tiny'), params: join(root, 'test', 'fixtures', 'loops.yaml'), out: dir, latency: 0.05, seed: 0, loops,
    onProgress: (t) => {
      first ??= t;
      const sim = secondsBetween(t, first);
      if (sim < next) return;
      next = sim + EVERY;
      quarters[Math.min(3, Math.floor((sim / total) * 4))]!.push(process.memoryUsage().rss);
    },
  });
  const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
  const medians = quarters.map(median);
  const base = medians[1]!;
  const last = medians[3]!;
  const growth = ((last - base) / base) * 100;
  const peak = Math.max(...quarters.flat());
  summarize({ id: 'P5', what: `twinvla eval of the loops bag looped to ${(r.simulatedSeconds / 60).toFixed(0)} simulated min, tiny model`, goal: '>= 20x, RSS growth < 5 %', result: `${(r.simulatedSeconds / r.wallSeconds).toFixed(1)}x real time; RSS median ${mb(base)} (2nd quarter) -> ${mb(last)} (last) (${growth.toFixed(1)} %), peak ${mb(peak)}` });
  return [
    `P5: loops bag looped ${loops}x (${(r.simulatedSeconds / 60).toFixed(1)} simulated min), tiny model, fixed 50 ms latency`,
    `  replay speed ${(r.simulatedSeconds / r.wallSeconds).toFixed(1)}x real time (${fmt(r.wallSeconds)} s wall, metrics and report included)`,
    `  RSS by quarter (median / peak of a reading every ${EVERY} simulated s): ${quarters.map((q, i) => `${i + 1}: ${mb(medians[i]!)} / ${mb(Math.max(...q))}`).join(', ')}`,
    `  RSS growth from the second quarter (after warm-up) to the last, medians: ${growth.toFixed(1)} %`,
  ];
}
