/**
 * Drift-free periodic timers for the benchmarks' wall-clock graph, built as rcl's are in rclnodejs:
 * a separate thread sleeps until each deadline and wakes the JavaScript thread, which runs the
 * callback. The k-th deadline is start + k * period (no accumulated drift). A timer whose callback
 * has not begun by its next deadline (the thread was blocked) fires once, late, and the deadlines it
 * passed meanwhile are skipped: missed ticks, as rcl_timer_call skips them, never a burst.
 *
 * Why not setTimeout: libuv keeps its timers in whole milliseconds, so a timeout aimed at a deadline
 * fires up to a millisecond after it (rounded up) or before it (rounded down): measured on this
 * machine, p50 0.6 ms late with ceil, so the 100 Hz executors' measured jitter was mostly the timer's.
 * Per tick the JavaScript thread does one atomic store; the timer thread keeps the grid itself.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

import { pendingIndex, SIGNAL, type ClockFiring, type ClockRequest } from './tick-clock-thread.js';

export interface TickTimer {
  cancel(): void;
}

interface Entry {
  callback: () => void;
  onFire: ((due: bigint, actual: bigint) => void) | undefined;
}

const MAX_TIMERS = 256;

export class TickClock {
  readonly #shared = new Int32Array(new SharedArrayBuffer(4 * (1 + MAX_TIMERS)));
  readonly #channel = new MessageChannel();
  readonly #worker: Worker;
  readonly #timers = new Map<number, Entry>();
  #next = 0;
  #stopped = false;

  constructor() {
    this.#worker = new Worker(new URL('./tick-clock-thread.js', import.meta.url), {
      workerData: { shared: this.#shared, requests: this.#channel.port2 },
      transferList: [this.#channel.port2],
    });
    this.#worker.on('message', (f: ClockFiring) => this.#fire(f));
    this.#worker.unref();
  }

  /** Nanoseconds on the clock the timer thread sleeps on (monotonic, the same in every thread). */
  static now(): bigint {
    return process.hrtime.bigint();
  }

  /** Fires `callback` at start + k * period for k = 1, 2, ...; `onFire(due, actual)` sees each firing. */
  every(periodSeconds: number, callback: () => void, onFire?: (due: bigint, actual: bigint) => void): TickTimer {
    if (!(periodSeconds > 0)) throw new RangeError(`TickClock: period must be > 0 s, got ${periodSeconds}`);
    if (this.#next >= MAX_TIMERS) throw new RangeError(`TickClock: at most ${MAX_TIMERS} timers per clock`);
    const id = this.#next++;
    this.#timers.set(id, { callback, onFire });
    this.#send({ kind: 'add', id, start: String(TickClock.now()), period: String(BigInt(Math.round(periodSeconds * 1e9))) });
    return { cancel: () => { if (this.#timers.delete(id)) this.#send({ kind: 'cancel', id }); } };
  }

  #send(req: ClockRequest): void {
    if (this.#stopped) return;
    this.#channel.port1.postMessage(req);
    Atomics.add(this.#shared, SIGNAL, 1);
    Atomics.notify(this.#shared, SIGNAL);
  }

  #fire(f: ClockFiring): void {
    const e = this.#timers.get(f.id);
    if (!e) return; // cancelled while the firing was on its way
    const actual = TickClock.now();
    // From here the timer may fire again (at the next deadline after now), as rcl sets the next call
    // time when a call begins.
    Atomics.store(this.#shared, pendingIndex(f.id), 0);
    e.onFire?.(BigInt(f.due), actual);
    e.callback();
  }

  /** Cancels every timer and ends the thread. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#timers.clear();
    this.#send({ kind: 'stop' });
    this.#stopped = true;
    this.#worker.ref();
    await new Promise((r) => this.#worker.once('exit', r));
    this.#channel.port1.close();
  }
}
