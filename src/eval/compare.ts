/**
 * `twinvla compare <run-dir> <run-dir> ...`: two or more evaluation outputs side by side. What each
 * run was (model, bag, latency, the parameters in which the runs differ), then per arm each headline
 * figure for every run with its difference from the first run and which run is better, the errors by
 * chunk step and per episode overlaid, and the per-episode errors of every run. A terminal table and
 * compare.html (self-contained, like report.html).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { InputError } from '../errors.js';
import type { Metrics } from './eval-metrics.js';
import { armHeadline, fmt } from './headline.js';
import { esc, page } from './report.js';
import { flatParameters } from './run-parameters.js';
import { linePlot } from './svg-plot.js';

export interface Run { dir: string; label: string; metrics: Metrics }

/** Reads `<dir>/metrics.json`; the error says what to run when it is not an evaluation's output. */
export function loadRun(dir: string, index: number): Run {
  const file = join(dir, 'metrics.json');
  if (!existsSync(file)) throw new InputError(`compare: ${dir} has no metrics.json; pass the --out folder of a \`twinvla eval\` run (for example out/demo/eval after \`npm start\`).`);
  let m: Metrics;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Metrics;
  } catch (e) {
    throw new InputError(`compare: ${file} is not JSON (${(e as Error).message}); run \`twinvla eval --out ${dir}\` again.`);
  }
  if (m.format !== 'twinvla-eval/1' || typeof m.arms !== 'object') {
    throw new InputError(`compare: ${file} has format ${JSON.stringify(m.format)}, expected "twinvla-eval/1"; it was not written by this version of \`twinvla eval\`.`);
  }
  return { dir, label: `${index + 1}: ${m.model} (${basename(resolve(dir))})`, metrics: m };
}

/** One compared figure: how to read it from a run, and which way is better. */
export interface Figure {
  key: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher' | 'closer_to_1';
  value: (m: Metrics, arm: string) => number | null;
}

const arm = (m: Metrics, a: string): ReturnType<typeof armHeadline> | null => (m.arms[a] ? armHeadline(a, m.arms[a]) : null);

export const ARM_FIGURES: Figure[] = [
  { key: 'position_mean', label: 'position error, mean', unit: 'mm', better: 'lower', value: (m, a) => arm(m, a)?.position.mean ?? null },
  { key: 'position_median', label: 'position error, median', unit: 'mm', better: 'lower', value: (m, a) => arm(m, a)?.position.median ?? null },
  { key: 'position_p95', label: 'position error, p95', unit: 'mm', better: 'lower', value: (m, a) => arm(m, a)?.position.p95 ?? null },
  { key: 'hold_mean', label: 'holding the pose, mean', unit: 'mm', better: 'lower', value: (m, a) => arm(m, a)?.holdPosition.mean ?? null },
  { key: 'rotation_mean', label: 'rotation error, mean', unit: 'deg', better: 'lower', value: (m, a) => arm(m, a)?.rotation.mean ?? null },
  { key: 'gripper', label: 'gripper agreement', unit: '%', better: 'higher', value: (m, a) => { const g = arm(m, a)?.gripper; return g === null || g === undefined ? null : g * 100; } },
  { key: 'jerk_ratio', label: 'jerk / recorded', unit: 'x', better: 'closer_to_1', value: (m, a) => arm(m, a)?.jerk.ratio ?? null },
];

export const RUN_FIGURES: Figure[] = [
  { key: 'inference_p95', label: 'inference latency, p95', unit: 'ms', better: 'lower', value: (m) => m.inference_latency_ms.p95 },
  { key: 'obs_to_chunk_p95', label: 'observation to chunk, p95', unit: 'ms', better: 'lower', value: (m) => m.observation_to_chunk_ms.p95 },
];

/** Index of the best run for a figure, or null when no run has it or all are equal. */
export function best(values: (number | null)[], better: Figure['better']): number | null {
  const score = (v: number): number => (better === 'lower' ? v : better === 'higher' ? -v : Math.abs(Math.log(Math.max(v, 1e-9))));
  let bi: number | null = null;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    if (bi === null || score(v) < score(values[bi] as number)) bi = i;
  });
  if (bi === null) return null;
  // A tie between every run that has the figure names no one.
  const top = score(values[bi] as number);
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length > 1 && present.every((v) => score(v) === top) ? null : bi;
}

