/**
 * The PolicyNode's side of real-time chunking: it remembers the chunk it published last and, for
 * each new inference, turns the measured delay into the sampler's options: the steps due before the
 * new chunk can arrive are pinned to the previous chunk, the rest of the overlap is guided towards
 * it (soft guidance, when the model has the denoiser's VJP graph; otherwise the prefix is pinned
 * and the rest left free, which the node says in its log and diagnostics).
 */
import { secondsBetween } from '../time.js';
import type { Manifest } from './manifest.js';
import type { SampleOptions } from './policy.js';
import { delaySteps, rtcRequest, type ChunkActions, type RtcSchedule } from './rtc.js';

export const RTC_GUIDANCE = ['soft', 'hard'] as const;
export type RtcGuidance = (typeof RTC_GUIDANCE)[number];

export interface RtcConfig {
  enabled: boolean;
  /** soft: pinned prefix and guided overlap; hard: pinned prefix only. */
  guidance: RtcGuidance;
  /** Guided steps from the new chunk's start; 0: all the overlap with the previous chunk. */
  executionHorizon: number;
  schedule: RtcSchedule;
  maxGuidanceWeight: number;
  /** Quantile of recent inference latencies taken as the delay. */
  latencyQuantile: number;
}

/** What one inference got: for diagnostics and tests. */
export interface RtcPlan {
  mode: 'soft' | 'hard';
  /** Steps pinned to the previous chunk. */
  frozen: number;
  /** Steps with a positive guidance weight beyond the frozen ones (soft only). */
  guided: number;
  options: Pick<SampleOptions, 'prefix' | 'guide'>;
}

export class RtcPlanner {
  readonly #horizon: number;
  readonly #dt: number;
  readonly #dim: number;
  /** Why soft guidance cannot run on this model, or null when it can. */
  readonly softUnavailable: string | null;
  #config: RtcConfig;
  /** The previous chunk, its stamp 0: times below are seconds relative to it. */
  #previous: ChunkActions | null = null;
  #previousStamp = 0n;
  last: RtcPlan | null = null;

  constructor(manifest: Manifest, actionDim: number, config: RtcConfig) {
    this.#horizon = manifest.action.horizon;
    this.#dt = manifest.action.dt;
    this.#dim = actionDim;
    this.softUnavailable = manifest.graphs.denoiserVjp ? null
      : `model ${manifest.name} has no graphs.denoiser_vjp (python -m twinvla_tools.vjp_graph --model ${manifest.dir} adds it): real-time chunking pins the prefix only`;
    this.#config = config;
  }

  get config(): RtcConfig { return this.#config; }

  /** The guidance that runs: off, hard or soft (soft falls back to hard without the VJP graph). */
  get mode(): 'off' | 'hard' | 'soft' {
    if (!this.#config.enabled) return 'off';
    return this.#config.guidance === 'soft' && !this.softUnavailable ? 'soft' : 'hard';
  }

  configure(config: RtcConfig): void {
    this.#config = config;
  }

  /** The chunk just published (raw actions, horizon x dim), stamped in nanoseconds. */
  remember(actions: Float32Array, stamp: bigint, dt: number): void {
    this.#previous = { actions: Float32Array.from(actions), rows: actions.length / this.#dim, dim: this.#dim, stamp: 0, dt };
    this.#previousStamp = stamp;
  }

  forget(): void {
    this.#previous = null;
  }

  /**
   * Options for a chunk stamped `stamp` whose inference starts at `start` (both nanoseconds) and is expected to take
   * `latency` seconds (NaN: not measured yet, taken as 0). Null when off or without an overlap.
   */
  plan(stamp: bigint, start: bigint, latency: number): RtcPlan | null {
    const mode = this.mode;
    this.last = null;
    if (mode === 'off' || !this.#previous) return null;
    const c = this.#config;
    const rel = secondsBetween(stamp, this.#previousStamp);
    const d = delaySteps(rel, rel + secondsBetween(start, stamp), Number.isFinite(latency) ? latency : 0, this.#dt, this.#horizon);
    const req = rtcRequest(this.#previous, rel, this.#dt, this.#horizon, d, { schedule: c.schedule, executionHorizon: c.executionHorizon, maxGuidanceWeight: c.maxGuidanceWeight, soft: mode === 'soft' });
    if (!req) return null;
    const options: RtcPlan['options'] = {};
    if (req.frozen > 0) options.prefix = { actions: req.target.subarray(0, req.frozen * this.#dim), rows: req.frozen };
    let guided = 0;
    if (mode === 'soft') {
      for (let k = req.frozen; k < this.#horizon; k++) if ((req.weights[k] as number) > 0) guided++;
      if (guided > 0 || req.frozen > 0) options.guide = { actions: req.target, weights: req.weights, maxWeight: req.maxGuidanceWeight };
    }
    this.last = { mode, frozen: req.frozen, guided, options };
    return this.last;
  }
}
