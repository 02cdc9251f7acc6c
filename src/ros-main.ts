/**
 * The ROS 2 node processes, where the nodes meet the rclnodejs graph (node/ knows only the port):
 * `policy` (the managed PolicyNode), `executor` (one ArmExecutor), `bringup` (all three in one
 * process, sharing one context: the launch default). ROS arguments (--ros-args, --params-file,
 * remappings, use_sim_time) pass through to rclnodejs.
 */
import { InputError } from './errors.js';
import { RclnodejsHost, type LifecycleHandlers } from './graph/rclnodejs.js';
import { ArmExecutor } from './node/arm-executor.js';
import { PolicyNode } from './node/policy-node.js';

export type NodeKind = 'policy' | 'executor' | 'bringup';

async function startPolicy(host: RclnodejsHost): Promise<PolicyNode> {
  let node: PolicyNode | null = null;
  const handlers = (): LifecycleHandlers => ({
    configure: async () => { await node?.configure(); },
    activate: () => node?.activate(),
    deactivate: () => node?.deactivate(),
  });
  node = await PolicyNode.create(host.node('twinvla_policy', { lifecycle: handlers }));
  if (node.state === 'active') host.markActive(node.graph);
  return node;
}

export async function runNodes(kind: NodeKind, argv: string[]): Promise<void> {
  const host = await RclnodejsHost.start(argv);
  let policy: PolicyNode | null = null;
  switch (kind) {
    case 'policy':
      policy = await startPolicy(host);
      break;
    case 'executor':
      ArmExecutor.create(host.node('twinvla_arm_executor'));
      break;
    case 'bringup':
      policy = await startPolicy(host);
      ArmExecutor.create(host.node('twinvla_left_executor', { overrides: { arm: 'left' } }));
      ArmExecutor.create(host.node('twinvla_right_executor', { overrides: { arm: 'right' } }));
      break;
    default: {
      const never: never = kind;
      throw new InputError(`node: unknown node kind ${JSON.stringify(never)}; expected policy, executor or bringup.`);
    }
  }
  host.spin();
  // The inference thread's sessions are released before the context goes.
  const stop = (): void => { void (policy?.shutdown() ?? Promise.resolve()).finally(() => { host.shutdown(); process.exit(0); }); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
