/** `npm run bench`: every benchmark, as ratios against a baseline measured in the same run. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

import { ROOT } from './root.js';
import { summaryTable } from './summary.js';
import { benchModel } from './model.js';
import { benchObserve } from './observe.js';
import { benchExecutor } from './executor.js';
import { benchReplay } from './replay.js';
import { benchEvalSet } from './eval-set.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

const iterations = Number(process.env['BENCH_ITERATIONS'] ?? 20);
const threads = Number(process.env['BENCH_THREADS'] ?? Math.min(2, cpus().length));

const only = process.argv[2];

/** The machine's load (1, 5, 15 min averages and runnable/all tasks), for the record beside the figures. */
function load(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 4).join(' ');
  } catch {
    return 'unknown (no /proc/loadavg)';
  }
}

process.stdout.write(`twinvla bench ${new Date().toISOString()}: ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; load at start ${load()}\n\n`);
process.on('exit', () => process.stdout.write(`\nload at end ${load()}\n\nREADME table:\n${summaryTable().join('\n')}\n`));
if (!only || only === 'observe') process.stdout.write(`${(await benchObserve(ROOT, Number(process.env['BENCH_P1_ITERATIONS'] ?? 200))).join('\n')}\n\n`);
if (!only || only === 'model') process.stdout.write(`${(await benchModel({ root: ROOT, iterations, threads })).join('\n')}\n`);
if (!only || only === 'replay') {
  process.stdout.write(`\n${(await benchReplay(ROOT, Number(process.env['BENCH_P5_SECONDS'] ?? 3600))).join('\n')}\n`);
}
if (!only || only === 'evalset') {
  process.stdout.write(`\n${(await benchEvalSet(ROOT, Number(process.env['BENCH_P6_BAGS'] ?? 4), Number(process.env['BENCH_P6_SECONDS'] ?? 12))).join('\n')}\n`);
}
if (!only || only === 'executor') {
  const small = join(ROOT, 'bench', 'out', 'twinvla-small');
  const dir = existsSync(join(small, 'model.yaml')) ? small : join(ROOT, 'models', 'twinvla-tiny');
  process.stdout.write(`\n${(await benchExecutor(dir, Number(process.env['BENCH_P4_SECONDS'] ?? 10))).join('\n')}\n`);
  process.exit(0);
}
