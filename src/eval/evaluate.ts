/**
 * `twinvla eval`: a bag replayed through the production nodes (PolicyNode and both ArmExecutors on
 * the replay graph), what the executors would have commanded compared with what the robot did.
 * Writes metrics.json (deterministic for a seed and a fixed latency), report.html and replay.mcap.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

import { openBag } from '../bag/open-bag.js';
import { decodedMessages, type DecodedMessage, type SkippedMessage } from '../bag/decoded-messages.js';
import { fullName } from '../bag/definitions.js';
import { loopedMessages, loopPeriod } from '../bag/looped.js';
import { schemaText } from '../bag/definitions.js';
import { BagError, InputError } from '../errors.js';
import { resolveTopic } from '../graph/port.js';
import { ReplayBus, type LatencyModel, type ReplayMessage } from '../graph/replay.js';
import { consoleLogger, MemoryLogger, type Logger, type LogLevel } from '../log.js';
import type { ActionChunkMsg, Float64, PoseStamped, StringMsg } from '../messages.js';
import { INTERVENTIONS } from '../act/safety.js';
import { bringUp, POLICY_NODE } from '../node/bringup.js';
import { armChunkFrom } from '../node/chunk-message.js';
import { EXECUTOR_PARAMS, executorConfig, type ExecutorConfig } from '../node/executor-params.js';
import { ARMS, executorNodeName } from '../config/layout.js';
import { nodeParams as nodeParamsFromFiles } from '../config/param-files.js';
import { resolveParams, type ParamSpec, type ParamValue, type ParamValues } from '../config/params.js';
import { keyed, ParamReader } from '../config/reader.js';
import { KNOWN_PARAMETERS } from '../node/node-schemas.js';
import { POLICY_PARAMS, policyConfig } from '../node/policy-params.js';
import { formatTime, nsToSeconds, secondsBetween, secondsToNs, stampToNs } from '../time.js';
import { EVAL_PARAMS, evalConfig } from './eval-params.js';
import { GroundTruth } from './ground-truth.js';
import { ArmAccumulator, Samples, stat, type ArmMetrics, type ChunkRecord, type RawArmErrors } from './metrics.js';
import { Progress } from './progress.js';
import { Episodes, type EpisodeMetrics } from './episodes.js';
import { renderReport } from './report.js';
import { changedParameters } from './run-parameters.js';
import { thumbnail } from './thumbnail.js';
import { ReplayRecorder } from './replay-recorder.js';

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

export interface Metrics {
  format: 'twinvla-eval/1';
  bag: string;
  model: string;
  seed: number;
  latency: string;
  window_s: { start: number; end: number };
  chunks: number;
  refused_snapshots: Record<string, number>;
  inference_latency_ms: ReturnType<typeof stat>;
  observation_to_chunk_ms: ReturnType<typeof stat>;
  arms: Record<string, ArmMetrics>;
  /** Episodes found from pauses in the recording and instruction changes, with their own errors. */
  episodes: EpisodeMetrics[];
  /** The parameters file, and per node the parameters that differ from the defaults. */
  parameters: { file: string | null; nodes: Record<string, Record<string, ParamValue>> };
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

/** Ground truth kept behind the replay: enough for any chunk's horizon and any inference latency. */
const HISTORY_SECONDS = 30;
const HISTORY_NS = secondsToNs(HISTORY_SECONDS);
/** What a wildcard block of an evaluation's params file may hold: the nodes' names and the evaluation's. */
const EVAL_KNOWN: ReadonlySet<string> = new Set([...KNOWN_PARAMETERS, ...EVAL_PARAMS.map((s) => s.name)]);

/** A node's parameters from the params file, read as the live nodes read it (config/param-files.ts). */
function nodeParams(file: string | undefined, node: string, schema: readonly ParamSpec[]): Record<string, unknown> {
  if (!file) return {};
  return nodeParamsFromFiles({ files: [file], values: {} }, `/${node}`, new Set(schema.map((s) => s.name)), EVAL_KNOWN);
}