/** "+3.2 (+21%)" against the first run. */
export function difference(v: number | null, first: number | null): string {
  if (v === null || first === null) return '-';
  const d = v - first;
  const rel = first !== 0 ? ` (${d >= 0 ? '+' : ''}${((d / Math.abs(first)) * 100).toFixed(0)}%)` : '';
  return `${d >= 0 ? '+' : ''}${fmt(d)}${rel}`;
}

/** The parameters in which the runs differ (file, model, latency, seed, then node parameters). */
export function differingSettings(runs: Run[]): { name: string; values: string[] }[] {
  const settings = runs.map((r) => {
    const m = r.metrics;
    const flat = new Map<string, string>([
      ['model', m.model], ['bag', m.bag], ['latency', m.latency], ['seed', String(m.seed)],
      ['window, s', `${m.window_s.start}-${m.window_s.end}`], ['parameters file', m.parameters?.file ?? '(defaults)'],
    ]);
    for (const [k, v] of flatParameters(m.parameters?.nodes ?? {})) if (!k.endsWith(': model') && !k.endsWith(': seed')) flat.set(k, v);
    return flat;
  });
  const names = [...new Set(settings.flatMap((s) => [...s.keys()]))];
  return names
    .map((name) => ({ name, values: settings.map((s) => s.get(name) ?? '(default)') }))
    .filter((s, i) => i < 3 || new Set(s.values).size > 1);
}

const ARMS_OF = (runs: Run[]): string[] => [...new Set(runs.flatMap((r) => Object.keys(r.metrics.arms)))];

/** The terminal table: per arm, one row per figure, one column per run, and the best run. */
export function compareTable(runs: Run[]): string {
  const COL = 10;
  const LABEL = 26;
  const lines = ['runs:', ...runs.map((r) => `  ${r.label}`), ''];
  const diff = differingSettings(runs).filter((s) => new Set(s.values).size > 1);
  if (diff.length > 0) {
    lines.push('settings that differ:');
    for (const s of diff) lines.push(`  ${s.name}: ${s.values.map((v, i) => `${i + 1}) ${v}`).join('  ')}`);
    lines.push('');
  }
  const header = `  ${''.padEnd(LABEL)}${runs.map((_, i) => `run ${i + 1}`.padStart(COL)).join('')}  best`;
  const row = (f: Figure, values: (number | null)[]): string => {
    const b = best(values, f.better);
    return `  ${`${f.label}, ${f.unit}`.padEnd(LABEL)}${values.map((v) => fmt(v).padStart(COL)).join('')}  ${b === null ? '-' : `run ${b + 1}`}`;
  };
  lines.push('latency', header, ...RUN_FIGURES.map((f) => row(f, runs.map((r) => f.value(r.metrics, '')))));
  for (const a of ARMS_OF(runs)) {
    lines.push('', `${a} arm`, header, ...ARM_FIGURES.map((f) => row(f, runs.map((r) => f.value(r.metrics, a)))));
  }
  return lines.join('\n');
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function figureTable(runs: Run[], figures: Figure[], armName: string): string {
  const head = `<tr><th class="l">figure</th>${runs.map((r, i) => `<th>run ${i + 1}${i > 0 ? '<br><span class="small">vs run 1</span>' : ''}</th>`).join('')}<th>better</th></tr>`;
  const rows = figures.map((f) => {
    const values = runs.map((r) => f.value(r.metrics, armName));
    const b = best(values, f.better);
    const cells = values.map((v, i) => `<td class="${b === i ? 'good best' : ''}">${fmt(v)}${i > 0 ? `<br><span class="small">${difference(v, values[0] ?? null)}</span>` : ''}</td>`).join('');
    const rule = f.better === 'lower' ? 'lower is better' : f.better === 'higher' ? 'higher is better' : 'closer to 1 is better';
    return `<tr><th class="l">${esc(f.label)}, ${esc(f.unit)}<br><span class="small">${rule}</span></th>${cells}<td class="l">${b === null ? 'equal' : `run ${b + 1}`}</td></tr>`;
  });
  return `<table class="compare">${head}${rows.join('')}</table>`;
}

