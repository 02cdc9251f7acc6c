/**
 * The evaluation's numbers, per arm: position (mm) and rotation (degrees) error of the executed
 * targets and of every horizon step, gripper agreement, each beside the same errors of a "hold the
 * current pose" baseline; and how the executed targets move beside the recorded ones (motion.ts). Streaming: each sample is scored as soon as
 * the ground truth at its time has been replayed, and only the scalar errors are kept (float32), so
 * memory grows by a few bytes per sample whatever the bag's length. Deterministic: no wall-clock
 * value enters, and numbers are rounded to fixed precision.
 */
import { angleBetween, distance, lerpVec, type Transform } from '../geometry.js';
import { MAX_TRUTH_GAP, type GroundTruth } from './ground-truth.js';
import { FlipCounter, MotionAccumulator, ratio, type MotionStats } from './motion.js';
import { secondsBetween, secondsToNs } from '../time.js';

export interface Stat { count: number; mean: number | null; median: number | null; p95: number | null }

/** One executed target scored against the ground truth (what ArmAccumulator hands on). */
export interface ScoredSample {
  /** Nanoseconds on the replay's clock. */
  time: bigint;
  pose: Transform;
  truth: Transform;
  positionMm: number;
  rotationDeg: number;
  holdMm: number | null;
  holdDeg: number | null;
  gripper: number | null;
  truthGripper: number | null;
}

/** time: nanoseconds. */
export interface ExecutedTarget { time: bigint; pose: Transform; gripper: number | null }

