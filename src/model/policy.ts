/**
 * The policy: a model folder's manifest, its two ONNX Runtime sessions, the prompt encoder and the
 * sampler, turning one observation into per-arm chunks (position, unit quaternion, gripper) with
 * the step time. Nothing here depends on the family's name: the manifest says what differs.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { InputError, ModelError, TwinvlaError } from '../errors.js';
import { alignHemisphere, type Quat } from '../geometry.js';
import { consoleLogger, type Logger } from '../log.js';
import { checkedOutput, checkOnnxSession, fixedAxes, tensor, type ExpectedTensor } from './onnx-check.js';
import { openVerifiedGraph } from './integrity.js';
import { armDim, loadManifest, type Manifest } from './manifest.js';
import { GaussianNoise } from './noise.js';
import { normalize, unnormalize } from './normalization.js';
import { PromptEncoder } from './prompt.js';
import { createSession, plainReason, ProviderReport, type ProviderName } from './providers.js';
import { rotationCodec } from './rotation-codec.js';
import { guidanceActive, sampleFlow, type Prefix, type SoftGuidance, type Velocities } from './sampler.js';

export interface Observation {
  /** uint8 RGB, row-major height x width x 3 at the manifest's size, one per camera role. */
  images: Record<string, Uint8Array>;
  /** Raw (un-normalised) state in the manifest's layout, arms concatenated. */
  state: ArrayLike<number>;
  instruction: string;
}

export interface SampleOptions {
  /** Injected noise (horizon x action dims); otherwise drawn from `seed`. */
  noise?: Float32Array;
  seed?: number;
  /** Raw actions of the first rows to hold fixed (prefix-conditioned sampling). */
  prefix?: { actions: Float32Array; rows: number };
  /**
   * Soft guidance towards raw actions (horizon x action dims) with one weight per row (real-time
   * chunking, model/rtc.ts). Needs the manifest's graphs.denoiser_vjp; without it, refused.
   */
  guide?: { actions: Float32Array; weights: Float32Array; maxWeight: number };
}

/** One arm's part of a PolicyChunk, as the model predicted it (act/chunk.ts's ArmChunk is the executor's timeline). */
export interface PolicyArmChunk {
  name: string;
  /** horizon x 3, metres. */
  position: Float64Array;
  /** horizon x 4, (x, y, z, w), unit norm; w >= 0 at step 0, then each step in the hemisphere of the one before. */
  quaternion: Float64Array;
  /** horizon values, in the model's gripper units; null when the action layout has no gripper. */
  gripper: Float64Array | null;
}

/** Where a chunk holds a value that is not finite (NaN, Inf), in words; null when every value is finite. */
export function nonFiniteChunk(chunk: PolicyChunk): string | null {
  for (const a of chunk.arms) {
    for (const [field, values] of [['position', a.position], ['quaternion', a.quaternion], ['gripper', a.gripper]] as const) {
      if (!values) continue;
      const i = values.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) return `arm ${a.name}, ${field} ${values[i]} at step ${Math.floor(i / (values.length / chunk.horizon))}`;
    }
  }
  return null;
}

export interface PolicyChunk {
  model: string;
  horizon: number;
  dt: number;
  arms: PolicyArmChunk[];
  /** horizon x action dims, un-normalised, as the model's action layout has it. */
  actions: Float32Array;
  normalized: Float32Array;
}

export type Conditioning = Map<string, ort.Tensor>;

export interface PolicyOptions {
  /** Execution providers in order of preference; the first that starts is used. Default [cuda, cpu]. */
  providers?: ProviderName[];
  logger?: Logger;
  /** Full predictions run at creation so the first real one is not the slow one. Default 1. */
  warmupRuns?: number;
  intraOpThreads?: number;
  /** Intra-op threads spin while waiting (ONNX Runtime's allow_spinning); default false: see providers.ts. */
  intraOpSpinning?: boolean;
}

