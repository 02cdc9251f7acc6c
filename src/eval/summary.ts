/** The summary table printed after an evaluation. */
import type { Stat } from './metrics.js';
import type { EvalResult } from './evaluate.js';

const f = (s: Stat, digits = 1): string => (s.mean === null ? '-' : `${s.mean.toFixed(digits)} / ${(s.median as number).toFixed(digits)} / ${(s.p95 as number).toFixed(digits)}`);

export function summaryTable(r: EvalResult): string {
  const m = r.metrics;
  const lines = [
    `model ${m.model}, bag ${m.bag}, latency ${m.latency}, seed ${m.seed}`,
    `replayed ${r.simulatedSeconds.toFixed(1)} s in ${r.wallSeconds.toFixed(2)} s (${(r.simulatedSeconds / Math.max(r.wallSeconds, 1e-9)).toFixed(1)}x real time), ${m.chunks} chunks, observation->chunk ${f(m.observation_to_chunk_ms, 0)} ms (mean / median / p95)`,
    '',
    `${'arm'.padEnd(7)}${'ground truth'.padEnd(18)}${'position error mm'.padEnd(24)}${'hold-pose mm'.padEnd(24)}${'rotation deg'.padEnd(24)}${'gripper'.padEnd(9)}`,
  ];
  for (const [arm, a] of Object.entries(m.arms)) {
    const e = a.executed;
    lines.push(`${arm.padEnd(7)}${a.ground_truth.padEnd(18)}${f(e.position_error_mm).padEnd(24)}${f(e.hold_baseline.position_error_mm).padEnd(24)}${f(e.rotation_error_deg).padEnd(24)}${(e.gripper_agreement === null ? '-' : `${(e.gripper_agreement * 100).toFixed(0)}%`).padEnd(9)}`);
  }
  lines.push('', 'motion of the targets, both sampled at the recorded stamps: executed (recorded) x executed/recorded');
  for (const [arm, a] of Object.entries(m.arms)) {
    const { executed: x, recorded: r, ratio: k } = a.executed.motion;
    const v = (n: number | null, d: number): string => (n === null ? '-' : n.toFixed(d));
    lines.push(`${arm.padEnd(7)}jerk ${v(x.jerk_rms_m_s3, 1)} (${v(r.jerk_rms_m_s3, 1)}) m/s^3 x${v(k.jerk_rms, 2)}, `
      + `acceleration ${v(x.acceleration_rms_m_s2, 2)} (${v(r.acceleration_rms_m_s2, 2)}) m/s^2 x${v(k.acceleration_rms, 2)}, `
      + `peak speed ${v(x.peak_speed_m_s, 3)} (${v(r.peak_speed_m_s, 3)}) m/s x${v(k.peak_speed, 2)}, `
      + `largest step ${v(x.max_step_mm, 1)} (${v(r.max_step_mm, 1)}) mm x${v(k.max_step, 2)}, `
      + `quaternion sign flips ${x.quaternion_sign_flips} (${r.quaternion_sign_flips})`);
  }
  lines.push('', `(errors: mean / median / p95 over the executed targets; per-step errors in metrics.json and report.html)`);
  lines.push(`outputs: ${r.files.metrics}, ${r.files.report}, ${r.files.replay}`);
  return lines.join('\n');
}
