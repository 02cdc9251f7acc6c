/**
 * `twinvla eval`: a bag replayed through the production nodes (PolicyNode and both ArmExecutors on
 * the replay graph), what the executors would have commanded compared with what the robot did.
 * Writes metrics.json (deterministic for a seed and a fixed latency), report.html and replay.mcap.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

import type { SkippedMessage } from '../bag/decoded-messages.js';
import type { Bag } from '../bag/bag.js';
import { openBag } from '../bag/open-bag.js';
import { schemaText } from '../bag/definitions.js';
import { ARMS, executorNodeName } from '../config/layout.js';
import { checkReachesNodes } from '../config/param-files.js';
import { resolveTopic } from '../graph/port.js';
import { ReplayBus, type LatencyModel, type ReplayMessage } from '../graph/replay.js';
import type { StringMsg } from '../messages.js';
import { BagError, InputError, InternalError, OutputError } from '../errors.js';
import { withFileProblems } from '../file-problem.js';
import { consoleLogger, MemoryLogger, type Logger, type LogLevel } from '../log.js';
import { INTERVENTIONS } from '../act/safety.js';
import { bringUp, POLICY_NODE } from '../node/bringup.js';
import { EXECUTOR_PARAMS } from '../node/executor-params.js';
import { POLICY_PARAMS } from '../node/policy-params.js';
import { formatTime, nsToSeconds, secondsBetween } from '../time.js';
import { checkBagTopics, evalSetup, type EvalSetup } from './eval-setup.js';
import type { Metrics } from './eval-metrics.js';
import { Samples, stat, type ArmMetrics, type RawArmErrors } from './metrics.js';
import { Progress } from './progress.js';
import { renderReport } from './report.js';
import { changedParameters } from './run-parameters.js';
import { thumbnail } from './thumbnail.js';
import { ReplayRecorder, type Qos } from './replay-recorder.js';
import { checkWindow, replayWindow, windowMessages, type ReplayWindow } from './replay-window.js';
import { EvalScoring } from './scoring.js';

export interface EvalOptions {
  bag: string;
  model: string;
  params?: string;
  out: string;
  /** 'measured' or fixed seconds. */
  latency: LatencyModel;
  seed: number;
  /** Seconds from the bag's first message. */
  start?: number;
  end?: number;
  progress?: boolean;
  /** Also print the nodes' log lines at this level and above to stderr as they happen (all are kept for the warnings summary). */
  logLevel?: LogLevel;
  /** Replay the window this many times back to back (soak tests); default 1. */
  loops?: number;
  /** Called with the simulated time (nanoseconds) after each message. */
  onProgress?: (time: bigint) => void;
}

export interface EvalResult {
  metrics: Metrics;
  wallSeconds: number;
  simulatedSeconds: number;
  warnings: string[];
  files: { metrics: string; report: string; replay: string };
  /** Per arm, the scored errors themselves (for combining several bags exactly). */
  raw: Record<string, RawArmErrors>;
}

/** A bag message copied into replay.mcap with the QoS a recorder would have seen. */
function qosOf(topic: string, type: string): Qos {
  return topic === '/tf_static' ? 'transient_local' : type.startsWith('sensor_msgs') ? 'sensor_data' : 'reliable';
}

function latencyText(latency: LatencyModel): string {
  return latency === 'measured' ? 'measured' : `${Number((latency * 1e3).toFixed(3))} ms`;
}

/**
 * The bag through the production nodes on the replay graph: configuration and bag checks
 * (eval-setup.ts, replay-window.ts), then the run (`replay`). Outputs are written beside --out and
 * moved into it only once complete: a failed run leaves the previous run's files as they were.
 */