export class Policy {
  readonly manifest: Manifest;
  readonly providers: ProviderReport;
  readonly #encoder: ort.InferenceSession;
  readonly #denoiser: ort.InferenceSession;
  /** The denoiser's vector-Jacobian product, when the model folder has it (soft guidance). */
  readonly #vjp: ort.InferenceSession | null;
  readonly #prompt: PromptEncoder;
  readonly #actionDim: number;
  readonly #stateDim: number;
  #seedCounter = 0;

  private constructor(manifest: Manifest, encoder: ort.InferenceSession, denoiser: ort.InferenceSession, vjp: ort.InferenceSession | null, prompt: PromptEncoder, providers: ProviderReport) {
    this.manifest = manifest;
    this.#encoder = encoder;
    this.#denoiser = denoiser;
    this.#vjp = vjp;
    this.#prompt = prompt;
    this.providers = providers;
    this.#actionDim = manifest.action.arms.length * armDim(manifest.action.layout);
    this.#stateDim = manifest.state.arms.length * armDim(manifest.state.layout);
  }

  static async create(dir: string, { providers = ['cuda', 'cpu'], logger = consoleLogger(), warmupRuns = 1, intraOpThreads, intraOpSpinning = false }: PolicyOptions = {}): Promise<Policy> {
    const manifest = loadManifest(dir);
    const { encoder: enc, denoiser: den } = manifest.graphs;
    const encSource = openVerifiedGraph(dir, enc, 'graphs.encoder', manifest.file);
    const denSource = openVerifiedGraph(dir, den, 'graphs.denoiser', manifest.file);
    const prompt = PromptEncoder.load(manifest);
    const report = new ProviderReport(providers);
    const opts = { ...(intraOpThreads ? { intraOpThreads } : {}), spinning: intraOpSpinning, model: manifest.runtime.sessionConfig };
    const encoder = await createSession(encSource, join(dir, enc.file), report, logger, opts);
    const denoiser = await createSession(denSource, join(dir, den.file), report, logger, opts);
    const vjpGraph = manifest.graphs.denoiserVjp;
    const vjp = vjpGraph ? await createSession(openVerifiedGraph(dir, vjpGraph, 'graphs.denoiser_vjp', manifest.file), join(dir, vjpGraph.file), report, logger, opts) : null;
    const policy = new Policy(manifest, encoder, denoiser, vjp, prompt, report);
    policy.#checkOnnxSessions();
    logger.info(`model ${manifest.name} (${manifest.family}) loaded from ${dir} on ${report.summary}` +
      (report.fallbackCount > 0 ? ` after ${report.fallbackCount} provider fallback(s)` : ''));
    for (let i = 0; i < warmupRuns; i++) {
      let chunk: PolicyChunk;
      try {
        chunk = await policy.predict(policy.neutralObservation(), { seed: i });
      } catch (e) {
        await policy.release();
        if (e instanceof TwinvlaError) throw e;
        throw new ModelError('MODEL_GRAPH', `model ${dir}: warm-up run ${i + 1} failed inside ONNX Runtime (${plainReason(String((e as Error).message ?? e))}); the graphs load but do not run on the inputs their manifest describes, so the model is refused. Re-export the model folder as a whole.`);
      }
      const problem = nonFiniteChunk(chunk);
      if (problem) {
        await policy.release();
        throw new ModelError('MODEL_GRAPH', `model ${dir}: warm-up run ${i + 1} produced a non-finite action chunk (${problem}); the weights or the graphs are broken (NaN or Inf inside), so the model is refused. Re-export it from its checkpoint.`);
      }
    }
    return policy;
  }

