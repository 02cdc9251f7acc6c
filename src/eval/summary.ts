/**
 * The summary printed after an evaluation: a block per arm (wrapped by arm, never by column), every
 * line within 80 columns however long the figures, so that it reads the same in an 80-column
 * terminal, a CI log and an e-mail.
 */
import type { EvalResult } from './evaluate.js';
import { fmt, headlines, pct, safetyText, vsHold } from './headline.js';
import type { Stat } from './metrics.js';
import { wrap } from './warnings.js';

const WIDTH = 80;
const LABEL = 28;
const COL = 9;

function row(label: string, s: Stat, extra = ''): string {
  // One number of decimals per row, from its largest figure, so that the column reads down.
  const big = Math.max(...[s.mean, s.median, s.p95].map((v) => Math.abs(v ?? 0)));
  const d = big >= 100 ? 0 : big >= 1 ? 1 : 2;
  const cells = s.mean === null ? ['-', '', ''] : [fmt(s.mean, d), fmt(s.median, d), fmt(s.p95, d)];
  return `  ${label.padEnd(LABEL)}${cells.map((c) => c.padStart(COL)).join('')}${extra ? `  ${extra}` : ''}`;
}

const NO_STATS = { samples: 0, jerk_rms_m_s3: null, acceleration_rms_m_s2: null, peak_speed_m_s: null, max_step_mm: null, quaternion_sign_flips: 0 };
const NO_MOTION = { executed: NO_STATS, recorded: NO_STATS, ratio: { jerk_rms: null, acceleration_rms: null, peak_speed: null, max_step: null } };

const GROUND_TRUTH = { recorded_targets: 'the recorded targets', tf: 'the measured pose (TF)' } as const;

export function summaryTable(r: EvalResult, width = WIDTH): string {
  const m = r.metrics;
  const speed = r.simulatedSeconds / Math.max(r.wallSeconds, 1e-9);
  const lines = [
    ...wrap(`${m.model} on ${m.bag}`, width, '  '),
    ...wrap(`latency ${m.latency}, seed ${m.seed}; replayed ${r.simulatedSeconds.toFixed(1)} s in ${r.wallSeconds.toFixed(1)} s (${speed.toFixed(1)}x real time), ${m.chunks} chunks`, width, '  '),
    '',
    `  ${''.padEnd(LABEL)}${['mean', 'median', 'p95'].map((c) => c.padStart(COL)).join('')}`,
    row('observation to chunk, ms', m.observation_to_chunk_ms),
    // Its two parts, so that a chunk's age reads as why: the snapshot's frames were already this old
    // when inference started (camera period, replan timer phase), then inference took this long.
    ...(m.frame_age_ms ? [row('  frame age at start, ms', m.frame_age_ms)] : []),
    row(m.frame_age_ms ? '  inference, ms' : 'inference, ms', m.inference_latency_ms),
  ];
  if (m.frame_age_ms) lines.push(...wrap('  frame age: from the snapshot\'s stamp (its oldest input\'s) to the start of its inference', width, '    '));
  for (const h of headlines(m)) {
    const ratio = vsHold(h.position, h.holdPosition);
    lines.push('', `${h.arm} arm, against ${GROUND_TRUTH[h.groundTruth]}`);
    lines.push(row('position error, mm', h.position, ratio === null ? '' : `${ratio.toFixed(2)}x hold`));
    lines.push(row('  holding the pose, mm', h.holdPosition));
    lines.push(row('rotation error, deg', h.rotation));
    lines.push(row('  holding the pose, deg', h.holdRotation));
    lines.push(`  ${'gripper agreement'.padEnd(LABEL)}${pct(h.gripper).padStart(COL)}`);
    const { executed: x, recorded: rec, ratio: k } = m.arms[h.arm]?.executed.motion ?? NO_MOTION;
    lines.push(`  ${'motion, at recorded stamps'.padEnd(LABEL)}${['executed', 'recorded', 'ratio'].map((c) => c.padStart(COL)).join('')}`);
    const motion = (label: string, a: number | null, b: number | null, r: number | null, d: number): string =>
      `  ${label.padEnd(LABEL)}${[fmt(a, d), fmt(b, d), r === null ? '-' : `${r.toFixed(2)}x`].map((c) => c.padStart(COL)).join('')}`;
    lines.push(motion('jerk rms, m/s^3', x.jerk_rms_m_s3, rec.jerk_rms_m_s3, k.jerk_rms, 1));
    lines.push(motion('acceleration rms, m/s^2', x.acceleration_rms_m_s2, rec.acceleration_rms_m_s2, k.acceleration_rms, 2));
    lines.push(motion('peak speed, m/s', x.peak_speed_m_s, rec.peak_speed_m_s, k.peak_speed, 3));
    lines.push(motion('largest step, mm', x.max_step_mm, rec.max_step_mm, k.max_step, 1));
    lines.push(`  ${'quaternion sign flips'.padEnd(LABEL)}${[String(x.quaternion_sign_flips), String(rec.quaternion_sign_flips)].map((c) => c.padStart(COL)).join('')}`);
    lines.push(...wrap(`  safety interventions: ${safetyText(h.safety)}`, width, '    '));
  }
  lines.push('', ...wrap('Errors over the executed targets; per-step errors in metrics.json and report.html.', width));
  lines.push('outputs:', ...[r.files.metrics, r.files.report, r.files.replay].map((f) => `  ${f}`));
  return lines.join('\n');
}