export async function evaluate(o: EvalOptions): Promise<EvalResult> {
  // Before the bag is opened: a params file meant for other nodes is the first thing to hear about.
  if (o.params) checkReachesNodes(o.params, [POLICY_NODE, ...ARMS.map(executorNodeName), 'twinvla_eval'].map((n) => `/${n}`));
  const bag = await openBag(o.bag);
  let setup: EvalSetup;
  let required: string[];
  try {
    setup = evalSetup(o);
    required = checkBagTopics(bag, setup, o.bag);
    checkWindow(bag, o, o.bag);
  } catch (e) {
    await bag.close();
    throw e;
  }
  const window = replayWindow(bag, o);
  const out = resolve(o.out);
  const writing = (f: () => void): void => withFileProblems('writing the output folder (--out)', (m) => new OutputError(m), f);
  let staging = '';
  try {
    writing(() => {
      mkdirSync(dirname(out), { recursive: true });
      staging = mkdtempSync(join(dirname(out), `.${basename(out)}.partial-`));
    });
  } catch (e) {
    await bag.close();
    throw e;
  }
  try {
    const r = await replay(o, bag, setup, required, window, staging);
    const files = { metrics: join(out, 'metrics.json'), report: join(out, 'report.html'), replay: join(out, 'replay.mcap') };
    writing(() => {
      mkdirSync(out, { recursive: true });
      for (const [key, path] of Object.entries(files)) renameSync(r.files[key as keyof typeof files], path);
    });
    return { ...r, files };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The nodes' log lines kept for the warnings summary, and printed as they happen at `level`. */
function evalLogger(level: LogLevel | undefined): Logger & { lines: readonly string[] } {
  const memory = new MemoryLogger();
  const live = level ? consoleLogger(level, 'twinvla eval') : null;
  return {
    lines: memory.lines,
    debug: (m) => { memory.debug(m); live?.debug(m); },
    info: (m) => { memory.info(m); live?.info(m); },
    warn: (m) => { memory.warn(m); live?.warn(m); },
    error: (m) => { memory.error(m); live?.error(m); },
  };
}

/** The nodes on the replay graph, every message scored (scoring.ts) and recorded; outputs into `dir`. */
async function replay(o: EvalOptions, bag: Bag, setup: EvalSetup, required: readonly string[], window: ReplayWindow, dir: string): Promise<EvalResult> {
  const { t0, t1 } = window;
  const files = { metrics: join(dir, 'metrics.json'), report: join(dir, 'report.html'), replay: join(dir, 'replay.mcap') };
  const recorder = await ReplayRecorder.create(files.replay);
  // Messages that cannot be decoded are skipped and counted; a needed topic with nothing decodable fails.
  const skipped: SkippedMessage[] = [];
  const decodedPerTopic = new Map<string, number>();
  const onSkip = (s: SkippedMessage): void => { skipped.push(s); };

  const logger = evalLogger(o.logLevel);
  // The clock starts at the window's start: the policy node's first attempt (at activation) happens
  // there, whatever the epoch.
  const bus = new ReplayBus({ latency: o.latency, logLevel: 'silent', startTime: t0 });
  const scoring = new EvalScoring(setup, bag.start);
  // The report's camera frames: the head camera, else the model's first camera.
  const frameTopic = (setup.policy.cameras.get('head') ?? [...setup.policy.cameras.values()][0])?.topic;
  bus.taps.push((topic, type, time, msg) => {
    recorder.published(topic, type, time, msg);
    scoring.onPublished(topic, type, time, msg);
  });

  // The same bringup as the live process, on the replay bus.
  const { source, nodeParams } = setup;
  const { policy, executors } = await bringUp({ node: (name, { overrides }) => bus.node(name, { parameters: { ...nodeParams.get(name), ...overrides }, parameterSource: source, logger }) }, 'bringup');
  if (!policy) throw new InternalError('bringup made no policy node');
  const inferenceLatency = new Samples();
  const frameAge = new Samples();
  policy.onInference = (latency, age) => { inferenceLatency.push(latency * 1e3); frameAge.push(age * 1e3); };

  const progress = o.progress ? new Progress(0, nsToSeconds(t1 - t0)) : null;
  let skippedTypes = 0;
  const instructionTopic = resolveTopic(setup.policy.instructionTopic, `/${POLICY_NODE}`);
  async function* inputs(): AsyncIterable<ReplayMessage> {
    for await (const m of windowMessages(bag, window, instructionTopic, onSkip)) {
      decodedPerTopic.set(m.topic, (decodedPerTopic.get(m.topic) ?? 0) + 1);
      scoring.truth.observe(m.topic, m.type, m.time, m.message);
      scoring.episodes.input(m.time, m.topic === instructionTopic && m.type === 'std_msgs/msg/String' ? (m.message as StringMsg).data : undefined);
      if (m.topic === frameTopic) scoring.episodes.frame(m.time, () => thumbnail(m.type, m.message));
      if (schemaText(m.type)) recorder.input(m.topic, m.type, m.time, m.data, qosOf(m.topic, m.type));
      else skippedTypes++;
      yield m;
    }
  }
  const wallStart = performance.now();
  await bus.run(inputs(), { onProgress: (t) => { progress?.update(secondsBetween(t, t0)); scoring.onTime(t); o.onProgress?.(t); }, drain: 0 });
  progress?.update(nsToSeconds(t1 - t0));
  progress?.finish();
  const wallSeconds = (performance.now() - wallStart) / 1e3;
  await recorder.close();
  await bag.close();
  const modelName = policy.policy?.manifest.name ?? policy.config.model;
  await policy.shutdown();

  const { arms: scoredArms, raw } = scoring.finish();
  // Beside each arm's errors, its executor's safety-filter interventions, every kind listed.
  const arms: Record<string, ArmMetrics> = {};
  for (const [arm, m] of Object.entries(scoredArms)) {
    const counts = executors.find((x) => x.arm === arm)?.pipeline.safety.counts;
    arms[arm] = { ...m, safety_interventions: Object.fromEntries(INTERVENTIONS.map((k) => [k, counts?.get(k) ?? 0])) };
  }
  const undecodable = required.filter((t) => !decodedPerTopic.has(t) && skipped.some((s) => s.topic === t));
  if (undecodable.length > 0) {
    const first = (t: string): SkippedMessage => skipped.find((s) => s.topic === t) as SkippedMessage;
    throw new BagError(`${o.bag}: no message of ${undecodable.join(', ')} could be decoded in the window, and the policy needs ${undecodable.length > 1 ? 'them' : 'it'}: ${undecodable.map((t) => `${t}: ${skipped.filter((s) => s.topic === t).length} skipped, the first at ${formatTime(first(t).time)}: ${first(t).reason}`).join('; ')}`);
  }
  const episodeDetails = scoring.episodes.finish();
  const metrics: Metrics = {
    format: 'twinvla-eval/1',
    bag: o.bag,
    model: modelName,
    seed: o.seed,
    latency: latencyText(o.latency),
    window_s: { start: Number(secondsBetween(t0, bag.start).toFixed(6)), end: Number(secondsBetween(t1, bag.start).toFixed(6)) },
    chunks: scoring.chunkCount,
    refused_snapshots: Object.fromEntries([...policy.refused].sort()),
    inference_latency_ms: stat(inferenceLatency.values),
    observation_to_chunk_ms: stat(scoring.observationToChunk.values),
    frame_age_ms: stat(frameAge.values),
    arms,
    episodes: episodeDetails.map((e) => e.metrics),
    parameters: {
      file: o.params ?? null,
      nodes: Object.fromEntries([
        [POLICY_NODE, changedParameters(POLICY_PARAMS, setup.policyValues)],
        ...ARMS.map((a) => [executorNodeName(a), changedParameters(EXECUTOR_PARAMS, setup.executorValues.get(a) ?? {})]),
      ]),
    },
  };
  writeFileSync(files.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  writeFileSync(files.report, await renderReport(metrics, episodeDetails));
  const warnings = logger.lines.filter((l) => l.startsWith('warn:') || l.startsWith('error:'));
  for (const s of skipped) warnings.push(`warn: skipped a message that cannot be decoded (log time ${formatTime(s.time)}): ${s.reason}`);
  for (const [topic, n] of scoring.truth.unusable) warnings.push(`warn: ground truth: ${n} recorded sample(s) on ${topic} hold a value that is not a number (NaN, Inf or a zero quaternion); left out of the scoring`);
  if (skippedTypes > 0) warnings.push(`warn: ${skippedTypes} message(s) of types without a bundled definition were replayed but not copied into replay.mcap`);
  const scored = Object.values(metrics.arms).reduce((n, a) => n + a.executed.position_error_mm.count, 0);
  if (scoring.chunkCount === 0 || scored === 0) {
    const refusals = Object.entries(metrics.refused_snapshots).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const said = warnings.slice(0, 3).map((w) => `\n  ${w}`).join('');
    throw new InputError(`${o.bag}: the evaluation scored nothing (${scoring.chunkCount} chunks, ${scored} executed targets with ground truth; refused snapshots: ${refusals}); no outputs were written.${said ? ` First warnings:${said}` : ''}`);
  }
  return { metrics, wallSeconds, simulatedSeconds: secondsBetween(t1, t0), warnings, files, raw };
}
