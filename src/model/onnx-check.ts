/**
 * A loaded ONNX session must be the one the manifest describes (its `graphs` entry; in the code,
 * "graph" alone means the ROS graph of graph/): same input and output names, the element types and
 * the shapes the runtime will feed and read. A swapped, stale or hand-edited file is refused here with
 * both sides named, instead of running and producing a chunk of misread numbers.
 */
import type * as ort from 'onnxruntime-node';

import { ModelError } from '../errors.js';

/** Per axis a size, or null for any size (a dynamic axis); a null shape: only presence is checked. */
export type ExpectedShape = (number | null)[] | null;

/** What the runtime feeds or reads under one name: element type and shape. */
export interface ExpectedTensor {
  type: ort.Tensor.Type;
  shape: ExpectedShape;
}

export const tensor = (type: ort.Tensor.Type, shape: ExpectedShape): ExpectedTensor => ({ type, shape });

export const showShape = (shape: readonly (number | string | null)[]): string => `[${shape.map((d) => (d === null || d === '' ? '?' : d)).join(', ')}]`;

/** A graph's shape as an expectation: its fixed sizes kept, symbolic axes any size. */
export function fixedAxes(shape: readonly (number | string)[]): (number | null)[] {
  return shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
}

function mismatch(kind: string, meta: ort.InferenceSession.ValueMetadata, want: ExpectedTensor): string | null {
  if (!meta.isTensor) return `${kind} ${meta.name} is not a tensor, the manifest implies a ${want.type} tensor`;
  if (meta.type !== want.type) return `${kind} ${meta.name} holds ${meta.type}, the runtime ${kind === 'input' ? 'feeds' : 'reads'} ${want.type}`;
  if (!want.shape) return null;
  const got = meta.shape;
  if (got.length === 0) return null; // no shape recorded in the graph: checkedOutput checks what a run returns
  // A symbolic axis (a string, or -1) can take any size: only fixed sizes are compared.
  const ok = got.length === want.shape.length && want.shape.every((w, i) => w === null || typeof got[i] !== 'number' || got[i] === w || (got[i] as number) < 0);
  return ok ? null : `${kind} ${meta.name} has shape ${showShape(got)}, the manifest implies ${showShape(want.shape)}`;
}

export function checkOnnxSession(
  session: ort.InferenceSession,
  path: string,
  manifestFile: string,
  inputs: Map<string, ExpectedTensor>,
  outputs: Map<string, ExpectedTensor>,
): void {
  const problems: string[] = [];
  const have = new Set(session.inputNames);
  for (const name of inputs.keys()) if (!have.has(name)) problems.push(`input ${name} is missing (the graph has ${session.inputNames.join(', ')})`);
  for (const name of session.inputNames) if (!inputs.has(name)) problems.push(`input ${name} is not in the manifest`);
  for (const name of outputs.keys()) if (!session.outputNames.includes(name)) problems.push(`output ${name} is missing (the graph has ${session.outputNames.join(', ')})`);
  for (const meta of session.inputMetadata) {
    const want = inputs.get(meta.name);
    const problem = want ? mismatch('input', meta, want) : null;
    if (problem) problems.push(problem);
  }
  for (const meta of session.outputMetadata) {
    const want = outputs.get(meta.name);
    const problem = want ? mismatch('output', meta, want) : null;
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) {
    throw new ModelError('MODEL_GRAPH', `${path} does not match ${manifestFile}:\n  ${problems.join('\n  ')}\nThe graph and the manifest come from different exports; re-export the model folder as a whole.`);
  }
}

/** The output a run returned, refused when its shape is not the one the runtime reads (a graph whose
 * output axes are symbolic passes the check at load; what it returns is checked here). */
export function checkedOutput(out: ort.InferenceSession.OnnxValueMapType, name: string, dims: readonly number[], path: string): Float32Array {
  const t = out[name] as ort.Tensor | undefined;
  if (!t || t.type !== 'float32' || t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
    throw new ModelError('MODEL_GRAPH', `${path}: output ${name} came back as ${t ? `${t.type} ${showShape(t.dims)}` : 'nothing'}, expected float32 ${showShape(dims)}; the graph does not compute what its manifest describes. Re-export the model folder as a whole.`);
  }
  return t.data as Float32Array;
}
