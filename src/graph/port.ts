/**
 * The Graph port: the little the nodes need from ROS 2. Two implementations: rclnodejs (live ROS 2)
 * and replay (a bag or a list of messages on a simulated clock). Nodes import nothing else of ROS.
 */
import type { Logger } from '../log.js';
import type { ParamSpec, ParamValues } from '../config/params.js';

/** QoS profiles by intent: cameras use sensor_data; /tf_static and latched state use transient_local. */
export type QosName = 'sensor_data' | 'reliable' | 'transient_local';

export interface Publisher<T> {
  readonly topic: string;
  publish(msg: T): void;
}

export interface Subscription {
  readonly topic: string;
}

export interface Timer {
  cancel(): void;
}

export interface Graph {
  /** The node's fully qualified name, for example /twinvla/twinvla_policy. */
  readonly nodeName: string;
  readonly logger: Logger;
  /** Nanoseconds on the node's clock (simulated time when use_sim_time is set, or in replay). */
  now(): bigint;
  subscribe<T>(topic: string, type: string, qos: QosName, callback: (msg: T) => void): Subscription;
  advertise<T>(topic: string, type: string, qos: QosName): Publisher<T>;
  /** Fires every `periodSeconds` (a parameter), kept as whole nanoseconds as rcl keeps it. */
  createTimer(periodSeconds: number, callback: () => void): Timer;
  /** Declares the node's parameters from its schema and returns the validated values
   * (overrides from --params-file or the launch file applied); throws ParameterError listing all problems. */
  parameters(schema: readonly ParamSpec[]): ParamValues;
  createService<Req, Res>(name: string, type: string, handler: (request: Req) => Res): void;
  /** Live parameter changes: the handler applies them and returns null, or refuses with a reason
   * (then nothing changes). */
  onParametersSet(handler: (changes: Record<string, unknown>) => string | null): void;
  /** Runs an inference. Live: as it comes. Replay: the result is delivered at start + latency on the
   * simulated clock, the latency measured or fixed. */
  compute<T>(work: () => Promise<T>): Promise<T>;
  /** True where inference completes at a fixed simulated latency (replay with a fixed latency): no
   * wall clock waits on the node's work. Absent or false: live, or latency measured. */
  readonly fixedLatency?: boolean;
}

/** Resolves a name as rcl does: `~/x` under the node, `x` under the node's namespace, `/x` as is. */
export function resolveTopic(name: string, nodeName: string): string {
  if (name.startsWith('~/')) return `${nodeName}/${name.slice(2)}`;
  if (name === '~') return nodeName;
  if (name.startsWith('/')) return name;
  const namespace = nodeName.slice(0, nodeName.lastIndexOf('/'));
  return `${namespace}/${name}`;
}

/** A managed node's transitions (ROS 2 lifecycle). configure loads and may fail (it throws the
 * reason); configured says whether it succeeded, so the graph reports the truth. */
export interface LifecycleHandlers {
  configure: () => Promise<void>;
  configured: () => boolean;
  activate: () => void;
  deactivate: () => void;
}
