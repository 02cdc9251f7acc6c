/**
 * A wall-clock, in-process Graph for benchmarks: real timers (a timer thread waking the JavaScript
 * thread at each deadline, as rcl's wait thread does in rclnodejs: bench/tick-clock.ts), immediate
 * delivery of published messages, inference run as it comes.
 */
import { MemoryLogger } from '../src/log.js';
import { resolveParams, type ParamSpec } from '../src/config/params.js';
import { resolveTopic, type Graph, type Publisher, type Timer } from '../src/graph/port.js';
import { secondsToNs } from '../src/time.js';
import { TickClock } from './tick-clock.js';

export class WallBus {
  readonly #listeners = new Map<string, ((m: unknown) => void)[]>();
  readonly #clock = new TickClock();
  readonly taps: ((topic: string, time: number, msg: unknown) => void)[] = [];
  /** The bus's time zero on the monotonic clock (the same clock in every process of the machine). */
  readonly origin = TickClock.now();

  /** Seconds since the bus was made. */
  now(): number {
    return this.#seconds(TickClock.now());
  }

  #seconds(ns: bigint): number {
    return Number(ns - this.origin) / 1e9;
  }

  deliver(topic: string, msg: unknown): void {
    for (const l of this.#listeners.get(topic) ?? []) l(msg);
  }

  /** A repeating timer; `onFire(ideal, actual)` sees each firing's due and actual time (seconds). */
  every(period: number, callback: () => void, onFire?: (ideal: number, actual: number) => void): Timer {
    return this.#clock.every(period, callback, onFire ? (due, actual) => onFire(this.#seconds(due), this.#seconds(actual)) : undefined);
  }

  node(name: string, parameters: Record<string, unknown>, onTimer?: (period: number, ideal: number, actual: number) => void): Graph {
    const nodeName = `/${name}`;
    const bus = this;
    return {
      nodeName,
      logger: new MemoryLogger(),
      now: () => secondsToNs(bus.now()),
      subscribe(topic, _type, _qos, callback) {
        const full = resolveTopic(topic, nodeName);
        bus.#listeners.set(full, [...(bus.#listeners.get(full) ?? []), callback as (m: unknown) => void]);
        return { topic: full };
      },
      advertise<T>(topic: string): Publisher<T> {
        const full = resolveTopic(topic, nodeName);
        return { topic: full, publish: (m: T) => { for (const tap of bus.taps) tap(full, bus.now(), m); bus.deliver(full, m); } };
      },
      createTimer: (period, callback) => bus.every(period, callback, onTimer ? (i, a) => onTimer(period, i, a) : undefined),
      parameters: (schema: readonly ParamSpec[]) => resolveParams(schema, parameters, name),
      createService() { /* not needed in the benchmark */ },
      compute: (work) => work(),
      onParametersSet() { /* not needed in the benchmark */ },
    };
  }

  /** Stops every timer (and the timer thread). */
  stop(): Promise<void> {
    return this.#clock.stop();
  }
}
