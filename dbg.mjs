import { ensureDemoBag } from './dist/src/eval/demo-bag.js';
import { evaluate } from './dist/src/eval/evaluate.js';
let t = performance.now();
await ensureDemoBag('/tmp/demo/demo.mcap');
console.log('bag written', (performance.now() - t).toFixed(0), 'ms');
t = performance.now();
const r = await evaluate({ bag: '/tmp/demo/demo.mcap', model: 'models/twinvla-tiny', params: 'params/demo.yaml', out: '/tmp/demo/out', latency: 0.05, seed: 0, progress: true });
console.log('eval', r.wallSeconds.toFixed(2), 's for', r.simulatedSeconds, 's; chunks', r.metrics.chunks, JSON.stringify(r.metrics.arms.left.executed).slice(0, 400));
console.log(r.warnings.slice(0, 5));
