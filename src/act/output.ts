/** Targets as the controllers take them: geometry_msgs/PoseStamped and std_msgs/Float64. */
import type { Transform } from '../geometry.js';
import type { Float64, PoseStamped } from '../messages.js';
import { nsToStamp } from '../time.js';

export function poseStamped(pose: Transform, frameId: string, now: bigint): PoseStamped {
  return {
    header: { stamp: nsToStamp(now), frame_id: frameId },
    pose: {
      position: { x: pose.t[0], y: pose.t[1], z: pose.t[2] },
      orientation: { x: pose.q[0], y: pose.q[1], z: pose.q[2], w: pose.q[3] },
    },
  };
}

export function float64(value: number): Float64 {
  return { data: value };
}
