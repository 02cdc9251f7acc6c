/**
 * `twinvla eval` over many bags: each bag evaluated whole in a worker process (as many at once as
 * `jobs`, by default the machine's cores), its own outputs in `<out>/<bag name>/`, then one combined
 * metrics.json and report.html in `<out>`: the errors of all bags pooled exactly (from the scored
 * samples, not averaged medians), and a row per bag linking to its own report.
 */
import { fork } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { OutputError, TwinvlaError } from '../errors.js';
import { withFileProblems } from '../file-problem.js';
import { outName } from './bag-list.js';
import type { Metrics } from './eval-metrics.js';
import type { EvalOptions, EvalResult } from './evaluate.js';
import { fmt, pct, type ArmHeadline } from './headline.js';
import { stat, type ArmMetrics, type RawArmErrors, type Stat } from './metrics.js';
import { esc, headlineTable, page } from './report.js';

export interface SetArm {
  position_error_mm: Stat;
  rotation_error_deg: Stat;
  hold_baseline: { position_error_mm: Stat; rotation_error_deg: Stat };
  gripper_agreement: number | null;
  /** RMS jerk of the executed and the recorded targets over all bags (each bag's RMS weighted by its samples), and their ratio. */
  jerk_rms_m_s3: { executed: number | null; recorded: number | null; ratio: number | null };
  /** The safety filter's interventions by kind, summed over the bags. */
  safety_interventions: Record<string, number>;
}

/** sqrt(sum n rms^2 / sum n) over the bags that have the figure. */
function pooledRms(parts: { n: number; rms: number | null }[]): number | null {
  const have = parts.filter((p): p is { n: number; rms: number } => p.rms !== null && p.n > 0);
  const n = have.reduce((s, p) => s + p.n, 0);
  return n > 0 ? Number(Math.sqrt(have.reduce((s, p) => s + p.n * p.rms * p.rms, 0) / n).toFixed(3)) : null;
}

export interface SetMetrics {
  format: 'twinvla-eval-set/1';
  model: string;
  latency: string;
  seed: number;
  bags: { bag: string; out: string; simulated_s: number; chunks: number; episodes: number; arms: Record<string, { position_error_mm: Stat; hold_position_error_mm: Stat; gripper_agreement: number | null }> }[];
  /** All bags' scored errors pooled. */
  arms: Record<string, SetArm>;
}

export interface SetResult { metrics: SetMetrics; results: EvalResult[]; wallSeconds: number; simulatedSeconds: number; jobs: number; files: { metrics: string; report: string } }

const WORKER = fileURLToPath(new URL('./eval-worker.js', import.meta.url));

/** Runs `evaluate` for each bag in up to `jobs` worker processes; results in the bags' order. */
export async function evaluateInWorkers(list: EvalOptions[], jobs: number, onDone?: (i: number, r: EvalResult) => void): Promise<EvalResult[]> {
  const results: EvalResult[] = new Array(list.length);
  let next = 0;
  const worker = (): Promise<void> => new Promise((resolveWorker, reject) => {
    const child = fork(WORKER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let current = -1;
    const send = (): void => {
      if (next >= list.length) { child.disconnect(); return; }
      current = next++;
      child.send({ kind: 'eval', options: list[current] });
    };
    child.on('message', (m: { kind: 'ready' } | { kind: 'done'; result: EvalResult } | { kind: 'failed'; error: { message: string; code: string | null } }) => {
      if (m.kind === 'ready') return send();
      if (m.kind === 'failed') {
        child.kill();
        // Most errors already start with the bag's path; the others get it, so each names its bag once.
        const bag = list[current]?.bag ?? '';
        return reject(new TwinvlaError((m.error.code ?? 'INPUT') as 'INPUT', m.error.message.startsWith(bag) ? m.error.message : `${bag}: ${m.error.message}`));
      }
      results[current] = m.result;
      onDone?.(current, m.result);
      send();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 || code === null ? resolveWorker() : reject(new TwinvlaError('INPUT', `an evaluation worker exited with code ${code} while evaluating ${list[current]?.bag ?? 'nothing'}`))));
  });
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, list.length)) }, worker));
  return results;
}

