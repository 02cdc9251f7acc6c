/**
 * One arm's executor: ActionChunk in, that arm's PoseStamped target and gripper command out at
 * control_rate_hz, through the chunk timeline and the safety filter. It starts disabled (nothing is
 * published on the command topics) until ~/enable (std_srvs/srv/SetBool) or start_enabled; enabling starts
 * from the measured pose. When no fresh chunk covers now it holds the last target or stops
 * publishing, per on_no_chunk, and says so once in the log and always in /diagnostics.
 */
import { ArmPipeline } from '../act/arm-pipeline.js';
import type { Intervention } from '../act/safety.js';
import { poseStamped, float64 } from '../act/output.js';
import type { ArmTarget } from '../act/interpolate.js';
import { ParameterError, TwinvlaError } from '../errors.js';
import { compose, type Transform, type Vec3 } from '../geometry.js';
import type { Graph, Publisher } from '../graph/port.js';
import type { ActionChunkMsg, DiagnosticArray, Float64, PoseStamped, SetBoolRequest, SetBoolResponse, TFMessage } from '../messages.js';
import { EndEffectorTracker } from '../observe/end-effector.js';
import { modelToGripper } from '../gripper.js';
import { TfBuffer } from '../observe/tf-buffer.js';
import { secondsBetween } from '../time.js';
import { armChunkFrom } from './chunk-message.js';
import { diagnosticArray, OK, WARN } from './diagnostics.js';
import { EXECUTOR_PARAMS, executorChecks, executorConfig, type ExecutorConfig } from './executor-params.js';
import { updateParams, type ParamValues } from '../config/params.js';

export type ExecutorStatus = 'disabled' | 'commanding' | 'holding' | 'stopped' | 'refused';

export class ArmExecutor {
  readonly graph: Graph;
  #params: ParamValues;
  #config: ExecutorConfig;
  readonly arm: string;
  readonly pipeline: ArmPipeline;
  readonly tf = new TfBuffer();
  readonly #measured: EndEffectorTracker;
  readonly #targetPub: Publisher<PoseStamped>;
  readonly #gripperPub: Publisher<Float64>;
  readonly #diagPub: Publisher<DiagnosticArray>;
  #enabled: boolean;
  #last: ArmTarget | null = null;
  #status: ExecutorStatus = 'disabled';
  #said = '';
  readonly #frame: string;
  #lastChunkStamp: bigint | null = null;
  /** The other arm's latest published target, as received (safety.min_arm_distance). */
  #otherTarget: { position: Vec3; frame: string } | null = null;
  targetsPublished = 0;
  heldTicks = 0;
  chunksReceived = 0;
  chunkErrors = 0;

