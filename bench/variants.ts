/**
 * The model variants (tools/twinvla_tools/optimize.py, quantize.py) against the plain fp32 export, on
 * the small preset in this process: `predict` p50 of each variant over the fp32 graphs' p50, runs
 * interleaved (fp32, fused, int8, fp16, fp32, ...) so drift of the machine hits all alike; and each
 * variant's largest difference from the fp32 chunk on the fixture.
 * A baseline outside this process (P3's PyTorch eager, bench/torch-server.ts) can take its turn in
 * every round, so its runs see the same machine as the graphs' runs.
 * Goal: int8 >= 2x faster than fp32 on CPU. fp16 targets GPUs: on a CPU ONNX Runtime runs it
 * through casts, so its CPU figure says nothing about its GPU speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { isCurrent, markCurrent, toolsDigest } from './export-stamp.js';
import { MemoryLogger } from '../src/log.js';
import { loadFixture } from '../src/model/fixture.js';
import { Policy } from '../src/model/policy.js';
import { fmt, median } from './stats.js';

export const VARIANTS = [
  { kind: 'cpu', what: 'fp32, fused for CPU' },
  { kind: 'int8', what: 'int8 dynamic (CPU)' },
  { kind: 'fp16', what: 'fp16 (GPU graph, on CPU)' },
] as const;

/** Writes `<dir>-<kind>` for every variant that is missing or older than the tools (needs the Python tools). */
export function ensureVariants(root: string, dir: string): Map<string, string> {
  const py = join(root, '.venv', 'bin', 'python');
  const digest = toolsDigest(root);
  const found = new Map<string, string>();
  for (const { kind } of VARIANTS) {
    const out = `${dir}-${kind}`;
    if (!isCurrent(out, digest) || !sameSource(dir, out)) {
      if (!existsSync(py)) continue;
      process.stderr.write(`writing the ${kind} variant of ${dir} ...\n`);
      const [mod, flag] = kind === 'cpu' ? ['optimize', '--target'] : ['quantize', '--kind'];
      execFileSync(py, ['-m', `twinvla_tools.${mod}`, '--model', dir, flag, kind, '--out', out], {
        cwd: root, env: { ...process.env, PYTHONPATH: join(root, 'tools') }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26,
      });
      markCurrent(out, digest);
    }
    found.set(kind, out);
  }
  return found;
}

/** True when the variant was made from the graphs now in `dir` (its manifest names their sha256). */
function sameSource(dir: string, variant: string): boolean {
  if (!existsSync(join(variant, 'model.yaml'))) return false;
  const from = (readManifest(variant)['provenance'] as { variant?: { from_sha256?: Record<string, string> } }).variant?.from_sha256 ?? {};
  const graphs = readManifest(dir)['graphs'] as Record<string, { sha256: string }>;
  return ['encoder', 'denoiser'].every((g) => from[g] === graphs[g]?.sha256);
}

function readManifest(dir: string): Record<string, unknown> {
  return parse(readFileSync(join(dir, 'model.yaml'), 'utf8')) as Record<string, unknown>;
}

/** A run timed by someone else (ms), taking its turn in each round under its own name. */
export type Baseline = { name: string; run: () => Promise<number> };

/**
 * p50 of the fp32 graphs, of each variant and of the baseline (ms), every run's times in round
 * order (`ms`, for ratios taken within a round), and the report lines.
 */
export async function benchVariants(dir: string, variants: Map<string, string>, iterations: number, threads: number, baseline?: Baseline): Promise<{ lines: string[]; p50: Map<string, number>; ms: Map<string, number[]> }> {
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
    if (baseline) (ms.get(baseline.name) ?? ms.set(baseline.name, []).get(baseline.name)!).push(await baseline.run());
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
  return { lines, p50, ms };
}
