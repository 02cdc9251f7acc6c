/**
 * P4: the two executors tick at 100 Hz on real timers while the PolicyNode runs inference back to back
 * (camera, joint and TF messages published at their rates). Reported: p50/p99 tick jitter (actual -
 * due) and missed ticks. Goal: p99 <= 2 ms, none missed.
 *
 * Two deployments, both printed:
 * - same process: the single-process bringup (the launch default), executors and inference sharing
 *   one process;
 * - split: each executor in a process of its own, as `single_process:=false` launches them (what a
 *   robot runs), inference in this process; once at normal priority and once with the executors'
 *   processes at real-time priority (SCHED_FIFO via chrt, where the machine permits it).
 *
 * The machine's own share: in each deployment, 1 s blocks with inference alternate with 1 s blocks
 * with the PolicyNode deactivated, so both see the same load from the rest of the machine (on 2 shared
 * cores that load, not inference, decides the tail).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { ARMS } from '../src/config/layout.js';
import { bringUp, POLICY_NODE } from '../src/node/bringup.js';
import { EXECUTOR_PARAMS } from '../src/node/executor-params.js';
import { executorScheduling, scheduling } from '../src/node/realtime.js';
import type { PolicyNode } from '../src/node/policy-node.js';
import type { FromExecutor, ToExecutor } from './executor-process.js';
import { CONTROL_PERIOD, executorParams, inferenceSpinning, inferenceThreads, policyParams, robotSources, timingTicks } from './p4-scene.js';
import { fmt, quantile } from './stats.js';
import { summarize } from './summary.js';
import { WallBus } from './wall-graph.js';

/** The executors' processes' real-time priority (SCHED_FIFO): the realtime_priority parameter's default. */
const EXECUTOR_RT_PRIORITY = Number(EXECUTOR_PARAMS.find((p) => p.name === 'realtime_priority')?.default);

interface Ticks { jitter: number[]; missed: number; work: number[] }
type Window = [number, number];
interface Windows { with: Window[]; alone: Window[] }
interface Result { with: Ticks; alone: Ticks; chunks: number; latencyMs: number; scheduling: string; other?: string }

const describe = (t: Ticks): string =>
  `ticks ${t.jitter.length}, jitter p50 ${fmt(quantile(t.jitter, 0.5))} ms, p99 ${fmt(quantile(t.jitter, 0.99))} ms, max ${fmt(Math.max(...t.jitter))} ms, missed ${t.missed}; tick work p50 ${fmt(quantile(t.work, 0.5))} ms, p99 ${fmt(quantile(t.work, 0.99))} ms`;
const noTicks = (): Ticks => ({ jitter: [], missed: 0, work: [] });

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1e3));

/** Sorts ticks (due and actual, seconds on the windows' clock; work, ms) into the blocks with and without inference. */
function classify(windows: Windows, due: ArrayLike<number>, actual: ArrayLike<number>, work: ArrayLike<number>): { with: Ticks; alone: Ticks } {
  const out = { with: noTicks(), alone: noTicks() };
  for (let i = 0; i < due.length; i++) {
    const d = due[i] as number;
    const late = (actual[i] as number) - d;
    const into = windows.with.some(([a, b]) => d >= a && d < b) ? out.with : windows.alone.some(([a, b]) => d >= a && d < b) ? out.alone : null;
    if (!into) continue;
    into.jitter.push(late * 1e3);
    into.missed += Math.max(0, Math.floor(late / CONTROL_PERIOD));
    if (i < work.length) into.work.push(work[i] as number);
  }
  return out;
}

/** `seconds` 1 s blocks with inference, each followed by 1 s without: the policy's in-flight
 * inference ends before the block without it counts (at most one chunk's latency, skipped). */
async function alternate(bus: WallBus, policy: PolicyNode, seconds: number): Promise<Windows> {
  const windows: Windows = { with: [], alone: [] };
  await sleep(1); // the first chunk out, the executors following it
  for (let i = 0; i < seconds; i++) {
    let start = bus.now();
    await sleep(1);
    windows.with.push([start, bus.now()]);
    policy.deactivate();
    await sleep(0.2);
    start = bus.now();
    await sleep(1);
    windows.alone.push([start, bus.now()]);
    policy.activate();
  }
  return windows;
}

