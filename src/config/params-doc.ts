/**
 * Documentation generated from parameter schemas, so that it cannot drift from the code: a ROS 2
 * params file (every parameter with its meaning) and the README's parameter tables. Which nodes and
 * schemas are documented is the caller's (node/node-schemas.ts).
 */
import { markdownTable, type ParamSpec, type ParamValue } from './params.js';

/** One node as documented: its name, the README's section title ('' to document it only in YAML),
 * its schema, and values that differ from the schema's defaults for this node. */
export interface NodeSchema {
  node: string;
  title: string;
  schema: readonly ParamSpec[];
  overrides?: Record<string, ParamValue>;
}

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

/** A params file: `header` (comment lines), then every parameter of every node at its value, each with its meaning. */
export function paramsYaml(nodes: readonly NodeSchema[], header: readonly string[]): string {
  const out = [...header];
  for (const { node, schema, overrides = {} } of nodes) {
    out.push(`/**/${node}:`, '  ros__parameters:');
    emit(tree(schema), '    ', overrides, out);
    out.push('');
  }
  return out.join('\n');
}

/** The README's parameter section: one table per node with a title. */
export function parameterSection(nodes: readonly NodeSchema[]): string {
  return nodes.filter((n) => n.title).map((n) => `### ${n.title}\n\n${markdownTable(n.schema)}`).join('\n\n');
}
