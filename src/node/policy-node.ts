/**
 * The GPU inference node. Subscribes to one camera per model role, the arms' joint states, /tf and
 * /tf_static (or pose topics) and an instruction topic; runs one inference at a time from a fresh
 * snapshot, back to back or at replan_period; publishes twinvla/msg/ActionChunk stamped with the
 * snapshot's observation time, and /diagnostics. A managed node: configure loads and warms up the
 * model, activate starts inference. Written against the Graph port alone.
 */
import { InputError, InternalError, ModelError, TwinvlaError } from '../errors.js';
import { nonFiniteChunk } from '../model/policy.js';
import type { ActionChunkMsg, CompressedImage, DiagnosticArray, Image, JointState, PoseStamped, StringMsg, TFMessage } from '../messages.js';
import type { Manifest } from '../model/manifest.js';
import type { PolicyRunner } from '../model/runner.js';
import { armDim } from '../model/manifest.js';
import { RtcPlanner } from '../model/rtc-planner.js';
import { inThreadPolicy, ThreadedPolicy } from '../model/threaded-policy.js';
import { parseProviders } from '../model/providers.js';
import { ObservationAssembler, type ArmObserveConfig, type ObserveConfig } from '../observe/observation-assembler.js';
import { SnapshotRefused, type RefusalReason } from '../observe/snapshot.js';
import type { Graph, Publisher } from '../graph/port.js';
import { secondsBetween, secondsToNs } from '../time.js';
import { toActionChunk } from './chunk-message.js';
import { diagnosticArray, ERROR, OK, RateCounter, WARN, Window } from './diagnostics.js';
import { resolveModelDir } from './model-path.js';
import { updateParams, type ParamValues } from '../config/params.js';
import { POLICY_PARAMS, policyConfig, type PolicyConfig } from './policy-params.js';

export type LifecycleState = 'unconfigured' | 'inactive' | 'active';

/** The model's cameras and arms (from its manifest), each looked up in the keyed parameter maps. */
function observeConfig(c: PolicyConfig, manifest: Manifest, dir: string): ObserveConfig {
  const problems: string[] = [];
  const cameras = manifest.cameras.flatMap(({ role }) => {
    const cam = c.cameras.get(role);
    if (!cam) problems.push(`camera role ${role} has no cameras.${role}.topic parameter (this node knows ${[...c.cameras.keys()].join(', ')})`);
    return cam ? [{ role, topic: cam.topic }] : [];
  });
  const arms = manifest.state.arms.flatMap((name): ArmObserveConfig[] => {
    const arm = c.arms.get(name);
    if (!arm) problems.push(`arm ${name} has no arms.${name}.* parameters (this node knows ${[...c.arms.keys()].join(', ')})`);
    return arm ? [{ name, pose: arm.pose, jointTopic: arm.jointStatesTopic, joints: arm.joints, gripper: arm.gripper, maxReach: arm.maxReach }] : [];
  });
  if (problems.length > 0) throw new InputError(`model ${dir}: ${problems.join('; ')}.`);
  return { cameras, arms, instruction: c.instruction, maxAge: c.freshness.maxAge, futureTolerance: c.freshness.futureTolerance };
}

export class PolicyNode {
  readonly graph: Graph;
  #params: ParamValues;
  #config: PolicyConfig;
  #state: LifecycleState = 'unconfigured';
  #policy: PolicyRunner | null = null;
  #assembler: ObservationAssembler | null = null;
  #chunkPub: Publisher<ActionChunkMsg> | null = null;
  #diagPub: Publisher<DiagnosticArray>;
  #inFlight = false;
  #lastStart: bigint | null = null;
  #seed: number;
  readonly latency = new Window();
  /** The snapshot's age when its inference starts (its stamp, the oldest input's, to the start), s:
   * with latency, what observation to chunk is made of. */
  readonly frameAge = new Window();
  readonly refused = new Map<RefusalReason, number>();
  #lastRefusal = '';
  #refusalKey = '';
  #chunks = 0;
  #inputErrors = 0;
  #lastChunkTime: bigint | null = null;
  readonly #rates = new RateCounter();
  readonly #frames = new Map<string, string>();
  #lastAges = new Map<string, number>();
  #rtc: RtcPlanner | null = null;
  #rtcChunks = 0;
  /** Called with each completed inference's latency and its snapshot's frame age at the start, in
   * seconds (evaluation collects them). */
  onInference: ((latency: number, frameAge: number) => void) | null = null;

