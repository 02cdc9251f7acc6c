/**
 * The timer thread of TickClock (bench/tick-clock.ts): sleeps until the earliest deadline of its
 * timers, as rcl_wait does in rclnodejs's wait thread, and posts the firing to the JavaScript thread.
 * A timer whose last firing the JavaScript thread has not begun yet (its `pending` flag still set)
 * skips the deadline: that tick is missed, and the JavaScript thread sees one late firing, not a burst.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';

export type ClockRequest = { kind: 'add'; id: number; start: string; period: string } | { kind: 'cancel'; id: number } | { kind: 'stop' };
export interface ClockFiring { id: number; due: string }

/** Shared Int32 words: [0] the wake-up signal, [1 + id] timer id's pending flag. */
export const SIGNAL = 0;
export const pendingIndex = (id: number): number => 1 + id;

interface Deadlines { start: bigint; period: bigint; k: bigint }

function run(shared: Int32Array, requests: MessagePort): void {
  const timers = new Map<number, Deadlines>();
  for (;;) {
    // Read the signal before draining: a request posted after the drain changes it, and the wait
    // below then returns at once instead of sleeping past it.
    const seen = Atomics.load(shared, SIGNAL);
    for (let m = receiveMessageOnPort(requests); m; m = receiveMessageOnPort(requests)) {
      const req = m.message as ClockRequest;
      if (req.kind === 'stop') return;
      if (req.kind === 'add') timers.set(req.id, { start: BigInt(req.start), period: BigInt(req.period), k: 1n });
      else timers.delete(req.id);
    }
    const now = process.hrtime.bigint();
    let earliest: bigint | null = null;
    for (const [id, t] of timers) {
      const due = t.start + t.k * t.period;
      if (due <= now) {
        if (Atomics.compareExchange(shared, pendingIndex(id), 0, 1) === 0) parentPort?.postMessage({ id, due: String(due) } satisfies ClockFiring);
        // The next deadline after now (those passed are skipped, as rcl_timer_call skips them).
        t.k = (now - t.start) / t.period + 1n;
      }
      const next = t.start + t.k * t.period;
      if (earliest === null || next < earliest) earliest = next;
    }
    // Atomics.wait takes fractional milliseconds: the thread wakes within tens of microseconds.
    Atomics.wait(shared, SIGNAL, seen, earliest === null ? Infinity : Math.max(0, Number(earliest - process.hrtime.bigint()) / 1e6));
  }
}

const { shared, requests } = (workerData ?? {}) as { shared?: Int32Array; requests?: MessagePort };
if (parentPort && shared && requests) {
  run(shared, requests);
  // Ends this thread only (in a worker, process.exit stops the thread, not the process).
  process.exit(0);
}
