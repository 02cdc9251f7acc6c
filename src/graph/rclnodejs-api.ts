/**
 * The part of rclnodejs 2.x this package uses, declared structurally. rclnodejs is an optional
 * dependency that builds only where ROS 2 is sourced, so the build cannot import its types; instead
 * test/graph/rclnodejs-types.test.ts type-checks that rclnodejs's own published declarations are
 * assignable to this interface: a call that does not match the real API fails CI.
 * Function-typed properties (not methods) keep parameter checks strict. C names the instance types of
 * rclnodejs's classes that pass through the adapter; the check binds them to the real classes.
 */
export interface RclClasses {
  qos: object;
  parameter: object;
  descriptor: object;
  range: object;
}

export interface RclTime {
  readonly secondsAndNanoseconds: { seconds: bigint; nanoseconds: bigint };
}

export interface RclLogging {
  debug: (message: string) => boolean;
  info: (message: string) => boolean;
  warn: (message: string) => boolean;
  error: (message: string) => boolean;
}

export interface RclTimer {
  cancel: () => void;
}

export interface RclPublisher {
  publish: (message: never) => void;
}

export interface RclServiceResponse {
  send: (response: never) => void;
}

export interface RclParameter {
  readonly name: string;
  readonly value: unknown;
}

export interface RclNode<C extends RclClasses = RclClasses> {
  getClock: () => { now: () => RclTime };
  getLogger: () => RclLogging;
  getFullyQualifiedName: () => string;
  createTimer: (period: bigint, callback: () => void) => RclTimer;
  createPublisher: (typeClass: string, topic: string, options?: { qos?: string | C['qos'] }) => RclPublisher;
  createSubscription: (typeClass: string, topic: string, options: { qos?: string | C['qos']; enableTypedArray?: boolean }, callback: (message: unknown) => void) => unknown;
  createService: (typeClass: string, serviceName: string, options: { qos?: string | C['qos'] }, callback: (request: unknown, response: RclServiceResponse) => void) => unknown;
  declareParameter: (parameter: C['parameter'], descriptor?: C['descriptor'], ignoreOverride?: boolean) => RclParameter;
  setParameter: (parameter: C['parameter']) => unknown;
  addOnSetParametersCallback: (callback: (parameters: RclParameter[]) => { successful: boolean; reason: string }) => void;
  spin: (timeout?: number) => void;
}

export interface RclLifecycleNode<C extends RclClasses = RclClasses> extends RclNode<C> {
  registerOnConfigure: (cb: () => number) => void;
  registerOnActivate: (cb: () => number) => void;
  registerOnDeactivate: (cb: () => number) => void;
  configure: () => unknown;
  activate: () => unknown;
  /** A State; its declarations omit the `label` it has (read with stateLabel). */
  readonly currentState: object;
}

export interface RclModule<C extends RclClasses = RclClasses> {
  init: (context?: undefined, argv?: string[]) => Promise<void>;
  shutdown: () => void;
  Node: new (nodeName: string, namespace?: string) => RclNode<C>;
  lifecycle: { LifecycleNode: new (nodeName: string, namespace?: string) => RclLifecycleNode<C> };
  Parameter: new (name: string, type: number, value?: unknown) => C['parameter'];
  ParameterDescriptor: new (name: string, type: number, description?: string, readOnly?: boolean, range?: C['range']) => C['descriptor'];
  FloatingPointRange: new (from: number, to: number, step?: number) => C['range'];
  IntegerRange: new (from: bigint, to: bigint, step?: bigint) => C['range'];
  QoS: {
    new (history?: number, depth?: number, reliability?: number, durability?: number): C['qos'];
    profileSensorData: string;
    profileDefault: string;
  };
}

/** rcl_interfaces/msg/ParameterType values (fixed by the ROS 2 interface). */
export const PARAMETER_TYPE = { bool: 1, integer: 2, double: 3, string: 4, double_array: 8, string_array: 9 } as const;
/** lifecycle_msgs/msg/Transition TRANSITION_CALLBACK_SUCCESS / FAILURE. */
export const CALLBACK_SUCCESS = 97;
export const CALLBACK_FAILURE = 98;
/** The label of an rclnodejs lifecycle State (lib/lifecycle.js sets it; types/lifecycle.d.ts omits it). */
export function stateLabel(state: object): string {
  return 'label' in state && typeof state.label === 'string' ? state.label : 'unknown';
}
/** lifecycle_msgs/msg/Transition ids of the requests a client sends, by label. */
export const TRANSITION_LABELS: Readonly<Record<number, string>> = { 1: 'configure', 2: 'cleanup', 3: 'activate', 4: 'deactivate', 5: 'unconfigured_shutdown', 6: 'inactive_shutdown', 7: 'active_shutdown' };
