/**
 * The rotation layouts a model's actions and state may use, each with its codec: how many values it
 * takes, how a unit quaternion becomes those values (state) and how they become a unit quaternion
 * again (actions). The factory is exhaustive: a layout added to ROTATIONS without a codec here does
 * not compile (test/model/rotation-codec.test.ts shows it).
 */
import { ModelError } from '../errors.js';
import { quaternionToRot6d, rot6dToQuaternion, type Quaternion } from './rotation.js';

export const ROTATIONS = ['rot6d', 'quaternion'] as const;
export type RotationRepresentation = (typeof ROTATIONS)[number];

export interface RotationCodec {
  readonly name: RotationRepresentation;
  /** Values per rotation in the layout. */
  readonly dim: number;
  /** A quaternion (x, y, z, w) -> the layout's values. */
  encode(q: readonly number[]): number[];
  /** The layout's values at `offset` -> a unit quaternion (x, y, z, w) with w >= 0. */
  decode(values: ArrayLike<number>, offset: number): Quaternion;
}

/** TwinVLA's: the first two columns of the rotation matrix (rotation.ts). */
const ROT6D: RotationCodec = {
  name: 'rot6d',
  dim: 6,
  encode: (q) => quaternionToRot6d(q),
  decode: (values, offset) => rot6dToQuaternion(values, offset),
};

/** (x, y, z, w) as is; the sign with w >= 0, so that both ends pick the same of the two. */
const QUATERNION: RotationCodec = {
  name: 'quaternion',
  dim: 4,
  encode: (q) => (q[3]! < 0 ? q.map((v) => -v) : [...q]),
  decode: (values, offset) => {
    const q: Quaternion = [values[offset]!, values[offset + 1]!, values[offset + 2]!, values[offset + 3]!];
    const s = (q[3] < 0 ? -1 : 1) / Math.hypot(...q);
    return [q[0] * s, q[1] * s, q[2] * s, q[3] * s];
  },
};

export function rotationCodec(rotation: RotationRepresentation): RotationCodec {
  switch (rotation) {
    case 'rot6d': return ROT6D;
    case 'quaternion': return QUATERNION;
    default: {
      const unknown: never = rotation;
      throw new ModelError('MODEL_MANIFEST', `rotation representation ${JSON.stringify(unknown)} has no codec; expected one of ${ROTATIONS.join(', ')}.`);
    }
  }
}
