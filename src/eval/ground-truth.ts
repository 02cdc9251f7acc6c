/**
 * What the robot actually did, from the bag: per arm, the recorded end-effector targets when the
 * bag has them, else the measured end-effector pose from TF; the recorded gripper commands, else the
 * gripper joint. Fed with every message of the replay, then asked at any time.
 */
import { lerpVec, slerp, type Quat, type Transform, type Vec3 } from '../geometry.js';
import type { Float64, JointState, PoseStamped, TFMessage } from '../messages.js';
import { gripperToModel, type GripperMapping } from '../gripper.js';
import { TfBuffer } from '../observe/tf-buffer.js';
import { secondsToNs, stampToNs } from '../time.js';

/** time: nanoseconds. */
interface Timed<T> { time: bigint; value: T }

export interface ArmTruthConfig {
  name: string;
  baseFrame: string;
  eeFrame: string;
  targetTopic: string;
  gripperTopic: string;
  gripper: GripperMapping;
}

/**
 * Recorded samples further apart than this bound a pause in the recording (a scene reset between
 * episodes): there is no ground truth inside it.
 */
export const MAX_TRUTH_GAP = 0.25;
const MAX_TRUTH_GAP_NS = secondsToNs(MAX_TRUTH_GAP);

function bracket<T>(series: Timed<T>[], t: bigint): [Timed<T>, Timed<T>, number] | null {
  if (series.length === 0 || t < (series[0] as Timed<T>).time || t > (series[series.length - 1] as Timed<T>).time) return null;
  let lo = 0, hi = series.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((series[mid] as Timed<T>).time <= t) lo = mid; else hi = mid;
  }
  const a = series[lo] as Timed<T>, b = series[hi] as Timed<T>;
  if (b.time - a.time > MAX_TRUTH_GAP_NS) return null;
  return [a, b, b.time > a.time ? Number(t - a.time) / Number(b.time - a.time) : 0];
}

export class GroundTruth {
  readonly tf: TfBuffer;
  readonly #arms: ArmTruthConfig[];
  readonly #hasTargets = new Set<string>();
  readonly #hasGrippers = new Set<string>();
  readonly #targets = new Map<string, Timed<Transform>[]>();
  readonly #grippers = new Map<string, Timed<number>[]>();
  readonly #jointGrippers = new Map<string, Timed<number>[]>();
  /** Recorded samples left out of the ground truth for a value that is not a number (NaN, Inf, a
   * zero quaternion), per topic: scored against, they would turn every figure into NaN. */
  readonly unusable = new Map<string, number>();

