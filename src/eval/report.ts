/**
 * report.html: one self-contained page (inline CSS, SVG and JPEG data; no script, nothing fetched).
 * Above the fold, the headline table per arm; then the per-episode table; then the errors across the
 * chunk horizon and across episodes; then one card per episode with camera frames beside its plots
 * (errors against the hold baseline, trajectory against the recording, rotation, gripper), all
 * episodes' error plots on one scale so that they compare at a glance.
 */
import type { Metrics } from './eval-metrics.js';
import type { EpisodeDetail } from './episodes.js';
import type { ScoredSample, Stat } from './metrics.js';
import { fmt, headlines, pct, safetyText, vsHold, type ArmHeadline } from './headline.js';
import { linePlot, niceTicks, type Series } from './svg-plot.js';
import { secondsBetween } from '../time.js';

export const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export const COLORS = { policy: '#1f77b4', hold: '#9a9a9a', recorded: '#222', x: '#d62728', y: '#2ca02c', z: '#1f77b4', gripper: '#9467bd' };

export const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1240px;margin:0 auto;padding:18px 24px 48px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:0 0 8px;font-weight:600}
.sub{color:#555;margin:0 0 14px;font-size:13px} code{font-size:12px;background:#eee;padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;font-size:13px;background:#fff}
th,td{padding:5px 10px;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
th{font-weight:600;background:#f2f2f2} td.l,th.l{text-align:left} td.wrap{white-space:normal;max-width:360px;text-align:left}
table.headline td.big{font-size:18px;font-weight:600}
.small{font-size:11px;color:#666;font-weight:400}
.good{color:#137333} .bad{color:#b3261e}
.note{font-size:12px;color:#555;margin:6px 0}
.row{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;margin:12px 0}
details>summary{cursor:pointer;font-weight:600;font-size:14px;margin-bottom:8px}
.frames{display:flex;gap:6px;margin:0 0 8px}
.frames figure{margin:0;font-size:11px;color:#555;text-align:center}
.frames img{display:block;width:160px;border-radius:3px;border:1px solid #ccc}
.arm{font-size:12px;font-weight:600;color:#444;margin:4px 0 0}
svg.plot{background:#fff}
`;

const statCells = (s: Stat): string => (s.mean === null ? '<td>-</td><td>-</td><td>-</td>' : `<td class="big">${fmt(s.mean)}</td><td>${fmt(s.median)}</td><td>${fmt(s.p95)}</td>`);

/** The headline table: per arm, the executed targets' errors beside the hold-pose baseline. */
export function headlineTable(arms: ArmHeadline[]): string {
  const rows = arms.map((h) => {
    const r = vsHold(h.position, h.holdPosition);
    const cls = r === null ? '' : r < 1 ? 'good' : 'bad';
    return `<tr><th class="l">${esc(h.arm)}</th>${statCells(h.position)}<td>${fmt(h.holdPosition.mean)}</td><td class="${cls}">${r === null ? '-' : `${r.toFixed(2)}x`}</td>`
      + `<td>${fmt(h.rotation.mean)} <span class="small">(hold ${fmt(h.holdRotation.mean)})</span></td><td class="big">${pct(h.gripper)}</td>`
      + `<td>${h.jerk.ratio === null ? '-' : `${h.jerk.ratio.toFixed(1)}x`} <span class="small">${fmt(h.jerk.executed)} / ${fmt(h.jerk.recorded)} m/s³</span></td>`
      + `<td class="small">${esc(safetyText(h.safety))}</td></tr>`;
  });
  return `<table class="headline"><thead><tr><th class="l" rowspan="2">arm</th><th colspan="3">position error, mm</th><th rowspan="2">holding the<br>pose, mm (mean)</th><th rowspan="2">error vs<br>holding</th><th rowspan="2">rotation error,<br>deg (mean)</th><th rowspan="2">gripper<br>agreement</th><th rowspan="2">jerk vs recorded<br><span class="small">executed / recorded</span></th><th rowspan="2">safety<br>interventions</th></tr>`
    + `<tr><th>mean</th><th>median</th><th>p95</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function latencyLine(m: Metrics): string {
  const s = (x: Stat): string => (x.mean === null ? '-' : `${fmt(x.mean)} / ${fmt(x.median)} / ${fmt(x.p95)} ms`);
  return `<p class="note">Latency (mean / median / p95): inference ${s(m.inference_latency_ms)}; observation to chunk ${s(m.observation_to_chunk_ms)}${m.frame_age_ms ? ` = frame age at the start of inference (the snapshot's oldest input to the start) ${s(m.frame_age_ms)} + inference` : ''}. Errors are over the executed targets; "error vs holding" below 1 means the policy beats holding the last measured pose.</p>`;
}

function episodeTable(m: Metrics): string {
  const arms = Object.keys(m.arms);
  const head = `<tr><th>#</th><th class="l">instruction</th><th>start, s</th><th>duration, s</th>${arms.map((a) => `<th>${esc(a)}: error mm<br><span class="small">mean / p95</span></th><th>${esc(a)}: holding<br><span class="small">mean mm</span></th><th>${esc(a)}:<br>gripper</th>`).join('')}</tr>`;
  const rows = m.episodes.map((e) => {
    const cells = arms.map((a) => {
      const x = e.arms[a];
      if (!x) return '<td>-</td><td>-</td><td>-</td>';
      const better = x.position_error_mm.mean !== null && x.hold_baseline_position_error_mm.mean !== null ? x.position_error_mm.mean < x.hold_baseline_position_error_mm.mean : null;
      return `<td class="${better === null ? '' : better ? 'good' : 'bad'}">${fmt(x.position_error_mm.mean)} / ${fmt(x.position_error_mm.p95)}</td><td>${fmt(x.hold_baseline_position_error_mm.mean)}</td><td>${pct(x.gripper_agreement)}</td>`;
    }).join('');
    return `<tr><td><a href="#episode-${e.index}">${e.index}</a></td><td class="wrap">${esc(e.instruction ?? '-')}</td><td>${e.start_s.toFixed(1)}</td><td>${e.duration_s.toFixed(1)}</td>${cells}</tr>`;
  });
  return `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function quantile(values: number[], p: number): number {
  if (values.length === 0) return 1;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] as number;
}

/** One y range for a kind of error across every episode (98th percentile, so one spike does not flatten the rest). */
function sharedRange(details: EpisodeDetail[], pick: (s: ScoredSample) => (number | null)[]): [number, number] {
  const all = details.flatMap((d) => [...d.plots.values()].flatMap((p) => p.points.flatMap(pick))).filter((v): v is number => v !== null && Number.isFinite(v));
  return [0, niceTicks(0, Math.max(quantile(all, 0.98), 1e-6), 5).hi];
}

const W = 292, H = 170;

function episodeCard(d: EpisodeDetail, frames: (string | null)[], ranges: { pos: [number, number]; rot: [number, number] }, open: boolean): string {
  const e = d.metrics;
  const span: [number, number] = [0, Math.max(e.duration_s, 0.1)];
  const gap = 0.5;
  const imgs = frames.map((src, i) => (src ? `<figure><img alt="camera frame ${i + 1} of episode ${e.index}" src="${src}"></figure>` : '')).join('');
  const armRows = [...d.plots].map(([arm, plot]) => {
    const rel = (s: ScoredSample): number => secondsBetween(s.time, d.start);
    const pts = plot.points;
    const series = (name: string, color: string, f: (s: ScoredSample) => number | null, dashed = false): Series =>
      ({ name, color, dashed, points: pts.flatMap((s) => { const v = f(s); return v === null ? [] : [[rel(s), v] as [number, number]]; }) });
    const a = e.arms[arm];
    const label = a ? `${arm} arm: ${fmt(a.position_error_mm.mean)} mm mean error (holding: ${fmt(a.hold_baseline_position_error_mm.mean)}), gripper ${pct(a.gripper_agreement)}` : `${arm} arm`;
    return `<div class="arm">${esc(label)}</div><div class="row">`
      + linePlot({ title: 'position error, mm', xLabel: 'time in episode, s', yLabel: 'mm', width: W, height: H, x: span, y: ranges.pos, gap,
        series: [series('policy', COLORS.policy, (s) => s.positionMm), series('holding', COLORS.hold, (s) => s.holdMm, true)] })
      + linePlot({ title: 'trajectory: executed vs recorded', xLabel: 'time in episode, s', yLabel: 'm', width: W, height: H, x: span, gap,
        series: (['x', 'y', 'z'] as const).flatMap((axis, k) => [
          series(axis, COLORS[axis], (s) => s.pose.t[k] as number),
          // Recorded: same colour, dashed, no legend entry of its own (the note below says so).
          series('', COLORS[axis], (s) => s.truth.t[k] as number, true),
        ]) })
      + linePlot({ title: 'rotation error, deg', xLabel: 'time in episode, s', yLabel: 'deg', width: W, height: H, x: span, y: ranges.rot, gap,
        series: [series('policy', COLORS.policy, (s) => s.rotationDeg), series('holding', COLORS.hold, (s) => s.holdDeg, true)] })
      + linePlot({ title: 'gripper (1 open, 0 closed)', xLabel: 'time in episode, s', yLabel: 'model units', width: W, height: H, x: span, y: [-0.1, 1.1], gap,
        series: [series('executed', COLORS.gripper, (s) => s.gripper), series('recorded', COLORS.recorded, (s) => s.truthGripper, true)] })
      + '</div>';
  }).join('');
  return `<details class="card episode" id="episode-${e.index}"${open ? ' open' : ''}><summary>Episode ${e.index} · ${e.start_s.toFixed(1)}–${(e.start_s + e.duration_s).toFixed(1)} s (${e.duration_s.toFixed(1)} s) · ${esc(e.instruction ?? 'no instruction')}</summary>`
    + `<div class="frames">${imgs}</div>${armRows}<p class="note">Dashed: recorded (trajectory: x red, y green, z blue; solid executed, dashed recorded) and holding the last measured pose.</p></details>`;
}

function overview(m: Metrics): string {
  const parts: string[] = [];
  for (const [arm, a] of Object.entries(m.arms)) {
    parts.push(linePlot({
      title: `${arm}: error by chunk step`, xLabel: 'step of the chunk', yLabel: 'mean error, mm', width: 400, height: 220,
      series: [
        { name: 'policy', color: COLORS.policy, points: a.horizon.map((r) => [r.step, r.position_error_mm.mean ?? NaN]) },
        { name: 'holding', color: COLORS.hold, dashed: true, points: a.horizon.map((r) => [r.step, r.hold_baseline_position_error_mm.mean ?? NaN]) },
      ],
    }));
  }
  if (m.episodes.length > 1) {
    const arms = Object.keys(m.arms);
    const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
    parts.push(linePlot({
      title: 'mean error per episode', xLabel: 'episode', yLabel: 'mean error, mm', width: 400, height: 220, xStep: 1,
      series: arms.flatMap((a, i) => [
        { name: a, color: palette[i % palette.length] as string, points: m.episodes.map((e) => [e.index, e.arms[a]?.position_error_mm.mean ?? NaN] as [number, number]) },
        { name: `${a} holding`, color: palette[i % palette.length] as string, dashed: true, points: m.episodes.map((e) => [e.index, e.arms[a]?.hold_baseline_position_error_mm.mean ?? NaN] as [number, number]) },
      ]),
    }));
  }
  return `<div class="row">${parts.join('')}</div>`;
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>${STYLE}</style>
</head><body><main>
${body}
</main></body></html>
`;
}

export async function renderReport(m: Metrics, details: EpisodeDetail[]): Promise<string> {
  const frames = await Promise.all(details.map((d) => Promise.all(d.frames)));
  const ranges = {
    pos: sharedRange(details, (s) => [s.positionMm, s.holdMm]),
    rot: sharedRange(details, (s) => [s.rotationDeg, s.holdDeg]),
  };
  const many = details.length > 20;
  const body = [
    '<header>',
    `<h1>twinvla evaluation: ${esc(m.model)}</h1>`,
    `<p class="sub">bag <code>${esc(m.bag)}</code> · window ${m.window_s.start.toFixed(1)}–${m.window_s.end.toFixed(1)} s · latency ${esc(m.latency)} · seed ${m.seed} · ${m.chunks} chunks · ${m.episodes.length} episode${m.episodes.length === 1 ? '' : 's'}</p>`,
    headlineTable(headlines(m)),
    latencyLine(m),
    '</header>',
    `<h2>Episodes</h2><p class="note">An episode starts after a pause in the recording or with a new instruction. Green: better than holding the pose; red: worse.</p>`,
    episodeTable(m),
    '<h2 id="overview">Across the chunk and across episodes</h2>',
    overview(m),
    `<h2>Each episode</h2><p class="note">Error plots share one scale across episodes${many ? '; the first 10 episodes are open, click a title for the others' : ''}.</p>`,
    ...details.map((d, i) => episodeCard(d, frames[i] ?? [], ranges, !many || i < 10)),
  ].join('\n');
  return page(`twinvla evaluation: ${m.model}`, body);
}
