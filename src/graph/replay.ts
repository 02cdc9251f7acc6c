/**
 * The replay implementation of the Graph port: a discrete-event simulation. Messages come from an
 * ordered source in log-time order, the clock is simulated, timers fire at simulated times, and an
 * inference started at t completes at t + latency, the latency measured (wall time of the real
 * computation) or fixed (deterministic). Published messages reach the subscribers at once, as in one
 * process. Several nodes share one ReplayBus, as several rclnodejs nodes share one context.
 */
import { InputError, ParameterError } from '../errors.js';
import { consoleLogger, type Logger, type LogLevel } from '../log.js';
import { resolveParams, type ParamSpec, type ParamValues } from '../config/params.js';
import { addSeconds, formatTime, maxTime, secondsToNs } from '../time.js';
import { resolveTopic, type Graph, type Publisher, type QosName, type Subscription, type Timer } from './port.js';

export interface ReplayMessage {
  topic: string;
  type: string;
  /** Log time, nanoseconds. */
  time: bigint;
  message: unknown;
}

export type ReplaySource = Iterable<ReplayMessage> | AsyncIterable<ReplayMessage>;

/** `measured`: wall time of the computation; a number: fixed seconds (deterministic). */
export type LatencyModel = 'measured' | number;

interface TimerEntry {
  id: number;
  /** Whole nanoseconds, as rcl keeps a timer's period: deadlines never drift. */
  period: bigint;
  next: bigint;
  callback: () => void;
  cancelled: boolean;
}

interface Completion {
  time: bigint;
  seq: number;
  deliver: () => void;
}

type Listener = { type: string; callback: (msg: unknown) => void };

export interface ReplayNodeOptions {
  /** Parameter values (from a params file or the command line) over the schema's defaults. */
  parameters?: Record<string, unknown>;
  /** Where the parameters came from, for messages. */
  parameterSource?: string;
  logger?: Logger;
}

export class ReplayBus {
  readonly #listeners = new Map<string, Listener[]>();
  readonly #services = new Map<string, (req: unknown) => unknown>();
  readonly #parameterHandlers = new Map<string, (changes: Record<string, unknown>) => string | null>();
  readonly #timers: TimerEntry[] = [];
  readonly #completions: Completion[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #latency: LatencyModel;
  readonly #logLevel: LogLevel;
  #now = 0n;
  #seq = 0;
  #started = false;
  /** Every message published by a node, in order: for evaluation and tests. */
  readonly taps: ((topic: string, type: string, time: bigint, msg: unknown) => void)[] = [];

  constructor({ latency = 'measured', logLevel = 'warn', startTime = 0n }: { latency?: LatencyModel; logLevel?: LogLevel; startTime?: bigint } = {}) {
    this.#latency = latency;
    this.#logLevel = logLevel;
    this.#now = startTime;
  }

  /** Simulated time, nanoseconds. */
  get now(): bigint {
    return this.#now;
  }