  /** `historySeconds`: how far back the ground truth is kept (the evaluation prunes as it goes). */
  constructor(arms: ArmTruthConfig[], { historySeconds = Infinity }: { historySeconds?: number } = {}) {
    this.#arms = arms;
    this.tf = new TfBuffer({ cacheSeconds: historySeconds });
    for (const a of arms) { this.#targets.set(a.name, []); this.#grippers.set(a.name, []); this.#jointGrippers.set(a.name, []); }
  }

  /** Every replayed message passes here. Malformed ones are skipped (the nodes report them). */
  observe(topic: string, type: string, time: bigint, msg: unknown): void {
    try {
      if (type === 'tf2_msgs/msg/TFMessage') this.tf.add(msg as TFMessage, topic === '/tf_static', topic);
      for (const a of this.#arms) {
        if (topic === a.targetTopic && type === 'geometry_msgs/msg/PoseStamped') {
          const { pose, header } = msg as PoseStamped;
          const t: Vec3 = [pose.position.x, pose.position.y, pose.position.z];
          const q: Quat = [pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w];
          if (![...t, ...q].every(Number.isFinite) || Math.hypot(...q) < 1e-6) { this.#unusable(topic); continue; }
          this.#targets.get(a.name)?.push({ time: stampToNs(header.stamp), value: { t, q } });
          if ((this.#targets.get(a.name)?.length ?? 0) > 1) this.#hasTargets.add(a.name);
        }
        if (topic === a.gripperTopic && type === 'std_msgs/msg/Float64') {
          const value = (msg as Float64).data;
          if (!Number.isFinite(value)) { this.#unusable(topic); continue; }
          this.#grippers.get(a.name)?.push({ time, value });
          if ((this.#grippers.get(a.name)?.length ?? 0) > 1) this.#hasGrippers.add(a.name);
        }
        if (type === 'sensor_msgs/msg/JointState') {
          const js = msg as JointState;
          const i = js.name.indexOf(a.gripper.joint);
          const value = i >= 0 ? gripperToModel(js.position[i] as number, a.gripper) : null;
          if (value !== null && !Number.isFinite(value)) this.#unusable(`${topic} (joint ${a.gripper.joint})`);
          else if (value !== null) this.#jointGrippers.get(a.name)?.push({ time: stampToNs(js.header.stamp), value });
        }
      }
    } catch {
      // Bad input is the nodes' to report; the ground truth just lacks that sample.
    }
  }

  #unusable(topic: string): void {
    this.unusable.set(topic, (this.unusable.get(topic) ?? 0) + 1);
  }

  source(arm: string): 'recorded_targets' | 'tf' {
    return this.#hasTargets.has(arm) ? 'recorded_targets' : 'tf';
  }

  gripperSource(arm: string): 'recorded_commands' | 'joint' {
    return this.#hasGrippers.has(arm) ? 'recorded_commands' : 'joint';
  }

  /** Forgets samples older than `before`, keeping one so that times just after it still interpolate. */
  prune(before: bigint): void {
    for (const series of [...this.#targets.values(), ...this.#grippers.values(), ...this.#jointGrippers.values()] as Timed<unknown>[][]) {
      let drop = 0;
      while (drop + 1 < series.length && (series[drop + 1] as Timed<unknown>).time < before) drop++;
      if (drop > 0) series.splice(0, drop);
    }
  }

  /** The recorded targets with after < time <= upTo, in time order (none for TF ground truth). */
  recordedTargets(arm: string, after: bigint, upTo: bigint): { time: bigint; pose: Transform }[] {
    if (this.source(arm) !== 'recorded_targets') return [];
    const series = this.#targets.get(arm) ?? [];
    let lo = 0, hi = series.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((series[mid] as Timed<Transform>).time <= after) lo = mid + 1; else hi = mid;
    }
    const out: { time: bigint; pose: Transform }[] = [];
    for (let i = lo; i < series.length && (series[i] as Timed<Transform>).time <= upTo; i++) {
      const x = series[i] as Timed<Transform>;
      out.push({ time: x.time, pose: x.value });
    }
    return out;
  }

  /** The measured end-effector pose from TF at `t`, or null. */
  measured(arm: string, t: bigint): Transform | null {
    const a = this.#arms.find((x) => x.name === arm);
    if (!a) return null;
    try {
      return this.tf.lookup(a.baseFrame, a.eeFrame, t).transform;
    } catch {
      return null;
    }
  }

  /** What the arm should have been commanded at `t`, or null outside the recording. */
  pose(arm: string, t: bigint): Transform | null {
    if (this.source(arm) === 'tf') return this.measured(arm, t);
    const b = bracket(this.#targets.get(arm) ?? [], t);
    if (!b) return null;
    const [x, y, s] = b;
    return { t: lerpVec(x.value.t, y.value.t, s), q: slerp(x.value.q, y.value.q, s) };
  }

  gripper(arm: string, t: bigint): number | null {
    const series = this.gripperSource(arm) === 'recorded_commands' ? this.#grippers.get(arm) : this.#jointGrippers.get(arm);
    const b = bracket(series ?? [], t);
    if (!b) return null;
    return b[0].value + (b[1].value - b[0].value) * b[2];
  }
}
