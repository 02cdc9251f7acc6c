/**
 * Times inside the package are seconds as float64 (ROS time or simulated time). At ROS epoch
 * magnitudes (~1.7e9 s) a double resolves ~0.2 microseconds, far below any control period.
 */
import type { Time } from './messages.js';

export function stampToSec(t: Time): number {
  return t.sec + t.nanosec * 1e-9;
}

export function secToStamp(s: number): Time {
  let sec = Math.floor(s);
  let nanosec = Math.round((s - sec) * 1e9);
  if (nanosec >= 1e9) {
    sec += 1;
    nanosec -= 1e9;
  }
  return { sec, nanosec };
}