  private constructor(graph: Graph, params: ParamValues) {
    this.graph = graph;
    this.#params = params;
    this.#config = policyConfig(params, `parameters of ${graph.nodeName}`);
    this.#seed = this.#config.seed;
    this.#diagPub = graph.advertise<DiagnosticArray>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', 'reliable');
    graph.createTimer(this.#config.diagnosticsPeriod, () => this.#publishDiagnostics());
    graph.onParametersSet((changes) => this.#setParameters(changes));
  }

  get params(): ParamValues { return this.#params; }
  get config(): PolicyConfig { return this.#config; }

  /** A live change (instruction, replan_period, freshness bounds): validated, then applied. */
  #setParameters(changes: Record<string, unknown>): string | null {
    try {
      const source = `parameters of ${this.graph.nodeName}`;
      const next = updateParams(POLICY_PARAMS, this.#params, changes, source);
      const config = policyConfig(next, source);
      if ('instruction' in changes && this.#assembler) this.#assembler.instruction.set(config.instruction, 'parameter instruction');
      this.#params = next;
      this.#config = config;
      this.#assembler?.setFreshness(config.freshness.maxAge, config.freshness.futureTolerance);
      this.#rtc?.configure(config.rtc);
      this.graph.logger.info(`parameters changed: ${Object.keys(changes).join(', ')}`);
      return null;
    } catch (e) {
      if (!(e instanceof TwinvlaError)) throw e;
      this.graph.logger.warn(e.message);
      return e.message;
    }
  }

  /** Reads and validates the parameters; with autostart, configures and activates. */
  static async create(graph: Graph): Promise<PolicyNode> {
    const node = new PolicyNode(graph, graph.parameters(POLICY_PARAMS));
    if (node.config.autostart) {
      await node.configure();
      node.activate();
    }
    return node;
  }

  get state(): LifecycleState { return this.#state; }
  get policy(): PolicyRunner | null { return this.#policy; }
  get chunksPublished(): number { return this.#chunks; }

  /** Loads and warms up the model, then subscribes to what it needs. */
  async configure(): Promise<void> {
    if (this.#state !== 'unconfigured') return;
    const c = this.#config;
    const dir = resolveModelDir(c.model);
    const providers = parseProviders(c.providers, 'parameter providers');
    const options = { providers, logger: this.graph.logger, warmupRuns: c.warmupRuns, intraOpSpinning: c.intraOpSpinning, ...(c.intraOpThreads > 0 ? { intraOpThreads: c.intraOpThreads } : {}) };
    this.#policy = c.inferenceThread ? await ThreadedPolicy.create(dir, options) : await inThreadPolicy(dir, options);
    const manifest = this.#policy.manifest;
    this.#rtc = new RtcPlanner(manifest, manifest.action.arms.length * armDim(manifest.action.layout), c.rtc);
    if (c.rtc.enabled && c.rtc.guidance === 'soft' && this.#rtc.softUnavailable) this.graph.logger.warn(this.#rtc.softUnavailable);
    // Frames are decoded as they arrive, off the inference path, unless no wall clock waits on it.
    const decode = this.graph.fixedLatency === true ? 'snapshot' : 'arrival';
    const assembler = new ObservationAssembler(this.#policy.manifest, { ...observeConfig(c, this.#policy.manifest, dir), decode });
    this.#assembler = assembler;
    for (const [a, arm] of c.arms) this.#frames.set(a, arm.pose.baseFrame);
    this.#subscribe(assembler);
    this.#chunkPub = this.graph.advertise<ActionChunkMsg>(c.chunkTopic, 'twinvla/msg/ActionChunk', 'reliable');
    this.graph.createTimer(c.retryPeriod, () => this.#maybeStart());
    this.#state = 'inactive';
    this.graph.logger.info(`configured: model ${this.#policy.manifest.name} on ${this.#policy.providerSummary}${c.inferenceThread ? ' (inference thread)' : ''}`);
  }

  #guard<T>(input: string, f: (msg: T) => void): (msg: T) => void {
    return (msg: T) => {
      this.#rates.tick(input);
      try {
        f(msg);
      } catch (e) {
        if (!(e instanceof TwinvlaError)) throw e;
        this.#inputErrors++;
        this.graph.logger.warn(e.message);
      }
    };
  }

  #subscribe(a: ObservationAssembler): void {
    const g = this.graph;
    for (const { role, topic } of a.cameraTopics()) {
      if (this.#config.cameras.get(role)?.transport === 'compressed') {
        g.subscribe<CompressedImage>(topic, 'sensor_msgs/msg/CompressedImage', 'sensor_data', this.#guard(topic, (m) => a.onCompressedImage(role, m)));
      } else {
        g.subscribe<Image>(topic, 'sensor_msgs/msg/Image', 'sensor_data', this.#guard(topic, (m) => a.onImage(role, m)));
      }
    }
    for (const topic of a.jointTopics()) g.subscribe<JointState>(topic, 'sensor_msgs/msg/JointState', 'sensor_data', this.#guard(topic, (m) => a.onJointState(topic, m)));
    for (const { arm, topic } of a.poseTopics()) g.subscribe<PoseStamped>(topic, 'geometry_msgs/msg/PoseStamped', 'sensor_data', this.#guard(topic, (m) => a.onPose(arm, m)));
    g.subscribe<TFMessage>('/tf', 'tf2_msgs/msg/TFMessage', 'reliable', this.#guard('/tf', (m) => a.onTf(m, false, '/tf', g.now())));
    g.subscribe<TFMessage>('/tf_static', 'tf2_msgs/msg/TFMessage', 'transient_local', this.#guard('/tf_static', (m) => a.onTf(m, true, '/tf_static')));
    const instructionTopic = this.#config.instructionTopic;
    g.subscribe<StringMsg>(instructionTopic, 'std_msgs/msg/String', 'reliable', this.#guard(instructionTopic, (m) => {
      a.instruction.set(m.data, instructionTopic);
      g.logger.info(`instruction: ${JSON.stringify(m.data)}`);
    }));
  }

  /** Releases the model (and its inference thread). */
  async shutdown(): Promise<void> {
    this.#state = 'unconfigured';
    const policy = this.#policy;
    this.#policy = null;
    await policy?.release();
  }

  activate(): void {
    if (this.#state === 'inactive') {
      this.#state = 'active';
      this.#maybeStart();
    }
  }

  deactivate(): void {
    if (this.#state === 'active') this.#state = 'inactive';
    // The executors may have stopped meanwhile: the next chunk continues nothing.
    this.#rtc?.forget();
  }

  #maybeStart(): void {
    if (this.#state !== 'active' || this.#inFlight || !this.#policy) return;
    const now = this.graph.now();
    const period = this.#config.replanPeriod;
    if (period > 0 && this.#lastStart !== null && now - this.#lastStart < secondsToNs(period)) return;
    void this.#infer(now);
  }

  async #infer(start: bigint): Promise<void> {
    const policy = this.#policy as PolicyRunner;
    const assembler = this.#assembler as ObservationAssembler;
    this.#inFlight = true;
    let published = false;
    try {
      const seed = this.#seed;
      const { snap, chunk, rtc } = await this.graph.compute(async () => {
        const snap = await assembler.snapshot(start);
        // Real-time chunking: the previous chunk's steps due before this one can arrive are pinned.
        const rtc = this.#rtc?.plan(snap.stamp, start, this.latency.quantile(this.#config.rtc.latencyQuantile)) ?? null;
        return { snap, chunk: await policy.predict(snap.observation, { seed, ...rtc?.options }), rtc };
      });
      this.#seed++;
      this.#lastStart = start;
      const now = this.graph.now();
      const latency = secondsBetween(now, start);
      const frameAge = secondsBetween(start, snap.stamp);
      this.latency.push(latency);
      this.frameAge.push(frameAge);
      this.onInference?.(latency, frameAge);
      this.#lastAges = snap.ages;
      // The last check before the chunk leaves the node: a non-finite value is never published.
      const problem = nonFiniteChunk(chunk);
      if (problem) throw new ModelError('MODEL_GRAPH', `model ${chunk.model} predicted a non-finite action chunk (${problem}); it is not published.`);
      const root = assembler.tf.commonAncestor([...this.#frames.values()]) ?? undefined;
      (this.#chunkPub as Publisher<ActionChunkMsg>).publish(toActionChunk(chunk, snap.stamp, this.#frames, root));
      this.#rtc?.remember(chunk.actions, snap.stamp, chunk.dt);
      if (rtc) this.#rtcChunks++;
      this.#chunks++;
      this.#lastChunkTime = now;
      published = true;
    } catch (e) {
      if (e instanceof SnapshotRefused) {
        this.refused.set(e.reason, (this.refused.get(e.reason) ?? 0) + 1);
        // Said once per input and reason (the age in the text changes at every retry).
        const key = `${e.input}|${e.reason}`;
        if (key !== this.#refusalKey) this.graph.logger.warn(e.message);
        this.#refusalKey = key;
        this.#lastRefusal = e.message;
      } else if (e instanceof TwinvlaError && !(e instanceof InternalError)) {
        this.#inputErrors++;
        this.graph.logger.error(`inference failed: ${e.message}`);
      } else {
        this.graph.logger.error(`inference failed: ${(e as Error).stack ?? String(e)}`);
      }
    } finally {
      this.#inFlight = false;
    }
    if (published) {
      if (this.#refusalKey) this.graph.logger.info('inputs fresh again: inference resumed');
      this.#lastRefusal = '';
      this.#refusalKey = '';
      if (this.#config.replanPeriod === 0) this.#maybeStart();
    }
  }

  #publishDiagnostics(): void {
    const now = this.graph.now();
    const values: Record<string, string | number> = {
      state: this.#state,
      model: this.#policy?.manifest.name ?? '',
      execution_provider: this.#policy?.providerSummary ?? '',
      provider_fallbacks: this.#policy?.providerFallbacks ?? 0,
      chunks_published: this.#chunks,
      inference_latency_p50_ms: this.latency.quantile(0.5) * 1e3,
      inference_latency_p95_ms: this.latency.quantile(0.95) * 1e3,
      // Observation to chunk = frame age (the snapshot's oldest input to the inference start:
      // camera period, replan timer phase) + inference latency.
      frame_age_p50_ms: this.frameAge.quantile(0.5) * 1e3,
      frame_age_p95_ms: this.frameAge.quantile(0.95) * 1e3,
      input_errors: this.#inputErrors,
      rtc: this.#rtc?.mode ?? (this.#config.rtc.enabled ? 'on' : 'off'),
      'rtc.chunks': this.#rtcChunks,
      'rtc.frozen_steps': this.#rtc?.last?.frozen ?? 0,
      'rtc.guided_steps': this.#rtc?.last?.guided ?? 0,
      instruction: this.#assembler?.instruction.text ?? '',
    };
    for (const reason of ['missing', 'stale', 'future', 'invalid'] as const) values[`refused.${reason}`] = this.refused.get(reason) ?? 0;
    for (const [input, hz] of this.#rates.take(now)) values[`rate_hz.${input}`] = hz;
    // Ages of the inputs in the last snapshot used, at its start.
    for (const [input, age] of this.#lastAges) values[`age_ms.${input}`] = age * 1e3;
    if (this.#lastRefusal) values['last_refusal'] = this.#lastRefusal;
    if (this.#config.rtc.enabled && this.#config.rtc.guidance === 'soft' && this.#rtc?.softUnavailable) values['rtc.fallback'] = this.#rtc.softUnavailable;
    const sinceChunk = this.#lastChunkTime === null ? Infinity : secondsBetween(now, this.#lastChunkTime);
    const stalled = this.#state === 'active' && sinceChunk > 1.0;
    const level = this.#state === 'unconfigured' ? ERROR : stalled ? WARN : OK;
    const since = Number.isFinite(sinceChunk) ? `for ${sinceChunk.toFixed(1)} s` : 'yet';
    const message = this.#state !== 'active' ? this.#state : stalled ? `no chunk ${since}${this.#lastRefusal ? `: ${this.#lastRefusal}` : ''}` : 'running';
    this.#diagPub.publish(diagnosticArray(now, `${this.graph.nodeName}: policy`, level, message, values));
  }
}