function episodeComparison(runs: Run[], arms: string[]): string {
  const n = Math.max(...runs.map((r) => r.metrics.episodes?.length ?? 0));
  if (n === 0) return '<p class="note">No episodes in these runs.</p>';
  const sameBag = new Set(runs.map((r) => r.metrics.bag)).size === 1;
  const head = `<tr><th>#</th><th class="l">instruction</th>${arms.map((a) => runs.map((_, i) => `<th>${esc(a)}<br><span class="small">run ${i + 1} mm</span></th>`).join('')).join('')}</tr>`;
  const rows: string[] = [];
  for (let k = 0; k < n; k++) {
    const eps = runs.map((r) => r.metrics.episodes?.[k]);
    const cells = arms.map((a) => {
      const values = eps.map((e) => e?.arms[a]?.position_error_mm.mean ?? null);
      const b = best(values, 'lower');
      return values.map((v, i) => `<td class="${b === i ? 'good best' : ''}">${fmt(v)}</td>`).join('');
    }).join('');
    rows.push(`<tr><td>${k + 1}</td><td class="wrap">${esc(eps.find((e) => e)?.instruction ?? '-')}</td>${cells}</tr>`);
  }
  return `${sameBag ? '' : '<p class="note bad">The runs replayed different bags: episodes are matched by their order only.</p>'}<table>${head}${rows.join('')}</table>`;
}

function overlays(runs: Run[], arms: string[]): string {
  const plots: string[] = [];
  for (const a of arms) {
    plots.push(linePlot({
      title: `${a}: error by chunk step`, xLabel: 'step of the chunk', yLabel: 'mean error, mm', width: 400, height: 230,
      series: runs.map((r, i) => ({ name: `run ${i + 1}`, color: PALETTE[i % PALETTE.length] as string, points: (r.metrics.arms[a]?.horizon ?? []).map((h) => [h.step, h.position_error_mm.mean ?? NaN] as [number, number]) })),
    }));
    plots.push(linePlot({
      title: `${a}: mean error per episode`, xLabel: 'episode', yLabel: 'mean error, mm', width: 400, height: 230, xStep: 1,
      series: runs.map((r, i) => ({ name: `run ${i + 1}`, color: PALETTE[i % PALETTE.length] as string, points: (r.metrics.episodes ?? []).map((e) => [e.index, e.arms[a]?.position_error_mm.mean ?? NaN] as [number, number]) })),
    }));
  }
  return `<div class="row">${plots.join('')}</div>`;
}

export function renderComparison(runs: Run[]): string {
  const arms = ARMS_OF(runs);
  const settings = differingSettings(runs);
  const settingsTable = `<table><tr><th class="l">setting</th>${runs.map((_, i) => `<th class="l">run ${i + 1}</th>`).join('')}</tr>${settings.map((s) => `<tr class="${new Set(s.values).size > 1 ? 'differs' : ''}"><th class="l">${esc(s.name)}</th>${s.values.map((v) => `<td class="l wrap">${esc(v)}</td>`).join('')}</tr>`).join('')}</table>`;
  const body = [
    '<header>',
    `<h1>twinvla comparison: ${runs.length} runs</h1>`,
    `<p class="sub">${runs.map((r, i) => `<span style="color:${PALETTE[i % PALETTE.length]}">■</span> run ${esc(r.label)} <code>${esc(r.dir)}</code>`).join(' · ')}</p>`,
    `<div class="row">${arms.map((a) => `<div><h3>${esc(a)} arm</h3>${figureTable(runs, ARM_FIGURES, a)}</div>`).join('')}<div><h3>latency</h3>${figureTable(runs, RUN_FIGURES, '')}</div></div>`,
    '</header>',
    '<h2>The runs</h2><p class="note">Highlighted: settings in which the runs differ (parameters listed where they differ from the defaults).</p>',
    settingsTable,
    '<h2>Across the chunk and across episodes</h2>',
    overlays(runs, arms),
    '<h2>Mean position error per episode</h2>',
    episodeComparison(runs, arms),
  ].join('\n');
  return page(`twinvla comparison: ${runs.map((r) => r.metrics.model).join(' vs ')}`, body).replace('</style>', 'table.compare td{vertical-align:top} td.best{background:#e6f4ea;font-weight:600} tr.differs th,tr.differs td{background:#fff4e0}\n</style>');
}