/** The single-process bringup on the wall-clock bus. */
async function sameProcess(modelDir: string, seconds: number): Promise<Result> {
  const bus = new WallBus();
  const due: number[] = [];
  const actual: number[] = [];
  const work: number[] = [];
  const onTimer = (period: number, ideal: number, at: number): void => {
    if (Math.abs(period - CONTROL_PERIOD) > 1e-9) return; // the executors' control timers only
    due.push(ideal);
    actual.push(at);
  };
  const given = (name: string): Record<string, unknown> =>
    name === POLICY_NODE ? policyParams(modelDir) : executorParams(ARMS.find((a) => name.includes(a)) ?? 'left');
  const nodes = await bringUp({ node: (name, { overrides }) => timingTicks(bus.node(name, { ...given(name), ...overrides }, onTimer), work) }, 'bringup');
  executorScheduling('bringup', nodes); // says why not; the process stays at normal scheduling
  const { policy } = nodes;
  if (!policy) throw new Error('bringup made no policy node');
  const sources = robotSources(bus, true);
  const chunksBefore = policy.chunksPublished;
  const windows = await alternate(bus, policy, seconds);
  for (const s of sources) s.cancel();
  await bus.stop();
  await policy.shutdown();
  return { ...classify(windows, due, actual, work), chunks: policy.chunksPublished - chunksBefore, latencyMs: policy.latency.quantile(0.5) * 1e3, scheduling: scheduling() };
}

