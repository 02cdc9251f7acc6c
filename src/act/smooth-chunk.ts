/**
 * A chunk's poses smoothed by jerk-penalised least squares (the Whittaker-Henderson smoother with
 * third differences): z = argmin |z - y|^2 + lambda |D3 z|^2, i.e. z = (I + lambda D3' D3)^-1 y.
 * A flow policy's chunk carries sampling noise from step to step; differentiated three times at the
 * step rate it becomes jerk an order of magnitude above a demonstrator's. The smoother is a zero-lag
 * low-pass over the chunk's own steps: it needs no future beyond the chunk, moves slow motion
 * (a few steps per cycle) by well under a percent and divides step-to-step noise by 1 + 64 lambda.
 * Rotations are smoothed as rotation vectors relative to the chunk's first step; grippers are left
 * as they are (their steps are commands, not noise).
 */
import { alignHemisphere, quatConjugate, quatExp, quatLog, quatMultiply, quatNormalize, type Transform, type Vec3 } from '../geometry.js';
import type { ArmChunk } from './chunk.js';

const cache = new Map<string, Float64Array>();

/** (I + lambda D3' D3)^-1, n x n row-major, cached per (n, lambda). */
function smootherMatrix(n: number, lambda: number): Float64Array {
  const key = `${n}:${lambda}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // A = I + lambda D3'D3, D3 rows: [-1, 3, -3, 1].
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  const d = [-1, 3, -3, 1];
  for (let r = 0; r + 3 < n; r++) {
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) a[(r + i) * n + r + j] = (a[(r + i) * n + r + j] as number) + lambda * (d[i] as number) * (d[j] as number);
  }
  // Gauss-Jordan inverse (n is a chunk's horizon: tens of steps; A is symmetric positive definite).
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    const p = a[c * n + c] as number;
    for (let j = 0; j < n; j++) { a[c * n + j] = (a[c * n + j] as number) / p; inv[c * n + j] = (inv[c * n + j] as number) / p; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c] as number;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] = (a[r * n + j] as number) - f * (a[c * n + j] as number);
        inv[r * n + j] = (inv[r * n + j] as number) - f * (inv[c * n + j] as number);
      }
    }
  }
  if (cache.size > 64) cache.clear();
  cache.set(key, inv);
  return inv;
}

/** Each column of `rows` (n x 3) smoothed. */
function smoothVecs(rows: Vec3[], lambda: number): Vec3[] {
  const n = rows.length;
  const m = smootherMatrix(n, lambda);
  return rows.map((_, i) => {
    const out: Vec3 = [0, 0, 0];
    for (let j = 0; j < n; j++) {
      const w = m[i * n + j] as number;
      const r = rows[j] as Vec3;
      out[0] += w * r[0]; out[1] += w * r[1]; out[2] += w * r[2];
    }
    return out;
  });
}

/** The chunk with smoothed poses; unchanged for lambda 0 or fewer than four steps. */
export function smoothChunk(c: ArmChunk, lambda: number): ArmChunk {
  if (!(lambda > 0) || c.poses.length < 4) return c;
  const t = smoothVecs(c.poses.map((p) => p.t), lambda);
  const q0 = (c.poses[0] as Transform).q;
  const inv = quatConjugate(q0);
  const r = smoothVecs(c.poses.map((p) => quatLog(quatMultiply(inv, alignHemisphere(p.q, q0)))), lambda);
  const poses: Transform[] = t.map((ti, k) => ({ t: ti, q: alignHemisphere(quatNormalize(quatMultiply(q0, quatExp(r[k] as Vec3))), q0) }));
  return { ...c, poses };
}
