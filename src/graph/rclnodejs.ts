/**
 * The live implementation of the Graph port, on rclnodejs (ROS 2 Humble, Jazzy and later). rclnodejs
 * is loaded at run time: without ROS 2 the package still installs and replays bags, and starting a
 * node fails with one message saying how to fix it. Several nodes in one process share one context.
 */
import { ParameterError, TwinvlaError } from '../errors.js';
import type { Logger } from '../log.js';
import { nodeParams, rosParameterArguments, type RosParameterArguments } from '../config/param-files.js';
import { resolveParams, type ParamSpec, type ParamValues } from '../config/params.js';
import { resolveTopic, type Graph, type LifecycleHandlers, type Publisher, type QosName, type Subscription, type Timer } from './port.js';
import { secondsToNs } from '../time.js';
import { CALLBACK_FAILURE, CALLBACK_SUCCESS, PARAMETER_TYPE, stateLabel, TRANSITION_LABELS, type RclLifecycleNode, type RclModule, type RclNode, type RclServiceResponse } from './rclnodejs-api.js';

interface ChangeStateRequest {
  transition: { id: number; label: string };
}

/** rclnodejs 2.2's ChangeState service handler (lib/lifecycle.js), replaced by #manage. */
interface AsyncChangeState {
  _onChangeState: (request: ChangeStateRequest, response: RclServiceResponse) => void;
}

export class RosError extends TwinvlaError {
  constructor(message: string) {
    super('ROS', message);
  }
}

export const ROS_SETUP_HELP =
  'rclnodejs could not be loaded, so the live ROS 2 graph is not available. Source ROS 2 (for example ' +
  '`source /opt/ros/jazzy/setup.bash`), then build the binding in the package folder with ' +
  '`npm rebuild rclnodejs` (package.json allows its install script), or build the workspace with `colcon build`. ' +
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
  // rclnodejs hands array parameters over as typed arrays (BigInt64Array for integers).
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, (x) => Number(x));
  if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint32Array ||
      v instanceof Int16Array || v instanceof Uint16Array || v instanceof Int8Array || v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

export class RclnodejsHost {
  readonly #rcl: RclModule;
  readonly #nodes: RclNode[] = [];
  readonly #lifecycleNodes = new Map<string, RclLifecycleNode>();
  readonly #args: RosParameterArguments;
  readonly #known: ReadonlySet<string>;

  private constructor(rcl: RclModule, args: RosParameterArguments, known: ReadonlySet<string>) {
    this.#rcl = rcl;
    this.#args = args;
    this.#known = known;
  }

  /** Loads rclnodejs and initialises the default context with the process's ROS arguments.
   * `knownParameters`: every parameter name of the package's nodes (what a `/**` block may hold). */
  static async start(argv: string[], knownParameters: ReadonlySet<string>): Promise<RclnodejsHost> {
    const args = rosParameterArguments(argv);
    const rcl = await loadRclnodejs();
    await rcl.init(undefined, argv);
    return new RclnodejsHost(rcl, args, knownParameters);
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

  /** Declares the schema's parameters with their descriptors, at the values the parameter files
   * (every rcl key form), `-p` arguments and the code's overrides give, and validates them all. */
  #declare(node: RclNode, schema: readonly ParamSpec[], overrides: Record<string, unknown>): ParamValues {
    const rcl = this.#rcl;
    const name = node.getFullyQualifiedName();
    const fromFiles = nodeParams(this.#args, name, new Set(schema.map((s) => s.name)), this.#known);
    const source = `parameters of ${name} (${this.#args.files.length > 0 ? this.#args.files.join(', ') : 'no --params-file'})`;
    const { use_sim_time: simTime, ...given } = { ...fromFiles, ...overrides };
    if (simTime !== undefined) {
      if (typeof simTime !== 'boolean') throw new ParameterError(`${source}: use_sim_time = ${JSON.stringify(simTime)}: expected true or false.`);
      node.setParameter(new rcl.Parameter('use_sim_time', PARAMETER_TYPE.bool, simTime));
    }
    // Validated first, as a whole (unknown names, types, ranges), with the files named.
    const values = resolveParams(schema, given, source);
    for (const spec of schema) {
      const type = PARAMETER_TYPE[spec.type];
      const value = values[spec.name];
      const initial = spec.type === 'integer' && typeof value === 'number' ? BigInt(value) : value;
      let range: object | undefined;
      if (spec.type === 'double' && spec.min !== undefined && spec.max !== undefined) range = new rcl.FloatingPointRange(spec.min, spec.max, 0);
      if (spec.type === 'integer' && spec.min !== undefined && spec.max !== undefined) range = new rcl.IntegerRange(BigInt(spec.min), BigInt(spec.max), 1n);
      const description = `${spec.description}${spec.unit ? ` [${spec.unit}]` : ''}${spec.allowed ? ` (one of: ${spec.allowed.join(', ')})` : ''}`;
      // ignoreOverride: rclnodejs's own reading of the files knows two key forms only; ours is whole.
      node.declareParameter(new rcl.Parameter(spec.name, type, initial), new rcl.ParameterDescriptor(spec.name, type, description, spec.readOnly ?? false, range), true);
    }
    return values;
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
      this.#lifecycleNodes.set(nodeName, node as RclLifecycleNode);
      this.#manage(node as RclLifecycleNode, lifecycle, logger);
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

  /**
   * A managed node whose ROS state tells the truth. rclnodejs answers lifecycle_msgs/srv/ChangeState
   * from synchronous callbacks, but configuring loads and warms up a model; so a configure request
   * is answered when that work has ended: success once the model is ready, failure (the reason in the
   * log) when it could not load. Requests the state machine does not allow (activate before
   * configure) are refused with a message, and `ros2 lifecycle get` then agrees with /diagnostics.
   */
  #manage(ln: RclLifecycleNode, lifecycle: () => LifecycleHandlers, logger: Logger): void {
    const changeState = (ln as unknown as AsyncChangeState)._onChangeState;
    if (typeof changeState !== 'function') throw new RosError('this rclnodejs has no LifecycleNode._onChangeState (written for rclnodejs 2.2); the policy node cannot report configure truthfully.');
    const answer = changeState.bind(ln);
    let loading = false;
    const transitionLabel = (request: ChangeStateRequest): string => request.transition.label || TRANSITION_LABELS[request.transition.id] || `transition ${request.transition.id}`;
    const refuse = (request: ChangeStateRequest, response: RclServiceResponse, why: string): void => {
      logger.warn(`lifecycle: ${transitionLabel(request)} refused in state ${stateLabel(ln.currentState)}: ${why}`);
      response.send({ success: false } as never);
    };
    const handle = (request: ChangeStateRequest, response: RclServiceResponse): void => {
      try {
        answer(request, response);
      } catch (e) {
        refuse(request, response, (e as Error).message);
      }
    };
    (ln as unknown as AsyncChangeState)._onChangeState = (request: ChangeStateRequest, response: RclServiceResponse): void => {
      if (loading) return refuse(request, response, 'configure is still loading the model');
      if (transitionLabel(request) !== 'configure' || stateLabel(ln.currentState) !== 'unconfigured') return handle(request, response);
      loading = true;
      lifecycle().configure().then(
        () => undefined,
        (e: unknown) => { logger.error(`configure failed: ${(e as Error).message}`); },
      ).finally(() => {
        loading = false;
        handle(request, response);
      });
    };
    ln.registerOnConfigure(() => (lifecycle().configured() ? CALLBACK_SUCCESS : CALLBACK_FAILURE));
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
