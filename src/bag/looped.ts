/**
 * A bag replayed `loops` times back to back (soak tests, memory benchmarks): every log time and every
 * header stamp inside the decoded messages moves by whole loops, so the nodes see one long recording.
 * /tf_static is delivered once.
 */
import type { Bag } from './bag.js';
import { decodedMessages, type DecodedMessage } from './decoded-messages.js';

function shiftStamps(value: unknown, seconds: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shiftStamps(v, seconds));
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const stamp = v as { sec?: unknown; nanosec?: unknown };
    if (k === 'stamp' && typeof stamp?.sec === 'number' && typeof stamp.nanosec === 'number') {
      const ns = stamp.nanosec + Math.round((seconds % 1) * 1e9);
      out[k] = { sec: stamp.sec + Math.floor(seconds) + Math.floor(ns / 1e9), nanosec: ns % 1e9 };
    } else {
      out[k] = shiftStamps(v, seconds);
    }
  }
  return out;
}

export async function* loopedMessages(bag: Bag, loops: number, window: { start: number; end: number }): AsyncIterable<DecodedMessage> {
  const period = loopPeriod(window);
  for (let i = 0; i < loops; i++) {
    const offset = i * period;
    for await (const m of decodedMessages(bag, window)) {
      if (i > 0 && m.topic === '/tf_static') continue;
      yield i === 0 ? m : { ...m, time: m.time + offset, message: shiftStamps(m.message, offset) };
    }
  }
}

/** One loop lasts the window plus one typical message gap, so loops do not overlap in time. */
export function loopPeriod(window: { start: number; end: number }): number {
  return Math.ceil((window.end - window.start + 0.02) * 1e3) / 1e3;
}