export async function evaluate(o: EvalOptions): Promise<EvalResult> {
  const bag = await openBag(o.bag);
  const source = o.params ?? 'defaults';
  const policyParams: Record<string, unknown> = { ...nodeParams(o.params, POLICY_NODE, POLICY_PARAMS), model: o.model, seed: o.seed, inference_thread: false };
  const policyValues = resolveParams(POLICY_PARAMS, policyParams, source);
  const policyCfg = policyConfig(policyValues, source);
  const evalCfg = evalConfig(resolveParams(EVAL_PARAMS, nodeParams(o.params, 'twinvla_eval', EVAL_PARAMS), source), source);
  const execConfigs = new Map<string, ExecutorConfig>();
  const execParams = new Map<string, Record<string, unknown>>();
  const execValues = new Map<string, ParamValues>();
  const policyRead = new ParamReader(policyValues, source);
  for (const arm of ARMS) {
    // Evaluation commands from the first chunk, compares grippers in model units, and listens where
    // the policy node publishes.
    const p: Record<string, unknown> = {
      ...nodeParams(o.params, executorNodeName(arm), EXECUTOR_PARAMS), arm, start_enabled: true, gripper_output: 'model',
      chunk_topic: resolveTopic(policyCfg.chunkTopic, `/${POLICY_NODE}`),
    };
    execParams.set(executorNodeName(arm), p);
    const values = resolveParams(EXECUTOR_PARAMS, p, source);
    execValues.set(arm, values);
    execConfigs.set(arm, executorConfig(values, source));
  }

  // Every input the policy subscribes to must be in the bag, with the type the node subscribes with.
  const policyArms = [...policyCfg.arms.values()];
  const expectedTypes = new Map<string, string>([
    ...[...policyCfg.cameras.values()].map((c): [string, string] => [c.topic, c.transport === 'compressed' ? 'sensor_msgs/msg/CompressedImage' : 'sensor_msgs/msg/Image']),
    ...policyArms.map((a): [string, string] => [a.jointStatesTopic, 'sensor_msgs/msg/JointState']),
    ...(policyArms.some((a) => a.pose.kind === 'tf') ? [['/tf', 'tf2_msgs/msg/TFMessage'] as [string, string]] : []),
  ]);
  const required = [...expectedTypes.keys()];
  const optional = new Map<string, string>([
    ['/tf_static', 'tf2_msgs/msg/TFMessage'],
    [resolveTopic(policyCfg.instructionTopic, '/twinvla_policy'), 'std_msgs/msg/String'],
    ...policyArms.flatMap((a): [string, string][] => (a.pose.kind === 'topic' ? [[a.pose.topic, 'geometry_msgs/msg/PoseStamped']] : [])),
  ]);
  const present = new Set(bag.topics.map((t) => t.name));
  const missing = required.filter((t) => !present.has(t));
  if (missing.length > 0) {
    await bag.close();
    throw new BagError(`${o.bag}: the bag has no ${missing.join(', ')}, which the policy needs (parameters: ${source}). It has: ${bag.topics.map((t) => `${t.name} (${t.type})`).join(', ')}. Set the topic parameters in a params file and pass it with --params.`);
  }
  const mistyped = bag.topics.flatMap((t) => {
    const want = expectedTypes.get(t.name) ?? optional.get(t.name);
    return want && t.type && fullName(t.type) !== want ? [`${t.name} is ${fullName(t.type)} in the bag, but the policy subscribes to it as ${want}`] : [];
  });
  if (mistyped.length > 0) {
    await bag.close();
    throw new BagError(`${o.bag}: ${mistyped.join('; ')} (parameters: ${source}). Point the topic parameter at a topic of the expected type${mistyped.some((m) => m.includes('Image')) ? ', or set cameras.<role>.transport (raw: Image, compressed: CompressedImage)' : ''}.`);
  }

  // The window, checked against the bag: seconds from its first message.
  const duration = secondsBetween(bag.end, bag.start);
  const windowProblem = ((): string | null => {
    if (o.start !== undefined && !(o.start >= 0)) return `--start ${o.start}: expected seconds >= 0 from the bag's first message`;
    if (o.end !== undefined && !(o.end > 0)) return `--end ${o.end}: expected seconds > 0 from the bag's first message`;
    if (o.start !== undefined && o.start > duration) return `--start ${o.start} is past the end of the bag, which lasts ${duration.toFixed(3)} s`;
    if (o.start !== undefined && o.end !== undefined && o.end <= o.start) return `--end ${o.end} is not after --start ${o.start}`;
    return null;
  })();
  if (windowProblem) {
    await bag.close();
    throw new InputError(`${o.bag}: ${windowProblem}; the window is [--start, --end] in seconds from the bag's first message (0 to ${duration.toFixed(3)}).`);
  }

  // The window in whole nanoseconds: its edges are exact, so the messages on them stay in.
  const t0 = bag.start + secondsToNs(o.start ?? 0);
  // An --end past the bag's last message is the bag's end.
  const windowEnd = o.end !== undefined && o.end < duration ? bag.start + secondsToNs(o.end) : bag.end;
  const loops = Math.max(1, Math.floor(o.loops ?? 1));
  const t1 = loops === 1 ? windowEnd : t0 + BigInt(loops - 1) * loopPeriod({ start: t0, end: windowEnd }) + (windowEnd - t0);
  // Outputs are written beside --out and moved into it only once complete: a failed run leaves the
  // previous run's files as they were.
  const out = resolve(o.out);
  mkdirSync(dirname(out), { recursive: true });
  const staging = mkdtempSync(join(dirname(out), `.${basename(out)}.partial-`));
  try {
    const r = await run(staging);
    mkdirSync(out, { recursive: true });
    const files = { metrics: join(out, 'metrics.json'), report: join(out, 'report.html'), replay: join(out, 'replay.mcap') };
    for (const [key, path] of Object.entries(files)) renameSync(r.files[key as keyof typeof files], path);
    return { ...r, files };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }

  async function run(dir: string): Promise<EvalResult> {
  const files = { metrics: join(dir, 'metrics.json'), report: join(dir, 'report.html'), replay: join(dir, 'replay.mcap') };
  const recorder = await ReplayRecorder.create(files.replay);
  // Messages that cannot be decoded are skipped and counted; a needed topic with nothing decodable fails.
  const skipped: SkippedMessage[] = [];
  const decodedPerTopic = new Map<string, number>();
  const onSkip = (s: SkippedMessage): void => { skipped.push(s); };

  const memory = new MemoryLogger();
  const live = o.logLevel ? consoleLogger(o.logLevel, 'twinvla eval') : null;
  const logger: Logger & { lines: readonly string[] } = {
    lines: memory.lines,
    debug: (m) => { memory.debug(m); live?.debug(m); },
    info: (m) => { memory.info(m); live?.info(m); },
    warn: (m) => { memory.warn(m); live?.warn(m); },
    error: (m) => { memory.error(m); live?.error(m); },
  };
  // The clock starts at the window's start: the policy node's first attempt (at activation) happens
  // there, whatever the epoch.
  const bus = new ReplayBus({ latency: o.latency, logLevel: 'silent', startTime: t0 });
  const truth = new GroundTruth(ARMS.map((a) => {
    const { targetTopic, gripperTopic } = keyed(evalCfg.groundTruth, a, 'ground_truth');
    return {
      name: a,
      baseFrame: policyRead.string(`arms.${a}.pose.base_frame`),
      eeFrame: policyRead.string(`arms.${a}.pose.ee_frame`),
      targetTopic,
      gripperTopic,
      gripper: keyed(policyCfg.arms, a, 'arms').gripper,
    };
  }), { historySeconds: HISTORY_SECONDS });

  const threshold = evalCfg.gripperThreshold;
  const accumulators = new Map<string, ArmAccumulator>(ARMS.map((a) => [a, new ArmAccumulator(a, truth, threshold)]));
  const episodes = new Episodes(bag.start, ARMS, { gripperThreshold: threshold });
  for (const [arm, acc] of accumulators) acc.onScored = (s) => episodes.scored(arm, s);
  // The report's camera frames: the head camera, else the model's first camera.
  const frameTopic = (policyCfg.cameras.get('head') ?? [...policyCfg.cameras.values()][0])?.topic;
  let chunkCount = 0;
  let latestChunkStamp: bigint | null = null;
  const observationToChunk = new Samples();
  const executorTopic = (a: string, topic: (c: ExecutorConfig) => string): [string, string] => [resolveTopic(topic(keyed(execConfigs, a, 'executor')), `/${executorNodeName(a)}`), a];
  const targetTopics = new Map(ARMS.map((a) => executorTopic(a, (c) => c.targetTopic)));
  const gripperTopics = new Map(ARMS.map((a) => executorTopic(a, (c) => c.gripperTopic)));
  // The executor publishes the pose, then the gripper, in one tick: the pair is completed here.
  const pendingPose = new Map<string, { time: bigint; pose: PoseStamped["pose"] }>();
  const flush = (arm: string, gripper: number | null): void => {
    const p = pendingPose.get(arm);
    if (!p) return;
    pendingPose.delete(arm);
    const { position: x, orientation: q } = p.pose;
    accumulators.get(arm)?.addExecuted({ time: p.time, pose: { t: [x.x, x.y, x.z], q: [q.x, q.y, q.z, q.w] }, gripper }, latestChunkStamp);
  };
  bus.taps.push((topic, type, time, msg) => {
    recorder.published(topic, type, time, msg);
    if (type === 'twinvla/msg/ActionChunk') {
      const m = msg as ActionChunkMsg;
      const record: ChunkRecord = { published: time, stamp: stampToNs(m.header.stamp), dt: m.dt, arms: new Map(ARMS.map((a) => [a, armChunkFrom(m, a)?.chunk ?? { poses: [], gripper: null }])) };
      chunkCount++;
      latestChunkStamp = record.stamp;
      observationToChunk.push(secondsBetween(record.published, record.stamp) * 1e3);
      for (const acc of accumulators.values()) acc.addChunk(record);
    }
    const arm = targetTopics.get(topic);
    if (arm) {
      flush(arm, null);
      pendingPose.set(arm, { time, pose: (msg as PoseStamped).pose });
    }
    const gArm = gripperTopics.get(topic);
    if (gArm && pendingPose.get(gArm)?.time === time) flush(gArm, (msg as Float64).data);
  });
  let lastPrune: bigint | null = null;
  const onTime = (t: bigint): void => {
    for (const arm of ARMS) flush(arm, null);
    for (const acc of accumulators.values()) acc.advance(t);
    if (lastPrune === null || t - lastPrune > 1_000_000_000n) {
      truth.prune(t - HISTORY_NS);
      lastPrune = t;
    }
  };

  // The same bringup as the live process, on the replay bus.
  const given = new Map<string, Record<string, unknown>>([[POLICY_NODE, policyParams], ...execParams]);
  const { policy, executors } = await bringUp({ node: (name, { overrides }) => bus.node(name, { parameters: { ...given.get(name), ...overrides }, parameterSource: source, logger }) }, 'bringup');
  if (!policy) throw new Error('bringup made no policy node');
  const inferenceLatency = new Samples();
  policy.onInference = (latency) => inferenceLatency.push(latency * 1e3);

  const progress = o.progress ? new Progress(0, nsToSeconds(t1 - t0)) : null;
  let skippedTypes = 0;
  const instructionTopic = resolveTopic(policyCfg.instructionTopic, '/twinvla_policy');
  // Latched state recorded before the window still holds inside it: every static transform, and
  // the last instruction. Delivered at the window's start; messages at t0 itself come in the window.
  async function* windowed(): AsyncIterable<DecodedMessage> {
    if (t0 > bag.start) {
      let instruction: DecodedMessage | null = null;
      for await (const m of decodedMessages(bag, { topics: ['/tf_static', instructionTopic], end: t0 - 1n, onSkip })) {
        if (m.topic === '/tf_static') yield { ...m, time: t0 };
        else instruction = m;
      }
      if (instruction) yield { ...instruction, time: t0 };
    }
    yield* loops === 1 ? decodedMessages(bag, { start: t0, end: t1, onSkip }) : loopedMessages(bag, loops, { start: t0, end: windowEnd }, onSkip);
  }
  async function* inputs(): AsyncIterable<ReplayMessage> {
    for await (const m of windowed()) {
      decodedPerTopic.set(m.topic, (decodedPerTopic.get(m.topic) ?? 0) + 1);
      truth.observe(m.topic, m.type, m.time, m.message);
      episodes.input(m.time, m.topic === instructionTopic && m.type === 'std_msgs/msg/String' ? (m.message as StringMsg).data : undefined);
      if (m.topic === frameTopic) episodes.frame(m.time, () => thumbnail(m.type, m.message));
      if (schemaText(m.type)) {
        const qos = m.topic === '/tf_static' ? 'transient_local' : m.type.startsWith('sensor_msgs') ? 'sensor_data' : 'reliable';
        recorder.input(m.topic, m.type, m.time, m.data, qos);
      } else {
        skippedTypes++;
      }
      yield m;
    }
  }
  const wallStart = performance.now();
  await bus.run(inputs(), { onProgress: (t) => { progress?.update(secondsBetween(t, t0)); onTime(t); o.onProgress?.(t); }, drain: 0 });
  progress?.update(nsToSeconds(t1 - t0));
  progress?.finish();
  const wallSeconds = (performance.now() - wallStart) / 1e3;
  await recorder.close();
  await bag.close();
  const modelName = policy.policy?.manifest.name ?? policy.config.model;
  await policy.shutdown();

  for (const arm of ARMS) flush(arm, null);
  const undecodable = required.filter((t) => !decodedPerTopic.has(t) && skipped.some((s) => s.topic === t));
  if (undecodable.length > 0) {
    const first = (t: string): SkippedMessage => skipped.find((s) => s.topic === t) as SkippedMessage;
    throw new BagError(`${o.bag}: no message of ${undecodable.join(', ')} could be decoded in the window, and the policy needs ${undecodable.length > 1 ? 'them' : 'it'}: ${undecodable.map((t) => `${t}: ${skipped.filter((s) => s.topic === t).length} skipped, the first at ${formatTime(first(t).time)}: ${first(t).reason}`).join('; ')}`);
  }
  const arms: Record<string, ArmMetrics> = {};
  const raw: Record<string, RawArmErrors> = {};
  for (const [arm, acc] of accumulators) {
    const counts = executors.find((x) => x.arm === arm)?.pipeline.safety.counts;
    arms[arm] = { ...acc.finish(), safety_interventions: Object.fromEntries(INTERVENTIONS.map((k) => [k, counts?.get(k) ?? 0])) };
    raw[arm] = acc.raw();
  }
  const episodeDetails = episodes.finish();
  const metrics: Metrics = {
    format: 'twinvla-eval/1',
    bag: o.bag,
    model: modelName,
    seed: o.seed,
    latency: o.latency === 'measured' ? 'measured' : `${Number((o.latency * 1e3).toFixed(3))} ms`,
    window_s: { start: Number(secondsBetween(t0, bag.start).toFixed(6)), end: Number(secondsBetween(t1, bag.start).toFixed(6)) },
    chunks: chunkCount,
    refused_snapshots: Object.fromEntries([...policy.refused].sort()),
    inference_latency_ms: stat(inferenceLatency.values),
    observation_to_chunk_ms: stat(observationToChunk.values),
    arms,
    episodes: episodeDetails.map((e) => e.metrics),
    parameters: {
      file: o.params ?? null,
      nodes: Object.fromEntries([
        ['twinvla_policy', changedParameters(POLICY_PARAMS, policyValues)],
        ...ARMS.map((a) => [executorNodeName(a), changedParameters(EXECUTOR_PARAMS, execValues.get(a) ?? {})]),
      ]),
    },
  };
  writeFileSync(files.metrics, `${JSON.stringify(metrics, null, 2)}\n`);
  writeFileSync(files.report, await renderReport(metrics, episodeDetails));
  const warnings = logger.lines.filter((l) => l.startsWith('warn:') || l.startsWith('error:'));
  for (const s of skipped) warnings.push(`warn: skipped a message that cannot be decoded (log time ${formatTime(s.time)}): ${s.reason}`);
  if (skippedTypes > 0) warnings.push(`warn: ${skippedTypes} message(s) of types without a bundled definition were replayed but not copied into replay.mcap`);
  const scored = Object.values(arms).reduce((n, a) => n + a.executed.position_error_mm.count, 0);
  if (chunkCount === 0 || scored === 0) {
    const refusals = Object.entries(metrics.refused_snapshots).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const said = warnings.slice(0, 3).map((w) => `\n  ${w}`).join('');
    throw new InputError(`${o.bag}: the evaluation scored nothing (${chunkCount} chunks, ${scored} executed targets with ground truth; refused snapshots: ${refusals}); no outputs were written.${said ? ` First warnings:${said}` : ''}`);
  }
  return { metrics, wallSeconds, simulatedSeconds: secondsBetween(t1, t0), warnings, files, raw };
  }
}
