/**
 * P4: the two executors tick at 100 Hz on real timers while the PolicyNode runs the `small` preset
 * back to back in the same process (camera, joint and TF messages published at their rates).
 * Reported: p50/p99 tick jitter (actual - due) and missed ticks. Goal: p99 <= 2 ms, none missed.
 */
import { cpus } from 'node:os';

import { ARMS, executorNodeName } from '../src/config/layout.js';
import { bringUp, POLICY_NODE } from '../src/node/bringup.js';
import { nsToStamp, secondsToNs } from '../src/time.js';

const secToStamp = (t: number): ReturnType<typeof nsToStamp> => nsToStamp(secondsToNs(t));
import { fmt, quantile } from './stats.js';
import { summarize } from './summary.js';
import { WallBus } from './wall-graph.js';

function image(t: number): unknown {
  return { header: { stamp: secToStamp(t), frame_id: 'cam' }, width: 640, height: 480, encoding: 'rgb8', is_bigendian: 0, step: 1920, data: FRAME };
}
const FRAME = new Uint8Array(640 * 480 * 3).map((_, i) => (i * 31) & 255);

export async function benchExecutor(modelDir: string, seconds: number): Promise<string[]> {
  const bus = new WallBus();
  const jitter: number[] = [];
  let missed = 0;
  const onTimer = (period: number, ideal: number, actual: number): void => {
    if (Math.abs(period - 0.01) > 1e-9) return; // the executors' 100 Hz control timers only
    jitter.push((actual - ideal) * 1e3);
    missed += Math.max(0, Math.floor((actual - ideal) / period));
  };
  // The package's one bringup, on the wall-clock bus.
  const given = new Map<string, Record<string, unknown>>([[POLICY_NODE, {
    model: modelDir, providers: ['cpu'], warmup_runs: 1, instruction: 'hand over the box',
    'cameras.head.topic': '/h', 'cameras.left_wrist.topic': '/l', 'cameras.right_wrist.topic': '/r',
    'arms.left.pose.base_frame': 'left_base', 'arms.left.pose.ee_frame': 'left_ee',
    'arms.right.pose.base_frame': 'right_base', 'arms.right.pose.ee_frame': 'right_ee',
    chunk_topic: '/chunk', 'max_age.camera': 1, 'max_age.joints': 1, 'max_age.pose': 1,
    intra_op_threads: Math.max(1, cpus().length - 1),
  }]]);
  for (const arm of ARMS) {
    given.set(executorNodeName(arm), {
      chunk_topic: '/chunk', control_rate_hz: 100, start_enabled: true,
      'measured_pose.base_frame': `${arm}_base`, 'measured_pose.ee_frame': `${arm}_ee`,
      'safety.workspace_min': [-2, -2, -2], 'safety.workspace_max': [2, 2, 2],
    });
  }
  const { policy } = await bringUp({ node: (name, { overrides }) => bus.node(name, { ...given.get(name), ...overrides }, onTimer) }, 'bringup');
  if (!policy) throw new Error('bringup made no policy node');
  const tf = (t: number, parent: string, child: string, y: number): unknown => ({
    header: { stamp: secToStamp(t), frame_id: parent }, child_frame_id: child,
    transform: { translation: { x: 0.3, y, z: 0.2 }, rotation: { x: 1, y: 0, z: 0, w: 0 } },
  });
  const sources = [
    bus.every(1 / 30, () => { const t = bus.now(); for (const c of ['/h', '/l', '/r']) bus.deliver(c, image(t)); }),
    bus.every(1 / 100, () => {
      const t = bus.now();
      bus.deliver('/tf', { transforms: [tf(t, 'left_base', 'left_ee', 0.2), tf(t, 'right_base', 'right_ee', -0.2)] });
      for (const a of ['left', 'right']) bus.deliver('/joint_states', { header: { stamp: secToStamp(t), frame_id: '' }, name: [`${a}_gripper`], position: [0.5], velocity: [], effort: [] });
    }),
  ];
  await new Promise((r) => setTimeout(r, seconds * 1e3));
  for (const s of sources) s.cancel();
  bus.stop();
  await policy.shutdown();
  const chunks = policy.chunksPublished;
  const lat = policy.latency;
  summarize({ id: 'P4', what: `two executors at 100 Hz on real timers, inference in the same process`, goal: 'p99 <= 2 ms, none missed', result: `p99 ${fmt(quantile(jitter, 0.99))} ms, ${missed} of ${jitter.length} ticks missed` });
  return [
    `P4: two executors at 100 Hz on real timers, ${modelDir.split('/').pop()} inference back to back in the same process (inference thread, ${Math.max(1, cpus().length - 1)} ONNX Runtime thread(s)), ${seconds} s`,
    `  ticks ${jitter.length}, jitter p50 ${fmt(quantile(jitter, 0.5))} ms, p99 ${fmt(quantile(jitter, 0.99))} ms, max ${fmt(Math.max(...jitter))} ms, missed ${missed}`,
    `  inference: ${chunks} chunks, latency p50 ${fmt(lat.quantile(0.5) * 1e3)} ms`,
  ];
}
