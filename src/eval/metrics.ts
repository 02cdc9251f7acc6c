/**
 * The evaluation's numbers, per arm: position (mm) and rotation (degrees) error of the executed
 * targets and of every horizon step, gripper agreement, target smoothness (jerk), each beside the
 * same errors of a "hold the current pose" baseline. Streaming: each sample is scored as soon as
 * the ground truth at its time has been replayed, and only the scalar errors are kept (float32), so
 * memory grows by a few bytes per sample whatever the bag's length. Deterministic: no wall-clock
 * value enters, and numbers are rounded to fixed precision.
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
  arms: Map<string, { poses: Transform[]; gripper: number[] | null }>;
}

const R = (v: number, digits = 4): number => Number(v.toFixed(digits));

export function stat(values: ArrayLike<number>): Stat {
  if (values.length === 0) return { count: 0, mean: null, median: null, p95: null };
  const s = Float64Array.from(values).sort();
  const q = (p: number): number => {
    const pos = (s.length - 1) * p;
    const lo = Math.floor(pos), hi = Math.ceil(pos);
    return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
  };
  let sum = 0;
  for (const v of s) sum += v;
  return { count: s.length, mean: R(sum / s.length), median: R(q(0.5)), p95: R(q(0.95)) };
}

/** A growable float32 sample store: 4 bytes a sample. */
export class Samples {
  #data = new Float32Array(1024);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#data.length) {
      const next = new Float32Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#n++] = v;
  }
  get values(): Float32Array { return this.#data.subarray(0, this.#n); }
}

