/**
 * The model variants (tools/twinvla_tools/optimize.py, quantize.py) against the plain fp32 export, on
 * the small preset in this process: `predict` p50 of each variant over the fp32 graphs' p50, runs
 * interleaved (fp32, fused, int8, fp16, fp32, ...) so drift of the machine hits all alike; and each
 * variant's largest difference from the fp32 chunk on the fixture.
 * Goal: int8 >= 2x faster than fp32 on CPU. fp16 targets GPUs: on a CPU ONNX Runtime runs it
 * through casts, so its CPU figure says nothing about its GPU speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { MemoryLogger } from '../src/log.js';
import { loadFixture } from '../src/model/fixture.js';
import { Policy } from '../src/model/policy.js';
import { fmt, median } from './stats.js';

export const VARIANTS = [
  { kind: 'cpu', what: 'fp32, fused for CPU' },
  { kind: 'int8', what: 'int8 dynamic (CPU)' },
  { kind: 'fp16', what: 'fp16 (GPU graph, on CPU)' },
] as const;

/** Writes `<dir>-<kind>` for every variant that is missing (needs the Python tools). */
export function ensureVariants(root: string, dir: string): Map<string, string> {
  const py = join(root, '.venv', 'bin', 'python');
  const found = new Map<string, string>();
  for (const { kind } of VARIANTS) {
    const out = `${dir}-${kind}`;
    if (!existsSync(join(out, 'model.yaml'))) {
      if (!existsSync(py)) continue;
      process.stderr.write(`writing the ${kind} variant of ${dir} ...\n`);
      const [mod, flag] = kind === 'cpu' ? ['optimize', '--target'] : ['quantize', '--kind'];
      execFileSync(py, ['-m', `twinvla_tools.${mod}`, '--model', dir, flag, kind, '--out', out], {
        cwd: root, env: { ...process.env, PYTHONPATH: join(root, 'tools') }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26,
      });
    }
    found.set(kind, out);
  }
  return found;
}

/** p50 of the fp32 graphs and of each variant (ms), and the report lines. */
export async function benchVariants(dir: string, variants: Map<string, string>, iterations: number, threads: number): Promise<{ lines: string[]; p50: Map<string, number> }> {
  const dirs = new Map<string, string>([['fp32', dir], ...variants]);
  const policies = new Map<string, Policy>();
  for (const [kind, d] of dirs) {
    policies.set(kind, await Policy.create(d, { providers: ['cpu'], warmupRuns: 2, logger: new MemoryLogger(), intraOpThreads: threads }));
  }
  const fx = loadFixture(dir);
  const fp32 = policies.get('fp32') as Policy;
  const images: Record<string, Uint8Array> = {};
  for (const c of fp32.manifest.cameras) images[c.role] = fx.images.get(c.input) as Uint8Array;
  const obs = { images, state: fx.state, instruction: fx.instruction };
  const ms = new Map<string, number[]>([...dirs.keys()].map((k) => [k, []]));
  const chunks = new Map<string, Float32Array>();
  for (let i = 0; i < iterations; i++) {
    for (const [kind, policy] of policies) {
      const t = performance.now();
      const chunk = await policy.predict(obs, { noise: fx.noise });
      ms.get(kind)!.push(performance.now() - t);
      if (i === 0) chunks.set(kind, Float32Array.from(chunk.normalized));
    }
  }
  for (const p of policies.values()) await p.release();
  const p50 = new Map([...ms].map(([k, v]) => [k, median(v)]));
  const base = p50.get('fp32') as number;
  const ref = chunks.get('fp32') as Float32Array;
  const name = dir.split('/').pop() ?? dir;
  const lines = [`${name}: fp32 p50 ${fmt(base)} ms`];
  for (const { kind, what } of VARIANTS) {
    const v = p50.get(kind);
    if (v === undefined) continue;
    const c = chunks.get(kind) as Float32Array;
    let err = 0;
    for (let j = 0; j < ref.length; j++) err = Math.max(err, Math.abs((c[j] as number) - (ref[j] as number)));
    lines.push(`  ${what.padEnd(26)}${`${fmt(v)} ms`.padStart(11)}${`${(v / base).toFixed(3)} of fp32`.padStart(16)}${`${(base / v).toFixed(2)}x`.padStart(8)}   chunk max |diff| vs fp32 ${err.toExponential(1)}`);
  }
  return { lines, p50 };
}
