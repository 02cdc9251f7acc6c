/**
 * The evaluation's numbers, per arm: position (mm) and rotation (degrees) error of the executed
 * targets and of every horizon step, gripper agreement, target smoothness (jerk), each beside the
 * same errors of a "hold the current pose" baseline; and the inference's latency. Deterministic:
 * no wall-clock value enters, and numbers are rounded to fixed precision.
 */
import { angleBetween, distance, type Transform } from '../geometry.js';
import type { GroundTruth } from './ground-truth.js';

export interface Stat { count: number; mean: number | null; median: number | null; p95: number | null }

export interface ExecutedTarget { time: number; pose: Transform; gripper: number | null }

export interface ChunkRecord {
  /** Simulated publication time and observation stamp, seconds. */
  published: number;
  stamp: number;
  dt: number;
  arms: Map<string, { poses: Transform[]; gripper: number[] }>;
}

const R = (v: number, digits = 4): number => Number(v.toFixed(digits));

export function stat(values: number[]): Stat {
  if (values.length === 0) return { count: 0, mean: null, median: null, p95: null };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => {
    const pos = (s.length - 1) * p;
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
  };
  return { count: s.length, mean: R(s.reduce((a, b) => a + b, 0) / s.length), median: R(q(0.5)), p95: R(q(0.95)) };
}

const mm = (a: Transform, b: Transform): number => distance(a.t, b.t) * 1e3;
const deg = (a: Transform, b: Transform): number => (angleBetween(a.q, b.q) * 180) / Math.PI;

/** Root mean square of the third difference of positions over time (m/s^3): lower is smoother. */
export function jerkRms(samples: { time: number; pose: Transform }[]): number | null {
  if (samples.length < 4) return null;
  let sum = 0, n = 0;
  for (let i = 3; i < samples.length; i++) {
    const dt = ((samples[i] as { time: number }).time - (samples[i - 3] as { time: number }).time) / 3;
    if (!(dt > 0)) continue;
    for (let k = 0; k < 3; k++) {
      const p = (j: number): number => (samples[i - j] as { pose: Transform }).pose.t[k] as number;
      const third = (p(0) - 3 * p(1) + 3 * p(2) - p(3)) / dt ** 3;
      sum += third * third;
    }
    n++;
  }
  return n > 0 ? R(Math.sqrt(sum / n), 3) : null;
}

export interface ArmMetrics {
  ground_truth: 'recorded_targets' | 'tf';
  gripper_ground_truth: 'recorded_commands' | 'joint';
  executed: {
    position_error_mm: Stat;
    rotation_error_deg: Stat;
    gripper_agreement: number | null;
    jerk_rms_m_s3: number | null;
    ground_truth_jerk_rms_m_s3: number | null;
    hold_baseline: { position_error_mm: Stat; rotation_error_deg: Stat };
  };
  horizon: { step: number; position_error_mm: Stat; rotation_error_deg: Stat; hold_baseline_position_error_mm: Stat }[];
}

export function armMetrics(arm: string, truth: GroundTruth, executed: ExecutedTarget[], chunks: ChunkRecord[], threshold: number): ArmMetrics {
  const pos: number[] = [], rot: number[] = [], holdPos: number[] = [], holdRot: number[] = [];
  let agree = 0, compared = 0;
  let c = 0;
  const truthSeries: { time: number; pose: Transform }[] = [];
  for (const e of executed) {
    while (c + 1 < chunks.length && (chunks[c + 1] as ChunkRecord).published <= e.time) c++;
    const gt = truth.pose(arm, e.time);
    if (!gt) continue;
    truthSeries.push({ time: e.time, pose: gt });
    pos.push(mm(e.pose, gt));
    rot.push(deg(e.pose, gt));
    const chunk = chunks[c];
    const hold = chunk && chunk.published <= e.time ? truth.measured(arm, chunk.stamp) : null;
    if (hold) { holdPos.push(mm(hold, gt)); holdRot.push(deg(hold, gt)); }
    const g = truth.gripper(arm, e.time);
    if (g !== null && e.gripper !== null) { compared++; if (g > threshold === e.gripper > threshold) agree++; }
  }
  const horizon: ArmMetrics['horizon'] = [];
  for (const ch of chunks) {
    const a = ch.arms.get(arm);
    if (!a) continue;
    const hold = truth.measured(arm, ch.stamp);
    a.poses.forEach((p, k) => {
      const gt = truth.pose(arm, ch.stamp + k * ch.dt);
      if (!gt) return;
      const row = horizon[k] ?? (horizon[k] = { step: k, position_error_mm: stat([]), rotation_error_deg: stat([]), hold_baseline_position_error_mm: stat([]) });
      const acc = row as unknown as { _p?: number[]; _r?: number[]; _h?: number[] };
      (acc._p ??= []).push(mm(p, gt));
      (acc._r ??= []).push(deg(p, gt));
      if (hold) (acc._h ??= []).push(mm(hold, gt));
    });
  }
  for (const row of horizon) {
    const acc = row as unknown as { _p?: number[]; _r?: number[]; _h?: number[] };
    row.position_error_mm = stat(acc._p ?? []);
    row.rotation_error_deg = stat(acc._r ?? []);
    row.hold_baseline_position_error_mm = stat(acc._h ?? []);
    delete acc._p; delete acc._r; delete acc._h;
  }
  return {
    ground_truth: truth.source(arm),
    gripper_ground_truth: truth.gripperSource(arm),
    executed: {
      position_error_mm: stat(pos),
      rotation_error_deg: stat(rot),
      gripper_agreement: compared > 0 ? R(agree / compared) : null,
      jerk_rms_m_s3: jerkRms(executed),
      ground_truth_jerk_rms_m_s3: jerkRms(truthSeries),
      hold_baseline: { position_error_mm: stat(holdPos), rotation_error_deg: stat(holdRot) },
    },
    horizon: horizon.filter(Boolean),
  };
}
