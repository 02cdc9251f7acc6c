/** The ArmExecutor's parameters: one schema per node, as for the PolicyNode, and its typed record. */
import { CROSSFADE_PROFILES, parseBlendMode, type BlendMode } from '../act/timeline.js';
import type { GripperInterpolation } from '../act/interpolate.js';
import type { SafetyLimits } from '../act/safety.js';
import { INTERPOLATIONS, type Interpolation } from '../act/spline.js';
import type { ParamSpec, ParamValues } from '../config/params.js';
import { ParamReader } from '../config/reader.js';
import type { GripperMapping } from '../gripper.js';
import type { PoseSource } from '../observe/end-effector.js';
import { gripperMappingFrom, poseSourceFrom } from './arm-params.js';
import { ARMS, executorNodeName } from '../config/layout.js';

/** The arm an executor keeps its distance from: the layout's other arm (the first one that is not this). */
export function otherArm(arm: string): string {
  return ARMS.find((a) => a !== arm) ?? arm;
}

const GRIPPER_OUTPUTS = ['model', 'joint'] as const;
const GRIPPER_INTERPOLATIONS = ['hold', 'lerp'] as const;
const ON_NO_CHUNK = ['hold', 'stop'] as const;

/** Parameters that can change while the node runs: safety limits, blending, hold behaviour. */
export const EXECUTOR_PARAMS: readonly ParamSpec[] = [
  { name: 'arm', type: 'string', default: 'left', readOnly: true, description: 'Which arm of the ActionChunk this executor drives.' },
  { name: 'chunk_topic', type: 'string', default: 'twinvla_policy/action_chunk', readOnly: true, description: 'twinvla/msg/ActionChunk input topic (relative: in the executor\'s namespace, where the policy node publishes it).' },
  { name: 'control_rate_hz', type: 'double', default: 50, min: 1, max: 1000, unit: 'Hz', readOnly: true, description: 'Rate of the published targets.' },
  { name: 'target_topic', type: 'string', default: '~/target_pose', readOnly: true, description: 'geometry_msgs/msg/PoseStamped output topic.' },
  { name: 'gripper_topic', type: 'string', default: '~/gripper_command', readOnly: true, description: 'std_msgs/msg/Float64 gripper command topic.' },
  { name: 'gripper_output', type: 'string', default: 'model', allowed: GRIPPER_OUTPUTS, readOnly: true, description: 'model: the model\'s gripper units; joint: mapped to the gripper joint\'s positions.' },
  { name: 'gripper.closed_position', type: 'double', default: 0.0, unit: 'm or rad', readOnly: true, description: 'Joint position commanded for the model\'s closed value (gripper_output joint).' },
  { name: 'gripper.open_position', type: 'double', default: 1.0, unit: 'm or rad', readOnly: true, description: 'Joint position commanded for the model\'s open value (gripper_output joint).' },
  { name: 'output_frame', type: 'string', default: '', readOnly: true, description: 'Frame of the published targets; empty: the chunk\'s frame. Otherwise chunks are transformed with TF.' },
  { name: 'measured_pose.source', type: 'string', default: 'tf', allowed: ['tf', 'topic'], readOnly: true, description: 'Where the arm\'s measured pose comes from (first target, re-enable).' },
  { name: 'measured_pose.base_frame', type: 'string', default: '', readOnly: true, description: 'Frame the measured pose is expressed in (must be the output frame); empty: <arm>_base_link, as the policy node\'s arms.<arm>.pose.base_frame.' },
  { name: 'measured_pose.ee_frame', type: 'string', default: '', readOnly: true, description: 'End-effector frame (source tf); empty: <arm>_ee_link.' },
  { name: 'measured_pose.topic', type: 'string', default: '', readOnly: true, description: 'PoseStamped topic (source topic); empty: /<arm>/ee_pose.' },
  { name: 'blending.mode', type: 'string', default: 'temporal_ensemble', allowed: ['latest', 'temporal_ensemble', 'crossfade'], description: 'How overlapping chunks combine.' },
  { name: 'blending.coefficient', type: 'double', default: 0.01, min: 0, max: 10, description: 'temporal_ensemble: weight exp(-coefficient * i), i = 0 the oldest chunk.' },
  { name: 'blending.crossfade_steps', type: 'integer', default: 5, min: 1, max: 1000, description: 'crossfade: chunk steps over which the new chunk takes over.' },
  { name: 'interpolation', type: 'string', default: 'minimum_jerk', allowed: INTERPOLATIONS, description: 'Poses between chunk steps: linear (lerp, slerp: a velocity jump at every step), cubic (Catmull-Rom: continuous velocity) or minimum_jerk (quintic: continuous acceleration).' },
  { name: 'smoothing.jerk_weight', type: 'double', default: 0.0, min: 0, max: 1e6, description: 'Each chunk\'s poses are smoothed by jerk-penalised least squares, argmin |z - y|^2 + w |third differences of z|^2 over its steps: a zero-lag low-pass against the sampling noise between steps. 0: off.' },
  { name: 'blending.crossfade_profile', type: 'string', default: 'linear', allowed: CROSSFADE_PROFILES, description: 'crossfade: how the new chunk\'s weight rises, linearly or along the minimum-jerk profile (no velocity or acceleration step at either end).' },
  { name: 'gripper_interpolation', type: 'string', default: 'hold', allowed: GRIPPER_INTERPOLATIONS, description: 'Between chunk steps, hold the gripper value or interpolate it.' },
  { name: 'safety.workspace_min', type: 'double_array', default: [0.0, -0.6, 0.0], length: 3, unit: 'm', description: 'Lower corner of the workspace box in the output frame.' },
  { name: 'safety.workspace_max', type: 'double_array', default: [0.7, 0.6, 0.6], length: 3, unit: 'm', description: 'Upper corner of the workspace box in the output frame.' },
  { name: 'safety.max_linear_speed', type: 'double', default: 0.25, min: 0, max: 5, unit: 'm/s', description: 'Largest target speed; steps are shortened to it.' },
  { name: 'safety.max_angular_speed', type: 'double', default: 1.5, min: 0, max: 20, unit: 'rad/s', description: 'Largest target angular speed.' },
  { name: 'safety.gripper_min', type: 'double', default: 0.0, description: 'Smallest gripper command (model units).' },
  { name: 'safety.gripper_max', type: 'double', default: 1.0, description: 'Largest gripper command (model units).' },
  { name: 'safety.gripper_tolerance', type: 'double', default: 0.25, min: 0, max: 10, description: 'How far (model units) a gripper output may stray outside [gripper_min, gripper_max] and still be normal: a regression head overshoots its range a little (the demo models reach -0.2 and 1.11 for 0..1), so such values are clipped and counted as gripper_clipped, not as an intervention; beyond it they are clipped and counted as the gripper_range intervention.' },
  { name: 'safety.max_linear_acceleration', type: 'double', default: 0.0, min: 0, max: 1000, unit: 'm/s^2', description: 'Largest target acceleration; 0: off. The target stream is shaped, not clipped: the published target follows the requested one with at most this acceleration, braking in time so that it catches up without overshoot, and equals it whenever it moves within the limits. Ticks shaped are counted as linear_acceleration.' },
  { name: 'safety.max_linear_jerk', type: 'double', default: 0.0, min: 0, max: 1e5, unit: 'm/s^3', description: 'Largest change of the target acceleration per second (with max_linear_acceleration); 0: off. Ticks it binds are counted as linear_jerk.' },
  { name: 'safety.max_tracking_distance', type: 'double', default: 0.0, min: 0, max: 10, unit: 'm', description: 'Largest distance between the target and the measured end-effector position; a target further away is moved towards the arm onto that distance (counted as tracking_distance), so a blocked or lagging arm is not pulled by a target running away. 0: off. On, the measured pose is read every tick, and a target without one is refused.' },
  { name: 'safety.min_arm_distance', type: 'double', default: 0.0, min: 0, max: 10, unit: 'm', description: 'Smallest distance between this arm\'s target and the other arm\'s latest target (safety.other_arm_target_topic, put in this executor\'s frame by TF). A target nearer than this plus safety.arm_distance_band is moved straight away from the other arm\'s target, eased so that its motion has no kink, and never ends nearer than this; a step that would still come closer inside it holds the previous position. Counted as arm_distance. 0: off. On, a target is refused while the other arm\'s target cannot be transformed (no_other_arm_pose).' },
  { name: 'safety.arm_distance_band', type: 'double', default: 0.02, min: 0, max: 1, unit: 'm', description: 'Width of the easing around safety.min_arm_distance: targets from min_arm_distance + band on are left as they are, nearer ones are moved out along a curve that reaches min_arm_distance at min_arm_distance - band and meets both ends with the same slope. 0: moved straight onto the bound (the arm\'s approach stops at once).' },
  { name: 'safety.other_arm_target_topic', type: 'string', default: '', readOnly: true, description: 'The other arm\'s published targets (geometry_msgs/msg/PoseStamped), for safety.min_arm_distance; empty: the other executor of the bringup, /twinvla_<other arm>_executor/target_pose.' },
  { name: 'safety.max_step_interval', type: 'double', default: 0.1, min: 0.001, max: 1, unit: 's', description: 'Longest interval a single step may be spread over (a late tick earns no longer step).' },
  { name: 'on_no_chunk', type: 'string', default: 'hold', allowed: ON_NO_CHUNK, description: 'When no chunk covers now: hold the last target (republished) or stop publishing.' },
  { name: 'start_enabled', type: 'bool', default: false, readOnly: true, description: 'Start enabled (the launch argument autostart); otherwise commands start after ~/enable (std_srvs/srv/SetBool).' },
  { name: 'realtime_priority', type: 'integer', default: 50, min: 0, max: 99, readOnly: true, description: 'SCHED_FIFO priority the executor\'s process takes at start when the executor runs in a process of its own (the launch default, single_process:=false), so that inference on the same cores cannot delay its ticks (P4 in the README); 0: normal scheduling. Needs root, CAP_SYS_NICE or an rtprio limit (see the README\'s robot section); without it a warning and normal scheduling. Not applied in the single-process bringup, where inference shares the process.' },
  { name: 'diagnostics_period', type: 'double', default: 1.0, min: 0.05, max: 60, unit: 's', readOnly: true, description: 'Period of /diagnostics.' },
];

