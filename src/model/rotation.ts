/**
 * Rotations of the action layouts. rot6d is TwinVLA's: the first two COLUMNS of the rotation matrix,
 * decoded by Gram-Schmidt (third column = cross product). Quaternions are (x, y, z, w), unit norm,
 * with w >= 0 so that the runtime and the Python tools pick the same one of the two signs.
 */
export type Matrix3 = [number, number, number, number, number, number, number, number, number]; // row-major
export type Quaternion = [number, number, number, number]; // x, y, z, w

export function rot6dToMatrix(d: ArrayLike<number>, offset = 0): Matrix3 {
  const a1 = [d[offset] as number, d[offset + 1] as number, d[offset + 2] as number];
  const a2 = [d[offset + 3] as number, d[offset + 4] as number, d[offset + 5] as number];
  const n1 = Math.hypot(a1[0]!, a1[1]!, a1[2]!);
  const b1 = a1.map((v) => v / n1);
  const dot = b1[0]! * a2[0]! + b1[1]! * a2[1]! + b1[2]! * a2[2]!;
  const u2 = a2.map((v, i) => v - dot * b1[i]!);
  const n2 = Math.hypot(u2[0]!, u2[1]!, u2[2]!);
  const b2 = u2.map((v) => v / n2);
  const b3 = [b1[1]! * b2[2]! - b1[2]! * b2[1]!, b1[2]! * b2[0]! - b1[0]! * b2[2]!, b1[0]! * b2[1]! - b1[1]! * b2[0]!];
  // Columns b1, b2, b3.
  return [b1[0]!, b2[0]!, b3[0]!, b1[1]!, b2[1]!, b3[1]!, b1[2]!, b2[2]!, b3[2]!];
}

export function matrixToRot6d(m: Matrix3): [number, number, number, number, number, number] {
  return [m[0], m[3], m[6], m[1], m[4], m[7]];
}

/** Shepperd's method: the branch on the largest diagonal term keeps it accurate near 180 degrees. */
export function matrixToQuaternion(m: Matrix3): Quaternion {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m;
  const tr = m00 + m11 + m22;
  let q: Quaternion;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    q = [(m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s, 0.25 * s];
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = [0.25 * s, (m01 + m10) / s, (m02 + m20) / s, (m21 - m12) / s];
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = [(m01 + m10) / s, 0.25 * s, (m12 + m21) / s, (m02 - m20) / s];
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = [(m02 + m20) / s, (m12 + m21) / s, 0.25 * s, (m10 - m01) / s];
  }
  const n = Math.hypot(...q);
  const sign = q[3] < 0 ? -1 : 1;
  return q.map((v) => (sign * v) / n) as Quaternion;
}

export function quaternionToMatrix(q: ArrayLike<number>, offset = 0): Matrix3 {
  let x = q[offset] as number, y = q[offset + 1] as number, z = q[offset + 2] as number, w = q[offset + 3] as number;
  const n = Math.hypot(x, y, z, w);
  x /= n; y /= n; z /= n; w /= n;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

export function rot6dToQuaternion(d: ArrayLike<number>, offset = 0): Quaternion {
  return matrixToQuaternion(rot6dToMatrix(d, offset));
}

export function quaternionToRot6d(q: ArrayLike<number>, offset = 0): [number, number, number, number, number, number] {
  return matrixToRot6d(quaternionToMatrix(q, offset));
}