function message(child: ChildProcess, kind: FromExecutor['kind']): Promise<FromExecutor> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromExecutor): void => { if (m.kind === kind) { child.off('exit', onExit); child.off('message', onMessage); resolve(m); } };
    const onExit = (code: number | null): void => reject(new Error(`P4 executor process exited (code ${code}) before '${kind}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The split launch: each executor in its own process, which takes SCHED_FIFO `rtPriority` as the
 * package's executor process does (0: normal scheduling), inference in this one, the chunks handed
 * over as they are published. */
async function split(modelDir: string, seconds: number, rtPriority: number): Promise<Result> {
  const script = fileURLToPath(new URL('./executor-process.js', import.meta.url));
  const children = ARMS.map((arm) => spawn(process.execPath, [script, arm, String(rtPriority)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' }));
  const ready = await Promise.all(children.map((c) => message(c, 'ready')));
  const bus = new WallBus();
  const { policy } = await bringUp({ node: (name, { overrides }) => bus.node(name, { ...policyParams(modelDir), ...overrides }) }, 'policy');
  if (!policy) throw new Error('bringup made no policy node');
  bus.taps.push((topic, _t, msg) => {
    if (topic !== '/chunk') return;
    for (const c of children) if (c.connected) c.send({ kind: 'chunk', topic, msg } satisfies ToExecutor);
  });
  const sources = robotSources(bus, true);
  const chunksBefore = policy.chunksPublished;
  const windows = await alternate(bus, policy, seconds);
  for (const s of sources) s.cancel();
  policy.deactivate();
  const ticks = children.map((c) => message(c, 'ticks'));
  for (const c of children) c.send({ kind: 'stop' } satisfies ToExecutor);
  const got = await Promise.all(ticks);
  await bus.stop();
  await policy.shutdown();
  const all = { with: noTicks(), alone: noTicks() };
  for (const m of got) {
    if (m.kind !== 'ticks') continue;
    // The child's bus seconds on this bus's clock (both count from their origin on the same monotonic clock).
    const shift = Number(m.origin - bus.origin) / 1e9;
    const c = classify(windows, m.due.map((d) => d + shift), m.actual.map((a) => a + shift), m.work);
    for (const k of ['with', 'alone'] as const) { all[k].jitter.push(...c[k].jitter); all[k].missed += c[k].missed; all[k].work.push(...c[k].work); }
  }
  // GC pauses inside the measured blocks (those of start-up and shut-down are not the ticks').
  const inBlocks = (t: number): boolean => [...windows.with, ...windows.alone].some(([a, b]) => t >= a && t < b);
  const gc = got.flatMap((m) => (m.kind === 'ticks' ? [...m.gc].filter((_, i) => inBlocks((m.gcAt[i] as number) + Number(m.origin - bus.origin) / 1e9)) : []));
  const majors = got.reduce((n, m) => n + (m.kind === 'ticks' ? [...m.gcKind].filter((k, i) => k === constants.NODE_PERFORMANCE_GC_MAJOR && inBlocks((m.gcAt[i] as number) + Number(m.origin - bus.origin) / 1e9)).length : 0), 0);
  const chunkWork = got.flatMap((m) => (m.kind === 'ticks' ? [...m.chunkWork] : []));
  const longest = (v: number[]): string => (v.length ? `${fmt(Math.max(...v))} ms` : 'none');
  const other = `the executors' processes: ${gc.length} GC pauses in the measured blocks (${majors} major; longest ${longest(gc)}), ${chunkWork.length} chunks handled (p50 ${fmt(quantile(chunkWork, 0.5))} ms, longest ${longest(chunkWork)})`;
  const scheduling = [...new Set(ready.map((r) => (r.kind === 'ready' ? r.scheduling : '?')))].join(', ');
  return { ...all, chunks: policy.chunksPublished - chunksBefore, latencyMs: policy.latency.quantile(0.5) * 1e3, scheduling, other };
}

/** Whether this machine lets a process take SCHED_FIFO (root or CAP_SYS_NICE, an RT budget); why not. */
function fifoPermitted(priority: number): string | null {
  const r = spawnSync('chrt', ['-f', String(priority), 'true'], { encoding: 'utf8' });
  if (r.error) return `chrt not found (${r.error.message})`;
  return r.status === 0 ? null : (r.stderr.trim() || `chrt exited ${r.status}`);
}

export async function benchExecutor(modelDir: string, seconds: number): Promise<string[]> {
  const loadBefore = load();
  const lines: string[] = [];
  const show = (label: string, r: Result): void => {
    lines.push(`  ${label} [${r.scheduling}]:`, `    with inference:    ${describe(r.with)}`, `    without inference: ${describe(r.alone)}`, `    inference: ${r.chunks} chunks, latency p50 ${fmt(r.latencyMs)} ms`, ...(r.other ? [`    ${r.other}`] : []));
  };
  const same = await sameProcess(modelDir, seconds);
  show('same process (single-process bringup)', same);
  const plain = await split(modelDir, seconds, 0);
  show('executors in their own processes (split launch)', plain);
  const denied = fifoPermitted(EXECUTOR_RT_PRIORITY);
  let deployed = plain;
  if (denied) {
    lines.push(`  executors in their own processes at SCHED_FIFO ${EXECUTOR_RT_PRIORITY}: not run, this machine does not permit it (chrt -f ${EXECUTOR_RT_PRIORITY}: ${denied})`);
  } else {
    deployed = await split(modelDir, seconds, EXECUTOR_RT_PRIORITY);
    show(`executors in their own processes at real-time priority (realtime_priority ${EXECUTOR_RT_PRIORITY}, the default)`, deployed);
  }
  const p99 = (t: Ticks): string => fmt(quantile(t.jitter, 0.99));
  summarize({
    id: 'P4',
    what: `two executors at 100 Hz on real timers, inference beside them (executors in their own processes${denied ? '' : `, SCHED_FIFO ${EXECUTOR_RT_PRIORITY}`})`,
    goal: 'p99 <= 2 ms, none missed',
    result: `p99 ${p99(deployed.with)} ms, ${deployed.with.missed} of ${deployed.with.jitter.length} ticks missed (without inference: p99 ${p99(deployed.alone)} ms, ${deployed.alone.missed} missed; all in one process: p99 ${p99(same.with)} ms, ${same.with.missed} missed); load ${loadBefore}`,
  });
  return [
    `P4: two executors at 100 Hz on real timers (a timer thread, as rcl's), ${modelDir.split('/').pop()} inference back to back (inference thread, ${inferenceThreads()} ONNX Runtime thread(s), intra_op_spinning ${inferenceSpinning() ?? 'default'}); per deployment ${seconds} s with inference in 1 s blocks alternating with ${seconds} s without; load ${loadBefore} before, ${load()} after`,
    ...lines,
  ];
}
