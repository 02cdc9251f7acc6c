/**
 * The PolicyNode's parameters: one schema, the source of defaults, validation and the README table,
 * and the typed record the node reads them through (policyConfig).
 */
import { ARMS, CAMERA_ROLES } from '../config/layout.js';
import type { ParamSpec, ParamValues } from '../config/params.js';
import { keyedMap, ParamReader } from '../config/reader.js';
import type { GripperMapping } from '../gripper.js';
import type { PoseSource } from '../observe/end-effector.js';
import { RTC_GUIDANCE, type RtcConfig } from '../model/rtc-planner.js';
import { RTC_SCHEDULES } from '../model/rtc.js';
import { gripperMappingFrom, poseSourceFrom } from './arm-params.js';

const TRANSPORTS = ['raw', 'compressed'] as const;

const camera = (role: string, topic: string, transport: CameraTransport): ParamSpec[] => [
  { name: `cameras.${role}.topic`, type: 'string', default: topic, readOnly: true, description: `Image topic of the ${role} camera (with transport compressed: the .../compressed topic).` },
  { name: `cameras.${role}.transport`, type: 'string', default: transport, allowed: TRANSPORTS, readOnly: true, description: `raw: sensor_msgs/msg/Image; compressed: sensor_msgs/msg/CompressedImage (jpeg or png).` },
];

const arm = (a: string): ParamSpec[] => [
  { name: `arms.${a}.joint_states_topic`, type: 'string', default: '/joint_states', readOnly: true, description: `sensor_msgs/msg/JointState topic carrying the ${a} arm's joints (per-arm or shared).` },
  { name: `arms.${a}.joints`, type: 'string_array', default: [], readOnly: true, description: `Joint names of the ${a} arm that must be present and finite before inference.` },
  { name: `arms.${a}.gripper.joint`, type: 'string', default: `${a}_gripper`, readOnly: true, description: `The ${a} gripper's joint name.` },
  { name: `arms.${a}.gripper.closed_position`, type: 'double', default: 0.0, unit: 'm or rad', readOnly: true, description: `Joint position read as the model's closed gripper value.` },
  { name: `arms.${a}.gripper.open_position`, type: 'double', default: 1.0, unit: 'm or rad', readOnly: true, description: `Joint position read as the model's open gripper value.` },
  { name: `arms.${a}.pose.source`, type: 'string', default: 'tf', allowed: ['tf', 'topic'], readOnly: true, description: `Where the ${a} end-effector pose comes from: TF (base_frame <- ee_frame) or a geometry_msgs/msg/PoseStamped topic.` },
  { name: `arms.${a}.pose.base_frame`, type: 'string', default: `${a}_base_link`, readOnly: true, description: `The ${a} arm's base frame: the frame of its state and of its chunk.` },
  { name: `arms.${a}.pose.ee_frame`, type: 'string', default: `${a}_ee_link`, readOnly: true, description: `The ${a} end-effector frame (source tf).` },
  { name: `arms.${a}.pose.topic`, type: 'string', default: `/${a}/ee_pose`, readOnly: true, description: `PoseStamped topic of the ${a} end effector, in base_frame (source topic).` },
  { name: `arms.${a}.pose.max_reach`, type: 'double', default: 2.0, min: 0.01, max: 100, unit: 'm', description: `A measured ${a} end-effector position farther than this from base_frame's origin is absurd (a wrong frame, a broken sensor): the snapshot is refused and counted as invalid, and no inference runs on it. Set it a little beyond the arm's reach.` },
];

