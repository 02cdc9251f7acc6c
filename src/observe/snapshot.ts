/**
 * Freshness: a snapshot holds the latest sample of every input with its age, and is refused, naming
 * the input, when any is missing, older than its bound, stamped in the future, or unusable. A
 * snapshot is only as fresh as its oldest part: its stamp is the oldest input stamp.
 */
import { SnapshotRefused, type RefusalReason } from '../errors.js';
import { formatTime, secondsBetween } from '../time.js';

export { SnapshotRefused, type RefusalReason };

export interface InputStamp {
  input: string;
  /** Nanoseconds. */
  stamp: bigint;
  /** Seconds. */
  maxAge: number;
}

export interface Freshness {
  /** Oldest input stamp: the observation time of the snapshot (nanoseconds). */
  stamp: bigint;
  /** Seconds, per input, at the snapshot's time. */
  ages: Map<string, number>;
}

export function checkFreshness(now: bigint, inputs: readonly InputStamp[], futureTolerance: number): Freshness {
  const ages = new Map<string, number>();
  let stamp: bigint | null = null;
  for (const { input, stamp: s, maxAge } of inputs) {
    const age = secondsBetween(now, s);
    if (age < -futureTolerance) {
      throw new SnapshotRefused(input, 'future', `stamp ${formatTime(s)} is ${(-age * 1e3).toFixed(1)} ms ahead of the clock (${formatTime(now)}); check the clocks (use_sim_time, NTP/PTP).`, age);
    }
    if (age > maxAge) {
      throw new SnapshotRefused(input, 'stale', `latest sample is ${(age * 1e3).toFixed(0)} ms old, above its bound of ${(maxAge * 1e3).toFixed(0)} ms.`, age);
    }
    ages.set(input, age);
    if (stamp === null || s < stamp) stamp = s;
  }
  return { stamp: stamp ?? now, ages };
}
