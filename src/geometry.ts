/**
 * Rigid transforms and quaternions (x, y, z, w), float64. A Transform maps points from a child
 * frame into its parent frame: p_parent = R(q) p_child + t.
 */
export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export interface Transform {
  t: Vec3;
  q: Quat;
}

export const IDENTITY: Transform = { t: [0, 0, 0], q: [0, 0, 0, 1] };

export function quatMultiply(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

export function quatConjugate(q: Quat): Quat {
  return [-q[0], -q[1], -q[2], q[3]];
}

export function quatNormalize(q: Quat): Quat {
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

export function rotate(q: Quat, v: Vec3): Vec3 {
  const [x, y, z, w] = q;
  // v + 2w (u x v) + 2 u x (u x v), u = (x, y, z)
  const cx = y * v[2] - z * v[1], cy = z * v[0] - x * v[2], cz = x * v[1] - y * v[0];
  const ccx = y * cz - z * cy, ccy = z * cx - x * cz, ccz = x * cy - y * cx;
  return [v[0] + 2 * (w * cx + ccx), v[1] + 2 * (w * cy + ccy), v[2] + 2 * (w * cz + ccz)];
}

/** a then b: (a ∘ b) maps b's child frame into a's parent frame. */
export function compose(a: Transform, b: Transform): Transform {
  const r = rotate(a.q, b.t);
  return { t: [a.t[0] + r[0], a.t[1] + r[1], a.t[2] + r[2]], q: quatNormalize(quatMultiply(a.q, b.q)) };
}

export function invert(a: Transform): Transform {
  const qi = quatConjugate(a.q);
  const t = rotate(qi, a.t);
  return { t: [-t[0], -t[1], -t[2]], q: qi };
}

export function lerp(a: number, b: number, s: number): number {
  return a + (b - a) * s;
}

export function lerpVec(a: Vec3, b: Vec3, s: number): Vec3 {
  return [lerp(a[0], b[0], s), lerp(a[1], b[1], s), lerp(a[2], b[2], s)];
}

/**
 * q or -q, whichever lies in the hemisphere of `ref` (dot >= 0): the same rotation, written so that
 * consecutive quaternions never flip sign. Every stage that emits a sequence of quaternions (decoded
 * chunks, validated chunks, filtered and published targets) passes them through here.
 */
export function alignHemisphere(q: Quat, ref: Quat): Quat {
  return q[0] * ref[0] + q[1] * ref[1] + q[2] * ref[2] + q[3] * ref[3] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q;
}

/** Rotation vector (axis * angle, radians) of a unit quaternion, taken with w >= 0 (angle <= pi). */
export function quatLog(q: Quat): Vec3 {
  const s = q[3] < 0 ? -1 : 1;
  const x = q[0] * s, y = q[1] * s, z = q[2] * s, w = Math.min(1, q[3] * s);
  const n = Math.hypot(x, y, z);
  // angle / sin(angle / 2), with its limit 2 at angle 0.
  const k = n < 1e-9 ? 2 : (2 * Math.atan2(n, w)) / n;
  return [x * k, y * k, z * k];
}

/** The unit quaternion of a rotation vector (w >= 0 for angles up to pi). */
export function quatExp(r: Vec3): Quat {
  const angle = Math.hypot(r[0], r[1], r[2]);
  const k = angle < 1e-9 ? 0.5 : Math.sin(angle / 2) / angle;
  return [r[0] * k, r[1] * k, r[2] * k, Math.cos(angle / 2)];
}

/** Shortest-path spherical interpolation between unit quaternions. */
export function slerp(a: Quat, b: Quat, s: number): Quat {
  let dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  let bb: Quat = b;
  if (dot < 0) {
    dot = -dot;
    bb = [-b[0], -b[1], -b[2], -b[3]];
  }
  if (dot > 0.9995) {
    return quatNormalize([lerp(a[0], bb[0], s), lerp(a[1], bb[1], s), lerp(a[2], bb[2], s), lerp(a[3], bb[3], s)]);
  }
  const theta = Math.acos(Math.min(1, dot));
  const sin = Math.sin(theta);
  const wa = Math.sin((1 - s) * theta) / sin, wb = Math.sin(s * theta) / sin;
  return [wa * a[0] + wb * bb[0], wa * a[1] + wb * bb[1], wa * a[2] + wb * bb[2], wa * a[3] + wb * bb[3]];
}

/** Rotation angle (radians, in [0, pi]) between two unit quaternions. */
export function angleBetween(a: Quat, b: Quat): number {
  const dot = Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]);
  return 2 * Math.acos(Math.min(1, dot));
}

export function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
