/**
 * P4's executor process (bench/executor.ts): one arm's ArmExecutor alone in its process, as the split
 * launch runs it (launch/bringup.launch.py, single_process:=false), on the benchmarks' real timers
 * (bench/tick-clock.ts, built as rcl's). The robot's TF and joint states are published here at their
 * rates; the chunks come from the inference process over the IPC channel (live: over DDS).
 * The process takes its scheduling as the package's executor process does (src/node/realtime.ts,
 * from the realtime_priority given). It records every control tick's due and actual time, on the monotonic clock that all processes of
 * the machine share, and hands them over at the end.
 *
 *   node dist/bench/executor-process.js <arm> <realtime_priority>   (spawned with an IPC channel)
 */
import { performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

import { bringUp } from '../src/node/bringup.js';
import { executorScheduling, scheduling } from '../src/node/realtime.js';
import { CONTROL_PERIOD, executorParams, robotSources, timingTicks } from './p4-scene.js';
import { WallBus } from './wall-graph.js';

export type ToExecutor = { kind: 'chunk'; topic: string; msg: unknown } | { kind: 'stop' };
export type FromExecutor =
  | { kind: 'ready'; scheduling: string }
  | { kind: 'ticks'; origin: bigint; due: Float64Array; actual: Float64Array; work: Float64Array; gc: Float64Array; gcAt: Float64Array; gcKind: Int32Array; chunkWork: Float64Array };

async function main(arm: string, priority: number, send: (m: FromExecutor) => boolean): Promise<void> {
  const bus = new WallBus();
  const due: number[] = [];
  const actual: number[] = [];
  const work: number[] = [];
  const onTimer = (period: number, ideal: number, at: number): void => {
    if (Math.abs(period - CONTROL_PERIOD) > 1e-9) return; // the control timer only
    due.push(ideal);
    actual.push(at);
  };
  const nodes = await bringUp({ node: (name, { overrides }) => timingTicks(bus.node(name, { ...executorParams(arm), realtime_priority: priority, ...overrides }, onTimer), work) }, 'executor');
  executorScheduling('executor', nodes);
  const sources = robotSources(bus, false);
  // What else holds this process's JavaScript thread: garbage collection and the chunks' handling.
  const gc: number[] = [];
  const gcAt: number[] = []; // bus seconds
  const gcKind: number[] = []; // perf_hooks.constants.NODE_PERFORMANCE_GC_*
  const chunkWork: number[] = [];
  const hr0 = bus.now();
  const perf0 = performance.now();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.push(e.duration);
      gcAt.push(hr0 + (e.startTime - perf0) / 1e3);
      gcKind.push((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  process.on('message', (m: ToExecutor) => {
    if (m.kind === 'chunk') {
      const t = process.hrtime.bigint();
      bus.deliver(m.topic, m.msg);
      chunkWork.push(Number(process.hrtime.bigint() - t) / 1e6);
      return;
    }
    observer.disconnect();
    for (const s of sources) s.cancel();
    void bus.stop().then(() => {
      send({ kind: 'ticks', origin: bus.origin, due: Float64Array.from(due), actual: Float64Array.from(actual), work: Float64Array.from(work), gc: Float64Array.from(gc), gcAt: Float64Array.from(gcAt), gcKind: Int32Array.from(gcKind), chunkWork: Float64Array.from(chunkWork) });
      process.disconnect();
    });
  });
  send({ kind: 'ready', scheduling: scheduling() });
}

const [arm, priority] = process.argv.slice(2);
if (process.send && arm && priority) {
  const send = process.send.bind(process) as (m: FromExecutor) => boolean;
  main(arm, Number(priority), send).catch((e: unknown) => {
    process.stderr.write(`executor-process ${arm}: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