  get actionDim(): number { return this.#actionDim; }
  /** The sessions, for inspection and for benchmarks that time the bare graphs. */
  get sessions(): { encoder: ort.InferenceSession; denoiser: ort.InferenceSession } {
    return { encoder: this.#encoder, denoiser: this.#denoiser };
  }
  get stateDim(): number { return this.#stateDim; }

  #checkOnnxSessions(): void {
    const m = this.manifest;
    const chunk = [null, m.action.horizon, this.#actionDim];
    const encIn = new Map<string, ExpectedTensor>();
    for (const c of m.cameras) encIn.set(c.input, tensor('uint8', [1, c.height, c.width, 3]));
    for (const p of m.prompt.inputs) encIn.set(p.name, tensor('int64', [1, null]));
    encIn.set(m.state.input, tensor('float32', [1, this.#stateDim]));
    const encOut = new Map(m.graphs.encoder.outputs.map((name) => [name, tensor('float32', null)]));
    checkOnnxSession(this.#encoder, join(m.dir, m.graphs.encoder.file), m.file, encIn, encOut);
    const d = m.graphs.denoiser;
    const denIn = new Map<string, ExpectedTensor>([[d.xT, tensor('float32', chunk)], [d.t, tensor('float32', [null])]]);
    // A conditioning input takes what the encoder returns: its fixed sizes past the batch axis.
    const encShape = new Map(this.#encoder.outputMetadata.map((o) => [o.name, o.isTensor && o.shape.length > 0 ? fixedAxes(o.shape) : null]));
    for (const [input, output] of Object.entries(d.conditioning)) {
      const shape = encShape.get(output);
      denIn.set(input, tensor('float32', shape ? [null, ...shape.slice(1)] : null));
    }
    checkOnnxSession(this.#denoiser, join(m.dir, d.file), m.file, denIn, new Map([[d.output, tensor('float32', chunk)]]));
    const v = m.graphs.denoiserVjp;
    if (this.#vjp && v) {
      denIn.set(v.cotangent, tensor('float32', chunk));
      checkOnnxSession(this.#vjp, join(m.dir, v.file), m.file, denIn, new Map([[v.output, tensor('float32', chunk)]]));
    }
  }

  /** Grey images, the middle of the state's normalisation range: used for warm-up. */
  neutralObservation(): Observation {
    const images: Record<string, Uint8Array> = {};
    for (const c of this.manifest.cameras) images[c.role] = new Uint8Array(c.height * c.width * 3).fill(128);
    const q = this.manifest.state.normalization;
    const state = q.q01.map((lo, i) => (q.mask[i] ? (lo + (q.q99[i] as number)) / 2 : 0));
    return { images, state, instruction: 'warm up' };
  }

  #validate(obs: Observation): void {
    for (const c of this.manifest.cameras) {
      const img = obs.images[c.role];
      const want = c.height * c.width * 3;
      if (!(img instanceof Uint8Array)) throw new InputError(`camera ${c.role}: no image in the observation; the model needs ${c.role} (${c.width}x${c.height} rgb8).`);
      if (img.length !== want) throw new InputError(`camera ${c.role}: image has ${img.length} bytes, expected ${want} (${c.width}x${c.height}x3 rgb8); resize it to the manifest's size first.`);
    }
    if (obs.state.length !== this.#stateDim) {
      throw new InputError(`state: ${obs.state.length} values, expected ${this.#stateDim} (${this.manifest.state.arms.join(', ')} x ${armDim(this.manifest.state.layout)}: position, ${this.manifest.state.layout.rotation}, gripper).`);
    }
    for (let i = 0; i < obs.state.length; i++) {
      if (!Number.isFinite(obs.state[i])) throw new InputError(`state[${i}] is ${obs.state[i]}, expected a finite number; the robot is not commanded from a non-finite state.`);
    }
  }

  /** The token ids each prompt input gets for this instruction. */
  promptIds(instruction: string): Map<string, number[]> {
    return new Map([...this.#prompt.encode(instruction)].map(([k, v]) => [k, Array.from(v, Number)]));
  }

  async encode(obs: Observation): Promise<Conditioning> {
    this.#validate(obs);
    const m = this.manifest;
    const feeds: Record<string, ort.Tensor> = {};
    for (const c of m.cameras) feeds[c.input] = new ort.Tensor('uint8', obs.images[c.role] as Uint8Array, [1, c.height, c.width, 3]);
    for (const [name, ids] of this.#prompt.encode(obs.instruction)) feeds[name] = new ort.Tensor('int64', ids, [1, ids.length]);
    feeds[m.state.input] = new ort.Tensor('float32', normalize(obs.state, m.state.normalization), [1, this.#stateDim]);
    const out = await this.#encoder.run(feeds, m.graphs.encoder.outputs);
    return new Map(m.graphs.encoder.outputs.map((name) => [name, out[name] as ort.Tensor]));
  }

  /** The denoiser's raw velocity under the condition (batch 1), for checks against the fixtures. */
  async velocity(cond: Conditioning, xT: Float32Array, t: number): Promise<Float32Array> {
    const d = this.manifest.graphs.denoiser;
    const feeds: Record<string, ort.Tensor> = {
      [d.xT]: new ort.Tensor('float32', xT, [1, this.manifest.action.horizon, this.#actionDim]),
      [d.t]: new ort.Tensor('float32', Float32Array.of(t), [1]),
    };
    for (const [input, output] of Object.entries(d.conditioning)) feeds[input] = cond.get(output) as ort.Tensor;
    return checkedOutput(await this.#denoiser.run(feeds, [d.output]), d.output, [1, this.manifest.action.horizon, this.#actionDim], join(this.manifest.dir, d.file));
  }

  /** The denoiser feeds for one sample: conditional and null condition stacked into one batch of 2
   * when guidance is on, so each Euler step is one graph run. */
  #conditioningFeeds(cond: Conditioning): { feeds: Record<string, ort.Tensor>; batch: number } {
    const m = this.manifest;
    const d = m.graphs.denoiser;
    const g = m.flow.guidance;
    const feeds: Record<string, ort.Tensor> = {};
    if (!guidanceActive(g)) {
      for (const [input, output] of Object.entries(d.conditioning)) feeds[input] = cond.get(output) as ort.Tensor;
      return { feeds, batch: 1 };
    }
    for (const [input, output] of Object.entries(d.conditioning)) {
      const c = cond.get(output) as ort.Tensor;
      const nullName = g.nullConditioning[input];
      const u = nullName ? (cond.get(nullName) as ort.Tensor) : c;
      const data = new Float32Array(c.data.length * 2);
      data.set(c.data as Float32Array, 0);
      data.set(u.data as Float32Array, c.data.length);
      feeds[input] = new ort.Tensor('float32', data, [2, ...c.dims.slice(1)]);
    }
    return { feeds, batch: 2 };
  }

  async sample(cond: Conditioning, options: SampleOptions = {}): Promise<Float32Array> {
    const m = this.manifest;
    const n = m.action.horizon * this.#actionDim;
    const noise = options.noise ?? new GaussianNoise(options.seed ?? this.#seedCounter++).fill(new Float32Array(n));
    if (noise.length !== n) throw new InputError(`noise: ${noise.length} values, expected ${n} (horizon ${m.action.horizon} x ${this.#actionDim} action dims).`);
    const d = m.graphs.denoiser;
    const { feeds, batch } = this.#conditioningFeeds(cond);
    const xBatch = new Float32Array(n * batch);
    const tBatch = new Float32Array(batch);
    feeds[d.xT] = new ort.Tensor('float32', xBatch, [batch, m.action.horizon, this.#actionDim]);
    feeds[d.t] = new ort.Tensor('float32', tBatch, [batch]);
    const velocity = async (x: Float32Array, t: number): Promise<Velocities> => {
      for (let b = 0; b < batch; b++) xBatch.set(x, b * n);
      tBatch.fill(t);
      const v = checkedOutput(await this.#denoiser.run(feeds, [d.output]), d.output, [batch, m.action.horizon, this.#actionDim], join(m.dir, d.file));
      return { conditional: batch === 2 ? v.subarray(0, n) : v, unconditional: batch === 2 ? v.subarray(n) : null };
    };
    let prefix: Prefix | undefined;
    if (options.prefix) {
      const { actions, rows } = options.prefix;
      if (!Number.isInteger(rows) || rows < 0 || rows > m.action.horizon || actions.length < rows * this.#actionDim) {
        throw new InputError(`prefix: ${rows} rows of ${actions.length} values do not fit the chunk (horizon ${m.action.horizon}, ${this.#actionDim} action dims).`);
      }
      const raw = actions.subarray(0, rows * this.#actionDim);
      prefix = { rows, values: normalize(raw, m.action.normalization) };
    }
    let soft: SoftGuidance | undefined;
    if (options.guide) {
      const vjpGraph = m.graphs.denoiserVjp;
      if (!this.#vjp || !vjpGraph) throw new InputError(`soft guidance: model ${m.name} has no graphs.denoiser_vjp; add it with python -m twinvla_tools.vjp_graph --model ${m.dir}, or pin the prefix only.`);
      const { actions, weights, maxWeight } = options.guide;
      if (actions.length !== n || weights.length !== m.action.horizon) {
        throw new InputError(`soft guidance: ${actions.length} target values and ${weights.length} weights, expected ${n} and ${m.action.horizon}.`);
      }
      const session = this.#vjp;
      const cotangent = new Float32Array(n * batch);
      const vjpFeeds: Record<string, ort.Tensor> = { ...feeds, [vjpGraph.cotangent]: new ort.Tensor('float32', cotangent, [batch, m.action.horizon, this.#actionDim]) };
      soft = {
        target: normalize(actions, m.action.normalization), weights, dim: this.#actionDim, maxWeight,
        vjp: async (x, t, cc, cu) => {
          for (let b = 0; b < batch; b++) xBatch.set(x, b * n);
          tBatch.fill(t);
          cotangent.set(cc, 0);
          if (batch === 2) cotangent.set(cu ?? new Float32Array(n), n);
          const out = checkedOutput(await session.run(vjpFeeds, [vjpGraph.output]), vjpGraph.output, [batch, m.action.horizon, this.#actionDim], join(m.dir, vjpGraph.file));
          if (batch === 1) return out;
          return out.subarray(0, n).map((a, i) => a + (out[n + i] as number));
        },
      };
    }
    return sampleFlow(velocity, noise, m.flow, prefix, soft);
  }

  /** Normalised chunk -> actions in the model's units -> per-arm position, quaternion, gripper. */
  decode(normalized: Float32Array): PolicyChunk {
    const m = this.manifest;
    const { horizon, dt, layout, arms, normalization } = m.action;
    const actions = unnormalize(normalized, normalization, normalization.clip, undefined, normalization.round, normalization.binarize);
    const per = armDim(layout);
    const rotation = rotationCodec(layout.rotation);
    const out: PolicyArmChunk[] = arms.map((name, a) => {
      const position = new Float64Array(horizon * 3);
      const quaternion = new Float64Array(horizon * 4);
      const gripper = layout.gripper ? new Float64Array(horizon) : null;
      for (let k = 0; k < horizon; k++) {
        const o = k * this.#actionDim + a * per;
        position.set(actions.subarray(o, o + 3), k * 3);
        let q = rotation.decode(actions, o + 3) as Quat;
        // Near w = 0 the codec's w >= 0 convention would flip the sign between neighbouring steps.
        if (k > 0) q = alignHemisphere(q, Array.from(quaternion.subarray((k - 1) * 4, k * 4)) as Quat);
        quaternion.set(q, k * 4);
        if (gripper) gripper[k] = actions[o + per - 1]!;
      }
      return { name, position, quaternion, gripper };
    });
    return { model: m.name, horizon, dt, arms: out, actions, normalized };
  }

  async predict(obs: Observation, options: SampleOptions = {}): Promise<PolicyChunk> {
    const cond = await this.encode(obs);
    return this.decode(await this.sample(cond, options));
  }

  async release(): Promise<void> {
    await this.#encoder.release();
    await this.#denoiser.release();
    await this.#vjp?.release();
  }
}