/** What the gripper command carries: the model's units, or the gripper joint's position. */
export type GripperOutput = { kind: 'model' } | { kind: 'joint'; mapping: GripperMapping };

/** The ArmExecutor's parameters, typed. */
export interface ExecutorConfig {
  arm: string;
  chunkTopic: string;
  controlRateHz: number;
  targetTopic: string;
  gripperTopic: string;
  gripperOutput: GripperOutput;
  /** Frame of the published targets: output_frame, else the measured pose's base frame. */
  frame: string;
  measuredPose: PoseSource;
  blend: BlendMode;
  gripperInterpolation: GripperInterpolation;
  interpolation: Interpolation;
  /** Jerk weight of the chunk smoother; 0: off. */
  smoothing: number;
  limits: SafetyLimits;
  /** The other arm's target topic (safety.min_arm_distance). */
  otherArmTargetTopic: string;
  onNoChunk: (typeof ON_NO_CHUNK)[number];
  startEnabled: boolean;
  diagnosticsPeriod: number;
  /** SCHED_FIFO priority of the executor's own process; 0: normal scheduling (node/realtime.ts). */
  realtimePriority: number;
}

/** Validated values (graph.parameters(EXECUTOR_PARAMS)) -> the typed record. */
export function executorConfig(values: ParamValues, source: string): ExecutorConfig {
  const r = new ParamReader(withArmDefaults(values, source), source);
  const measuredPose = poseSourceFrom(r, 'measured_pose');
  return {
    arm: r.string('arm'),
    chunkTopic: r.string('chunk_topic'),
    controlRateHz: r.number('control_rate_hz'),
    targetTopic: r.string('target_topic'),
    gripperTopic: r.string('gripper_topic'),
    gripperOutput: r.choice('gripper_output', GRIPPER_OUTPUTS) === 'joint' ? { kind: 'joint', mapping: gripperMappingFrom(r, 'gripper', '') } : { kind: 'model' },
    frame: r.string('output_frame') || measuredPose.baseFrame,
    measuredPose,
    blend: parseBlendMode(r.string('blending.mode'), r.number('blending.coefficient'), r.number('blending.crossfade_steps'), 'parameter blending.mode', r.choice('blending.crossfade_profile', CROSSFADE_PROFILES)),
    gripperInterpolation: r.choice('gripper_interpolation', GRIPPER_INTERPOLATIONS),
    interpolation: r.choice('interpolation', INTERPOLATIONS),
    smoothing: r.number('smoothing.jerk_weight'),
    limits: {
      workspaceMin: r.triple('safety.workspace_min'), workspaceMax: r.triple('safety.workspace_max'),
      maxLinearSpeed: r.number('safety.max_linear_speed'), maxAngularSpeed: r.number('safety.max_angular_speed'),
      gripperMin: r.number('safety.gripper_min'), gripperMax: r.number('safety.gripper_max'), gripperTolerance: r.number('safety.gripper_tolerance'), maxStepInterval: r.number('safety.max_step_interval'),
      maxLinearAcceleration: r.number('safety.max_linear_acceleration'), maxLinearJerk: r.number('safety.max_linear_jerk'),
      maxTrackingDistance: r.number('safety.max_tracking_distance'), minArmDistance: r.number('safety.min_arm_distance'), armDistanceBand: r.number('safety.arm_distance_band'),
    },
    otherArmTargetTopic: r.string('safety.other_arm_target_topic'),
    onNoChunk: r.choice('on_no_chunk', ON_NO_CHUNK),
    startEnabled: r.bool('start_enabled'),
    diagnosticsPeriod: r.number('diagnostics_period'),
    realtimePriority: r.number('realtime_priority'),
  };
}

