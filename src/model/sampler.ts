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

/**
 * The vector-Jacobian product of the denoiser at (x, t): cotangent^T dv/dx, with one cotangent for
 * the conditional velocity and, under classifier-free guidance, one for the unconditional one
 * (their contributions summed).
 */
export type VjpFn = (x: Float32Array, t: number, conditional: Float32Array, unconditional: Float32Array | null) => Promise<Float32Array>;

/**
 * Soft guidance towards a target (real-time chunking's ΠGDM step): the predicted clean chunk
 * x̂ = x + (1 - τ) dx/dτ, with τ the data time (0 noise, 1 data) and dx/dτ = ±v, is pulled towards
 * `target` on the weighted rows by the vector-Jacobian product of x̂, with the weight
 * min(maxWeight, (τ² + (1 - τ)²) / (τ (1 - τ))).
 */
export interface SoftGuidance {
  /** Normalised target, `dim` columns, as long as x. */
  target: Float32Array;
  /** One weight per row. */
  weights: Float32Array;
  dim: number;
  maxWeight: number;
  vjp: VjpFn;
}

/** The guidance weight at data time tau, clipped to maxWeight (and at the ends, where it diverges). */
export function guidanceWeight(tau: number, maxWeight: number): number {
  if (tau <= 0 || tau >= 1) return maxWeight;
  return Math.min(maxWeight, (tau * tau + (1 - tau) * (1 - tau)) / (tau * (1 - tau)));
}

export async function sampleFlow(velocity: VelocityFn, noise: Float32Array, flow: FlowSettings, prefix?: Prefix, soft?: SoftGuidance): Promise<Float32Array> {
  const x = Float32Array.from(noise);
  const dt = (flow.noiseTime === 1 ? -1 : 1) / flow.steps;
  const g = guidanceActive(flow.guidance) ? flow.guidance : null;
  // dx/dtau = sign * v, tau the data time.
  const sign = flow.noiseTime === 1 ? -1 : 1;
  const v = new Float32Array(x.length);
  // 1 where the guided velocity is inside a velocity clamp (its derivative passes), else 0.
  const pass = new Float32Array(x.length).fill(1);
  for (const t of timeGrid(flow.noiseTime, flow.steps)) {
    if (prefix) pinPrefix(x, noise, prefix, flow.noiseTime, t);
    const { conditional, unconditional } = await velocity(x, t);
    const cfg = g && unconditional ? g : null;
    if (cfg && unconditional) {
      const lim = cfg.clamp ?? Infinity;
      const onVelocity = cfg.clampTarget === 'velocity' ? lim : Infinity;
      for (let i = 0; i < x.length; i++) {
        const u = unconditional[i] as number;
        const raw = Math.fround(u + cfg.scale * ((conditional[i] as number) - u));
        v[i] = Math.min(onVelocity, Math.max(-onVelocity, raw));
        pass[i] = Math.abs(raw) < onVelocity ? 1 : 0;
      }
    } else {
      v.set(conditional);
    }
    if (soft) await guide(x, v, t, flow.noiseTime === 1 ? t : 1 - t, sign, cfg ? cfg.scale : null, pass, soft);
    if (cfg) {
      const onSample = cfg.clampTarget === 'sample' ? cfg.clamp ?? Infinity : Infinity;
      for (let i = 0; i < x.length; i++) {
        const next = Math.fround((x[i] as number) + Math.fround(dt * (v[i] as number)));
        x[i] = Math.min(onSample, Math.max(-onSample, next));
      }
    } else {
      for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + dt * (v[i] as number);
    }
  }
  if (prefix) x.set(prefix.values);
  return x;
}

/** v += sign * w * (e + (1 - tau) * sign * J^T e), e = W (target - x̂): in place. */
async function guide(x: Float32Array, v: Float32Array, t: number, oneMinusTau: number, sign: number, cfgScale: number | null, pass: Float32Array, soft: SoftGuidance): Promise<void> {
  const tau = 1 - oneMinusTau;
  const n = x.length;
  const e = new Float32Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const w = soft.weights[Math.floor(i / soft.dim)] as number;
    if (w === 0) continue;
    const xhat = (x[i] as number) + oneMinusTau * sign * (v[i] as number);
    e[i] = w * ((soft.target[i] as number) - xhat);
    any = true;
  }
  if (!any) return;
  // The Jacobian of the clamped, guided velocity: (1 - s) J_u + s J_c on the unclamped entries.
  const masked = e.map((ei, i) => ei * (pass[i] as number));
  const jt = cfgScale === null
    ? await soft.vjp(x, t, masked, null)
    : await soft.vjp(x, t, masked.map((m) => m * cfgScale), masked.map((m) => m * (1 - cfgScale)));
  const w = guidanceWeight(tau, soft.maxWeight);
  for (let i = 0; i < n; i++) {
    const corr = (e[i] as number) + oneMinusTau * sign * (jt[i] as number);
    v[i] = (v[i] as number) + sign * w * corr;
  }
}
