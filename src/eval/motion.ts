/**
 * How a trajectory moves: RMS jerk and acceleration, peak speed, the largest step between two
 * samples, and quaternion sign flips. The executed targets and the recorded ones are compared like
 * for like: both are sampled at the same times (the recorded stamps), so that neither rate nor
 * resampling favours one of them. Derivatives are divided differences (exact for polynomials of
 * the order, on uneven spacing too); a gap (no executed target, a pause in the recording) restarts
 * them rather than differentiating across it.
 */
import { distance, type Quat, type Transform } from '../geometry.js';

export interface MotionStats {
  samples: number;
  jerk_rms_m_s3: number | null;
  acceleration_rms_m_s2: number | null;
  peak_speed_m_s: number | null;
  max_step_mm: number | null;
}

const R = (v: number, digits: number): number => Number(v.toFixed(digits));

interface Sample { time: number; t: readonly number[] }

export class MotionAccumulator {
  #hist: Sample[] = [];
  #samples = 0;
  #jerk = 0;
  #jerkN = 0;
  #acc = 0;
  #accN = 0;
  #peakSpeed = 0;
  #maxStep = 0;
  #steps = 0;

  /** Forget the history: the next sample starts a new stretch. */
  break(): void {
    this.#hist = [];
  }

  push(time: number, pose: Transform): void {
    const h = this.#hist;
    const last = h[h.length - 1];
    if (last && !(time > last.time)) return;
    h.push({ time, t: pose.t });
    if (h.length > 4) h.shift();
    this.#samples++;
    const n = h.length;
    if (n >= 2) {
      const a = h[n - 2] as Sample, b = h[n - 1] as Sample;
      const d = distance(a.t as [number, number, number], b.t as [number, number, number]);
      this.#maxStep = Math.max(this.#maxStep, d);
      this.#peakSpeed = Math.max(this.#peakSpeed, d / (b.time - a.time));
      this.#steps++;
    }
    if (n >= 3) {
      let s = 0;
      // acceleration = 2 * second divided difference
      for (let k = 0; k < 3; k++) s += (2 * divided(h.slice(n - 3), k)) ** 2;
      this.#acc += s;
      this.#accN++;
    }
    if (n >= 4) {
      let s = 0;
      // jerk = 6 * third divided difference
      for (let k = 0; k < 3; k++) s += (6 * divided(h, k)) ** 2;
      this.#jerk += s;
      this.#jerkN++;
    }
  }

  get stats(): MotionStats {
    return {
      samples: this.#samples,
      jerk_rms_m_s3: this.#jerkN > 0 ? R(Math.sqrt(this.#jerk / this.#jerkN), 3) : null,
      acceleration_rms_m_s2: this.#accN > 0 ? R(Math.sqrt(this.#acc / this.#accN), 4) : null,
      peak_speed_m_s: this.#steps > 0 ? R(this.#peakSpeed, 4) : null,
      max_step_mm: this.#steps > 0 ? R(this.#maxStep * 1e3, 3) : null,
    };
  }
}

/** The highest divided difference of coordinate k over the samples (order = samples - 1). */
function divided(s: readonly Sample[], k: number): number {
  let f = s.map((x) => x.t[k] as number);
  for (let order = 1; order < s.length; order++) {
    f = f.slice(1).map((v, i) => (v - (f[i] as number)) / ((s[i + order] as Sample).time - (s[i] as Sample).time));
  }
  return f[0] as number;
}

/** Counts consecutive quaternions of a stream whose dot product is negative (a sign flip). */
export class FlipCounter {
  #last: Quat | null = null;
  flips = 0;
  push(q: Quat): void {
    const l = this.#last;
    if (l && l[0] * q[0] + l[1] * q[1] + l[2] * q[2] + l[3] * q[3] < 0) this.flips++;
    this.#last = q;
  }
}

/** executed / recorded, for the summary: null where either is missing or the recorded is zero. */
export function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : R(a / b, 3);
}
