/**
 * A bag replayed `loops` times back to back (soak tests, memory benchmarks): every log time and every
 * header stamp inside the decoded messages moves by whole loops, so the nodes see one long recording.
 * /tf_static is delivered once.
 */
import { nsToStamp, stampToNs } from '../time.js';
import type { Bag } from './bag.js';
import { decodedMessages, type DecodedMessage, type SkippedMessage } from './decoded-messages.js';

/** A copy of a decoded message with every header stamp inside it moved by `ns` nanoseconds. */
export function shiftStamps(value: unknown, ns: bigint): unknown {
  if (Array.isArray(value)) return value.map((v) => shiftStamps(v, ns));
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const stamp = v as { sec?: unknown; nanosec?: unknown };
    if (k === 'stamp' && typeof stamp?.sec === 'number' && typeof stamp.nanosec === 'number') {
      out[k] = nsToStamp(stampToNs({ sec: stamp.sec, nanosec: stamp.nanosec }) + ns);
    } else {
      out[k] = shiftStamps(v, ns);
    }
  }
  return out;
}

export async function* loopedMessages(bag: Bag, loops: number, window: { start: bigint; end: bigint }, onSkip?: (skip: SkippedMessage) => void): AsyncIterable<DecodedMessage> {
  const period = loopPeriod(window);
  for (let i = 0; i < loops; i++) {
    const offset = BigInt(i) * period;
    for await (const m of decodedMessages(bag, { ...window, ...(onSkip ? { onSkip } : {}) })) {
      if (i > 0 && m.topic === '/tf_static') continue;
      yield i === 0 ? m : { ...m, time: m.time + offset, message: shiftStamps(m.message, offset) };
    }
  }
}

/** One loop lasts the window plus one typical message gap (20 ms), rounded up to the millisecond,
 * so loops do not overlap in time. Nanoseconds. */
export function loopPeriod(window: { start: bigint; end: bigint }): bigint {
  const ms = 1_000_000n;
  const span = window.end - window.start + 20n * ms;
  return ((span + ms - 1n) / ms) * ms;
}
