/**
 * One arm from chunks to safe targets: the timeline (drop, blend, interpolate) then the safety
 * filter, once per control tick. The executor node owns the enable state and the publishing.
 */
import type { ArmChunk } from './chunk.js';
import type { ArmTarget, GripperInterpolation } from './interpolate.js';
import { SafetyFilter, type Intervention, type SafetyContext, type SafetyLimits } from './safety.js';
import type { Interpolation } from './spline.js';
import { ChunkTimeline, type AddResult, type BlendMode } from './timeline.js';

export interface ArmPipelineOptions {
  blend: BlendMode;
  gripperInterpolation: GripperInterpolation;
  /** Between chunk steps; default linear. */
  interpolation?: Interpolation;
  limits: SafetyLimits;
}

export type TickResult =
  | { kind: 'target'; target: ArmTarget; interventions: Intervention[] }
  | { kind: 'none'; reason: 'no_chunk' | Intervention };

export class ArmPipeline {
  readonly arm: string;
  readonly timeline: ChunkTimeline;
  readonly safety: SafetyFilter;

  constructor(arm: string, { blend, gripperInterpolation, interpolation = 'linear', limits }: ArmPipelineOptions) {
    this.arm = arm;
    this.timeline = new ChunkTimeline(arm, blend, gripperInterpolation, interpolation);
    this.safety = new SafetyFilter(limits);
  }

  addChunk(chunk: ArmChunk, now: bigint): AddResult {
    return this.timeline.add(chunk, now);
  }

  tick(now: bigint, context: SafetyContext): TickResult {
    const target = this.timeline.sample(now);
    if (!target) return { kind: 'none', reason: 'no_chunk' };
    const r = this.safety.filter(target, now, context);
    return r.ok ? { kind: 'target', target: r.target, interventions: r.interventions } : { kind: 'none', reason: r.reason };
  }

  /** Disable or re-enable: the next target starts from the measured pose. */
  reset(): void {
    this.safety.reset();
  }
}
