/**
 * The package's nodes as documented: params/twinvla.yaml and the README's parameter tables are
 * generated from this list and the nodes' schemas (drift tests keep both in step).
 */
import { paramsYaml, parameterSection, type NodeSchema } from '../config/params-doc.js';
import { EXECUTOR_PARAMS } from './executor-params.js';
import { POLICY_PARAMS } from './policy-params.js';

export const NODE_SCHEMAS: readonly NodeSchema[] = [
  { node: 'twinvla_policy', title: 'PolicyNode (`twinvla_policy`)', schema: POLICY_PARAMS },
  { node: 'twinvla_left_executor', title: 'ArmExecutor (`twinvla_left_executor`, `twinvla_right_executor`)', schema: EXECUTOR_PARAMS, overrides: { arm: 'left' } },
  {
    node: 'twinvla_right_executor', title: '', schema: EXECUTOR_PARAMS,
    overrides: { arm: 'right', 'measured_pose.base_frame': 'right_base_link', 'measured_pose.ee_frame': 'right_ee_link', 'measured_pose.topic': '/right/ee_pose' },
  },
];

/** params/twinvla.yaml: every parameter of the three nodes at its default, each with its meaning. */
export function defaultParamsYaml(): string {
  return paramsYaml(NODE_SCHEMAS, [
    '# twinvla: every parameter of the three nodes at its default, with its meaning and unit.',
    '# Generated from src/node/*-params.ts by `npx twinvla params --yaml`; a test keeps it in step.',
    '# Keys use the /** wildcard so that the file works under any namespace.',
    '',
  ]);
}

/** The README's parameter section. */
export function parameterTables(): string {
  return parameterSection(NODE_SCHEMAS);
}
