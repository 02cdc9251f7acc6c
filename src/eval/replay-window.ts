/**
 * Which of a bag's messages an evaluation replays: the window from `start` to `end` (seconds from the
 * bag's first message, taken in whole nanoseconds so that the messages on its edges stay in), looped
 * back to back when asked (soak tests), with the latched state recorded before the window (every
 * static transform, the last instruction) delivered at its start.
 */
import type { Bag } from '../bag/bag.js';
import { decodedMessages, type DecodedMessage, type SkippedMessage } from '../bag/decoded-messages.js';
import { loopedMessages, loopPeriod } from '../bag/looped.js';
import { InputError } from '../errors.js';
import { secondsBetween, secondsToNs } from '../time.js';

export interface ReplayWindow {
  /** Log times, nanoseconds: the first replayed, the end of one pass, the end of the last loop. */
  t0: bigint;
  windowEnd: bigint;
  t1: bigint;
  loops: number;
}

type WindowOptions = { start?: number | undefined; end?: number | undefined; loops?: number | undefined };

/** Throws InputError when --start/--end do not name a window of the bag (seconds from its first message). */
export function checkWindow(bag: Bag, { start, end }: WindowOptions, bagName = bag.path): void {
  const duration = secondsBetween(bag.end, bag.start);
  const problem = ((): string | null => {
    if (start !== undefined && !(start >= 0)) return `--start ${start}: expected seconds >= 0 from the bag's first message`;
    if (end !== undefined && !(end > 0)) return `--end ${end}: expected seconds > 0 from the bag's first message`;
    if (start !== undefined && start > duration) return `--start ${start} is past the end of the bag, which lasts ${duration.toFixed(3)} s`;
    if (start !== undefined && end !== undefined && end <= start) return `--end ${end} is not after --start ${start}`;
    return null;
  })();
  if (problem) throw new InputError(`${bagName}: ${problem}; the window is [--start, --end] in seconds from the bag's first message (0 to ${duration.toFixed(3)}).`);
}

/** The window in whole nanoseconds: its edges are exact, so the messages on them stay in. */
export function replayWindow(bag: Bag, { start, end, loops }: WindowOptions): ReplayWindow {
  const duration = secondsBetween(bag.end, bag.start);
  const t0 = bag.start + secondsToNs(start ?? 0);
  // An --end past the bag's last message is the bag's end.
  const windowEnd = end !== undefined && end < duration ? bag.start + secondsToNs(end) : bag.end;
  const n = Math.max(1, Math.floor(loops ?? 1));
  const t1 = n === 1 ? windowEnd : t0 + BigInt(n - 1) * loopPeriod({ start: t0, end: windowEnd }) + (windowEnd - t0);
  return { t0, windowEnd, t1, loops: n };
}

/** The window's messages in log-time order; `instructionTopic` is the latched instruction's topic. */
export async function* windowMessages(bag: Bag, w: ReplayWindow, instructionTopic: string, onSkip: (skip: SkippedMessage) => void): AsyncIterable<DecodedMessage> {
  const { t0 } = w;
  // Messages at t0 itself come in the window.
  if (t0 > bag.start) {
    let instruction: DecodedMessage | null = null;
    for await (const m of decodedMessages(bag, { topics: ['/tf_static', instructionTopic], end: t0 - 1n, onSkip })) {
      if (m.topic === '/tf_static') yield { ...m, time: t0 };
      else instruction = m;
    }
    if (instruction) yield { ...instruction, time: t0 };
  }
  yield* w.loops === 1 ? decodedMessages(bag, { start: t0, end: w.t1, onSkip }) : loopedMessages(bag, w.loops, { start: t0, end: w.windowEnd }, onSkip);
}
