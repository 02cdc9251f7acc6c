/**
 * P4's scene, shared by the process that runs inference and the executors' own processes
 * (bench/executor.ts, bench/executor-process.ts): the nodes' parameters and the robot's messages
 * (cameras at 30 Hz; TF and joint states at 100 Hz), published on a wall-clock bus.
 */
import { cpus } from 'node:os';

import { nsToStamp, secondsToNs } from '../src/time.js';
import type { Graph, Timer } from '../src/graph/port.js';
import type { WallBus } from './wall-graph.js';

const secToStamp = (t: number): ReturnType<typeof nsToStamp> => nsToStamp(secondsToNs(t));

/** The executors' control period: P4 measures only these timers. */
export const CONTROL_PERIOD = 0.01;

/** ONNX Runtime threads for P4's inference: one core is left to the executors (BENCH_P4_THREADS
 * sets another count). */
export const inferenceThreads = (): number => Number(process.env['BENCH_P4_THREADS'] ?? Math.max(1, cpus().length - 1));

/** intra_op_spinning for P4's inference: the node's default unless BENCH_P4_SPINNING is 0 or 1 (with
 * one thread ONNX Runtime has no pool threads, and nothing spins either way). */
export const inferenceSpinning = (): boolean | undefined =>
  process.env['BENCH_P4_SPINNING'] === undefined ? undefined : process.env['BENCH_P4_SPINNING'] === '1';

export function policyParams(modelDir: string): Record<string, unknown> {
  return {
    model: modelDir, providers: ['cpu'], warmup_runs: 1, instruction: 'hand over the box',
    'cameras.head.topic': '/h', 'cameras.left_wrist.topic': '/l', 'cameras.right_wrist.topic': '/r',
    'arms.left.pose.base_frame': 'left_base', 'arms.left.pose.ee_frame': 'left_ee',
    'arms.right.pose.base_frame': 'right_base', 'arms.right.pose.ee_frame': 'right_ee',
    chunk_topic: '/chunk', 'max_age.camera': 1, 'max_age.joints': 1, 'max_age.pose': 1,
    intra_op_threads: inferenceThreads(),
    ...(inferenceSpinning() === undefined ? {} : { intra_op_spinning: inferenceSpinning() }),
  };
}

export function executorParams(arm: string): Record<string, unknown> {
  return {
    arm, chunk_topic: '/chunk', control_rate_hz: 1 / CONTROL_PERIOD, start_enabled: true,
    'measured_pose.base_frame': `${arm}_base`, 'measured_pose.ee_frame': `${arm}_ee`,
    'safety.workspace_min': [-2, -2, -2], 'safety.workspace_max': [2, 2, 2],
  };
}

const FRAME = new Uint8Array(640 * 480 * 3).map((_, i) => (i * 31) & 255);

function image(t: number): unknown {
  return { header: { stamp: secToStamp(t), frame_id: 'cam' }, width: 640, height: 480, encoding: 'rgb8', is_bigendian: 0, step: 1920, data: FRAME };
}

function tf(t: number, parent: string, child: string, y: number): unknown {
  return {
    header: { stamp: secToStamp(t), frame_id: parent }, child_frame_id: child,
    transform: { translation: { x: 0.3, y, z: 0.2 }, rotation: { x: 1, y: 0, z: 0, w: 0 } },
  };
}

/** The robot's messages on `bus`: TF and joint states at 100 Hz, and the cameras at 30 Hz when asked. */
export function robotSources(bus: WallBus, cameras: boolean): Timer[] {
  const sources = [
    bus.every(1 / 100, () => {
      const t = bus.now();
      bus.deliver('/tf', { transforms: [tf(t, 'left_base', 'left_ee', 0.2), tf(t, 'right_base', 'right_ee', -0.2)] });
      for (const a of ['left', 'right']) bus.deliver('/joint_states', { header: { stamp: secToStamp(t), frame_id: '' }, name: [`${a}_gripper`], position: [0.5], velocity: [], effort: [] });
    }),
  ];
  if (cameras) sources.push(bus.every(1 / 30, () => { const t = bus.now(); for (const c of ['/h', '/l', '/r']) bus.deliver(c, image(t)); }));
  return sources;
}

/** `graph` with its control timer's callbacks timed: each tick's work (ms) is pushed to `work`, in
 * firing order (the same order as the timer's onFire records). */
export function timingTicks(graph: Graph, work: number[]): Graph {
  const createTimer = graph.createTimer.bind(graph);
  return {
    ...graph,
    createTimer: (period, callback) => createTimer(period, Math.abs(period - CONTROL_PERIOD) > 1e-9 ? callback : () => {
      const t = process.hrtime.bigint();
      callback();
      work.push(Number(process.hrtime.bigint() - t) / 1e6);
    }),
  };
}
