/**
 * The chunk timeline of one arm. Steps already in the past when a chunk arrives are dropped (and
 * counted); the trajectory between steps is interpolated; overlapping chunks are blended:
 *  - latest: the newest chunk that covers the time;
 *  - temporal_ensemble: every covering chunk, weighted exp(-coefficient * i) with i = 0 the oldest
 *    (ACT's temporal ensembling, on times rather than step indices since chunks need not align);
 *  - crossfade: from what was commanded before (the previous chunk, or the blend still fading in) to
 *    the new chunk over `steps` of the new chunk's dt, starting when it arrives; the weight rises linearly (a velocity step at both ends) or along the
 *    minimum-jerk profile 10s^3 - 15s^4 + 6s^5 (zero velocity and acceleration of the weight at both
 *    ends, so the hand-over itself adds no jerk spike).
 */
import { InputError, InternalError } from '../errors.js';
import { chunkEnd, stepNs, validateChunk, type ArmChunk } from './chunk.js';
import { blendTargets, covers, sampleChunk, type ArmTarget, type GripperInterpolation } from './interpolate.js';
import { smoothChunk } from './smooth-chunk.js';
import type { Interpolation } from './spline.js';

export type BlendMode =
  | { kind: 'latest' }
  | { kind: 'temporal_ensemble'; coefficient: number }
  | { kind: 'crossfade'; steps: number; profile: CrossfadeProfile };

export const CROSSFADE_PROFILES = ['linear', 'minimum_jerk'] as const;
export type CrossfadeProfile = (typeof CROSSFADE_PROFILES)[number];

export function parseBlendMode(kind: string, coefficient: number, steps: number, where: string, profile: CrossfadeProfile = 'linear'): BlendMode {
  switch (kind) {
    case 'latest': return { kind };
    case 'temporal_ensemble': return { kind, coefficient };
    case 'crossfade': return { kind, steps, profile };
    default: throw new InputError(`${where}: unknown blending mode ${JSON.stringify(kind)}; expected latest, temporal_ensemble or crossfade.`);
  }
}

interface Entry {
  chunk: ArmChunk;
  /** Nanoseconds. */
  arrival: bigint;
}

export interface AddResult {
  accepted: boolean;
  /** Steps whose due time had passed when the chunk arrived. */
  dropped: number;
  reason?: 'stale' | 'out_of_order';
}

export class ChunkTimeline {
  readonly arm: string;
  #blend: BlendMode;
  #gripper: GripperInterpolation;
  #interpolation: Interpolation;
  #smoothing = 0;
  #entries: Entry[] = [];
  droppedSteps = 0;
  staleChunks = 0;
  outOfOrderChunks = 0;

  constructor(arm: string, blend: BlendMode, gripper: GripperInterpolation, interpolation: Interpolation = 'linear') {
    this.arm = arm;
    this.#blend = blend;
    this.#gripper = gripper;
    this.#interpolation = interpolation;
  }

  /** A live change of blending or interpolation, from the next sample on. */
  configure(blend: BlendMode, gripper: GripperInterpolation, interpolation: Interpolation = this.#interpolation): void {
    this.#blend = blend;
    this.#gripper = gripper;
    this.#interpolation = interpolation;
  }

  /** Jerk weight of the chunk smoother (smooth-chunk.ts) for chunks added from now on; 0: off. */
  setSmoothing(lambda: number): void {
    this.#smoothing = lambda;
  }

  /** Throws InputError (nothing stored) for a chunk with a non-finite value. */
  add(raw: ArmChunk, now: bigint): AddResult {
    const chunk = smoothChunk(validateChunk(raw, this.arm), this.#smoothing);
    const newest = this.#entries[this.#entries.length - 1];
    if (newest && chunk.stamp < newest.chunk.stamp) {
      this.outOfOrderChunks++;
      return { accepted: false, dropped: 0, reason: 'out_of_order' };
    }
    // Steps due before now, counted in whole nanoseconds: ceil((now - stamp) / step).
    const step = stepNs(chunk);
    const elapsed = now - chunk.stamp;
    const late = elapsed <= 0n ? 0 : Math.min(chunk.poses.length, Number((elapsed + step - 1n) / step));
    this.droppedSteps += late;
    if (chunkEnd(chunk) < now) {
      this.staleChunks++;
      return { accepted: false, dropped: late, reason: 'stale' };
    }
    this.#entries.push({ chunk, arrival: now });
    this.#prune(now);
    return { accepted: true, dropped: late };
  }

  #prune(now: bigint): void {
    // Keep what covers now or later; crossfade also needs the chunk before the newest.
    const keepFrom = this.#blend.kind === 'crossfade' ? this.#entries.length - 2 : 0;
    this.#entries = this.#entries.filter((e, i) => chunkEnd(e.chunk) >= now || i >= keepFrom);
    if (this.#entries.length > 64) this.#entries.splice(0, this.#entries.length - 64);
  }

  /** The blended target at `t`, or null when no chunk covers it. */
  sample(t: bigint): ArmTarget | null {
    const active = this.#entries.filter((e) => t >= e.arrival && covers(e.chunk, t));
    if (active.length === 0) return null;
    const newest = active[active.length - 1] as Entry;
    switch (this.#blend.kind) {
      case 'latest':
        return sampleChunk(newest.chunk, t, this.#gripper, this.#interpolation);
      case 'temporal_ensemble': {
        const m = this.#blend.coefficient;
        return blendTargets(active.map((e, i) => ({ target: sampleChunk(e.chunk, t, this.#gripper, this.#interpolation), weight: Math.exp(-m * i) })));
      }
      case 'crossfade': {
        // A chain of fades: each chunk fades in over what was commanded before it (the previous
        // fade's result), so a chunk that arrives while the last one is still fading in takes over
        // from the blend, not from the older chunk alone (no jump when fades overlap).
        const span = (e: Entry): number => this.#blend.kind === 'crossfade' ? this.#blend.steps * Number(stepNs(e.chunk)) : 0;
        const weight = (e: Entry): number => {
          const w = span(e);
          const s = w > 0 ? Math.min(Number(t - e.arrival) / w, 1) : 1;
          return this.#blend.kind === 'crossfade' && this.#blend.profile === 'minimum_jerk' ? s * s * s * (10 - 15 * s + 6 * s * s) : s;
        };
        // From the newest chunk that has fully faded in (or the oldest active one).
        let first = active.length - 1;
        while (first > 0 && weight(active[first] as Entry) < 1) first--;
        let acc = sampleChunk((active[first] as Entry).chunk, t, this.#gripper, this.#interpolation);
        for (const e of active.slice(first + 1)) {
          const alpha = weight(e);
          const current = sampleChunk(e.chunk, t, this.#gripper, this.#interpolation);
          acc = alpha >= 1 ? current : blendTargets([{ target: acc, weight: 1 - alpha }, { target: current, weight: alpha }]);
        }
        return acc;
      }
      default: {
        const never: never = this.#blend;
        throw new InternalError(`chunk timeline: unhandled blending mode ${JSON.stringify(never)}`);
      }
    }
  }
}
