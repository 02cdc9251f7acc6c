/**
 * P4: the two executors tick at 100 Hz on real timers while the PolicyNode runs inference back to back
 * in the same process (the single-process bringup; camera, joint and TF messages published at their
 * rates). Reported: p50/p99 tick jitter (actual - due) and missed ticks. Goal: p99 <= 2 ms, none missed.
 *
 * The machine's own share: the same executors in the same process with the PolicyNode deactivated
 * (no inference), in 1 s blocks alternating with the inference blocks, so both see the same load from
 * the rest of the machine (on 2 shared cores that load, not inference, decides the tail).
 */
import { cpus, loadavg } from 'node:os';

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

interface Ticks { jitter: number[]; missed: number }

const describe = (t: Ticks): string =>
  `ticks ${t.jitter.length}, jitter p50 ${fmt(quantile(t.jitter, 0.5))} ms, p99 ${fmt(quantile(t.jitter, 0.99))} ms, max ${fmt(Math.max(...t.jitter))} ms, missed ${t.missed}`;

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

export async function benchExecutor(modelDir: string, seconds: number): Promise<string[]> {
  const bus = new WallBus();
  const withInference: Ticks = { jitter: [], missed: 0 };
  const alone: Ticks = { jitter: [], missed: 0 };
  let block: Ticks | null = null; // null: the first inference after activation still warming
  const onTimer = (period: number, ideal: number, actual: number): void => {
    if (Math.abs(period - 0.01) > 1e-9 || !block) return; // the executors' 100 Hz control timers only
    block.jitter.push((actual - ideal) * 1e3);
    block.missed += Math.max(0, Math.floor((actual - ideal) / period));
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
  const loadBefore = load();
  const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1e3));
  await sleep(1); // the first chunk out, the executors following it
  const chunksBefore = policy.chunksPublished;
  for (let i = 0; i < seconds; i++) {
    // An inference block, then a block without: the policy's in-flight inference ends before the
    // block without it counts (at most one chunk's latency, skipped).
    block = withInference;
    await sleep(1);
    policy.deactivate();
    block = null;
    await sleep(0.2);
    block = alone;
    await sleep(1);
    block = null;
    policy.activate();
  }
  for (const s of sources) s.cancel();
  await bus.stop();
  await policy.shutdown();
  const chunks = policy.chunksPublished - chunksBefore;
  const lat = policy.latency;
  const p99 = quantile(withInference.jitter, 0.99);
  summarize({ id: 'P4', what: `two executors at 100 Hz on real timers, inference in the same process`, goal: 'p99 <= 2 ms, none missed', result: `p99 ${fmt(p99)} ms, ${withInference.missed} of ${withInference.jitter.length} ticks missed (without inference, same run: p99 ${fmt(quantile(alone.jitter, 0.99))} ms, ${alone.missed} missed); load ${loadBefore}` });
  return [
    `P4: two executors at 100 Hz on real timers (a timer thread, as rcl's), ${modelDir.split('/').pop()} inference back to back in the same process (inference thread, ${Math.max(1, cpus().length - 1)} ONNX Runtime thread(s)), ${seconds} s with inference in 1 s blocks alternating with ${seconds} s without; load ${loadBefore} before, ${load()} after`,
    `  with inference:    ${describe(withInference)}`,
    `  without inference: ${describe(alone)}`,
    `  inference: ${chunks} chunks, latency p50 ${fmt(lat.quantile(0.5) * 1e3)} ms`,
  ];
}
