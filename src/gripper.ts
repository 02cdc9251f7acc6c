/**
 * A gripper joint's position <-> the model's gripper value. Observing (joint state -> model input),
 * acting (model output -> joint command) and scoring all use the one mapping, so it sits below
 * observe/, act/, node/ and eval/.
 */

/** A gripper joint's positions at the model's closed and open values (for example 0 and 1). */
export interface GripperMapping {
  joint: string;
  closedPosition: number;
  openPosition: number;
  modelClosed: number;
  modelOpen: number;
}

/** Joint position -> model units, clamped to the model's range (a gripper past its limits reads as the limit). */
export function gripperToModel(position: number, m: GripperMapping): number {
  const s = (position - m.closedPosition) / (m.openPosition - m.closedPosition);
  return m.modelClosed + Math.min(1, Math.max(0, s)) * (m.modelOpen - m.modelClosed);
}

/** Model units -> joint position, for the gripper command. */
export function modelToGripper(value: number, m: GripperMapping): number {
  const s = (value - m.modelClosed) / (m.modelOpen - m.modelClosed);
  return m.closedPosition + s * (m.openPosition - m.closedPosition);
}