function pooled(raws: RawArmErrors[], arms: ArmMetrics[]): SetArm {
  const cat = (f: (r: RawArmErrors) => Float32Array): Float32Array => {
    const out = new Float32Array(raws.reduce((n, r) => n + f(r).length, 0));
    let o = 0;
    for (const r of raws) { out.set(f(r), o); o += f(r).length; }
    return out;
  };
  const agree = raws.reduce((n, r) => n + r.gripper_agree, 0), compared = raws.reduce((n, r) => n + r.gripper_compared, 0);
  return {
    position_error_mm: stat(cat((r) => r.position_mm)), rotation_error_deg: stat(cat((r) => r.rotation_deg)),
    hold_baseline: { position_error_mm: stat(cat((r) => r.hold_position_mm)), rotation_error_deg: stat(cat((r) => r.hold_rotation_deg)) },
    gripper_agreement: compared > 0 ? Number((agree / compared).toFixed(4)) : null,
    jerk_rms_m_s3: (() => {
      const executed = pooledRms(arms.map((a) => ({ n: a.executed.motion.executed.samples, rms: a.executed.motion.executed.jerk_rms_m_s3 })));
      const recorded = pooledRms(arms.map((a) => ({ n: a.executed.motion.recorded.samples, rms: a.executed.motion.recorded.jerk_rms_m_s3 })));
      return { executed, recorded, ratio: executed !== null && recorded ? Number((executed / recorded).toFixed(3)) : null };
    })(),
    // Interventions summed over the bags, by kind.
    safety_interventions: arms.reduce<Record<string, number>>((sum, a) => {
      for (const [k, n] of Object.entries(a.safety_interventions ?? {})) sum[k] = (sum[k] ?? 0) + n;
      return sum;
    }, {}),
  };
}

