/**
 * Time is integer nanoseconds, as ROS and the bag formats keep it. Absolute times (message stamps,
 * log times, the clock, timer deadlines) are bigint nanoseconds since the epoch: at epoch scale
 * (~1.7e18 ns) a float64 would round to ~0.24 microseconds, so two stamps one nanosecond apart, or a
 * window edge and the message on it, could compare wrongly. A duration between two times is taken
 * exactly in bigint and only then turned into float seconds (`secondsBetween`), so every figure
 * depends on differences alone and the same data at another epoch gives the same numbers. Seconds
 * appear at the edges only: parameters in (`addSeconds`, `secondsToNs`), printed figures out.
 *
 * Why bigint rather than a {sec, nanosec} pair: comparisons and differences are single operations
 * (the hot paths, a control tick or a TF lookup, do one or two), and no carry logic can go wrong.
 */
import type { Time } from './messages.js';

export const NS_PER_SECOND = 1_000_000_000n;

/** A message stamp (`builtin_interfaces/Time`) as nanoseconds. */
export function stampToNs(t: Time): bigint {
  return BigInt(t.sec) * NS_PER_SECOND + BigInt(t.nanosec);
}

/** Nanoseconds as a message stamp (nanosec in [0, 1e9), sec negative only before the epoch). */
export function nsToStamp(ns: bigint): Time {
  let sec = ns / NS_PER_SECOND;
  let nanosec = ns % NS_PER_SECOND;
  if (nanosec < 0n) { sec -= 1n; nanosec += NS_PER_SECOND; }
  return { sec: Number(sec), nanosec: Number(nanosec) };
}

/** A duration in seconds (a parameter, a chunk's dt) as whole nanoseconds, rounded to the nearest. */
export function secondsToNs(s: number): bigint {
  if (!Number.isFinite(s)) throw new RangeError(`cannot express ${s} s in nanoseconds`);
  // Split so that large values (absolute seconds in tests and scripts) keep their nanoseconds.
  const whole = Math.trunc(s);
  return BigInt(whole) * NS_PER_SECOND + BigInt(Math.round((s - whole) * 1e9));
}

/** Nanoseconds as float seconds: for durations and printing only (exact to the nanosecond below ~104 days). */
export function nsToSeconds(ns: bigint): number {
  const whole = ns / NS_PER_SECOND;
  return Number(whole) + Number(ns - whole * NS_PER_SECOND) / 1e9;
}

/** `a - b` in seconds, taken exactly in nanoseconds first. */
export function secondsBetween(a: bigint, b: bigint): number {
  return nsToSeconds(a - b);
}

/** `t` moved by `s` seconds (rounded to the nanosecond). */
export function addSeconds(t: bigint, s: number): bigint {
  return t + secondsToNs(s);
}

export function minTime(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function maxTime(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** A time for messages: seconds with all nine decimals, for example 1700000000.000000001 s. */
export function formatTime(ns: bigint): string {
  const { sec, nanosec } = nsToStamp(ns);
  return `${sec}.${String(nanosec).padStart(9, '0')} s`;
}