export const POLICY_PARAMS: readonly ParamSpec[] = [
  { name: 'model', type: 'string', default: 'twinvla-tiny', readOnly: true, description: 'Model folder, or the name of a model installed under share/twinvla/models.' },
  { name: 'providers', type: 'string_array', default: ['cuda', 'cpu'], allowed: ['cuda', 'tensorrt', 'webgpu', 'cpu'], readOnly: true, description: 'ONNX Runtime execution providers in order of preference; each fallback is logged and counted.' },
  { name: 'inference_thread', type: 'bool', default: true, readOnly: true, description: 'Run inference in a worker thread: onnxruntime-node runs a graph synchronously, which would stall the executors\' timers in the same process.' },
  { name: 'intra_op_threads', type: 'integer', default: 0, min: 0, max: 256, readOnly: true, description: 'ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per core). Leave a core to the executors on small machines.' },
  { name: 'intra_op_spinning', type: 'bool', default: true, readOnly: true, description: 'Let ONNX Runtime\'s intra-op threads spin between operators: lower latency where inference has its cores (without it the live test\'s chunks came late enough for the executors to stop), much higher latency on cores shared with other work (2.6x on 2 loaded cores): turn it off there.' },
  { name: 'warmup_runs', type: 'integer', default: 2, min: 0, max: 20, readOnly: true, description: 'Full predictions run at configure time.' },
  { name: 'instruction', type: 'string', default: '', description: 'The task instruction; replaced by messages on instruction_topic.' },
  { name: 'instruction_topic', type: 'string', default: '~/instruction', readOnly: true, description: 'std_msgs/msg/String topic that replaces the instruction.' },
  ...CAMERA_ROLES.flatMap((r) => camera(r, `/camera/${r}/image_raw`, 'raw')),
  ...ARMS.flatMap(arm),
  { name: 'max_age.camera', type: 'double', default: 0.2, min: 0.001, max: 10, unit: 's', description: 'Oldest camera image a snapshot may use.' },
  { name: 'max_age.joints', type: 'double', default: 0.2, min: 0.001, max: 10, unit: 's', description: 'Oldest joint state a snapshot may use.' },
  { name: 'max_age.pose', type: 'double', default: 0.2, min: 0.001, max: 10, unit: 's', description: 'Oldest end-effector pose a snapshot may use.' },
  { name: 'future_tolerance', type: 'double', default: 0.05, min: 0, max: 5, unit: 's', description: 'How far a stamp may lie ahead of the clock (clock skew) before the input is refused.' },
  { name: 'replan_period', type: 'double', default: 0.0, min: 0, max: 60, unit: 's', description: 'Seconds between inference starts; 0 runs them back to back.' },
  { name: 'retry_period', type: 'double', default: 0.02, min: 0.001, max: 1, unit: 's', readOnly: true, description: 'How soon a refused snapshot is tried again.' },
  { name: 'chunk_topic', type: 'string', default: '~/action_chunk', readOnly: true, description: 'twinvla/msg/ActionChunk output topic.' },
  { name: 'seed', type: 'integer', default: 0, min: 0, max: 2147483647, readOnly: true, description: 'Seed of the sampler noise (each inference advances it).' },
  { name: 'diagnostics_period', type: 'double', default: 1.0, min: 0.05, max: 60, unit: 's', readOnly: true, description: 'Period of /diagnostics.' },
  { name: 'rtc.enabled', type: 'bool', default: false, description: 'Real-time chunking: each chunk is sampled as a continuation of the previous one (its steps due during the inference delay pinned, the rest of the overlap guided), so the executors switch chunks without a jump. Use blending.mode latest in the executors.' },
  { name: 'rtc.guidance', type: 'string', default: 'soft', allowed: RTC_GUIDANCE, description: 'soft: pinned prefix and the overlap guided by the denoiser\'s vector-Jacobian product (needs graphs.denoiser_vjp in the model; otherwise hard, said in the log and diagnostics); hard: pinned prefix only.' },
  { name: 'rtc.execution_horizon', type: 'integer', default: 0, min: 0, max: 1000, description: 'Steps of the new chunk guided towards the previous one (the prefix weights reach 0 there); 0: the whole overlap.' },
  { name: 'rtc.schedule', type: 'string', default: 'exp', allowed: RTC_SCHEDULES, description: 'Decay of the prefix weights after the pinned steps: linear, exp (the linear weight w times (e^w - 1)/(e - 1)), ones, zeros (as the paper and LeRobot name them).' },
  { name: 'rtc.max_guidance_weight', type: 'double', default: 5.0, min: 0, max: 100, description: 'Upper bound of the soft guidance weight (it diverges at the ends of the flow).' },
  { name: 'rtc.latency_quantile', type: 'double', default: 0.9, min: 0, max: 1, description: 'Quantile of the recent inference latencies taken as the delay when counting the steps to pin.' },
  { name: 'autostart', type: 'bool', default: true, readOnly: true, description: 'Configure and activate at start-up (otherwise wait for the lifecycle transitions).' },
];

