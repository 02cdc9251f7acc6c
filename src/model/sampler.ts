/**
 * The flow-matching sampler: Euler integration of the denoiser's velocity from noise to data, in
 * either direction, with optional classifier-free guidance and an optional
 * fixed prefix (prefix-conditioned sampling: the first rows follow the forward process of known
 * actions, so a new chunk continues the one being executed).
 */
export interface FlowSettings {
  /** 1: x_t = t*noise + (1-t)*data, integrate t 1 -> 0. 0: x_t = (1-t)*noise + t*data, t 0 -> 1. */
  noiseTime: 0 | 1;
  steps: number;
  guidance: GuidanceSettings | null;
}

/** Classifier-free guidance, as the families' reference code does it (the manifest says which).
 * TwinVLA: guidance runs only when the scale is above 1 and then clamps the SAMPLE after each step;
 * the velocity itself is never clamped. */
export interface GuidanceSettings {
  scale: number;
  /** The bound, +-clamp; null: no clamp. */
  clamp: number | null;
  /** What is clamped: the guided velocity before the step, or the sample after it. */
  clampTarget: 'velocity' | 'sample';
  /** Guidance (and its clamp) applies only when scale > this; otherwise plain conditional sampling.
   * null: guidance applies at any scale. */
  appliesAbove: number | null;
}

/** Whether guidance runs at all for these settings. */
export function guidanceActive(g: GuidanceSettings | null): g is GuidanceSettings {
  return g !== null && (g.appliesAbove === null || g.scale > g.appliesAbove);
}

export interface Velocities {
  conditional: Float32Array;
  /** Present when guidance is on: the velocity under the null condition. */
  unconditional: Float32Array | null;
}

export type VelocityFn = (x: Float32Array, t: number) => Promise<Velocities>;

export interface Prefix {
  /** Normalised values of the first `rows` rows, row-major with `dim` columns. */
  values: Float32Array;
  rows: number;
}

/** The times at which the velocity is evaluated, as the tools' reference sampler lists them. */
export function timeGrid(noiseTime: 0 | 1, steps: number): number[] {
  return Array.from({ length: steps }, (_, i) => (noiseTime === 1 ? 1 - i / steps : i / steps));
}

function pinPrefix(x: Float32Array, noise: Float32Array, prefix: Prefix, noiseTime: 0 | 1, t: number): void {
  const noiseWeight = noiseTime === 1 ? t : 1 - t;
  for (let i = 0; i < prefix.values.length; i++) {
    x[i] = noiseWeight * (noise[i] as number) + (1 - noiseWeight) * (prefix.values[i] as number);
  }
}

export async function sampleFlow(velocity: VelocityFn, noise: Float32Array, flow: FlowSettings, prefix?: Prefix): Promise<Float32Array> {
  const x = Float32Array.from(noise);
  const dt = (flow.noiseTime === 1 ? -1 : 1) / flow.steps;
  const g = guidanceActive(flow.guidance) ? flow.guidance : null;
  for (const t of timeGrid(flow.noiseTime, flow.steps)) {
    if (prefix) pinPrefix(x, noise, prefix, flow.noiseTime, t);
    const { conditional, unconditional } = await velocity(x, t);
    if (g && unconditional) {
      const lim = g.clamp ?? Infinity;
      const onVelocity = g.clampTarget === 'velocity' ? lim : Infinity;
      const onSample = g.clampTarget === 'sample' ? lim : Infinity;
      for (let i = 0; i < x.length; i++) {
        const u = unconditional[i] as number;
        const v = Math.fround(u + g.scale * ((conditional[i] as number) - u));
        const next = Math.fround((x[i] as number) + Math.fround(dt * Math.min(onVelocity, Math.max(-onVelocity, v))));
        x[i] = Math.min(onSample, Math.max(-onSample, next));
      }
    } else {
      for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + dt * (conditional[i] as number);
    }
  }
  if (prefix) x.set(prefix.values);
  return x;
}
