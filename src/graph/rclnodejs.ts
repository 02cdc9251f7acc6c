/**
 * The live implementation of the Graph port, on rclnodejs (ROS 2 Humble, Jazzy and later). rclnodejs
 * is loaded at run time: without ROS 2 the package still installs and replays bags, and starting a
 * node fails with one message saying how to fix it. Several nodes in one process share one context.
 */
import { ParameterError, TwinvlaError } from '../errors.js';
import type { Logger } from '../log.js';
import { resolveParams, type ParamSpec, type ParamValues } from '../config/params.js';
import { resolveTopic, type Graph, type Publisher, type QosName, type Subscription, type Timer } from './port.js';
import { secondsToNs } from '../time.js';
import { CALLBACK_FAILURE, CALLBACK_SUCCESS, PARAMETER_TYPE, type RclLifecycleNode, type RclModule, type RclNode } from './rclnodejs-api.js';

export class RosError extends TwinvlaError {
  constructor(message: string) {
    super('ROS', message);
  }
}

export const ROS_SETUP_HELP =
  'rclnodejs could not be loaded, so the live ROS 2 graph is not available. Source ROS 2 (for example ' +
  '`source /opt/ros/jazzy/setup.bash`), then build the binding in the package folder with ' +
  '`npm ci --allow-scripts=rclnodejs` (or `npm rebuild rclnodejs`), or build the workspace with `colcon build`. ' +
  'Offline evaluation (`twinvla eval`) needs no ROS 2.';

async function loadRclnodejs(): Promise<RclModule> {
  try {
    const mod = (await import('rclnodejs' as string)) as { default?: RclModule } & RclModule;
    return mod.default ?? mod;
  } catch (e) {
    throw new RosError(`${ROS_SETUP_HELP}\n(cause: ${(e as Error).message.split('\n')[0]})`);
  }
}

function toNanoseconds(t: { secondsAndNanoseconds: { seconds: bigint; nanoseconds: bigint } }): bigint {
  const { seconds, nanoseconds } = t.secondsAndNanoseconds;
  return seconds * 1_000_000_000n + nanoseconds;
}

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => Number(x));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export interface LifecycleHandlers {
  configure: () => Promise<void>;
  activate: () => void;
  deactivate: () => void;
}

export class RclnodejsHost {
  readonly #rcl: RclModule;
  readonly #nodes: RclNode[] = [];
  readonly #lifecycleNodes = new Map<string, RclLifecycleNode>();

  private constructor(rcl: RclModule) {
    this.#rcl = rcl;
  }

  /** Loads rclnodejs and initialises the default context with the process's ROS arguments. */
  static async start(argv: string[] = process.argv.slice(2)): Promise<RclnodejsHost> {
    const rcl = await loadRclnodejs();
    await rcl.init(undefined, argv);
    return new RclnodejsHost(rcl);
  }

