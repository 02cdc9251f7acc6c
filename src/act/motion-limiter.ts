/**
 * An acceleration (and optionally jerk) limit on one arm's target positions that shapes the stream
 * rather than clipping it. Clipping each tick's acceleration does not work: a clipped target falls
 * behind, the next tick asks for more, and the stream overshoots and rings (a saturated deadbeat
 * loop). Instead the published target is the state of a double integrator (position, velocity)
 * that follows the requested targets:
 *  - in error coordinates (published minus requested, in position and velocity), with the requested
 *    stream's own acceleration fed forward, so that a stream within the limits is passed through
 *    exactly (no lag, no filtering);
 *  - when the limit binds, the correction is Han's discrete time-optimal feedback ("fhan", the
 *    tracking differentiator of active disturbance rejection control): it brakes in time, so that
 *    the target reaches the requested stream without overshoot, at most the limit at every tick;
 *  - the jerk limit bounds the change of acceleration per tick; the braking feedback then plans with
 *    a boundary layer of max(dt, 2 A / J) so that its switching stays within what the jerk allows.
 * Per axis of the output frame (each axis keeps the guarantees; the acceleration vector may reach
 * sqrt(3) times the limit on a diagonal). The braking plans with what the limit leaves beside the
 * requested stream's own acceleration, so that a stream that already accelerates hard is caught up
 * with without overshoot too.
 */
import type { Vec3 } from '../geometry.js';

export interface MotionLimits {
  /** m/s^2; 0: no acceleration limit (the limiter passes targets through). */
  maxAcceleration: number;
  /** m/s^3; 0: no jerk limit. Only with an acceleration limit. */
  maxJerk: number;
}

/** Which limit shaped a tick's target, if any. */
export type Limited = 'acceleration' | 'jerk' | null;

const sign = Math.sign;

/** A published target further than this from the requested one (m) counts as shaped by the limiter. */
export const SHAPED_M = 1e-4;

/**
 * Han's fhan(x1, x2, r, h): the acceleration (|.| <= r) that brings the discrete double integrator
 * x1' = x1 + h x2, x2' = x2 + h u to the origin fastest without overshoot; h the boundary layer.
 */
export function fhan(x1: number, x2: number, r: number, h: number): number {
  const d = r * h * h;
  const a0 = h * x2;
  const y = x1 + a0;
  const a1 = Math.sqrt(d * (d + 8 * Math.abs(y)));
  const a2 = a0 + (sign(y) * (a1 - d)) / 2;
  const sy = (sign(y + d) - sign(y - d)) / 2;
  const a = (a0 + y - a2) * sy + a2;
  const sa = (sign(a + d) - sign(a - d)) / 2;
  return -r * (a / d - sign(a)) * sa - r * sign(a);
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

interface State {
  /** Published position and velocity, the acceleration used for them. */
  p: Vec3;
  v: Vec3;
  u: Vec3;
  /** The requested target and its velocity at the previous tick. */
  x: Vec3;
  w: Vec3;
}

export class MotionLimiter {
  #limits: MotionLimits;
  #s: State | null = null;

  constructor(limits: MotionLimits) {
    this.#limits = limits;
  }

  setLimits(limits: MotionLimits): void {
    this.#limits = limits;
  }

  get active(): boolean {
    return this.#limits.maxAcceleration > 0;
  }

  /** Start again at rest at `p` (a start, a re-enable, a hold). */
  reset(p: Vec3 | null): void {
    this.#s = p === null ? null : { p, v: [0, 0, 0], u: [0, 0, 0], x: p, w: [0, 0, 0] };
  }

  /**
   * The limited position for the requested one, `h` seconds after the previous tick. Without a
   * previous tick (or limits off) the request itself.
   */
  step(x: Vec3, h: number): { p: Vec3; limited: Limited } {
    const { maxAcceleration: A, maxJerk: J } = this.#limits;
    const s = this.#s;
    if (!(A > 0) || s === null || !(h > 0)) {
      this.#s = { p: x, v: s && h > 0 ? scale(sub(x, s.p), 1 / h) : [0, 0, 0], u: [0, 0, 0], x, w: s && h > 0 ? scale(sub(x, s.x), 1 / h) : [0, 0, 0] };
      return { p: x, limited: null };
    }
    // The requested stream's velocity and acceleration, from its last two ticks, fed forward as far
    // as the limit allows (per axis, the velocity followed at most A h per tick). A request that
    // jumps (a new chunk, a clamp) would otherwise show as a burst of velocity to match; this way
    // the jump is left to the feedback below as the position step it is.
    const w = [0, 1, 2].map((i) => (s.w[i] as number) + Math.min(Math.max(((x[i] as number) - (s.x[i] as number)) / h - (s.w[i] as number), -A * h), A * h)) as Vec3;
    const alpha = scale(sub(w, s.w), 1 / h);
    // Error coordinates (e, eps) at the previous tick; with x1 = e - h eps the semi-implicit update
    // below (v' = v + h u, p' = p + h v') is fhan's explicit one. On the requested stream (e = eps = 0)
    // fhan is 0 and u = alpha: the stream passes through exactly.
    const e = sub(s.p, s.x), eps = sub(s.v, s.w);
    // Per axis of the output frame: each axis its own double integrator with its own limit, so that
    // each keeps fhan's guarantee (a shared budget whose shares change from tick to tick would not).
    let jerkBound = false;
    const u = [0, 1, 2].map((i) => {
      const r = Math.max(A - Math.abs(alpha[i] as number), 0.25 * A);
      const layer = J > 0 ? Math.max(h, (2 * r) / J) : h;
      const ui = Math.min(Math.max((alpha[i] as number) + fhan((e[i] as number) - h * (eps[i] as number), eps[i] as number, r, layer), -A), A);
      const prev = s.u[i] as number;
      if (J > 0 && Math.abs(ui - prev) > J * h) { jerkBound = true; return prev + Math.sign(ui - prev) * J * h; }
      return ui;
    }) as Vec3;
    const v: Vec3 = [s.v[0] + h * u[0], s.v[1] + h * u[1], s.v[2] + h * u[2]];
    const p: Vec3 = [s.p[0] + h * v[0], s.p[1] + h * v[1], s.p[2] + h * v[2]];
    this.#s = { p, v, u, x, w };
    // Shaped: the published target is off the requested one by more than rounding.
    const limited: Limited = norm(sub(p, x)) > SHAPED_M ? (jerkBound ? 'jerk' : 'acceleration') : null;
    return { p, limited };
  }

  /**
   * The published position differs from the limiter's (a later limit moved it): the state follows
   * what was published, so the next tick starts from there.
   */
  published(p: Vec3, h: number): void {
    const s = this.#s;
    if (!s || (p[0] === s.p[0] && p[1] === s.p[1] && p[2] === s.p[2])) return;
    const prevP = sub(s.p, scale(s.v, h));
    const v = h > 0 ? scale(sub(p, prevP), 1 / h) : [0, 0, 0] as Vec3;
    this.#s = { ...s, p, v };
  }
}
