/**
 * The parameters a run used that differ from the schemas' defaults, per node: written into
 * metrics.json so that `twinvla compare` can say which settings two runs differ in.
 */
import type { ParamSpec, ParamValue, ParamValues } from '../config/params.js';

const same = (a: ParamValue, b: ParamValue): boolean => JSON.stringify(a) === JSON.stringify(b);

export function changedParameters(schema: readonly ParamSpec[], values: ParamValues): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const spec of [...schema].sort((a, b) => a.name.localeCompare(b.name))) {
    const v = values[spec.name];
    if (v !== undefined && !same(v, spec.default)) out[spec.name] = v;
  }
  return out;
}

/** node -> parameter -> value, flattened to "node: parameter" for tables. */
export function flatParameters(p: Record<string, Record<string, ParamValue>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [node, values] of Object.entries(p)) for (const [k, v] of Object.entries(values)) out.set(`${node}: ${k}`, JSON.stringify(v));
  return out;
}
