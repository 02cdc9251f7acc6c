/**
 * The trajectory between a chunk's steps. Linear interpolation (lerp, slerp) has a velocity jump at
 * every step, which a controller sees as an acceleration spike each dt; the smooth schemes pass
 * through the same steps without it:
 *  - cubic: Catmull-Rom (cubic Hermite, tangents from the neighbouring steps): continuous velocity;
 *  - minimum_jerk: on each segment the quintic that minimises the integral of squared jerk given
 *    position, velocity and acceleration at both ends (Flash and Hogan), with velocity and
 *    acceleration estimated from the neighbouring steps: continuous acceleration.
 * Rotations use the same scheme on rotation vectors in the tangent space of the segment's first step,
 * so that each step is still met exactly and linear reduces to slerp.
 */
import { InputError } from '../errors.js';
import { alignHemisphere, lerpVec, quatConjugate, quatExp, quatLog, quatMultiply, quatNormalize, slerp, type Quat, type Transform, type Vec3 } from '../geometry.js';

export type Interpolation = (typeof INTERPOLATIONS)[number];

export const INTERPOLATIONS = ['linear', 'cubic', 'minimum_jerk'] as const;

export function parseInterpolation(kind: string, where: string): Interpolation {
  const known = INTERPOLATIONS.find((i) => i === kind);
  if (known !== undefined) return known;
  throw new InputError(`${where}: unknown interpolation ${JSON.stringify(kind)}; expected ${INTERPOLATIONS.join(', ')}.`);
}

/**
 * One coordinate on the segment from knot 1 to knot 2 of four consecutive knots (a, b, c, d), at
 * s in [0, 1], derivatives in step units. Exact at s = 0 (b) and s = 1 (c).
 */
function segment(a: number, b: number, c: number, d: number, s: number, scheme: 'cubic' | 'minimum_jerk'): number {
  const v0 = (c - a) / 2, v1 = (d - b) / 2;
  const s2 = s * s, s3 = s2 * s;
  if (scheme === 'cubic') {
    return (2 * s3 - 3 * s2 + 1) * b + (s3 - 2 * s2 + s) * v0 + (-2 * s3 + 3 * s2) * c + (s3 - s2) * v1;
  }
  const a0 = a - 2 * b + c, a1 = b - 2 * c + d;
  const s4 = s3 * s, s5 = s4 * s;
  return (1 - 10 * s3 + 15 * s4 - 6 * s5) * b + (s - 6 * s3 + 8 * s4 - 3 * s5) * v0 + ((s2 - 3 * s3 + 3 * s4 - s5) / 2) * a0
    + ((s3 - 2 * s4 + s5) / 2) * a1 + (-4 * s3 + 7 * s4 - 3 * s5) * v1 + (10 * s3 - 15 * s4 + 6 * s5) * c;
}

function segmentVec(a: Vec3, b: Vec3, c: Vec3, d: Vec3, s: number, scheme: 'cubic' | 'minimum_jerk'): Vec3 {
  return [0, 1, 2].map((i) => segment(a[i] as number, b[i] as number, c[i] as number, d[i] as number, s, scheme)) as Vec3;
}

const extrapolate = (a: Vec3, b: Vec3): Vec3 => [2 * a[0] - b[0], 2 * a[1] - b[1], 2 * a[2] - b[2]];
const neg = (a: Vec3): Vec3 => [-a[0], -a[1], -a[2]];

/**
 * The pose at fractional step x (clamped to [0, n-1]) of a sequence of poses. Beyond either end the
 * missing neighbour is extrapolated linearly (constant velocity, zero acceleration at the ends).
 */
export function interpolatePoses(poses: readonly Transform[], x: number, scheme: Interpolation): Transform {
  const last = poses.length - 1;
  const xc = Math.min(Math.max(x, 0), last);
  const k = Math.min(Math.floor(xc), last);
  const s = xc - k;
  const b = poses[k] as Transform;
  if (s === 0 || k === last) return b;
  const c = poses[k + 1] as Transform;
  if (scheme === 'linear') return { t: lerpVec(b.t, c.t, s), q: slerp(b.q, c.q, s) };
  const a = k > 0 ? (poses[k - 1] as Transform) : null;
  const d = k + 2 <= last ? (poses[k + 2] as Transform) : null;
  const t = segmentVec(a ? a.t : extrapolate(b.t, c.t), b.t, c.t, d ? d.t : extrapolate(c.t, b.t), s, scheme);
  // Rotation vectors of the neighbours relative to b.
  const inv = quatConjugate(b.q);
  const rel = (q: Quat): Vec3 => quatLog(quatMultiply(inv, alignHemisphere(q, b.q)));
  const rc = rel(c.q);
  const ra = a ? rel(a.q) : neg(rc);
  const rd = d ? rel(d.q) : extrapolate(rc, [0, 0, 0]);
  const r = segmentVec(ra, [0, 0, 0], rc, rd, s, scheme);
  return { t, q: alignHemisphere(quatNormalize(quatMultiply(b.q, quatExp(r))), b.q) };
}