export interface ChunkRecord {
  /** Simulated publication time and observation stamp, nanoseconds. */
  published: bigint;
  stamp: bigint;
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

/**
 * A growable float32 sample store: 4 bytes a sample, in blocks that are never copied or outgrown.
 * An hour's eval scores millions of samples (P5); a doubling array would hold up to twice their
 * size, and briefly three times while it grows, so memory would climb in steps with the replay's length.
 */
export class Samples {
  static readonly #FIRST = 1024;
  static readonly #LARGEST = 65536;
  readonly #full: Float32Array[] = [];
  #block = new Float32Array(Samples.#FIRST);
  #n = 0;
  #total = 0;
  push(v: number): void {
    if (this.#n === this.#block.length) {
      this.#full.push(this.#block);
      this.#block = new Float32Array(Math.min(this.#block.length * 2, Samples.#LARGEST));
      this.#n = 0;
    }
    this.#block[this.#n++] = v;
    this.#total++;
  }
  get length(): number { return this.#total; }
  /** Every sample in order: a view while they fit one block, else a copy (read once, at the end). */
  get values(): Float32Array {
    const last = this.#block.subarray(0, this.#n);
    if (this.#full.length === 0) return last;
    const out = new Float32Array(this.#total);
    let at = 0;
    for (const b of [...this.#full, last]) { out.set(b, at); at += b.length; }
    return out;
  }
}

/** Keeps at most `cap` points, evenly thinned (the stride doubles when full): for the report's plots. */
export class Decimator<T> {
  readonly points: T[] = [];
  #stride = 1;
  #seen = 0;
  constructor(readonly cap = 3000) {}
  /** Whether the next push is kept (for now): a caller can skip making a point that would be dropped. */
  wants(): boolean {
    return this.#seen % this.#stride === 0;
  }
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
    motion: MotionComparison;
    hold_baseline: { position_error_mm: Stat; rotation_error_deg: Stat };
  };
  horizon: { step: number; position_error_mm: Stat; rotation_error_deg: Stat; hold_baseline_position_error_mm: Stat }[];
  /**
   * The executor's safety filter's interventions by kind over the run (each a tick whose target was
   * changed or refused; src/act/safety.ts), every kind listed; absent in runs written before it.
   */
  safety_interventions?: Record<string, number>;
}

/** The executed and the recorded targets, both sampled at the recorded stamps while targets were executed. */
export interface MotionComparison {
  sampled_at: 'recorded_stamps';
  executed: MotionStats & { quaternion_sign_flips: number };
  recorded: MotionStats & { quaternion_sign_flips: number };
  /** executed / recorded. */
  ratio: { jerk_rms: number | null; acceleration_rms: number | null; peak_speed: number | null; max_step: number | null };
}

/** Executed targets further apart than this (no target published: no chunk, refused) break the comparison. */
const MAX_TICK_GAP_NS = secondsToNs(0.1);
const MAX_TRUTH_GAP_NS = secondsToNs(MAX_TRUTH_GAP);


/** When step k of a chunk is due (as the executors' timeline has it: whole-nanosecond steps). */
function chunkStepTime(c: ChunkRecord, k: number): bigint {
  return c.stamp + BigInt(k) * secondsToNs(c.dt);
}

/** One arm's scored errors of one run, 4 bytes a sample (see ArmAccumulator.raw). */
export interface RawArmErrors {
  position_mm: Float32Array;
  rotation_deg: Float32Array;
  hold_position_mm: Float32Array;
  hold_rotation_deg: Float32Array;
  gripper_agree: number;
  gripper_compared: number;
}

/** Distance between two poses' positions, millimetres. */
export const mm = (a: Transform, b: Transform): number => distance(a.t, b.t) * 1e3;
const deg = (a: Transform, b: Transform): number => (angleBetween(a.q, b.q) * 180) / Math.PI;

/** Ground truth at t is known once the replay has passed t by this much (the next sample exists). */
const TRUTH_MARGIN_NS = secondsToNs(0.25);

export class ArmAccumulator {
  readonly arm: string;
  readonly #truth: GroundTruth;
  readonly #threshold: number;
  readonly #pendingExecuted: { target: ExecutedTarget; holdStamp: bigint | null }[] = [];
  readonly #pendingChunks: ChunkRecord[] = [];
  readonly #pos = new Samples();
  readonly #rot = new Samples();
  readonly #holdPos = new Samples();
  readonly #holdRot = new Samples();
  readonly #steps: { pos: Samples; rot: Samples; hold: Samples }[] = [];
  readonly #motion = { executed: new MotionAccumulator(), recorded: new MotionAccumulator() };
  /** Sign flips of the published stream (every tick) and of the recorded targets compared. */
  readonly #flips = { executed: new FlipCounter(), recorded: new FlipCounter() };
  #prevScored: ExecutedTarget | null = null;
  #lastRecorded: bigint | null = null;
  /** Each executed target as it is scored (the per-episode breakdown listens here). */
  onScored: ((s: ScoredSample) => void) | null = null;
  #agree = 0;
  #compared = 0;
  #origin: bigint | null = null;

  constructor(arm: string, truth: GroundTruth, threshold: number) {
    this.arm = arm;
    this.#truth = truth;
    this.#threshold = threshold;
  }

  /** `holdStamp`: the observation stamp of the chunk being executed (the hold baseline's pose time). */
  addExecuted(target: ExecutedTarget, holdStamp: bigint | null): void {
    this.#origin ??= target.time;
    this.#flips.executed.push(target.pose.q);
    this.#pendingExecuted.push({ target, holdStamp });
  }

  addChunk(chunk: ChunkRecord): void {
    if (chunk.arms.get(this.arm)?.poses.length) this.#pendingChunks.push(chunk);
  }

  /** Scores what the replay up to `now` (nanoseconds; 'end' when it is over) can score. */
  advance(now: bigint | 'end'): void {
    const ready = (t: bigint): boolean => now === 'end' || t <= now - TRUTH_MARGIN_NS;
    while (this.#pendingExecuted.length > 0 && ready((this.#pendingExecuted[0] as { target: ExecutedTarget }).target.time)) {
      const { target, holdStamp } = this.#pendingExecuted.shift() as { target: ExecutedTarget; holdStamp: bigint | null };
      this.#scoreExecuted(target, holdStamp);
    }
    while (this.#pendingChunks.length > 0) {
      const c = this.#pendingChunks[0] as ChunkRecord;
      const n = c.arms.get(this.arm)?.poses.length ?? 0;
      if (!ready(chunkStepTime(c, n - 1))) break;
      this.#scoreChunk(this.#pendingChunks.shift() as ChunkRecord);
    }
  }

  #scoreExecuted(e: ExecutedTarget, holdStamp: bigint | null): void {
    const gt = this.#truth.pose(this.arm, e.time);
    const hold = holdStamp === null ? null : this.#truth.measured(this.arm, holdStamp);
    this.#sampleAtRecorded(e);
    if (!gt) return;
    const positionMm = mm(e.pose, gt), rotationDeg = deg(e.pose, gt);
    this.#pos.push(positionMm);
    this.#rot.push(rotationDeg);
    const holdMm = hold ? mm(hold, gt) : null, holdDeg = hold ? deg(hold, gt) : null;
    if (holdMm !== null && holdDeg !== null) { this.#holdPos.push(holdMm); this.#holdRot.push(holdDeg); }
    const g = this.#truth.gripper(this.arm, e.time);
    if (g !== null && e.gripper !== null) { this.#compared++; if (g > this.#threshold === e.gripper > this.#threshold) this.#agree++; }
    this.onScored?.({ time: e.time, pose: e.pose, truth: gt, positionMm, rotationDeg, holdMm, holdDeg, gripper: e.gripper, truthGripper: g });
  }

  /** The executed trajectory (linear between ticks) at each recorded stamp since the previous tick. */
  #sampleAtRecorded(e: ExecutedTarget): void {
    const prev = this.#prevScored;
    this.#prevScored = e;
    const m = this.#motion;
    if (!prev || e.time - prev.time > MAX_TICK_GAP_NS) {
      m.executed.break();
      m.recorded.break();
      return;
    }
    for (const r of this.#truth.recordedTargets(this.arm, prev.time, e.time)) {
      if (this.#lastRecorded === null || r.time - this.#lastRecorded > MAX_TRUTH_GAP_NS) { m.executed.break(); m.recorded.break(); }
      this.#lastRecorded = r.time;
      const s = e.time > prev.time ? Number(r.time - prev.time) / Number(e.time - prev.time) : 1;
      // Seconds since the arm's first target: small numbers, so the derivatives keep their precision.
      const at = secondsBetween(r.time, this.#origin ?? r.time);
      m.executed.push(at, { t: lerpVec(prev.pose.t, e.pose.t, s), q: e.pose.q });
      m.recorded.push(at, r.pose);
      this.#flips.recorded.push(r.pose.q);
    }
  }

  #motionComparison(): MotionComparison {
    const executed = this.#motion.executed.stats, recorded = this.#motion.recorded.stats;
    return {
      sampled_at: 'recorded_stamps',
      executed: { ...executed, quaternion_sign_flips: this.#flips.executed.flips },
      recorded: { ...recorded, quaternion_sign_flips: this.#flips.recorded.flips },
      ratio: {
        jerk_rms: ratio(executed.jerk_rms_m_s3, recorded.jerk_rms_m_s3),
        acceleration_rms: ratio(executed.acceleration_rms_m_s2, recorded.acceleration_rms_m_s2),
        peak_speed: ratio(executed.peak_speed_m_s, recorded.peak_speed_m_s),
        max_step: ratio(executed.max_step_mm, recorded.max_step_mm),
      },
    };
  }

  #scoreChunk(c: ChunkRecord): void {
    const a = c.arms.get(this.arm);
    if (!a) return;
    const hold = this.#truth.measured(this.arm, c.stamp);
    a.poses.forEach((p, k) => {
      const gt = this.#truth.pose(this.arm, chunkStepTime(c, k));
      if (!gt) return;
      const row = this.#steps[k] ?? (this.#steps[k] = { pos: new Samples(), rot: new Samples(), hold: new Samples() });
      row.pos.push(mm(p, gt));
      row.rot.push(deg(p, gt));
      if (hold) row.hold.push(mm(hold, gt));
    });
  }

  /** The scored errors themselves (call after finish), so that several bags' errors combine exactly. */
  raw(): RawArmErrors {
    return {
      position_mm: this.#pos.values.slice(), rotation_deg: this.#rot.values.slice(),
      hold_position_mm: this.#holdPos.values.slice(), hold_rotation_deg: this.#holdRot.values.slice(),
      gripper_agree: this.#agree, gripper_compared: this.#compared,
    };
  }

  finish(): ArmMetrics {
    this.advance('end');
    return {
      ground_truth: this.#truth.source(this.arm),
      gripper_ground_truth: this.#truth.gripperSource(this.arm),
      executed: {
        position_error_mm: stat(this.#pos.values),
        rotation_error_deg: stat(this.#rot.values),
        gripper_agreement: this.#compared > 0 ? R(this.#agree / this.#compared) : null,
        motion: this.#motionComparison(),
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