  #qos(q: QosName): string | object {
    const Q = this.#rcl.QoS;
    switch (q) {
      case 'sensor_data': return Q.profileSensorData;
      case 'reliable': return Q.profileDefault;
      // KEEP_LAST 100, RELIABLE, TRANSIENT_LOCAL: what /tf_static publishers offer.
      case 'transient_local': return new Q(1, 100, 1, 1);
      default: {
        const never: never = q;
        throw new RosError(`unknown QoS ${String(never)}`);
      }
    }
  }

  #declare(node: RclNode, schema: readonly ParamSpec[], overrides: Record<string, unknown>): ParamValues {
    const rcl = this.#rcl;
    const given: Record<string, unknown> = { ...overrides };
    const problems: string[] = [];
    for (const spec of schema) {
      const type = PARAMETER_TYPE[spec.type];
      const value = spec.name in overrides ? overrides[spec.name] : spec.default;
      const initial = spec.type === 'integer' && typeof value === 'number' ? BigInt(value) : value;
      let range: object | undefined;
      if (spec.type === 'double' && spec.min !== undefined && spec.max !== undefined) range = new rcl.FloatingPointRange(spec.min, spec.max, 0);
      if (spec.type === 'integer' && spec.min !== undefined && spec.max !== undefined) range = new rcl.IntegerRange(BigInt(spec.min), BigInt(spec.max), 1n);
      const description = `${spec.description}${spec.unit ? ` [${spec.unit}]` : ''}${spec.allowed ? ` (one of: ${spec.allowed.join(', ')})` : ''}`;
      try {
        const p = node.declareParameter(new rcl.Parameter(spec.name, type, initial), new rcl.ParameterDescriptor(spec.name, type, description, spec.readOnly ?? false, range));
        given[spec.name] = plain(p.value);
      } catch (e) {
        problems.push(`${spec.name}: ${(e as Error).message.split('\n')[0]} (expected ${spec.type}${spec.type === 'double' ? '; write 50.0 rather than 50 in YAML' : ''})`);
      }
    }
    if (problems.length > 0) throw new ParameterError(`${node.getFullyQualifiedName()}: ${problems.length} parameter(s) could not be declared:\n  ${problems.join('\n  ')}`);
    return resolveParams(schema, given, `parameters of ${node.getFullyQualifiedName()} (--params-file and overrides)`);
  }

  /** A Graph for one node; `lifecycle` makes it a managed node whose transitions call the handlers. */
  node(name: string, { namespace = '', overrides = {}, lifecycle }: { namespace?: string; overrides?: Record<string, unknown>; lifecycle?: () => LifecycleHandlers } = {}): Graph {
    const rcl = this.#rcl;
    const node: RclNode = lifecycle ? new rcl.lifecycle.LifecycleNode(name, namespace) : new rcl.Node(name, namespace);
    this.#nodes.push(node);
    const nodeName = node.getFullyQualifiedName();
    const log = node.getLogger();
    const logger: Logger = {
      debug: (m) => { log.debug(m); }, info: (m) => { log.info(m); }, warn: (m) => { log.warn(m); }, error: (m) => { log.error(m); },
    };
    const host = this;
    if (lifecycle) {
      const ln = node as RclLifecycleNode;
      this.#lifecycleNodes.set(nodeName, ln);
      // rclnodejs transition callbacks are synchronous: configure reports success when loading starts;
      // a failure is logged and leaves the node inactive without a model (diagnostics say so).
      ln.registerOnConfigure(() => {
        lifecycle().configure().catch((e: unknown) => logger.error(`configure failed: ${(e as Error).message}`));
        return CALLBACK_SUCCESS;
      });
      ln.registerOnActivate(() => {
        try {
          lifecycle().activate();
          return CALLBACK_SUCCESS;
        } catch (e) {
          logger.error(`activate failed: ${e instanceof Error ? e.message : String(e)}`);
          return CALLBACK_FAILURE;
        }
      });
      ln.registerOnDeactivate(() => { lifecycle().deactivate(); return CALLBACK_SUCCESS; });
    }
    return {
      nodeName,
      logger,
      now: () => toNanoseconds(node.getClock().now()),
      subscribe<T>(topic: string, type: string, qos: QosName, callback: (msg: T) => void): Subscription {
        const full = resolveTopic(topic, nodeName);
        node.createSubscription(type, full, { qos: host.#qos(qos), enableTypedArray: true }, callback as (m: unknown) => void);
        return { topic: full };
      },
      advertise<T>(topic: string, type: string, qos: QosName): Publisher<T> {
        const full = resolveTopic(topic, nodeName);
        const pub = node.createPublisher(type, full, { qos: host.#qos(qos) });
        return { topic: full, publish: (msg: T) => pub.publish(msg as never) };
      },
      createTimer(period: number, callback: () => void): Timer {
        // rclnodejs 2.x takes the period as bigint nanoseconds; timers run on the node's clock
        // (simulated time when use_sim_time is true).
        return node.createTimer(secondsToNs(period), callback);
      },
      parameters: (schema: readonly ParamSpec[]) => host.#declare(node, schema, overrides),
      createService<Req, Res>(service: string, type: string, handler: (request: Req) => Res): void {
        node.createService(type, resolveTopic(service, nodeName), {}, (request, response) => response.send(handler(request as Req) as never));
      },
      compute: <T>(work: () => Promise<T>): Promise<T> => work(),
      onParametersSet(handler: (changes: Record<string, unknown>) => string | null): void {
        node.addOnSetParametersCallback((parameters) => {
          const reason = handler(Object.fromEntries(parameters.map((p) => [p.name, plain(p.value)])));
          return { successful: reason === null, reason: reason ?? '' };
        });
      },
    };
  }

  /** Walks a managed node's ROS state machine to active (its callbacks are idempotent), so that
   * `ros2 lifecycle get` agrees with a node that configured and activated itself (autostart). */
  markActive(graph: Graph): void {
    const ln = this.#lifecycleNodes.get(graph.nodeName);
    ln?.configure();
    ln?.activate();
  }

  spin(): void {
    for (const n of this.#nodes) n.spin();
  }

  shutdown(): void {
    this.#rcl.shutdown();
  }
}
