/**
 * One arm's chunk as the act/ modules use it: a timeline of poses and gripper values, step k due at
 * stamp + k * dt. Checked on entry: a chunk with any non-finite value never reaches a target; the
 * quaternions are normalised and kept in one hemisphere from step to step.
 */
import { InputError } from '../errors.js';
import { alignHemisphere, quatNormalize, type Transform } from '../geometry.js';
import { secondsToNs } from '../time.js';

export interface ArmChunk {
  /** Observation time of the snapshot the chunk was predicted from (nanoseconds). */
  stamp: bigint;
  /** Seconds between steps (as the message carries it); steps fall on whole nanoseconds, see stepNs. */
  dt: number;
  poses: Transform[];
  /** One per pose, model units; null for an arm without a gripper. */
  gripper: number[] | null;
}

export function validateChunk(c: ArmChunk, arm: string): ArmChunk {
  const where = `action chunk for arm ${arm}`;
  if (!(c.dt >= 1e-9) || !Number.isFinite(c.dt)) throw new InputError(`${where}: dt ${c.dt} must be a positive number of seconds (at least 1 ns).`);
  if (c.poses.length === 0) throw new InputError(`${where}: no steps.`);
  if (c.gripper !== null && c.gripper.length !== c.poses.length) {
    throw new InputError(`${where}: ${c.poses.length} poses but ${c.gripper.length} gripper values.`);
  }
  const poses: Transform[] = [];
  c.poses.forEach((p, k) => {
    if (![...p.t, ...p.q].every(Number.isFinite)) throw new InputError(`${where}: step ${k} has a non-finite pose (${[...p.t, ...p.q].join(', ')}); the chunk is refused.`);
    if (Math.hypot(...p.q) < 1e-6) throw new InputError(`${where}: step ${k} has a zero quaternion; the chunk is refused.`);
    const q = quatNormalize(p.q);
    const before = poses[k - 1];
    poses.push({ t: p.t, q: before ? alignHemisphere(q, before.q) : q });
  });
  c.gripper?.forEach((g, k) => {
    if (!Number.isFinite(g)) throw new InputError(`${where}: step ${k} has gripper value ${g}; the chunk is refused.`);
  });
  return { ...c, poses };
}

/** The step period in whole nanoseconds: step k is due at stamp + k * stepNs. */
export function stepNs(c: ArmChunk): bigint {
  return secondsToNs(c.dt);
}

/** When step k is due, nanoseconds. */
export function stepTime(c: ArmChunk, k: number): bigint {
  return c.stamp + BigInt(k) * stepNs(c);
}

export function chunkEnd(c: ArmChunk): bigint {
  return stepTime(c, c.poses.length - 1);
}
