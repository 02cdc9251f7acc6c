/**
 * A loaded ONNX session must be the one the manifest describes (its `graphs` entry; in the code,
 * "graph" alone means the ROS graph of graph/): same input and output names, and the shapes the
 * runtime will feed. A swapped or stale file is refused here with both sides named.
 */
import type * as ort from 'onnxruntime-node';

import { ModelError } from '../errors.js';

/** Per axis a size, or null for any size (a dynamic axis); a null shape: only presence is checked. */
export type ExpectedShape = (number | null)[] | null;

export function checkOnnxSession(
  session: ort.InferenceSession,
  path: string,
  manifestFile: string,
  inputs: Map<string, ExpectedShape>,
  outputs: string[],
): void {
  const problems: string[] = [];
  const have = new Set(session.inputNames);
  for (const name of inputs.keys()) if (!have.has(name)) problems.push(`input ${name} is missing (the graph has ${session.inputNames.join(', ')})`);
  for (const name of session.inputNames) if (!inputs.has(name)) problems.push(`input ${name} is not in the manifest`);
  for (const name of outputs) if (!session.outputNames.includes(name)) problems.push(`output ${name} is missing (the graph has ${session.outputNames.join(', ')})`);
  for (const meta of session.inputMetadata) {
    const want = inputs.get(meta.name);
    if (!want || !meta.isTensor) continue; // null: presence only
    const got = meta.shape;
    const ok = got.length === want.length && want.every((w, i) => w === null || typeof got[i] !== 'number' || got[i] === w);
    if (!ok) problems.push(`input ${meta.name} has shape [${got.join(', ')}], the manifest implies [${want.map((w) => w ?? '?').join(', ')}]`);
  }
  if (problems.length > 0) {
    throw new ModelError('MODEL_GRAPH', `${path} does not match ${manifestFile}:\n  ${problems.join('\n  ')}\nThe graph and the manifest come from different exports; re-export the model folder as a whole.`);
  }
}
