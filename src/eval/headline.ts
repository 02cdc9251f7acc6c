/**
 * The few numbers a robotics engineer reads first, per arm, taken from metrics.json: executed error
 * beside the hold-pose baseline, rotation, gripper agreement, jerk against the recorded targets; and
 * the run's latency. The terminal summary, report.html and `twinvla compare` all show these, read
 * through this one module so that they cannot disagree.
 */
import type { ArmMetrics, Stat } from './metrics.js';
import type { Metrics } from './eval-metrics.js';

export interface ArmHeadline {
  arm: string;
  groundTruth: ArmMetrics['ground_truth'];
  position: Stat;
  holdPosition: Stat;
  rotation: Stat;
  holdRotation: Stat;
  /** Fraction of compared ticks with the same open/closed state, or null when nothing was compared. */
  gripper: number | null;
  /** RMS jerk of the executed and of the recorded targets (m/s^3), both sampled at the recorded stamps, and executed / recorded. */
  jerk: { executed: number | null; recorded: number | null; ratio: number | null };
  /** The safety filter's interventions by kind, the kinds that happened only (empty: none). */
  safety: [string, number][];
}

export function armHeadline(arm: string, a: ArmMetrics): ArmHeadline {
  const e = a.executed;
  const { executed: x, recorded: r, ratio } = e.motion;
  return {
    arm, groundTruth: a.ground_truth,
    position: e.position_error_mm, holdPosition: e.hold_baseline.position_error_mm,
    rotation: e.rotation_error_deg, holdRotation: e.hold_baseline.rotation_error_deg,
    gripper: e.gripper_agreement,
    jerk: { executed: x.jerk_rms_m_s3, recorded: r.jerk_rms_m_s3, ratio: ratio.jerk_rms },
    safety: Object.entries(a.safety_interventions ?? {}).filter(([, n]) => n > 0),
  };
}

export function headlines(m: Metrics): ArmHeadline[] {
  return Object.entries(m.arms).map(([arm, a]) => armHeadline(arm, a));
}

/** A figure for people: fixed decimals by magnitude, '-' for none. */
export function fmt(v: number | null | undefined, digits?: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 1 : 2);
  return v.toFixed(d);
}

export const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

/** "how many times the baseline": below 1 means the policy beats holding the pose. */
export const vsHold = (policy: Stat, hold: Stat): number | null =>
  policy.mean !== null && hold.mean ? Number((policy.mean / hold.mean).toFixed(2)) : null;

/** The interventions as a line: "none", or "linear_acceleration 12, arm_distance 3". */
export const safetyText = (s: [string, number][]): string => (s.length === 0 ? 'none' : s.map(([k, n]) => `${k} ${n}`).join(', '));
