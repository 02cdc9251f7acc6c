/**
 * P6: `twinvla eval` over a folder of bags in worker processes: the same bags with one worker and
 * with one per core, wall time and the speed-up (same process, same bags, same run of the bench).
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureDemoBag } from '../src/eval/demo-bag.js';
import { evaluateSet } from '../src/eval/eval-set.js';
import { expandBags } from '../src/eval/bag-list.js';
import { fmt } from './stats.js';
import { summarize } from './summary.js';

export async function benchEvalSet(root: string, bagCount: number, seconds: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-p6-'));
  const bag = await ensureDemoBag(join(root, 'out', 'demo', 'demo.mcap'));
  mkdirSync(join(dir, 'bags'));
  for (let i = 0; i < bagCount; i++) copyFileSync(bag, join(dir, 'bags', `bag-${String(i).padStart(2, '0')}.mcap`));
  const bags = expandBags([join(dir, 'bags')]);
  const cores = availableParallelism();
  const base = { model: join(root, 'models', 'twinvla-tiny'), params: join(root, 'test', 'fixtures', 'loops.yaml'), latency: 0.05, seed: 0, end: seconds };
  const one = await evaluateSet(bags, { ...base, out: join(dir, 'one') }, { jobs: 1 });
  const all = await evaluateSet(bags, { ...base, out: join(dir, 'all') }, { jobs: cores });
  const speedUp = one.wallSeconds / all.wallSeconds;
  summarize({
    id: 'P6', what: `\`twinvla eval\` over a folder of ${bagCount} copies of the loops bag (${seconds} s each), tiny model: one worker process per core against one worker`,
    goal: 'speed-up close to the number of cores',
    result: `${speedUp.toFixed(2)}x (${fmt(one.wallSeconds)} s with 1 worker, ${fmt(all.wallSeconds)} s with ${all.jobs})`,
  });
  return [
    `P6: ${bagCount} bags of ${seconds} s (loops bag), tiny model, fixed 50 ms latency, ${cores} cores`,
    `  1 worker: ${fmt(one.wallSeconds)} s; ${all.jobs} workers: ${fmt(all.wallSeconds)} s; speed-up ${speedUp.toFixed(2)}x`,
  ];
}
