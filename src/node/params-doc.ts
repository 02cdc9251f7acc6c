/**
 * Documentation generated from the parameter schemas, so that it cannot drift from the code:
 * params/twinvla.yaml (every parameter with its meaning) and the README's parameter tables.
 */
import { EXECUTOR_PARAMS } from './executor-params.js';
import { markdownTable, type ParamSpec, type ParamValue } from './params.js';
import { POLICY_PARAMS } from './policy-params.js';

export const NODE_SCHEMAS: { node: string; title: string; schema: readonly ParamSpec[]; overrides?: Record<string, ParamValue> }[] = [
  { node: 'twinvla_policy', title: 'PolicyNode (`twinvla_policy`)', schema: POLICY_PARAMS },
  { node: 'twinvla_left_executor', title: 'ArmExecutor (`twinvla_left_executor`, `twinvla_right_executor`)', schema: EXECUTOR_PARAMS, overrides: { arm: 'left' } },
  {
    node: 'twinvla_right_executor', title: '', schema: EXECUTOR_PARAMS,
    overrides: { arm: 'right', 'measured_pose.base_frame': 'right_base_link', 'measured_pose.ee_frame': 'right_ee_link', 'measured_pose.topic': '/right/ee_pose' },
  },
];

function comment(s: ParamSpec): string {
  const bits = [s.description, s.unit ? `[${s.unit}]` : '', s.allowed ? `one of: ${s.allowed.join(', ')}` : '',
    s.min !== undefined || s.max !== undefined ? `range [${s.min ?? ''}, ${s.max ?? ''}]` : '', s.readOnly ? 'read-only' : ''];
  return bits.filter(Boolean).join(' ');
}

function yamlValue(s: ParamSpec, value: ParamValue): string {
  const num = (v: number): string => (s.type.startsWith('double') && Number.isInteger(v) ? `${v}.0` : String(v));
  if (Array.isArray(value)) return `[${(value as (string | number)[]).map((v) => (typeof v === 'number' ? num(v) : JSON.stringify(v))).join(', ')}]`;
  if (typeof value === 'number') return num(value);
  if (typeof value === 'string') return value === '' || /[:#{}[\],&*?|<>=!%@`'"~]/.test(value) ? JSON.stringify(value) : value;
  return String(value);
}

interface Tree { leaves: { key: string; spec: ParamSpec }[]; children: Map<string, Tree>; order: string[] }

/** Nested mappings in first-appearance order, as ROS 2 params files are usually written. */
function emit(tree: Tree, indent: string, overrides: Record<string, ParamValue>, out: string[]): void {
  for (const key of tree.order) {
    const leaf = tree.leaves.find((l) => l.key === key);
    if (leaf) {
      const value = leaf.spec.name in overrides ? (overrides[leaf.spec.name] as ParamValue) : leaf.spec.default;
      // rcl cannot type an empty list: an empty default is shown commented out.
      const empty = Array.isArray(value) && value.length === 0;
      out.push(`${indent}# ${comment(leaf.spec)}`, `${indent}${empty ? '# ' : ''}${key}: ${yamlValue(leaf.spec, value)}`);
    } else {
      out.push(`${indent}${key}:`);
      emit(tree.children.get(key) as Tree, `${indent}  `, overrides, out);
    }
  }
}

function tree(schema: readonly ParamSpec[]): Tree {
  const root: Tree = { leaves: [], children: new Map(), order: [] };
  for (const spec of schema) {
    const parts = spec.name.split('.');
    let t = root;
    for (const part of parts.slice(0, -1)) {
      if (!t.children.has(part)) { t.children.set(part, { leaves: [], children: new Map(), order: [] }); t.order.push(part); }
      t = t.children.get(part) as Tree;
    }
    const key = parts[parts.length - 1] as string;
    t.leaves.push({ key, spec });
    t.order.push(key);
  }
  return root;
}

/** params/twinvla.yaml: every parameter of every node at its default, each with its meaning. */
export function defaultParamsYaml(): string {
  const out = [
    '# twinvla: every parameter of the three nodes at its default, with its meaning and unit.',
    '# Generated from src/node/*-params.ts by `npx twinvla params --yaml`; a test keeps it in step.',
    '# Keys use the /** wildcard so that the file works under any namespace.',
    '',
  ];
  for (const { node, schema, overrides = {} } of NODE_SCHEMAS) {
    out.push(`/**/${node}:`, '  ros__parameters:');
    emit(tree(schema), '    ', overrides, out);
    out.push('');
  }
  return out.join('\n');
}

/** The README's parameter section. */
export function parameterTables(): string {
  return NODE_SCHEMAS.filter((n) => n.title).map((n) => `### ${n.title}\n\n${markdownTable(n.schema)}`).join('\n\n');
}
