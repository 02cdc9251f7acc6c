/**
 * The two pieces of configuration both kinds of node (and the evaluation) read the same way: an arm's
 * end-effector pose source and its gripper joint's mapping to model units. Built here, from the
 * parameters under a prefix, and nowhere else.
 */
import type { ParamReader } from '../config/reader.js';
import { ParameterError } from '../errors.js';
import type { GripperMapping } from '../gripper.js';
import type { PoseSource } from '../observe/end-effector.js';

export const POSE_SOURCES = ['tf', 'topic'] as const;

/** `<prefix>.source` (tf | topic), `<prefix>.base_frame`, `<prefix>.ee_frame`, `<prefix>.topic`. */
export function poseSourceFrom(r: ParamReader, prefix: string): PoseSource {
  const baseFrame = r.string(`${prefix}.base_frame`);
  const kind = r.choice(`${prefix}.source`, POSE_SOURCES);
  switch (kind) {
    case 'tf': return { kind, baseFrame, eeFrame: r.string(`${prefix}.ee_frame`) };
    case 'topic': return { kind, topic: r.string(`${prefix}.topic`), baseFrame };
    default: {
      const never: never = kind;
      throw new ParameterError(`${prefix}.source = ${JSON.stringify(never)}: unknown pose source; expected tf or topic.`);
    }
  }
}

/** `<prefix>.closed_position` and `<prefix>.open_position` are the joint positions of the model's 0 and 1. */
export function gripperMappingFrom(r: ParamReader, prefix: string, joint: string): GripperMapping {
  return { joint, closedPosition: r.number(`${prefix}.closed_position`), openPosition: r.number(`${prefix}.open_position`), modelClosed: 0, modelOpen: 1 };
}