export type CameraTransport = (typeof TRANSPORTS)[number];

export interface PolicyCameraConfig {
  topic: string;
  transport: CameraTransport;
}

export interface PolicyArmConfig {
  jointStatesTopic: string;
  joints: string[];
  gripper: GripperMapping;
  pose: PoseSource;
  /** Metres from the base frame's origin beyond which a measured position is refused. */
  maxReach: number;
}

/** Seconds an input may age, and a stamp lie ahead of the clock, before a snapshot is refused. */
export interface FreshnessConfig {
  maxAge: { camera: number; joints: number; pose: number };
  futureTolerance: number;
}

/** The PolicyNode's parameters, typed; cameras and arms keyed by role and by arm (config/layout.ts). */
export interface PolicyConfig {
  model: string;
  providers: string[];
  inferenceThread: boolean;
  intraOpThreads: number;
  intraOpSpinning: boolean;
  warmupRuns: number;
  instruction: string;
  instructionTopic: string;
  cameras: ReadonlyMap<string, PolicyCameraConfig>;
  arms: ReadonlyMap<string, PolicyArmConfig>;
  freshness: FreshnessConfig;
  replanPeriod: number;
  retryPeriod: number;
  chunkTopic: string;
  seed: number;
  diagnosticsPeriod: number;
  autostart: boolean;
  rtc: RtcConfig;
}

/** Validated values (graph.parameters(POLICY_PARAMS)) -> the typed record. */
export function policyConfig(values: ParamValues, source: string): PolicyConfig {
  const r = new ParamReader(values, source);
  return {
    model: r.string('model'),
    providers: r.strings('providers'),
    inferenceThread: r.bool('inference_thread'),
    intraOpThreads: r.number('intra_op_threads'),
    intraOpSpinning: r.bool('intra_op_spinning'),
    warmupRuns: r.number('warmup_runs'),
    instruction: r.string('instruction'),
    instructionTopic: r.string('instruction_topic'),
    cameras: keyedMap(CAMERA_ROLES, (role) => ({ topic: r.string(`cameras.${role}.topic`), transport: r.choice(`cameras.${role}.transport`, TRANSPORTS) })),
    arms: keyedMap(ARMS, (a) => ({
      jointStatesTopic: r.string(`arms.${a}.joint_states_topic`),
      joints: r.strings(`arms.${a}.joints`),
      gripper: gripperMappingFrom(r, `arms.${a}.gripper`, r.string(`arms.${a}.gripper.joint`)),
      pose: poseSourceFrom(r, `arms.${a}.pose`),
      maxReach: r.number(`arms.${a}.pose.max_reach`),
    })),
    freshness: {
      maxAge: { camera: r.number('max_age.camera'), joints: r.number('max_age.joints'), pose: r.number('max_age.pose') },
      futureTolerance: r.number('future_tolerance'),
    },
    replanPeriod: r.number('replan_period'),
    retryPeriod: r.number('retry_period'),
    chunkTopic: r.string('chunk_topic'),
    seed: r.number('seed'),
    diagnosticsPeriod: r.number('diagnostics_period'),
    autostart: r.bool('autostart'),
    rtc: {
      enabled: r.bool('rtc.enabled'),
      guidance: r.choice('rtc.guidance', RTC_GUIDANCE),
      executionHorizon: r.number('rtc.execution_horizon'),
      schedule: r.choice('rtc.schedule', RTC_SCHEDULES),
      maxGuidanceWeight: r.number('rtc.max_guidance_weight'),
      latencyQuantile: r.number('rtc.latency_quantile'),
    },
  };
}
