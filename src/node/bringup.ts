/**
 * The one place where the package's nodes are put together: a PolicyNode and one ArmExecutor per arm
 * (`bringup`), or one of them (`policy`, `executor`: the split processes), on any host of Graphs:
 * rclnodejs for the live processes, the replay bus for `twinvla eval`, the tests and the benchmarks.
 * Each executor is told only its arm; its frames and topics come from its own parameters.
 */
import { ARMS, executorNodeName } from '../config/layout.js';
import { InputError } from '../errors.js';
import type { Graph, LifecycleHandlers } from '../graph/port.js';
import { ArmExecutor } from './arm-executor.js';
import { PolicyNode } from './policy-node.js';

export type BringupKind = 'policy' | 'executor' | 'bringup';

/** What a host of Graphs offers: one Graph per node, its parameters from the host's sources
 * (files, command line) with `overrides` on top; `lifecycle` makes the node a managed one. */
export interface NodeHost {
  node(name: string, options: { overrides: Record<string, unknown>; lifecycle?: () => LifecycleHandlers }): Graph;
  /** Called once a managed node has configured and activated itself (autostart). */
  markActive?(graph: Graph): void;
}

export interface Nodes {
  policy: PolicyNode | null;
  executors: ArmExecutor[];
}

/** Node names (the executors': config/layout.ts); the executor of a split process is named by its
 * launcher (`-r __node:=twinvla_left_executor`). */
export const POLICY_NODE = 'twinvla_policy';
export const SPLIT_EXECUTOR_NODE = 'twinvla_arm_executor';

async function policyNode(host: NodeHost): Promise<PolicyNode> {
  let node: PolicyNode | null = null;
  const handlers = (): LifecycleHandlers => ({
    configure: async () => { await node?.configure(); },
    configured: () => node?.state !== undefined && node.state !== 'unconfigured',
    activate: () => node?.activate(),
    deactivate: () => node?.deactivate(),
  });
  node = await PolicyNode.create(host.node(POLICY_NODE, { overrides: {}, lifecycle: handlers }));
  if (node.state === 'active') host.markActive?.(node.graph);
  return node;
}

export async function bringUp(host: NodeHost, kind: BringupKind): Promise<Nodes> {
  switch (kind) {
    case 'policy':
      return { policy: await policyNode(host), executors: [] };
    case 'executor':
      return { policy: null, executors: [ArmExecutor.create(host.node(SPLIT_EXECUTOR_NODE, { overrides: {} }))] };
    case 'bringup': {
      const policy = await policyNode(host);
      const executors = ARMS.map((arm) => ArmExecutor.create(host.node(executorNodeName(arm), { overrides: { arm } })));
      return { policy, executors };
    }
    default: {
      const never: never = kind;
      throw new InputError(`node: unknown node kind ${JSON.stringify(never)}; expected policy, executor or bringup.`);
    }
  }
}
