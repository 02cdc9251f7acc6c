/**
 * PolicyChunk (the model's output) <-> twinvla/msg/ActionChunk <-> one arm's act/ chunk. An arm
 * without a gripper is null in the code and an empty gripper list on the wire.
 */
import type { ArmChunk } from '../act/chunk.js';
import type { Quat, Transform, Vec3 } from '../geometry.js';
import type { ActionChunkMsg, ArmChunkMsg } from '../messages.js';
import type { PolicyChunk } from '../model/policy.js';
import { nsToStamp, stampToNs } from '../time.js';

/**
 * `frameId`: the header's frame, the frame all arms' frames hang from (each arm's poses are in its own
 * frame_id); by default the first arm's frame when the caller knows no common one.
 */
export function toActionChunk(chunk: PolicyChunk, stamp: bigint, frames: ReadonlyMap<string, string>, frameId?: string): ActionChunkMsg {
  return {
    header: { stamp: nsToStamp(stamp), frame_id: frameId ?? frames.get(chunk.arms[0]?.name ?? '') ?? '' },
    model: chunk.model,
    dt: chunk.dt,
    horizon: chunk.horizon,
    arms: chunk.arms.map((a): ArmChunkMsg => ({
      name: a.name,
      frame_id: frames.get(a.name) ?? '',
      poses: Array.from({ length: chunk.horizon }, (_, k) => ({
        position: { x: a.position[k * 3]!, y: a.position[k * 3 + 1]!, z: a.position[k * 3 + 2]! },
        orientation: { x: a.quaternion[k * 4]!, y: a.quaternion[k * 4 + 1]!, z: a.quaternion[k * 4 + 2]!, w: a.quaternion[k * 4 + 3]! },
      })),
      gripper: a.gripper === null ? new Float64Array(0) : Float64Array.from(a.gripper),
    })),
  };
}

/** The named arm's part, or null when the chunk has no such arm. */
export function armChunkFrom(msg: ActionChunkMsg, arm: string): { chunk: ArmChunk; frame: string } | null {
  const a = msg.arms.find((x) => x.name === arm);
  if (!a) return null;
  const poses = a.poses.map((p): Transform => ({
    t: [p.position.x, p.position.y, p.position.z] as Vec3,
    q: [p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w] as Quat,
  }));
  return { chunk: { stamp: stampToNs(msg.header.stamp), dt: msg.dt, poses, gripper: a.gripper.length === 0 ? null : Array.from(a.gripper) }, frame: a.frame_id };
}
