/**
 * Each arm's measured end-effector pose in its base frame: from TF (base <- end-effector, chained and
 * interpolated by the buffer) or from a geometry_msgs/PoseStamped topic already in the base frame.
 */
import { InputError } from '../errors.js';
import { quatNormalize, type Quat, type Transform, type Vec3 } from '../geometry.js';
import type { PoseStamped } from '../messages.js';
import { stampToNs } from '../time.js';
import type { TfBuffer } from './tf-buffer.js';

export type PoseSource =
  | { kind: 'tf'; baseFrame: string; eeFrame: string }
  | { kind: 'topic'; topic: string; baseFrame: string };

export interface StampedPose {
  pose: Transform;
  /** Nanoseconds; null when the pose comes from static transforms alone (valid at every time). */
  stamp: bigint | null;
}

export class EndEffectorTracker {
  readonly arm: string;
  readonly source: PoseSource;
  #last: StampedPose | null = null;

  constructor(arm: string, source: PoseSource) {
    this.arm = arm;
    this.source = source;
  }

  /** The input's name in messages and diagnostics. */
  get inputName(): string {
    const s = this.source;
    return s.kind === 'tf' ? `${this.arm} end-effector (TF ${s.baseFrame} <- ${s.eeFrame})` : `${this.arm} end-effector (${s.topic})`;
  }

  onPose(msg: PoseStamped): void {
    if (this.source.kind !== 'topic') return;
    const frame = msg.header.frame_id.replace(/^\//, '');
    if (frame !== '' && frame !== this.source.baseFrame) {
      throw new InputError(`${this.inputName}: pose is in frame ${frame}, expected ${this.source.baseFrame}; publish it in the arm's base frame or set the base frame parameter.`);
    }
    const { position: p, orientation: o } = msg.pose;
    const t: Vec3 = [p.x, p.y, p.z];
    const q: Quat = [o.x, o.y, o.z, o.w];
    if (![...t, ...q].every(Number.isFinite) || Math.hypot(...q) < 1e-6) {
      throw new InputError(`${this.inputName}: pose has a non-finite value or a zero quaternion; the message is ignored.`);
    }
    this.#last = { pose: { t, q: quatNormalize(q) }, stamp: stampToNs(msg.header.stamp) };
  }

  /** The latest pose, or null when none has arrived (topic mode). TF errors propagate with their reason. */
  read(tf: TfBuffer): StampedPose | null {
    if (this.source.kind === 'topic') return this.#last;
    const { transform, stamp } = tf.lookup(this.source.baseFrame, this.source.eeFrame, 'latest');
    return { pose: transform, stamp };
  }
}