  /** A Graph for one node on this bus. */
  node(name: string, { parameters = {}, parameterSource = `parameters of ${name}`, logger }: ReplayNodeOptions = {}): Graph {
    const nodeName = name.startsWith('/') ? name : `/${name}`;
    const bus = this;
    const log = logger ?? consoleLogger(this.#logLevel, nodeName);
    return {
      nodeName,
      logger: log,
      now: () => bus.#now,
      subscribe<T>(topic: string, type: string, _qos: QosName, callback: (msg: T) => void): Subscription {
        const full = resolveTopic(topic, nodeName);
        const list = bus.#listeners.get(full) ?? [];
        list.push({ type, callback: callback as (msg: unknown) => void });
        bus.#listeners.set(full, list);
        return { topic: full };
      },
      advertise<T>(topic: string, type: string): Publisher<T> {
        const full = resolveTopic(topic, nodeName);
        return { topic: full, publish: (msg: T) => bus.deliver(full, type, msg, true) };
      },
      createTimer(period: number, callback: () => void): Timer {
        const ns = Number.isFinite(period) ? secondsToNs(period) : 0n;
        if (!(ns > 0n)) throw new ParameterError(`${nodeName}: timer period ${period} s must be at least one nanosecond.`);
        const entry: TimerEntry = { id: bus.#seq++, period: ns, next: bus.#now + ns, callback, cancelled: false };
        bus.#timers.push(entry);
        return { cancel: () => { entry.cancelled = true; } };
      },
      parameters(schema: readonly ParamSpec[]): ParamValues {
        return resolveParams(schema, parameters, parameterSource);
      },
      createService<Req, Res>(service: string, _type: string, handler: (request: Req) => Res): void {
        bus.#services.set(resolveTopic(service, nodeName), handler as (req: unknown) => unknown);
      },
      compute<T>(work: () => Promise<T>): Promise<T> {
        return bus.#compute(work);
      },
      fixedLatency: bus.#latency !== 'measured',
      onParametersSet(handler: (changes: Record<string, unknown>) => string | null): void {
        bus.#parameterHandlers.set(nodeName, handler);
      },
    };
  }

  /** Hands a message to the subscribers of `topic` (and to the taps when a node published it). */
  deliver(topic: string, type: string, msg: unknown, published = false): void {
    if (published) for (const tap of this.taps) tap(topic, type, this.#now, msg);
    for (const l of this.#listeners.get(topic) ?? []) {
      if (l.type !== type) continue;
      l.callback(msg);
    }
  }

  /** `ros2 param set` for a node on this bus: null when applied, else the reason it was refused. */
  setParameters(node: string, changes: Record<string, unknown>): string | null {
    const h = this.#parameterHandlers.get(node);
    if (!h) throw new ParameterError(`node ${node} takes no parameter changes (nodes: ${[...this.#parameterHandlers.keys()].join(', ') || 'none'}).`);
    return h(changes);
  }

  /** Calls a node's service (tests, evaluation scripts). */
  call<Req, Res>(service: string, request: Req): Res {
    const h = this.#services.get(service);
    if (!h) throw new ParameterError(`no service ${service} (have ${[...this.#services.keys()].join(', ') || 'none'}).`);
    return h(request) as Res;
  }

  #compute<T>(work: () => Promise<T>): Promise<T> {
    const start = this.#now;
    const started = this.#started;
    const wallStart = performance.now();
    return new Promise<T>((resolve, reject) => {
      const done = (deliver: () => void): void => {
        // Work started before the replay's first message (a node's start-up attempt) costs no
        // simulated time: it completes as the replay starts, whatever the epoch.
        const latency = !started ? 0 : this.#latency === 'measured' ? (performance.now() - wallStart) / 1e3 : this.#latency;
        this.#completions.push({ time: start + secondsToNs(latency), seq: this.#seq++, deliver });
      };
      const p = work().then((v) => done(() => resolve(v)), (e: unknown) => done(() => reject(e)));
      this.#pending.add(p);
      void p.finally(() => this.#pending.delete(p));
    });
  }

  /** Lets node code run to its next wait: real computations started by the last event finish first. */
  async #settle(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.#pending.size === 0) return;
      await Promise.all([...this.#pending]);
    }
  }

  #nextTimer(): TimerEntry | null {
    let best: TimerEntry | null = null;
    for (const t of this.#timers) if (!t.cancelled && (!best || t.next < best.next || (t.next === best.next && t.id < best.id))) best = t;
    return best;
  }

  #nextCompletion(): Completion | null {
    let best: Completion | null = null;
    for (const c of this.#completions) if (!best || c.time < best.time || (c.time === best.time && c.seq < best.seq)) best = c;
    return best;
  }

  /** Processes timers and completions due up to `until`. */
  async #advance(until: bigint): Promise<void> {
    for (;;) {
      const timer = this.#nextTimer();
      const completion = this.#nextCompletion();
      if (!timer && !completion) return;
      const useCompletion = completion !== null && (timer === null || completion.time <= timer.next);
      const due = useCompletion ? (completion as Completion).time : (timer as TimerEntry).next;
      if (due > until) return;
      if (useCompletion && completion) {
        this.#completions.splice(this.#completions.indexOf(completion), 1);
        this.#now = maxTime(this.#now, due);
        completion.deliver();
      } else if (timer) {
        this.#now = maxTime(this.#now, due);
        timer.next += timer.period;
        timer.callback();
      }
      await this.#settle();
    }
  }

  /**
   * Replays `source` (log-time order is checked), then keeps the clock running until `until`
   * (nanoseconds; or `drain` seconds past the last message), so that inferences and executors finish.
   */
  async run(source: ReplaySource, { until, drain = 0, onProgress }: { until?: bigint; drain?: number; onProgress?: (time: bigint) => void } = {}): Promise<void> {
    let last: bigint | null = null;
    for await (const m of source as AsyncIterable<ReplayMessage>) {
      if (last !== null && m.time < last) throw new InputError(`replay source is not in log-time order: ${m.topic} at ${formatTime(m.time)} after a message at ${formatTime(last)}; sort the messages by log time (a bag's reader yields them in order).`);
      if (until !== undefined && m.time > until) break;
      if (!this.#started) {
        this.#started = true;
        this.#now = m.time;
        for (const t of this.#timers) t.next = m.time + t.period;
      }
      await this.#advance(m.time);
      this.#now = m.time;
      last = m.time;
      this.deliver(m.topic, m.type, m.message);
      await this.#settle();
      onProgress?.(m.time);
    }
    await this.#advance(until ?? addSeconds(last ?? this.#now, drain));
  }

  /** Advances the clock by `seconds` with no new messages. */
  async runFor(seconds: number): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      for (const t of this.#timers) t.next = this.#now + t.period;
    }
    const until = addSeconds(this.#now, seconds);
    await this.#advance(until);
    this.#now = maxTime(this.#now, until);
  }
}
