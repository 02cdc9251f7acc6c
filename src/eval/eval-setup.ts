/**
 * An evaluation's configuration, before anything runs: the nodes' parameters from the params file
 * (with what evaluation fixes: the model, the seed, in-thread inference, executors enabled from the
 * first chunk and reporting grippers in model units), the ground-truth parameters, and the checks
 * that the bag has every topic the policy will subscribe to.
 */
import type { Bag } from '../bag/bag.js';
import { fullName } from '../bag/definitions.js';
import { ARMS, executorNodeName } from '../config/layout.js';
import { nodeParams as nodeParamsFromFiles } from '../config/param-files.js';
import { resolveParams, type ParamSpec, type ParamValues } from '../config/params.js';
import { ParamReader } from '../config/reader.js';
import { BagError } from '../errors.js';
import { resolveTopic } from '../graph/port.js';
import { POLICY_NODE } from '../node/bringup.js';
import { EXECUTOR_PARAMS, executorConfig, type ExecutorConfig } from '../node/executor-params.js';
import { KNOWN_PARAMETERS } from '../node/node-schemas.js';
import { POLICY_PARAMS, policyConfig, type PolicyConfig } from '../node/policy-params.js';
import { EVAL_PARAMS, evalConfig, type EvalConfig } from './eval-params.js';

export interface EvalSetup {
  /** Where the parameters came from, for messages: the params file or "defaults". */
  source: string;
  /** The parameters the replayed nodes are created with, by node name (the policy's and each executor's). */
  nodeParams: ReadonlyMap<string, Record<string, unknown>>;
  policy: PolicyConfig;
  executors: ReadonlyMap<string, ExecutorConfig>;
  /** The validated values behind them, executors' by arm (the run's parameters, as metrics.json reports them). */
  policyValues: ParamValues;
  executorValues: ReadonlyMap<string, ParamValues>;
  eval: EvalConfig;
  /** Each arm's base and end-effector frames, as the policy reads its pose. */
  frames: ReadonlyMap<string, { base: string; ee: string }>;
}

/** What a wildcard block of an evaluation's params file may hold: the nodes' names and the evaluation's. */
const EVAL_KNOWN: ReadonlySet<string> = new Set([...KNOWN_PARAMETERS, ...EVAL_PARAMS.map((s) => s.name)]);

/** A node's parameters from the params file, read as the live nodes read it (config/param-files.ts). */
function nodeParams(file: string | undefined, node: string, schema: readonly ParamSpec[]): Record<string, unknown> {
  if (!file) return {};
  return nodeParamsFromFiles({ files: [file], values: {} }, `/${node}`, new Set(schema.map((s) => s.name)), EVAL_KNOWN);
}

export function evalSetup({ params, model, seed }: { params?: string | undefined; model: string; seed: number }): EvalSetup {
  const source = params ?? 'defaults';
  const policyParams: Record<string, unknown> = { ...nodeParams(params, POLICY_NODE, POLICY_PARAMS), model, seed, inference_thread: false };
  const policyValues = resolveParams(POLICY_PARAMS, policyParams, source);
  const policy = policyConfig(policyValues, source);
  const evalValues = resolveParams(EVAL_PARAMS, nodeParams(params, 'twinvla_eval', EVAL_PARAMS), source);
  const read = new ParamReader(policyValues, source);
  const frames = new Map(ARMS.map((a) => [a, { base: read.string(`arms.${a}.pose.base_frame`), ee: read.string(`arms.${a}.pose.ee_frame`) }]));
  const byNode = new Map<string, Record<string, unknown>>([[POLICY_NODE, policyParams]]);
  const executors = new Map<string, ExecutorConfig>();
  const executorValues = new Map<string, ParamValues>();
  for (const arm of ARMS) {
    // Evaluation commands from the first chunk, compares grippers in model units, and listens where
    // the policy node publishes.
    const p: Record<string, unknown> = {
      ...nodeParams(params, executorNodeName(arm), EXECUTOR_PARAMS), arm, start_enabled: true, gripper_output: 'model',
      chunk_topic: resolveTopic(policy.chunkTopic, `/${POLICY_NODE}`),
    };
    byNode.set(executorNodeName(arm), p);
    const values = resolveParams(EXECUTOR_PARAMS, p, source);
    executorValues.set(arm, values);
    executors.set(arm, executorConfig(values, source));
  }
  return { source, nodeParams: byNode, policy, executors, policyValues, executorValues, eval: evalConfig(evalValues, source), frames };
}

/**
 * Every input the policy subscribes to must be in the bag, with the type the node subscribes with;
 * throws BagError naming what is missing or mistyped. Returns the required topics.
 */
export function checkBagTopics(bag: Bag, setup: EvalSetup, bagName = bag.path): string[] {
  const { policy, source } = setup;
  const arms = [...policy.arms.values()];
  const expectedTypes = new Map<string, string>([
    ...[...policy.cameras.values()].map((c): [string, string] => [c.topic, c.transport === 'compressed' ? 'sensor_msgs/msg/CompressedImage' : 'sensor_msgs/msg/Image']),
    ...arms.map((a): [string, string] => [a.jointStatesTopic, 'sensor_msgs/msg/JointState']),
    ...(arms.some((a) => a.pose.kind === 'tf') ? [['/tf', 'tf2_msgs/msg/TFMessage'] as [string, string]] : []),
  ]);
  const required = [...expectedTypes.keys()];
  const optional = new Map<string, string>([
    ['/tf_static', 'tf2_msgs/msg/TFMessage'],
    [resolveTopic(policy.instructionTopic, `/${POLICY_NODE}`), 'std_msgs/msg/String'],
    ...arms.flatMap((a): [string, string][] => (a.pose.kind === 'topic' ? [[a.pose.topic, 'geometry_msgs/msg/PoseStamped']] : [])),
  ]);
  const present = new Set(bag.topics.map((t) => t.name));
  const missing = required.filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw new BagError(`${bagName}: the bag has no ${missing.join(', ')}, which the policy needs (parameters: ${source}). It has: ${bag.topics.map((t) => `${t.name} (${t.type})`).join(', ')}. Set the topic parameters in a params file and pass it with --params.`);
  }
  const mistyped = bag.topics.flatMap((t) => {
    const want = expectedTypes.get(t.name) ?? optional.get(t.name);
    return want && t.type && fullName(t.type) !== want ? [`${t.name} is ${fullName(t.type)} in the bag, but the policy subscribes to it as ${want}`] : [];
  });
  if (mistyped.length > 0) {
    throw new BagError(`${bagName}: ${mistyped.join('; ')} (parameters: ${source}). Point the topic parameter at a topic of the expected type${mistyped.some((m) => m.includes('Image')) ? ', or set cameras.<role>.transport (raw: Image, compressed: CompressedImage)' : ''}.`);
  }
  return required;
}
