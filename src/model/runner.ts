/**
 * What the PolicyNode needs of a policy, whether it runs in this thread (Policy) or in a worker
 * thread (ThreadedPolicy). onnxruntime-node runs a graph synchronously on the calling thread, so a
 * policy in the main thread stalls every timer of the process for the length of an inference.
 */
import type { Manifest } from './manifest.js';
import type { Observation, PolicyChunk, SampleOptions } from './policy.js';

export interface PolicyRunner {
  readonly manifest: Manifest;
  /** The execution provider(s) in use, for example "cuda" or "cpu". */
  readonly providerSummary: string;
  readonly providerFallbacks: number;
  predict(obs: Observation, options?: SampleOptions): Promise<PolicyChunk>;
  release(): Promise<void>;
}
