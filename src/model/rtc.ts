/**
 * Real-time chunking (Black, Galliker, Levine, "Real-Time Execution of Action Chunking Flow
 * Policies", NeurIPS 2025): the next chunk is sampled as an inpainting of the one being executed.
 * The steps that will be executed while inference runs (the delay, d steps) are frozen to the
 * previous chunk; the rest of the overlap is guided towards it with a prefix weight that decays
 * over the execution horizon, by the schedules the paper and LeRobot name:
 *  - zeros: 1 on the frozen steps only;  - ones: 1 up to the execution horizon;
 *  - linear: 1 on the frozen steps, then linearly down to 0 at the horizon;
 *  - exp: the linear weight w times (e^w - 1) / (e - 1), a faster decay.
 * This module holds the arithmetic on chunks; the sampler (sampler.ts) applies it.
 */
import { InputError } from '../errors.js';

export const RTC_SCHEDULES = ['linear', 'exp', 'ones', 'zeros'] as const;
export type RtcSchedule = (typeof RTC_SCHEDULES)[number];

/**
 * Weight of each of `horizon` steps: 1 for the first `frozen`, the schedule's decay up to `end`
 * (exclusive), 0 from there. As LeRobot's get_prefix_weights(start = frozen, end, total = horizon).
 */
export function prefixWeights(schedule: RtcSchedule, frozen: number, end: number, horizon: number): Float32Array {
  const w = new Float32Array(horizon);
  const d = Math.min(frozen, end, horizon);
  const e = Math.min(end, horizon);
  for (let i = 0; i < horizon; i++) {
    if (i < d) w[i] = 1;
    else if (i >= e) w[i] = 0;
    else {
      // Interior points of a linspace from 1 to 0 over the decaying steps.
      const lin = 1 - (i - d + 1) / (e - d + 1);
      switch (schedule) {
        case 'zeros': w[i] = 0; break;
        case 'ones': w[i] = 1; break;
        case 'linear': w[i] = lin; break;
        case 'exp': w[i] = (lin * Math.expm1(lin)) / (Math.E - 1); break;
        default: {
          const never: never = schedule;
          throw new InputError(`unknown real-time chunking schedule ${JSON.stringify(never)}; expected ${RTC_SCHEDULES.join(', ')}.`);
        }
      }
    }
  }
  return w;
}

/** A chunk as the policy node keeps it: raw actions (rows x dim), its stamp and step, seconds. */
export interface ChunkActions {
  actions: Float32Array;
  rows: number;
  dim: number;
  stamp: number;
  dt: number;
}

/**
 * The previous chunk's actions at the new chunk's step times (linear between its rows), as many
 * leading rows as it covers; rows = 0 when it covers none of them.
 */
export function previousAtSteps(prev: ChunkActions, stamp: number, dt: number, horizon: number): { actions: Float32Array; rows: number } {
  const out = new Float32Array(horizon * prev.dim);
  let rows = 0;
  for (let k = 0; k < horizon; k++) {
    const x = (stamp + k * dt - prev.stamp) / prev.dt;
    // Tolerate float error at the step boundaries (stamps are seconds as float64).
    if (x < -1e-6 || x > prev.rows - 1 + 1e-6) break;
    const xc = Math.min(Math.max(x, 0), prev.rows - 1);
    const j = Math.min(Math.floor(xc), prev.rows - 1);
    const s = xc - j;
    const j1 = Math.min(j + 1, prev.rows - 1);
    for (let i = 0; i < prev.dim; i++) {
      const a = prev.actions[j * prev.dim + i] as number, b = prev.actions[j1 * prev.dim + i] as number;
      out[k * prev.dim + i] = s === 0 ? a : a + (b - a) * s;
    }
    rows = k + 1;
  }
  return { actions: out, rows };
}

/** Steps of a chunk stamped `stamp` that will be due before it arrives at `start + latency`. */
export function delaySteps(stamp: number, start: number, latency: number, dt: number, horizon: number): number {
  return Math.min(horizon, Math.max(0, Math.ceil((start + latency - stamp) / dt - 1e-9)));
}

/** What the sampler gets for one real-time chunk, in raw action units. */
export interface RtcRequest {
  /** The previous chunk at the new chunk's steps (horizon x dim; rows beyond `covered` are zero). */
  target: Float32Array;
  /** Leading rows pinned to the target (the delay). */
  frozen: number;
  /** Per-row guidance weights (0 beyond the execution horizon or the previous chunk's end). */
  weights: Float32Array;
  maxGuidanceWeight: number;
  /** false: no soft guidance, the frozen rows are pinned and the rest is free. */
  soft: boolean;
}

export interface RtcSettings {
  schedule: RtcSchedule;
  /** Guided steps from the start of the new chunk; 0: the whole overlap with the previous chunk. */
  executionHorizon: number;
  maxGuidanceWeight: number;
  soft: boolean;
}

/** The request for a chunk stamped `stamp`, expected to arrive `delay` steps into it; null without overlap. */
export function rtcRequest(prev: ChunkActions, stamp: number, dt: number, horizon: number, delay: number, s: RtcSettings): RtcRequest | null {
  const { actions, rows } = previousAtSteps(prev, stamp, dt, horizon);
  if (rows === 0) return null;
  const end = Math.min(rows, s.executionHorizon > 0 ? s.executionHorizon : horizon);
  const frozen = Math.min(delay, rows);
  return { target: actions, frozen, weights: prefixWeights(s.schedule, frozen, end, horizon), maxGuidanceWeight: s.maxGuidanceWeight, soft: s.soft };
}
