/**
 * Model benchmarks.
 *   P2 = `predict` / the bare ONNX Runtime runs of the same graphs with the same feeds: the cost of
 *        the runtime around the graphs (tokenising, normalising, sampling, decoding). Goal <= 1.05.
 *   P3 = ONNX Runtime in Node / PyTorch eager on the `small` preset, same inputs, same thread count,
 *        for the plain fp32 export and its CPU-fused variant: PyTorch runs in a process of its own
 *        (bench/torch-server.ts) and takes its turn in every round of the variants' runs; P3 is the
 *        median over rounds of (Node / PyTorch) within the round. Goal <= 0.5.
 *   Variants (bench/variants.ts): fused, int8 and fp16 graphs of the small preset against fp32.
 * Runs are interleaved (A, B, A, B, ...) so drift of the machine hits both sides alike.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { MemoryLogger } from '../src/log.js';
import { loadFixture } from '../src/model/fixture.js';
import { Policy, type Observation } from '../src/model/policy.js';
import { fmt, median, quantile } from './stats.js';
import { summarize } from './summary.js';
import { isCurrent, markCurrent, toolsDigest } from './export-stamp.js';
import { TorchServer } from './torch-server.js';
import { benchVariants, ensureVariants } from './variants.js';

export interface ModelBenchOptions {
  root: string;
  iterations: number;
  threads: number;
}

function observationFromFixture(policy: Policy): { obs: Observation; noise: Float32Array } {
  const fx = loadFixture(policy.manifest.dir);
  const images: Record<string, Uint8Array> = {};
  for (const c of policy.manifest.cameras) images[c.role] = fx.images.get(c.input) as Uint8Array;
  return { obs: { images, state: fx.state, instruction: fx.instruction }, noise: fx.noise };
}

/** The same graph runs `predict` makes, with feeds built once: the floor for P2. */
async function bareRuns(policy: Policy, obs: Observation): Promise<() => Promise<void>> {
  const m = policy.manifest;
  const cond = await policy.encode(obs);
  const { encoder, denoiser } = policy.sessions;
  const encFeeds: Record<string, ort.Tensor> = {};
  for (const c of m.cameras) encFeeds[c.input] = new ort.Tensor('uint8', obs.images[c.role] as Uint8Array, [1, c.height, c.width, 3]);
  for (const [name, ids] of policy.promptIds(obs.instruction)) encFeeds[name] = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
  encFeeds[m.state.input] = new ort.Tensor('float32', new Float32Array(policy.stateDim), [1, policy.stateDim]);
  const d = m.graphs.denoiser;
  const batch = m.flow.guidance ? 2 : 1;
  const denFeeds: Record<string, ort.Tensor> = {
    [d.xT]: new ort.Tensor('float32', new Float32Array(batch * m.action.horizon * policy.actionDim), [batch, m.action.horizon, policy.actionDim]),
    [d.t]: new ort.Tensor('float32', new Float32Array(batch).fill(0.5), [batch]),
  };
  for (const [input, output] of Object.entries(d.conditioning)) {
    const c = cond.get(output) as ort.Tensor;
    const data = new Float32Array(c.data.length * batch);
    for (let b = 0; b < batch; b++) data.set(c.data as Float32Array, b * c.data.length);
    denFeeds[input] = new ort.Tensor('float32', data, [batch, ...c.dims.slice(1)]);
  }
  return async () => {
    await encoder.run(encFeeds, m.graphs.encoder.outputs);
    for (let i = 0; i < m.flow.steps; i++) await denoiser.run(denFeeds, [d.output]);
  };
}

async function p2(dir: string, opts: ModelBenchOptions): Promise<{ predict: number[]; bare: number[] }> {
  const policy = await Policy.create(dir, { providers: ['cpu'], warmupRuns: 2, logger: new MemoryLogger(), intraOpThreads: opts.threads });
  const { obs, noise } = observationFromFixture(policy);
  const bare = await bareRuns(policy, obs);
  for (let i = 0; i < 2; i++) await bare();
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < opts.iterations; i++) {
    let t = performance.now();
    await policy.predict(obs, { noise });
    a.push(performance.now() - t);
    t = performance.now();
    await bare();
    b.push(performance.now() - t);
  }
  await policy.release();
  return { predict: a, bare: b };
}

