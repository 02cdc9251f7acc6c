/** `npm run bench`: every benchmark, as ratios against a baseline measured in the same run. */
import { cpus } from 'node:os';

import { ROOT } from './root.js';
import { benchModel } from './model.js';
import { benchObserve } from './observe.js';

const iterations = Number(process.env['BENCH_ITERATIONS'] ?? 20);
const threads = Number(process.env['BENCH_THREADS'] ?? Math.min(2, cpus().length));

const only = process.argv[2];
if (!only || only === 'observe') process.stdout.write(`${(await benchObserve(ROOT, Number(process.env['BENCH_P1_ITERATIONS'] ?? 200))).join('\n')}\n\n`);
if (!only || only === 'model') process.stdout.write(`${(await benchModel({ root: ROOT, iterations, threads })).join('\n')}\n`);
