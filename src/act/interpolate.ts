/** A chunk's trajectory at any time inside it: poses by the chosen interpolation (spline.ts), gripper held or lerped. */
import { InternalError } from '../errors.js';
import { lerp, lerpVec, slerp } from '../geometry.js';
import type { Transform } from '../geometry.js';
import { chunkEnd, stepNs, type ArmChunk } from './chunk.js';
import { interpolatePoses, type Interpolation } from './spline.js';

export type GripperInterpolation = 'hold' | 'lerp';

export interface ArmTarget {
  pose: Transform;
  /** null for an arm without a gripper. */
  gripper: number | null;
}

export function covers(c: ArmChunk, t: bigint): boolean {
  return t >= c.stamp && t <= chunkEnd(c);
}

export function sampleChunk(c: ArmChunk, t: bigint, gripper: GripperInterpolation, interpolation: Interpolation = 'linear'): ArmTarget {
  const last = c.poses.length - 1;
  // The offset into the chunk is exact (integer nanoseconds); only the step fraction is a float.
  const x = Math.min(Math.max(Number(t - c.stamp) / Number(stepNs(c)), 0), last);
  const k = Math.min(Math.floor(x), last);
  const s = x - k;
  const pose = interpolatePoses(c.poses, x, interpolation);
  let g: number | null = null;
  if (c.gripper !== null) {
    const ga = c.gripper[k] as number, gb = c.gripper[Math.min(k + 1, last)] as number;
    g = gripper === 'lerp' ? lerp(ga, gb, s) : ga;
  }
  return { pose, gripper: g };
}

/** Weighted combination: positions and grippers averaged, rotations by incremental slerp. */
export function blendTargets(items: { target: ArmTarget; weight: number }[]): ArmTarget {
  let total = 0;
  let acc: ArmTarget | null = null;
  for (const { target, weight } of items) {
    if (weight <= 0) continue;
    total += weight;
    if (acc === null) {
      acc = { pose: { t: [...target.pose.t], q: [...target.pose.q] }, gripper: target.gripper };
      continue;
    }
    const s = weight / total;
    acc = {
      pose: { t: lerpVec(acc.pose.t, target.pose.t, s), q: slerp(acc.pose.q, target.pose.q, s) },
      gripper: acc.gripper === null || target.gripper === null ? acc.gripper : lerp(acc.gripper, target.gripper, s),
    };
  }
  if (acc === null) throw new InternalError('blendTargets: no target with a positive weight');
  return acc;
}
