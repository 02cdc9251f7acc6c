/**
 * The flow-matching sampler: Euler integration of the denoiser's velocity from noise to data, in
 * either direction, with optional classifier-free guidance (clamped at every step) and an optional
 * fixed prefix (prefix-conditioned sampling: the first rows follow the forward process of known
 * actions, so a new chunk continues the one being executed).
 */
export interface FlowSettings {
  /** 1: x_t = t*noise + (1-t)*data, integrate t 1 -> 0. 0: x_t = (1-t)*noise + t*data, t 0 -> 1. */
  noiseTime: 0 | 1;
  steps: number;
  guidance: { scale: number; clamp: number | null } | null;
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
  const g = flow.guidance;
  for (const t of timeGrid(flow.noiseTime, flow.steps)) {
    if (prefix) pinPrefix(x, noise, prefix, flow.noiseTime, t);
    const { conditional, unconditional } = await velocity(x, t);
    if (g && unconditional) {
      const lim = g.clamp ?? Infinity;
      for (let i = 0; i < x.length; i++) {
        const u = unconditional[i] as number;
        const v = Math.fround(u + g.scale * ((conditional[i] as number) - u));
        x[i] = (x[i] as number) + dt * Math.min(lim, Math.max(-lim, v));
      }
    } else {
      for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + dt * (conditional[i] as number);
    }
  }
  if (prefix) x.set(prefix.values);
  return x;
}
