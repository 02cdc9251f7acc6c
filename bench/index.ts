/** `npm run bench`: every benchmark, as ratios against a baseline measured in the same run. */
import { cpus } from 'node:os';

import { ROOT } from './root.js';
import { benchModel } from './model.js';

const iterations = Number(process.env['BENCH_ITERATIONS'] ?? 20);
const threads = Number(process.env['BENCH_THREADS'] ?? Math.min(2, cpus().length));

const lines = await benchModel({ root: ROOT, iterations, threads });
process.stdout.write(`${lines.join('\n')}\n`);
