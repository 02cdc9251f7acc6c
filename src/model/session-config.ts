/**
 * The ONNX Runtime session settings a model needs (`runtime.session_config` in its manifest), read
 * and checked here and passed to every session of the model by model/providers.ts.
 *
 * Why a model needs any: a graph exported with `--stream-weights bf16` (tools/twinvla_tools/streamed.py)
 * stores its weights in bf16 with a Cast to fp32 where each is read. ONNX Runtime's constant folding
 * runs those Casts at load and keeps fp32 copies of every weight, twice the published TwinBrainVLA's
 * 15 GB; pre-packing copies the weights again; and on the CPU onnxruntime 1.23's extended fusions fail
 * on the fp16 variant. The exporter writes the settings that avoid this; a manifest without the field
 * gets ONNX Runtime's defaults at the `all` level, as every model before it.
 *
 * Only configuration entries whose meaning is known are accepted: ONNX Runtime takes any key and
 * ignores one it does not know, so a typo would silently load the model widened.
 */
import type { FieldReader } from './field-reader.js';
import { closeMatch } from '../close-match.js';

export const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type OptimizationLevel = (typeof OPTIMIZATION_LEVELS)[number];

export interface SessionConfig {
  graphOptimizationLevel: OptimizationLevel;
  /** ONNX Runtime session configuration entries (onnxruntime_session_options_config_keys.h): key -> value. */
  entries: Record<string, string>;
}

/** What a manifest without `runtime.session_config` gets: the runtime's settings before the field existed. */
export const DEFAULT_SESSION_CONFIG: SessionConfig = { graphOptimizationLevel: 'all', entries: {} };

const FLAG = { expected: 'the string "0" or "1" (quoted in YAML)', ok: (v: string) => v === '0' || v === '1' };

/** The entries a manifest may set, each with its values. allow_spinning is not here: the node's
 * intra_op_spinning parameter sets it, for the machine it runs on, not for the model. */
export const SESSION_ENTRIES: Record<string, { expected: string; ok: (value: string) => boolean }> = {
  'session.disable_prepacking': FLAG,
  'optimization.disable_specified_optimizers': {
    expected: 'a comma-separated list of ONNX Runtime optimizer names, such as "ConstantFolding"',
    ok: (v) => /^[A-Za-z][A-Za-z0-9_]*(,[A-Za-z][A-Za-z0-9_]*)*$/.test(v),
  },
  'session.use_device_allocator_for_initializers': FLAG,
  'session.set_denormal_as_zero': FLAG,
};

const PATH = 'runtime.session_config';

/** `runtime.session_config`: {graph_optimization_level, entries}; problems go to the reader. */
export function sessionConfigOf(r: FieldReader): SessionConfig {
  if (r.get('runtime') === undefined) return DEFAULT_SESSION_CONFIG;
  const level = r.oneOf(`${PATH}.graph_optimization_level`, OPTIMIZATION_LEVELS);
  // No entries: the level alone.
  const raw = r.get(`${PATH}.entries`) === undefined ? {} : r.keyedData(`${PATH}.entries`);
  const entries: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    const field = `${PATH}.entries["${key}"]`;
    const known = SESSION_ENTRIES[key];
    if (!known) {
      const match = closeMatch(key, Object.keys(SESSION_ENTRIES));
      r.problems.push({
        field,
        expected: `one of the configuration entries the runtime knows (${Object.keys(SESSION_ENTRIES).join(', ')})`,
        found: `the unknown entry ${JSON.stringify(key)}${match ? ` (did you mean ${match}?)` : ''}`,
      });
    } else if (typeof value !== 'string' || !known.ok(value)) {
      r.problem(field, known.expected, value);
    } else {
      entries[key] = value;
    }
  }
  return { graphOptimizationLevel: level, entries };
}
