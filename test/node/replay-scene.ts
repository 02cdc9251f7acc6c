/** The three nodes on a replay bus, fed by the scripted scene; taps what they publish. */
import type { ActionChunkMsg, PoseStamped, Float64 } from '../../src/messages.js';
import type { ArmExecutor } from '../../src/node/arm-executor.js';
import { bringUp, POLICY_NODE } from '../../src/node/bringup.js';
import type { PolicyNode } from '../../src/node/policy-node.js';
import { ReplayBus, type LatencyModel, type ReplayMessage } from '../../src/graph/replay.js';
import { MemoryLogger } from '../../src/log.js';
import { nsToSeconds, secondsToNs, stampToNs } from '../../src/time.js';
import { TWINVLA_TINY } from '../helpers.js';
import { eeTf, jointState, jpegImage, rawImage, staticTf } from '../scene.js';

export const POLICY_PARAMS = {
  model: TWINVLA_TINY,
  providers: ['cpu'],
  warmup_runs: 0,
  instruction: 'hand over the box to the other arm',
  'cameras.head.topic': '/cam_high/image_raw',
  'cameras.left_wrist.topic': '/cam_left_wrist/image_raw/compressed',
  'cameras.left_wrist.transport': 'compressed',
  'cameras.right_wrist.topic': '/cam_right_wrist/image_raw',
  'arms.left.pose.base_frame': 'left_base', 'arms.left.pose.ee_frame': 'left_ee',
  'arms.right.pose.base_frame': 'right_base', 'arms.right.pose.ee_frame': 'right_ee',
  'arms.left.gripper.closed_position': 0.01, 'arms.left.gripper.open_position': 0.05,
  'arms.right.gripper.closed_position': 0.01, 'arms.right.gripper.open_position': 0.05,
  chunk_topic: '/twinvla/action_chunk',
  // In-thread: replay is deterministic either way; the threaded path has its own test.
  inference_thread: false,
};

export function executorParams(arm: 'left' | 'right', over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    arm,
    chunk_topic: '/twinvla/action_chunk',
    control_rate_hz: 50,
    'measured_pose.base_frame': `${arm}_base`,
    'measured_pose.ee_frame': `${arm}_ee`,
    'blending.mode': 'latest',
    'safety.workspace_min': [-2, -2, -2], 'safety.workspace_max': [2, 2, 2],
    'safety.max_linear_speed': 5, 'safety.max_angular_speed': 20,
    'safety.gripper_min': -10, 'safety.gripper_max': 10,
    ...over,
  };
}

/** ns: simulated publication time; time: the same in seconds (for readable assertions); seq:
 * publication order across all topics. */
export interface Stamped<T> { ns: bigint; time: number; seq: number; msg: T }

export class Scene {
  readonly bus: ReplayBus;
  policy!: PolicyNode;
  left!: ArmExecutor;
  right!: ArmExecutor;
  readonly chunks: Stamped<ActionChunkMsg>[] = [];
  readonly targets = { left: [] as Stamped<PoseStamped>[], right: [] as Stamped<PoseStamped>[] };
  readonly grippers = { left: [] as Stamped<Float64>[], right: [] as Stamped<Float64>[] };
  readonly logs = new MemoryLogger();

  constructor(latency: LatencyModel) {
    this.bus = new ReplayBus({ latency, logLevel: 'silent' });
    let seq = 0;
    this.bus.taps.push((topic, _type, ns, msg) => {
      seq++;
      const time = nsToSeconds(ns);
      if (topic === '/twinvla/action_chunk') this.chunks.push({ ns, time, seq, msg: msg as ActionChunkMsg });
      for (const arm of ['left', 'right'] as const) {
        if (topic === `/twinvla_${arm}_executor/target_pose`) this.targets[arm].push({ ns, time, seq, msg: msg as PoseStamped });
        if (topic === `/twinvla_${arm}_executor/gripper_command`) this.grippers[arm].push({ ns, time, seq, msg: msg as Float64 });
      }
    });
  }

  static async create(latency: LatencyModel, executorOver: Record<string, unknown> = {}, policyOver: Record<string, unknown> = {}): Promise<Scene> {
    const s = new Scene(latency);
    // The package's one bringup, on the replay bus.
    const given = new Map<string, Record<string, unknown>>([
      [POLICY_NODE, { ...POLICY_PARAMS, ...policyOver }],
      ['twinvla_left_executor', executorParams('left', executorOver)],
      ['twinvla_right_executor', executorParams('right', executorOver)],
    ]);
    const nodes = await bringUp({ node: (name, { overrides }) => s.bus.node(name, { parameters: { ...given.get(name), ...overrides }, logger: s.logs }) }, 'bringup');
    const [left, right] = nodes.executors;
    if (!nodes.policy || !left || !right) throw new Error('bringup made no policy node or not two executors');
    s.policy = nodes.policy;
    s.left = left;
    s.right = right;
    return s;
  }
}

/**
 * Messages from t0 to t1: cameras at 20 Hz (head raw, left wrist JPEG, right wrist raw), joint
 * states and end-effector TF at 50 Hz, /tf_static once at t0. `head` can be cut to make it stale;
 * `dx` moves the end effectors.
 */
export function sceneMessages(t0: number, t1: number, { headUntil = Infinity, dx = (_t: number): number => 0, withStatic = true }: { headUntil?: number; dx?: (t: number) => number; withStatic?: boolean } = {}): ReplayMessage[] {
  const out: ReplayMessage[] = [];
  if (withStatic) out.push({ topic: '/tf_static', type: 'tf2_msgs/msg/TFMessage', time: secondsToNs(t0), message: staticTf() });
  for (let i = 0; t0 + i * 0.02 <= t1 + 1e-9; i++) {
    const t = Math.round((t0 + i * 0.02) * 1e6) / 1e6;
    const time = secondsToNs(t);
    out.push({ topic: '/tf', type: 'tf2_msgs/msg/TFMessage', time, message: eeTf(t, dx(t)) });
    out.push({ topic: '/joint_states', type: 'sensor_msgs/msg/JointState', time, message: jointState(t, 'left', 0.03) });
    out.push({ topic: '/joint_states', type: 'sensor_msgs/msg/JointState', time, message: jointState(t, 'right', 0.02) });
    if (i % 3 === 0) {
      if (t < headUntil) out.push({ topic: '/cam_high/image_raw', type: 'sensor_msgs/msg/Image', time, message: rawImage(t) });
      out.push({ topic: '/cam_left_wrist/image_raw/compressed', type: 'sensor_msgs/msg/CompressedImage', time, message: jpegImage(t) });
      out.push({ topic: '/cam_right_wrist/image_raw', type: 'sensor_msgs/msg/Image', time, message: rawImage(t) });
    }
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

export const stampOf = (p: PoseStamped): bigint => stampToNs(p.header.stamp);
