/**
 * The package's nodes as documented: params/twinvla.yaml and the README's parameter tables are
 * generated from this list and the nodes' schemas (drift tests keep both in step).
 */
import { ARMS, executorNodeName } from '../config/layout.js';
import { paramsYaml, parameterSection, type NodeSchema } from '../config/params-doc.js';
import { EXECUTOR_PARAMS } from './executor-params.js';
import { POLICY_PARAMS } from './policy-params.js';

/** One executor per arm of the layout; each derives its frames and pose topic from its arm. */
const executors: NodeSchema[] = ARMS.map((arm, i) => ({
  node: executorNodeName(arm),
  title: i === 0 ? `ArmExecutor (${ARMS.map((a) => `\`${executorNodeName(a)}\``).join(', ')})` : '',
  schema: EXECUTOR_PARAMS,
  overrides: { arm },
}));

export const NODE_SCHEMAS: readonly NodeSchema[] = [
  { node: 'twinvla_policy', title: 'PolicyNode (`twinvla_policy`)', schema: POLICY_PARAMS },
  ...executors,
];

/** Every parameter name of the package's nodes: what a wildcard (`/**`) block may hold. */
export const KNOWN_PARAMETERS: ReadonlySet<string> = new Set(['use_sim_time', ...NODE_SCHEMAS.flatMap((n) => n.schema.map((s) => s.name))]);

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