  private constructor(graph: Graph, params: ParamValues) {
    this.graph = graph;
    this.#params = params;
    const c = executorConfig(params, `parameters of ${graph.nodeName}`);
    this.#config = c;
    this.arm = c.arm;
    this.pipeline = new ArmPipeline(this.arm, { blend: c.blend, gripperInterpolation: c.gripperInterpolation, interpolation: c.interpolation, limits: c.limits });
    this.pipeline.timeline.setSmoothing(c.smoothing);
    this.#frame = c.frame;
    this.#measured = new EndEffectorTracker(this.arm, c.measuredPose);
    this.#enabled = c.startEnabled;
    this.#targetPub = graph.advertise<PoseStamped>(c.targetTopic, 'geometry_msgs/msg/PoseStamped', 'reliable');
    this.#gripperPub = graph.advertise<Float64>(c.gripperTopic, 'std_msgs/msg/Float64', 'reliable');
    this.#diagPub = graph.advertise<DiagnosticArray>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', 'reliable');
    graph.subscribe<ActionChunkMsg>(c.chunkTopic, 'twinvla/msg/ActionChunk', 'reliable', (m) => this.#onChunk(m));
    graph.subscribe<TFMessage>('/tf', 'tf2_msgs/msg/TFMessage', 'reliable', (m) => this.#guard(() => this.tf.add(m, false, '/tf', { now: graph.now() })));
    graph.subscribe<TFMessage>('/tf_static', 'tf2_msgs/msg/TFMessage', 'transient_local', (m) => this.#guard(() => this.tf.add(m, true, '/tf_static')));
    if (c.measuredPose.kind === 'topic') {
      graph.subscribe<PoseStamped>(c.measuredPose.topic, 'geometry_msgs/msg/PoseStamped', 'sensor_data', (m) => this.#guard(() => this.#measured.onPose(m)));
    }
    // The other arm's targets, for the minimum distance between the arms' targets (live: that
    // executor's topic; in one process or a replay the same topic on the same graph).
    graph.subscribe<PoseStamped>(c.otherArmTargetTopic, 'geometry_msgs/msg/PoseStamped', 'reliable', (m) => {
      const { x, y, z } = m.pose.position;
      if ([x, y, z].every(Number.isFinite)) this.#otherTarget = { position: [x, y, z], frame: m.header.frame_id.replace(/^\//, '') || this.#frame };
    });
    graph.createService<SetBoolRequest, SetBoolResponse>('~/enable', 'std_srvs/srv/SetBool', (req) => this.enable(req.data));
    graph.onParametersSet((changes) => this.#setParameters(changes));
    graph.createTimer(1 / c.controlRateHz, () => this.tick());
    graph.createTimer(c.diagnosticsPeriod, () => this.#publishDiagnostics());
    graph.logger.info(`${this.arm} executor: ${this.#enabled ? 'enabled at start' : 'disabled until ~/enable'}, ${c.controlRateHz} Hz, frame ${this.#frame}`);
  }

  static create(graph: Graph): ArmExecutor {
    const params = graph.parameters(EXECUTOR_PARAMS);
    const problems = executorChecks(params);
    if (problems.length > 0) throw new ParameterError(`parameters of ${graph.nodeName}: ${problems.length} invalid parameter(s):\n  ${problems.join('\n  ')}`);
    return new ArmExecutor(graph, params);
  }

  get params(): ParamValues { return this.#params; }
  get config(): ExecutorConfig { return this.#config; }

  /** A live change: validated as a whole, then applied from the next tick; otherwise refused with why. */
  #setParameters(changes: Record<string, unknown>): string | null {
    try {
      const source = `parameters of ${this.graph.nodeName}`;
      const next = updateParams(EXECUTOR_PARAMS, this.#params, changes, source, executorChecks);
      const config = executorConfig(next, source);
      this.#params = next;
      this.#config = config;
      this.pipeline.safety.setLimits(config.limits);
      this.pipeline.timeline.configure(config.blend, config.gripperInterpolation, config.interpolation);
      this.pipeline.timeline.setSmoothing(config.smoothing);
      this.graph.logger.info(`${this.arm} executor: parameters changed: ${Object.keys(changes).join(', ')}`);
      return null;
    } catch (e) {
      if (!(e instanceof TwinvlaError)) throw e;
      this.graph.logger.warn(e.message);
      return e.message;
    }
  }

  get enabled(): boolean { return this.#enabled; }
  get status(): ExecutorStatus { return this.#status; }

  #guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof TwinvlaError)) throw e;
      this.graph.logger.warn(e.message);
    }
  }

  #say(status: ExecutorStatus, message: string): void {
    this.#status = status;
    if (message !== this.#said) this.graph.logger.warn(message);
    this.#said = message;
  }

  /** ~/enable: enabling starts from the measured pose; disabling stops every command at once. */
  enable(on: boolean): SetBoolResponse {
    this.#enabled = on;
    this.#last = null;
    this.#said = '';
    this.pipeline.reset();
    this.#status = on ? 'commanding' : 'disabled';
    this.graph.logger.info(`${this.arm} executor ${on ? 'enabled: starting from the measured pose' : 'disabled: no commands'}`);
    return { success: true, message: on ? 'enabled' : 'disabled' };
  }

  #measuredPose(): Transform | null {
    try {
      return this.#measured.read(this.tf)?.pose ?? null;
    } catch (e) {
      // No measured pose yet (TF or topic not there): the safety filter refuses and says so.
      if (!(e instanceof TwinvlaError)) throw e;
      return null;
    }
  }

  #onChunk(msg: ActionChunkMsg): void {
    const now = this.graph.now();
    const found = armChunkFrom(msg, this.arm);
    if (!found) {
      this.chunkErrors++;
      this.#say(this.#status, `ActionChunk from model ${msg.model} has no arm ${this.arm} (it has ${msg.arms.map((a) => a.name).join(', ')}); check the arm parameter.`);
      return;
    }
    let { chunk } = found;
    try {
      if (found.frame && found.frame !== this.#frame) {
        // Chunks come in the arm's base frame; targets go out in output_frame.
        const { transform } = this.tf.lookup(this.#frame, found.frame, 'latest');
        chunk = { ...chunk, poses: chunk.poses.map((p) => compose(transform, p)) };
      }
      const r = this.pipeline.addChunk(chunk, now);
      this.chunksReceived++;
      if (r.accepted) this.#lastChunkStamp = chunk.stamp;
    } catch (e) {
      if (!(e instanceof TwinvlaError)) throw e;
      this.chunkErrors++;
      this.graph.logger.warn(e.message);
    }
  }

  /** The other arm's latest target in this executor's frame: null when none; 'unavailable' without a transform. */
  #otherArmPosition(): Vec3 | null | 'unavailable' {
    const o = this.#otherTarget;
    if (!o || !(this.#config.limits.minArmDistance > 0)) return null;
    if (o.frame === this.#frame) return o.position;
    try {
      return compose(this.tf.lookup(this.#frame, o.frame, 'latest').transform, { t: o.position, q: [0, 0, 0, 1] }).t;
    } catch (e) {
      if (!(e instanceof TwinvlaError)) throw e;
      this.#say(this.#status, `${this.arm} executor: the other arm's target is in ${o.frame}, and there is no transform to ${this.#frame} (${e.message}); targets are refused while safety.min_arm_distance cannot be checked`);
      return 'unavailable';
    }
  }

  #publish(target: ArmTarget, now: bigint): void {
    // The safety filter keeps the quaternions in the last published one's hemisphere (across holds
    // and re-enables too): what goes out here never flips sign.
    this.#targetPub.publish(poseStamped(target.pose, this.#frame, now));
    if (target.gripper !== null) {
      const out = this.#config.gripperOutput;
      const g = out.kind === 'joint' ? modelToGripper(target.gripper, out.mapping) : target.gripper;
      this.#gripperPub.publish(float64(g));
    }
  }

  tick(): void {
    if (!this.#enabled) {
      this.#status = 'disabled';
      return;
    }
    const now = this.graph.now();
    const safety = this.pipeline.safety;
    const measured = this.#last && !safety.needsMeasured ? null : this.#measuredPose();
    const r = this.pipeline.tick(now, { measured, otherArm: this.#otherArmPosition() });
    if (r.kind === 'target') {
      this.#publish(r.target, now);
      this.#last = r.target;
      this.targetsPublished++;
      if (this.#status !== 'commanding') { this.#status = 'commanding'; this.#said = ''; }
      return;
    }
    if (r.reason === 'no_chunk') {
      if (this.#config.onNoChunk === 'hold' && this.#last) {
        this.#publish(this.#last, now);
        this.pipeline.safety.held(now);
        this.heldTicks++;
        this.#say('holding', `${this.arm} executor: no fresh chunk covers now; holding the last target`);
      } else {
        this.#say('stopped', `${this.arm} executor: no fresh chunk covers now; not publishing`);
      }
      return;
    }
    this.#say('refused', `${this.arm} executor: no target (${r.reason as Intervention}); not publishing`);
  }

  #publishDiagnostics(): void {
    const now = this.graph.now();
    const values: Record<string, string | number> = {
      enabled: String(this.#enabled),
      status: this.#status,
      targets_published: this.targetsPublished,
      held_ticks: this.heldTicks,
      chunks_received: this.chunksReceived,
      chunk_errors: this.chunkErrors,
      dropped_steps: this.pipeline.timeline.droppedSteps,
      stale_chunks: this.pipeline.timeline.staleChunks,
      out_of_order_chunks: this.pipeline.timeline.outOfOrderChunks,
      last_chunk_age_s: this.#lastChunkStamp !== null ? secondsBetween(now, this.#lastChunkStamp) : -1,
    };
    for (const [k, v] of this.pipeline.safety.counts) values[`safety.${k}`] = v;
    values['gripper_clipped'] = this.pipeline.safety.gripperClipped;
    const level = this.#status === 'commanding' || this.#status === 'disabled' ? OK : WARN;
    this.#diagPub.publish(diagnosticArray(now, `${this.graph.nodeName}: ${this.arm} executor`, level, this.#said || this.#status, values));
  }
}