export async function evaluateSet(bags: string[], base: Omit<EvalOptions, 'bag' | 'out'> & { out: string }, { jobs = availableParallelism(), onDone }: { jobs?: number; onDone?: (i: number, r: EvalResult) => void } = {}): Promise<SetResult> {
  // Options cross to the workers by structured clone: no callbacks.
  const { onProgress: _unused, ...plain } = base;
  const list: EvalOptions[] = bags.map((bag) => ({ ...plain, bag, out: join(base.out, outName(bag)), progress: false }));
  withFileProblems('writing the output folder (--out)', (m) => new OutputError(m), () => mkdirSync(base.out, { recursive: true }));
  const start = performance.now();
  const results = await evaluateInWorkers(list, jobs, onDone);
  const wallSeconds = (performance.now() - start) / 1e3;
  const arms = [...new Set(results.flatMap((r) => Object.keys(r.metrics.arms)))];
  const first = results[0]?.metrics as Metrics;
  const metrics: SetMetrics = {
    format: 'twinvla-eval-set/1', model: first.model, latency: first.latency, seed: first.seed,
    bags: results.map((r, i) => ({
      bag: r.metrics.bag, out: relative(base.out, list[i]?.out ?? ''), simulated_s: Number(r.simulatedSeconds.toFixed(3)), chunks: r.metrics.chunks, episodes: r.metrics.episodes.length,
      arms: Object.fromEntries(Object.entries(r.metrics.arms).map(([a, m]) => [a, { position_error_mm: m.executed.position_error_mm, hold_position_error_mm: m.executed.hold_baseline.position_error_mm, gripper_agreement: m.executed.gripper_agreement }])),
    })),
    arms: Object.fromEntries(arms.map((a) => [a, pooled(results.flatMap((r) => (r.raw[a] ? [r.raw[a] as RawArmErrors] : [])), results.flatMap((r) => (r.metrics.arms[a] ? [r.metrics.arms[a] as ArmMetrics] : [])))])),
  };
  const files = { metrics: join(base.out, 'metrics.json'), report: join(base.out, 'report.html') };
  writeFileSync(files.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  writeFileSync(files.report, renderSetReport(metrics));
  return { metrics, results, wallSeconds, simulatedSeconds: results.reduce((s, r) => s + r.simulatedSeconds, 0), jobs: Math.min(jobs, bags.length), files };
}

function headlinesOf(m: SetMetrics): ArmHeadline[] {
  return Object.entries(m.arms).map(([arm, a]) => ({
    arm, groundTruth: 'recorded_targets', position: a.position_error_mm, holdPosition: a.hold_baseline.position_error_mm,
    rotation: a.rotation_error_deg, holdRotation: a.hold_baseline.rotation_error_deg, gripper: a.gripper_agreement,
    jerk: a.jerk_rms_m_s3,
    safety: Object.entries(a.safety_interventions).filter(([, n]) => n > 0),
  }));
}

export function renderSetReport(m: SetMetrics): string {
  const arms = Object.keys(m.arms);
  const head = `<tr><th>#</th><th class="l">bag</th><th>replayed, s</th><th>episodes</th>${arms.map((a) => `<th>${esc(a)}: error mm<br><span class="small">mean / p95</span></th><th>${esc(a)}: holding<br><span class="small">mean mm</span></th><th>${esc(a)}:<br>gripper</th>`).join('')}</tr>`;
  const rows = m.bags.map((b, i) => `<tr><td>${i + 1}</td><td class="l"><a href="${esc(b.out)}/report.html">${esc(b.bag)}</a></td><td>${b.simulated_s.toFixed(1)}</td><td>${b.episodes}</td>${arms.map((a) => {
    const x = b.arms[a];
    if (!x) return '<td>-</td><td>-</td><td>-</td>';
    const better = x.position_error_mm.mean !== null && x.hold_position_error_mm.mean !== null ? x.position_error_mm.mean < x.hold_position_error_mm.mean : null;
    return `<td class="${better === null ? '' : better ? 'good' : 'bad'}">${fmt(x.position_error_mm.mean)} / ${fmt(x.position_error_mm.p95)}</td><td>${fmt(x.hold_position_error_mm.mean)}</td><td>${pct(x.gripper_agreement)}</td>`;
  }).join('')}</tr>`);
  const body = [
    '<header>',
    `<h1>twinvla evaluation: ${esc(m.model)} on ${m.bags.length} bags</h1>`,
    `<p class="sub">latency ${esc(m.latency)} · seed ${m.seed} · ${m.bags.reduce((n, b) => n + b.episodes, 0)} episodes · ${m.bags.reduce((s, b) => s + b.simulated_s, 0).toFixed(1)} s replayed</p>`,
    headlineTable(headlinesOf(m)),
    '<p class="note">All bags\' executed targets pooled (jerk: each bag\'s RMS weighted by its samples). Each bag\'s own report, with its episodes, plots and camera frames, is linked below.</p>',
    '</header>',
    '<h2>Per bag</h2>',
    `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`,
  ].join('\n');
  return page(`twinvla evaluation: ${m.model} on ${m.bags.length} bags`, body);
}

/** The terminal summary of a set: pooled errors per arm, then a line per bag; within 80 columns. */
export function setSummary(r: SetResult): string {
  const m = r.metrics;
  const lines = [
    `${m.model} on ${m.bags.length} bags, latency ${m.latency}, seed ${m.seed}`,
    `replayed ${r.simulatedSeconds.toFixed(1)} s in ${r.wallSeconds.toFixed(1)} s with ${r.jobs} worker process${r.jobs === 1 ? '' : 'es'}`,
    '',
    `  ${'all bags pooled'.padEnd(28)}${['mean', 'median', 'p95'].map((c) => c.padStart(9)).join('')}`,
  ];
  for (const [arm, a] of Object.entries(m.arms)) {
    const row = (label: string, s: Stat): string => `  ${label.padEnd(28)}${[s.mean, s.median, s.p95].map((v) => fmt(v).padStart(9)).join('')}`;
    lines.push(row(`${arm}: position error, mm`, a.position_error_mm), row(`${arm}: holding the pose, mm`, a.hold_baseline.position_error_mm), `  ${`${arm}: gripper agreement`.padEnd(28)}${pct(a.gripper_agreement).padStart(9)}`);
  }
  lines.push('', 'per bag (position error mean, mm, per arm):');
  for (const b of m.bags) lines.push(`  ${b.out}: ${Object.entries(b.arms).map(([a, x]) => `${a} ${fmt(x.position_error_mm.mean)}`).join(', ')}`);
  lines.push('', `outputs: ${r.files.metrics}, ${r.files.report}`);
  return lines.join('\n');
}