/** RMS of the norm of the third derivative of positions, accumulated sample by sample (m/s^3). */
export class JerkAccumulator {
  readonly #last: { time: number; t: readonly number[] }[] = [];
  #sum = 0;
  #n = 0;
  push(time: number, pose: Transform): void {
    this.#last.push({ time, t: pose.t });
    if (this.#last.length > 4) this.#last.shift();
    if (this.#last.length < 4) return;
    const [a, b, c, d] = this.#last as [{ time: number; t: readonly number[] }, { time: number; t: readonly number[] }, { time: number; t: readonly number[] }, { time: number; t: readonly number[] }];
    const dt = (d.time - a.time) / 3;
    if (!(dt > 0)) return;
    for (let k = 0; k < 3; k++) {
      const third = ((d.t[k] as number) - 3 * (c.t[k] as number) + 3 * (b.t[k] as number) - (a.t[k] as number)) / dt ** 3;
      this.#sum += third * third;
    }
    this.#n++;
  }
  get rms(): number | null { return this.#n > 0 ? R(Math.sqrt(this.#sum / this.#n), 3) : null; }
}

export function jerkRms(samples: { time: number; pose: Transform }[]): number | null {
  const j = new JerkAccumulator();
  for (const s of samples) j.push(s.time, s.pose);
  return j.rms;
}

/** Keeps at most `cap` points, evenly thinned (the stride doubles when full): for the report's plots. */
export class Decimator<T> {
  readonly points: T[] = [];
  #stride = 1;
  #seen = 0;
  constructor(readonly cap = 3000) {}
  push(p: T): void {
    if (this.#seen++ % this.#stride !== 0) return;
    this.points.push(p);
    if (this.points.length >= this.cap) {
      for (let i = 0; i < this.points.length / 2; i++) this.points[i] = this.points[i * 2] as T;
      this.points.length = Math.ceil(this.points.length / 2);
      this.#stride *= 2;
    }
  }
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

export interface PlotPoint { time: number; pose: Transform; truth: Transform | null; hold: Transform | null }

/** Distance between two poses' positions, millimetres. */
export const mm = (a: Transform, b: Transform): number => distance(a.t, b.t) * 1e3;
const deg = (a: Transform, b: Transform): number => (angleBetween(a.q, b.q) * 180) / Math.PI;

/** Ground truth at t is known once the replay has passed t by this much (the next sample exists). */
const TRUTH_MARGIN = 0.25;

export class ArmAccumulator {
  readonly arm: string;
  readonly #truth: GroundTruth;
  readonly #threshold: number;
  readonly #pendingExecuted: { target: ExecutedTarget; holdStamp: number | null }[] = [];
  readonly #pendingChunks: ChunkRecord[] = [];
  readonly #pos = new Samples();
  readonly #rot = new Samples();
  readonly #holdPos = new Samples();
  readonly #holdRot = new Samples();
  readonly #steps: { pos: Samples; rot: Samples; hold: Samples }[] = [];
  readonly #jerk = new JerkAccumulator();
  readonly #truthJerk = new JerkAccumulator();
  readonly plot = new Decimator<PlotPoint>();
  #agree = 0;
  #compared = 0;

  constructor(arm: string, truth: GroundTruth, threshold: number) {
    this.arm = arm;
    this.#truth = truth;
    this.#threshold = threshold;
  }

  /** `holdStamp`: the observation stamp of the chunk being executed (the hold baseline's pose time). */
  addExecuted(target: ExecutedTarget, holdStamp: number | null): void {
    this.#jerk.push(target.time, target.pose);
    this.#pendingExecuted.push({ target, holdStamp });
  }

  addChunk(chunk: ChunkRecord): void {
    if (chunk.arms.get(this.arm)?.poses.length) this.#pendingChunks.push(chunk);
  }

  /** Scores what the replay up to `now` can score. */
  advance(now: number): void {
    const until = now - TRUTH_MARGIN;
    while (this.#pendingExecuted.length > 0 && (this.#pendingExecuted[0] as { target: ExecutedTarget }).target.time <= until) {
      const { target, holdStamp } = this.#pendingExecuted.shift() as { target: ExecutedTarget; holdStamp: number | null };
      this.#scoreExecuted(target, holdStamp);
    }
    while (this.#pendingChunks.length > 0) {
      const c = this.#pendingChunks[0] as ChunkRecord;
      const n = c.arms.get(this.arm)?.poses.length ?? 0;
      if (c.stamp + (n - 1) * c.dt > until) break;
      this.#scoreChunk(this.#pendingChunks.shift() as ChunkRecord);
    }
  }

  #scoreExecuted(e: ExecutedTarget, holdStamp: number | null): void {
    const gt = this.#truth.pose(this.arm, e.time);
    const hold = holdStamp === null ? null : this.#truth.measured(this.arm, holdStamp);
    this.plot.push({ time: e.time, pose: e.pose, truth: gt, hold });
    if (!gt) return;
    this.#truthJerk.push(e.time, gt);
    this.#pos.push(mm(e.pose, gt));
    this.#rot.push(deg(e.pose, gt));
    if (hold) { this.#holdPos.push(mm(hold, gt)); this.#holdRot.push(deg(hold, gt)); }
    const g = this.#truth.gripper(this.arm, e.time);
    if (g !== null && e.gripper !== null) { this.#compared++; if (g > this.#threshold === e.gripper > this.#threshold) this.#agree++; }
  }

  #scoreChunk(c: ChunkRecord): void {
    const a = c.arms.get(this.arm);
    if (!a) return;
    const hold = this.#truth.measured(this.arm, c.stamp);
    a.poses.forEach((p, k) => {
      const gt = this.#truth.pose(this.arm, c.stamp + k * c.dt);
      if (!gt) return;
      const row = this.#steps[k] ?? (this.#steps[k] = { pos: new Samples(), rot: new Samples(), hold: new Samples() });
      row.pos.push(mm(p, gt));
      row.rot.push(deg(p, gt));
      if (hold) row.hold.push(mm(hold, gt));
    });
  }

  finish(): ArmMetrics {
    this.advance(Infinity);
    return {
      ground_truth: this.#truth.source(this.arm),
      gripper_ground_truth: this.#truth.gripperSource(this.arm),
      executed: {
        position_error_mm: stat(this.#pos.values),
        rotation_error_deg: stat(this.#rot.values),
        gripper_agreement: this.#compared > 0 ? R(this.#agree / this.#compared) : null,
        jerk_rms_m_s3: this.#jerk.rms,
        ground_truth_jerk_rms_m_s3: this.#truthJerk.rms,
        hold_baseline: { position_error_mm: stat(this.#holdPos.values), rotation_error_deg: stat(this.#holdRot.values) },
      },
      horizon: this.#steps.map((r, step) => ({
        step, position_error_mm: stat(r.pos.values), rotation_error_deg: stat(r.rot.values), hold_baseline_position_error_mm: stat(r.hold.values),
      })).filter(Boolean),
    };
  }
}

/** All at once (tests, scripts): the executed targets and chunks of a finished replay. */
export function armMetrics(arm: string, truth: GroundTruth, executed: ExecutedTarget[], chunks: ChunkRecord[], threshold: number): ArmMetrics {
  const acc = new ArmAccumulator(arm, truth, threshold);
  let c = -1;
  for (const e of executed) {
    while (c + 1 < chunks.length && (chunks[c + 1] as ChunkRecord).published <= e.time) c++;
    acc.addExecuted(e, c >= 0 ? (chunks[c] as ChunkRecord).stamp : null);
  }
  for (const ch of chunks) acc.addChunk(ch);
  return acc.finish();
}
