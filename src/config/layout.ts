/**
 * The robot layout the parameters are keyed by: one list of arms and one list of camera roles.
 * Every per-arm and per-camera parameter (`arms.<arm>.*`, `cameras.<role>.*`, `ground_truth.<arm>.*`),
 * the executors a bringup starts and the evaluation's arms come from these lists; which of them a
 * model uses comes from its manifest (`state.arms`, `cameras[].role`), checked against them at
 * configure time. A third arm or a fourth camera is one entry here.
 */
export const ARMS = ['left', 'right'] as const;
export const CAMERA_ROLES = ['head', 'left_wrist', 'right_wrist'] as const;

/** The executor node of an arm, as the bringup names it. */
export function executorNodeName(arm: string): string {
  return `twinvla_${arm}_executor`;
}
