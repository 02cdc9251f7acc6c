"""The executor's interpolation between chunk steps, written from its definition (not from src/act/spline.ts):

- linear: lerp and slerp;
- cubic: Catmull-Rom, i.e. cubic Hermite with tangents (c - a) / 2 and (d - b) / 2;
- minimum_jerk: the quintic Hermite through b and c whose velocities are the Catmull-Rom tangents and
  whose accelerations are the second differences a - 2b + c and b - 2c + d.
Missing neighbours at the chunk's ends are extrapolated at constant velocity. Rotations are interpolated
the same way on rotation vectors relative to step k (so each step is met exactly).
"""

import math

import numpy as np


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz])


def quat_conj(q: np.ndarray) -> np.ndarray:
    return np.array([-q[0], -q[1], -q[2], q[3]])


def rotvec(q: np.ndarray) -> np.ndarray:
    """Axis * angle of a unit quaternion, angle in [0, pi]."""
    if q[3] < 0:
        q = -q
    n = float(np.linalg.norm(q[:3]))
    if n < 1e-9:
        return q[:3] * 2.0
    return q[:3] * (2.0 * math.atan2(n, min(1.0, float(q[3]))) / n)


def from_rotvec(r: np.ndarray) -> np.ndarray:
    angle = float(np.linalg.norm(r))
    k = 0.5 if angle < 1e-9 else math.sin(angle / 2) / angle
    return np.array([r[0] * k, r[1] * k, r[2] * k, math.cos(angle / 2)])


def hermite(a, b, c, d, s: float, scheme: str):
    v0, v1 = (c - a) / 2, (d - b) / 2
    if scheme == "cubic":
        h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
        return h00 * b + h10 * v0 + h01 * c + h11 * v1
    acc0, acc1 = a - 2 * b + c, b - 2 * c + d
    # Quintic Hermite basis (position, velocity, acceleration at s = 0 and s = 1).
    p0 = 1 - 10 * s**3 + 15 * s**4 - 6 * s**5
    p1 = 10 * s**3 - 15 * s**4 + 6 * s**5
    d0 = s - 6 * s**3 + 8 * s**4 - 3 * s**5
    d1 = -4 * s**3 + 7 * s**4 - 3 * s**5
    q0 = 0.5 * (s**2 - 3 * s**3 + 3 * s**4 - s**5)
    q1 = 0.5 * (s**3 - 2 * s**4 + s**5)
    return p0 * b + p1 * c + d0 * v0 + d1 * v1 + q0 * acc0 + q1 * acc1


def interpolate(positions: np.ndarray, quaternions: np.ndarray, x: float, scheme: str, slerp):
    last = len(positions) - 1
    x = min(max(x, 0.0), float(last))
    k = min(math.floor(x), last)
    s = x - k
    if s == 0 or k == last:
        return positions[k], quaternions[k]
    if scheme == "linear":
        return positions[k] + (positions[k + 1] - positions[k]) * s, slerp(quaternions[k], quaternions[k + 1], s)
    pb, pc = positions[k], positions[k + 1]
    pa = positions[k - 1] if k > 0 else 2 * pb - pc
    pd = positions[k + 2] if k + 2 <= last else 2 * pc - pb
    qb = quaternions[k]
    inv = quat_conj(qb)

    def rel(q):
        return rotvec(quat_mul(inv, q if float(q @ qb) >= 0 else -q))

    rc = rel(quaternions[k + 1])
    ra = rel(quaternions[k - 1]) if k > 0 else -rc
    rd = rel(quaternions[k + 2]) if k + 2 <= last else 2 * rc
    r = hermite(ra, np.zeros(3), rc, rd, s, scheme)
    q = quat_mul(qb, from_rotvec(r))
    q = q / np.linalg.norm(q)
    return hermite(pa, pb, pc, pd, s, scheme), (q if float(q @ qb) >= 0 else -q)
