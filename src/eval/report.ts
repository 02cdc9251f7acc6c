/** report.html: one self-contained page, SVG plots inline. */
import { mm as dist, type ArmMetrics } from './metrics.js';
import { linePlot } from './svg-plot.js';
import type { Transform } from '../geometry.js';

export interface ArmSeries {
  /** time, executed pose, recorded pose (or null) */
  executed: { time: number; pose: Transform; truth: Transform | null; hold: Transform | null }[];
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export function renderReport(title: string, summary: Record<string, string>, arms: Map<string, { metrics: ArmMetrics; series: ArmSeries }>): string {
  const sections: string[] = [];
  for (const [arm, { metrics, series }] of arms) {
    const t0 = series.executed[0]?.time ?? 0;
    const withTruth = series.executed.filter((e) => e.truth);
    sections.push(`<h2>${esc(arm)} arm</h2><p>Ground truth: ${metrics.ground_truth === 'recorded_targets' ? 'recorded end-effector targets' : 'measured end-effector pose (TF)'}.</p>`);
    sections.push(linePlot({
      title: `${arm}: position error of the executed target over time`, xLabel: 'time (s)', yLabel: 'error (mm)',
      series: [
        { name: 'policy', color: '#1f77b4', points: withTruth.map((e) => [e.time - t0, dist(e.pose, e.truth as Transform)]) },
        { name: 'hold pose', color: '#999', dashed: true, points: withTruth.filter((e) => e.hold).map((e) => [e.time - t0, dist(e.hold as Transform, e.truth as Transform)]) },
      ],
    }));
    sections.push(linePlot({
      title: `${arm}: error by horizon step`, xLabel: 'step', yLabel: 'mean error (mm)',
      series: [
        { name: 'policy', color: '#d62728', points: metrics.horizon.map((r) => [r.step, r.position_error_mm.mean ?? NaN]) },
        { name: 'hold pose', color: '#999', dashed: true, points: metrics.horizon.map((r) => [r.step, r.hold_baseline_position_error_mm.mean ?? NaN]) },
      ],
    }));
    ['x', 'y', 'z'].forEach((axis, k) => {
      sections.push(linePlot({
        title: `${arm}: predicted vs recorded ${axis}`, xLabel: 'time (s)', yLabel: `${axis} (m)`, height: 200,
        series: [
          { name: 'predicted', color: '#2ca02c', points: series.executed.map((e) => [e.time - t0, e.pose.t[k] as number]) },
          { name: 'recorded', color: '#000', dashed: true, points: withTruth.map((e) => [e.time - t0, (e.truth as Transform).t[k] as number]) },
        ],
      }));
    });
  }
  const rows = Object.entries(summary).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:900px} th{text-align:left;padding-right:1em} svg{display:block;margin:1em 0}</style>
</head><body><h1>${esc(title)}</h1><table>${rows}</table>
${sections.join('\n')}
</body></html>
`;
}
