/**
 * One declarative schema per node for its parameters: type, default, range or allowed values, unit,
 * description, read-only. It supplies the defaults, validates everything at once (naming each
 * parameter, its value and the file it came from), declares the parameters with descriptors in the
 * live graph, and generates the README's parameter tables.
 */
import { ParameterError } from '../errors.js';
import { didYouMean } from '../close-match.js';

export type ParamType = 'bool' | 'integer' | 'double' | 'string' | 'string_array' | 'double_array';
export type ParamValue = boolean | number | string | string[] | number[];
export type ParamValues = Record<string, ParamValue>;

export interface ParamSpec {
  name: string;
  type: ParamType;
  default: ParamValue;
  description: string;
  unit?: string;
  min?: number;
  max?: number;
  /** For strings, or the items of a string array. */
  allowed?: readonly string[];
  /** For arrays: exact length. */
  length?: number;
  readOnly?: boolean;
}

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function check(spec: ParamSpec, v: unknown): string | null {
  const { type, min, max, allowed, length } = spec;
  const inRange = (x: number): boolean => (min === undefined || x >= min) && (max === undefined || x <= max);
  const range = min !== undefined || max !== undefined ? ` in [${min ?? '-inf'}, ${max ?? 'inf'}]` : '';
  switch (type) {
    case 'bool':
      return typeof v === 'boolean' ? null : 'expected true or false';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) && inRange(v) ? null : `expected an integer${range}`;
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) && inRange(v) ? null : `expected a number${range}${spec.unit ? ` (${spec.unit})` : ''}`;
    case 'string':
      if (typeof v !== 'string') return 'expected a string';
      return allowed && !allowed.includes(v) ? `expected one of ${allowed.join(', ')}` : null;
    case 'string_array':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return 'expected a list of strings';
      if (allowed && !v.every((x) => allowed.includes(x as string))) return `expected items from ${allowed.join(', ')}`;
      return length !== undefined && v.length !== length ? `expected ${length} items` : null;
    case 'double_array':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && inRange(x))) return `expected a list of numbers${range}`;
      return length !== undefined && v.length !== length ? `expected ${length} numbers${spec.unit ? ` (${spec.unit})` : ''}` : null;
    default: {
      const never: never = type;
      return `unknown parameter type ${String(never)}`;
    }
  }
}

/** Validates `given` over the schema's defaults. Unknown names are errors too (a typo must not pass silently). */
export function resolveParams(schema: readonly ParamSpec[], given: Record<string, unknown>, source: string): ParamValues {
  const out: ParamValues = {};
  const problems: string[] = [];
  const known = new Set(schema.map((s) => s.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name) && name !== 'use_sim_time') problems.push(`${name}: not a parameter of this node${didYouMean(name, known)} (see the README's parameter table)`);
  }
  for (const spec of schema) {
    const v = Object.prototype.hasOwnProperty.call(given, spec.name) ? given[spec.name] : spec.default;
    const err = check(spec, v);
    if (err) problems.push(`${spec.name} = ${describe(v)}: ${err}`);
    else out[spec.name] = v as ParamValue;
  }
  if (problems.length > 0) {
    throw new ParameterError(`${source}: ${problems.length} invalid parameter(s):\n  ${problems.join('\n  ')}`);
  }
  return out;
}

/**
 * A live update: the changed values over the current ones, validated as a whole (types, ranges,
 * read-only, and `check` for rules across parameters). Throws ParameterError naming every problem;
 * nothing is applied unless everything is valid.
 */
export function updateParams(schema: readonly ParamSpec[], current: ParamValues, changes: Record<string, unknown>, source: string, check?: (next: ParamValues) => string[]): ParamValues {
  const problems: string[] = [];
  for (const name of Object.keys(changes)) {
    const spec = schema.find((s) => s.name === name);
    if (spec?.readOnly && JSON.stringify(changes[name]) !== JSON.stringify(current[name])) problems.push(`${name}: read-only while the node runs; set it in the params file and restart`);
  }
  if (problems.length > 0) throw new ParameterError(`${source}: ${problems.length} parameter(s) refused:\n  ${problems.join('\n  ')}`);
  const next = resolveParams(schema, { ...current, ...changes }, source);
  const cross = check?.(next) ?? [];
  if (cross.length > 0) throw new ParameterError(`${source}: ${cross.length} invalid parameter(s):\n  ${cross.join('\n  ')}`);
  return next;
}

/** The README's parameter table for a schema. */
export function markdownTable(schema: readonly ParamSpec[]): string {
  const rows = schema.map((s) => {
    const def = Array.isArray(s.default) ? `[${s.default.join(', ')}]` : s.default === '' ? '""' : String(s.default);
    const constraint = [
      s.allowed ? `one of ${s.allowed.join(', ')}` : '',
      s.min !== undefined || s.max !== undefined ? `[${s.min ?? ''}, ${s.max ?? ''}]` : '',
      s.length !== undefined ? `${s.length} items` : '',
      s.readOnly ? 'read-only' : '',
    ].filter(Boolean).join('; ');
    return `| \`${s.name}\` | ${s.type} | \`${def}\` | ${s.unit ?? ''} | ${constraint} | ${s.description} |`;
  });
  return ['| parameter | type | default | unit | constraints | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
