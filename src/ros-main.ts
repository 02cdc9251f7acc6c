/**
 * The ROS 2 node processes, where the nodes meet the rclnodejs graph (node/ knows only the port):
 * `policy` (the managed PolicyNode), `executor` (one ArmExecutor), `bringup` (all three in one
 * process, sharing one context: the launch default). ROS arguments (--ros-args, --params-file,
 * -p, remappings, use_sim_time) pass through to rclnodejs; the parameter files are read by the
 * package itself with every key form rcl accepts (config/param-files.ts).
 */
import { RclnodejsHost } from './graph/rclnodejs.js';
import { bringUp, type BringupKind } from './node/bringup.js';
import { KNOWN_PARAMETERS } from './node/node-schemas.js';
import { executorScheduling } from './node/realtime.js';

export type NodeKind = BringupKind;

export async function runNodes(kind: NodeKind, argv: string[]): Promise<void> {
  const host = await RclnodejsHost.start(argv, KNOWN_PARAMETERS);
  const nodes = await bringUp(host, kind);
  const { policy } = nodes;
  // An executor alone in its process takes real-time priority (realtime_priority).
  executorScheduling(kind, nodes);
  host.spin();
  // The inference thread's sessions are released before the context goes.
  const stop = (): void => { void (policy?.shutdown() ?? Promise.resolve()).finally(() => { host.shutdown(); process.exit(0); }); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