/** Exports the small preset into bench/out, again when the tools changed since (needs the Python tools). */
function ensureSmall(root: string, familyName: string): string | null {
  const dir = join(root, 'bench', 'out', `${familyName}-small`);
  const digest = toolsDigest(root);
  if (isCurrent(dir, digest)) return dir;
  const py = join(root, '.venv', 'bin', 'python');
  if (!existsSync(py)) return null;
  process.stderr.write(`exporting ${familyName} small preset to ${dir} ...\n`);
  rmSync(dir, { recursive: true, force: true });
  execFileSync(py, ['-m', 'twinvla_tools.export', '--family', familyName, '--preset', 'small', '--seed', '0', '--out', dir], {
    cwd: root, env: { ...process.env, PYTHONPATH: join(root, 'tools') }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  markCurrent(dir, digest);
  return dir;
}

export async function benchModel(opts: ModelBenchOptions): Promise<string[]> {
  const lines: string[] = [];
  const row = (cells: string[]): void => { lines.push(cells.map((c, i) => (i === 0 ? c.padEnd(22) : c.padStart(12))).join('')); };
  lines.push(`P2: predict / bare ONNX Runtime runs (same graphs, feeds); ${opts.iterations} interleaved runs, ${opts.threads} thread(s)`);
  row(['model', 'predict p50', 'bare p50', 'predict p90', 'P2']);
  const models = ['models/twinvla-tiny', 'models/twinbrainvla-tiny'].map((m) => join(opts.root, m));
  const small = ['twinvla', 'twinbrainvla'].map((f) => ensureSmall(opts.root, f)).filter((d): d is string => d !== null);
  for (const dir of [...models, ...small]) {
    const r = await p2(dir, opts);
    summarize({ id: 'P2', what: `predict / bare ONNX Runtime runs, ${dir.split('/').pop() ?? dir}`, goal: '<= 1.05', result: (median(r.predict) / median(r.bare)).toFixed(3) });
    row([dir.split('/').pop() ?? dir, `${fmt(median(r.predict))} ms`, `${fmt(median(r.bare))} ms`, `${fmt(quantile(r.predict, 0.9))} ms`, (median(r.predict) / median(r.bare)).toFixed(3)]);
  }
  lines.push('');
  lines.push(`Variants of the small preset: predict p50 over the fp32 export's, ${opts.iterations} interleaved runs, ${opts.threads} thread(s), CPU; PyTorch eager (P3) in each round`);
  const p3: string[] = [];
  for (const dir of small) {
    const name = dir.split('/').pop() ?? dir;
    const torch = await TorchServer.create(opts.root, dir, opts.threads);
    const r = await benchVariants(dir, ensureVariants(opts.root, dir), opts.iterations, opts.threads, torch ? { name: 'torch', run: () => torch.run() } : undefined);
    await torch?.close();
    lines.push(...r.lines);
    const base = r.p50.get('fp32') as number;
    for (const [kind, what, goal] of [['cpu', 'fp32 fused for CPU', 'faster than fp32'], ['int8', 'int8 dynamic, CPU', '>= 2x fp32'], ['fp16', 'fp16 (for GPUs) run on CPU', 'GPU: unmeasured']] as const) {
      const v = r.p50.get(kind);
      if (v !== undefined) summarize({ id: 'variant', what: `${what}, ${name}, predict p50 against fp32's (${fmt(base)} ms)`, goal, result: `${(base / v).toFixed(2)}x (${fmt(v)} ms)` });
    }
    const torchMs = r.ms.get('torch');
    if (!torchMs) continue;
    for (const [kind, what] of [['fp32', 'fp32'], ['cpu', 'fp32 fused']] as const) {
      const node = r.ms.get(kind);
      if (!node) continue;
      const ratio = median(node.map((n, i) => n / (torchMs[i] as number)));
      p3.push([name, what, `${fmt(median(node))} ms`, `${fmt(median(torchMs))} ms`, ratio.toFixed(3)].map((c, i) => (i === 0 ? c.padEnd(22) : c.padStart(12))).join(''));
      summarize({ id: 'P3', what: `ONNX Runtime in Node / PyTorch eager, ${name}, ${what} graphs, ${opts.threads} threads, in alternate runs`, goal: '<= 0.5', result: `${ratio.toFixed(3)} (p50 ${fmt(median(node))} / ${fmt(median(torchMs))} ms)` });
    }
  }
  lines.push('');
  lines.push(`P3: ONNX Runtime (Node) / PyTorch eager, small preset, same inputs and threads (${opts.threads}), alternate runs; P3 = median of the per-round ratios`);
  row(['model', 'graphs', 'node p50', 'torch p50', 'P3']);
  if (small.length === 0) lines.push('  (skipped: no .venv with the Python tools; run tools/setup-venv.sh)');
  lines.push(...p3);
  return lines;
}
