/**
 * Quantile normalisation with a mask, as both reference codebases write it:
 * y = 2 (x - q01) / (q99 - q01 + eps) - 1 on masked dimensions, identity elsewhere (eps from the
 * manifest: 1e-6 in TwinVLA; starVLA un-normalises with none).
 * Arithmetic in float64 and one rounding to float32 at the end, as numpy does it in the tools.
 */
import type { QuantileNormalization } from './manifest.js';

/** x: rows of `dim` values (any number of rows). */
export function normalize(x: ArrayLike<number>, q: QuantileNormalization, out = new Float32Array(x.length)): Float32Array {
  const dim = q.q01.length;
  for (let i = 0; i < x.length; i++) {
    const d = i % dim;
    const v = x[i] as number;
    if (q.mask[d]) {
      const lo = q.q01[d] as number;
      out[i] = (2 * (v - lo)) / ((q.q99[d] as number) - lo + q.eps) - 1;
    } else {
      out[i] = v;
    }
  }
  return out;
}

/** `round` (per dimension, optional) rounds the un-normalised value to the nearest integer, half to
 * even as numpy.round and torch.round do. `binarize` (per dimension, optional): after the clip, below
 * 0.5 -> 0, else 1, before un-normalising, as starVLA's unnormalize_actions treats the gripper. */
export function unnormalize(y: ArrayLike<number>, q: QuantileNormalization, clip: boolean, out = new Float32Array(y.length), round?: readonly boolean[], binarize?: readonly boolean[]): Float32Array {
  const dim = q.q01.length;
  for (let i = 0; i < y.length; i++) {
    const d = i % dim;
    let v = y[i] as number;
    if (clip) v = Math.min(1, Math.max(-1, v));
    if (binarize?.[d]) v = v < 0.5 ? 0 : 1;
    if (q.mask[d]) {
      const lo = q.q01[d] as number;
      out[i] = ((v + 1) / 2) * ((q.q99[d] as number) - lo + q.eps) + lo;
    } else {
      out[i] = v;
    }
    if (round?.[d]) out[i] = roundHalfEven(out[i] as number);
  }
  return out;
}

/** Round half to even, as numpy.round and torch.round do. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