/** The measured pose's frames and topic default to names after the executor's own arm (the policy
 * node's defaults), so that an executor with arm right never works in the left arm's frames. */
function withArmDefaults(values: ParamValues, source: string): ParamValues {
  const r = new ParamReader(values, source);
  const arm = r.string('arm');
  return {
    ...values,
    'measured_pose.base_frame': r.string('measured_pose.base_frame') || `${arm}_base_link`,
    'measured_pose.ee_frame': r.string('measured_pose.ee_frame') || `${arm}_ee_link`,
    'measured_pose.topic': r.string('measured_pose.topic') || `/${arm}/ee_pose`,
    'safety.other_arm_target_topic': r.string('safety.other_arm_target_topic') || `/${executorNodeName(otherArm(arm))}/target_pose`,
  };
}

/** Rules across parameters, checked at start-up and on every live change. */
export function executorChecks(p: ParamValues): string[] {
  const r = new ParamReader(p, 'executor parameters');
  const lo = r.triple('safety.workspace_min'), hi = r.triple('safety.workspace_max');
  const out = lo.flatMap((v, i) => (v < (hi[i] ?? Infinity) ? [] : [`safety.workspace_min[${i}] = ${v} must be below safety.workspace_max[${i}] = ${hi[i]}`]));
  const gMin = r.number('safety.gripper_min'), gMax = r.number('safety.gripper_max');
  if (gMin > gMax) out.push(`safety.gripper_min = ${gMin} is above safety.gripper_max = ${gMax}`);
  if (r.number('safety.max_linear_jerk') > 0 && !(r.number('safety.max_linear_acceleration') > 0)) {
    out.push(`safety.max_linear_jerk = ${r.number('safety.max_linear_jerk')} needs safety.max_linear_acceleration > 0 (it bounds how fast that acceleration changes); set both, or the jerk limit to 0`);
  }
  return out;
}
