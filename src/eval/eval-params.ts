/** Parameters of an evaluation (node name twinvla_eval in a params file): where the ground truth is. */
import { ARMS } from '../config/layout.js';
import type { ParamSpec, ParamValues } from '../config/params.js';
import { keyedMap, ParamReader } from '../config/reader.js';

export const EVAL_PARAMS: readonly ParamSpec[] = [
  ...ARMS.flatMap((a): ParamSpec[] => [
    { name: `ground_truth.${a}.target_topic`, type: 'string', default: `/${a}/target_pose`, description: `Recorded end-effector targets of the ${a} arm (geometry_msgs/msg/PoseStamped in its base frame); when the bag lacks the topic, the measured pose from TF is the ground truth.` },
    { name: `ground_truth.${a}.gripper_topic`, type: 'string', default: `/${a}/gripper_command`, description: `Recorded gripper commands of the ${a} arm (std_msgs/msg/Float64, model units); otherwise the gripper joint.` },
  ]),
  { name: 'gripper_threshold', type: 'double', default: 0.5, description: 'Gripper values above it count as open when comparing predicted and recorded grippers.' },
];

export interface EvalConfig {
  groundTruth: ReadonlyMap<string, { targetTopic: string; gripperTopic: string }>;
  gripperThreshold: number;
}

export function evalConfig(values: ParamValues, source: string): EvalConfig {
  const r = new ParamReader(values, source);
  return {
    groundTruth: keyedMap(ARMS, (a) => ({ targetTopic: r.string(`ground_truth.${a}.target_topic`), gripperTopic: r.string(`ground_truth.${a}.gripper_topic`) })),
    gripperThreshold: r.number('gripper_threshold'),
  };
}
