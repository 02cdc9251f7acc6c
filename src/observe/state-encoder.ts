/** Measured poses and grippers -> the model's raw state vector, in the manifest's per-arm layout. */
import { InputError } from '../errors.js';
import type { Transform } from '../geometry.js';
import { armDim, type ArmLayout } from '../model/manifest.js';
import { rotationCodec } from '../model/rotation-codec.js';

export interface ArmState {
  pose: Transform;
  /** Model units; null for an arm without a gripper. */
  gripper: number | null;
}

export function encodeState(arms: readonly string[], layout: ArmLayout, states: ReadonlyMap<string, ArmState>): Float32Array {
  const per = armDim(layout);
  const rotation = rotationCodec(layout.rotation);
  const out = new Float32Array(arms.length * per);
  arms.forEach((name, a) => {
    const s = states.get(name);
    if (!s) throw new InputError(`state: no measured state for arm ${name}.`);
    const o = a * per;
    out.set(s.pose.t, o);
    out.set(rotation.encode(s.pose.q), o + 3);
    if (layout.gripper) {
      if (s.gripper === null) throw new InputError(`state: the model needs a gripper value for arm ${name}, and none is configured.`);
      out[o + per - 1] = s.gripper;
    }
  });
  return out;
}
