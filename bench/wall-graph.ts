/**
 * A wall-clock, in-process Graph for benchmarks: real timers (setTimeout aimed at each due time, as
 * rcl timers are), immediate delivery of published messages, inference run as it comes.
 */
import { MemoryLogger } from '../src/log.js';
import { resolveParams, type ParamSpec } from '../src/config/params.js';
import { resolveTopic, type Graph, type Publisher, type Timer } from '../src/graph/port.js';
import { secondsToNs } from '../src/time.js';

export class WallBus {
  readonly #listeners = new Map<string, ((m: unknown) => void)[]>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly taps: ((topic: string, time: number) => void)[] = [];
  readonly t0 = performance.now();

  now(): number {
    return (performance.now() - this.t0) / 1e3;
  }

  deliver(topic: string, msg: unknown): void {
    for (const l of this.#listeners.get(topic) ?? []) l(msg);
  }

  /** A repeating timer; `onFire(ideal, actual)` sees each firing's due and actual time. */
  every(period: number, callback: () => void, onFire?: (ideal: number, actual: number) => void): Timer {
    const start = this.now();
    let k = 1;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const due = start + k * period;
      handle = setTimeout(() => {
        const actual = this.now();
        onFire?.(due, actual);
        // A late firing skips the due times it has passed: those ticks are missed.
        k = Math.max(k + 1, Math.floor((actual - start) / period) + 1);
        callback();
        arm();
      }, Math.max(0, Math.ceil((due - this.now()) * 1e3)));
      this.#timers.push(handle);
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
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
        return { topic: full, publish: (m: T) => { for (const tap of bus.taps) tap(full, bus.now()); bus.deliver(full, m); } };
      },
      createTimer: (period, callback) => bus.every(period, callback, onTimer ? (i, a) => onTimer(period, i, a) : undefined),
      parameters: (schema: readonly ParamSpec[]) => resolveParams(schema, parameters, name),
      createService() { /* not needed in the benchmark */ },
      compute: (work) => work(),
      onParametersSet() { /* not needed in the benchmark */ },
    };
  }

  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
  }
}
