/**
 * ONNX Runtime sessions on an ordered list of execution providers. A provider that is not built into
 * this onnxruntime-node, or that fails to start, is logged and counted, and the next one is tried:
 * never a silent fallback.
 */
import * as ort from 'onnxruntime-node';

import { ModelError } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFAULT_SESSION_CONFIG, type SessionConfig } from './session-config.js';

export const PROVIDERS = ['cuda', 'tensorrt', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ProviderFallback {
  provider: ProviderName;
  graph: string;
  reason: string;
}

/** What was asked for, what runs, and every fallback on the way: surfaced in diagnostics. */
export class ProviderReport {
  readonly fallbacks: ProviderFallback[] = [];
  readonly used = new Map<string, ProviderName>();
  /** Providers that failed once are not tried again for the next graph of the same model. */
  readonly failed = new Set<ProviderName>();

  constructor(readonly requested: readonly ProviderName[]) {}

  get fallbackCount(): number {
    return this.fallbacks.length;
  }

  /** The provider every graph runs on, or the list joined with '+' when the graphs differ. */
  get summary(): string {
    const set = [...new Set(this.used.values())];
    return set.length === 1 ? (set[0] as string) : set.join('+');
  }
}

export function parseProviders(list: readonly string[], where: string): ProviderName[] {
  const bad = list.filter((p) => !(PROVIDERS as readonly string[]).includes(p));
  if (list.length === 0 || bad.length > 0) {
    throw new ModelError('MODEL_PROVIDER', `${where}: unknown execution provider(s) ${bad.map((b) => JSON.stringify(b)).join(', ') || '(empty list)'}; expected a list drawn from ${PROVIDERS.join(', ')}, for example [cuda, cpu].`);
  }
  return list as ProviderName[];
}

function bundledBackends(): Set<string> {
  return new Set(ort.listSupportedBackends().map((b) => b.name));
}

/**
 * A graph that no provider could load for a reason of its own (not a provider's): the bytes are not
 * a protobuf, the graph does not hold together, or it needs a newer ONNX Runtime. Told apart from a
 * provider failure by ONNX Runtime's load errors, and by the CPU provider failing (it runs any graph
 * this ONNX Runtime can load).
 */
const GRAPH_FAULT = /protobuf parsing failed|No graph was found|invalid model|Unsupported model IR version|opset|No Op registered|CopyLittleEndian|is not a graph input|Type Error|ShapeInferenceError/i;
const NEWER_RUNTIME = /IR version|opset/i;

/** ONNX Runtime's message without the C++ source location and signature it starts with. */
export function plainReason(message: string): string {
  const first = message.split('\n').find((l) => l.trim() !== '') ?? message;
  return first.replace(/^\S+\.(?:cc|h|cpp):\d+ (?:[^(]*\(.*?\) (?=[A-Z]))?/, '').trim();
}

/** ONNX Runtime needs a shape tensor's values while it builds the graph, and they are in external data. */
const EXTERNAL_SHAPE = /Cannot parse data from external tensors/i;
/** The graph parsed and then one of ONNX Runtime's own rewrites failed on it. */
const REWRITE_FAILED = /Exception during initialization/i;

function graphFault(graph: string, reason: string, level: string): ModelError {
  const version = ort.env.versions.common;
  if (NEWER_RUNTIME.test(reason)) {
    return new ModelError('MODEL_GRAPH', `${graph}: the graph needs a newer ONNX Runtime than this package's ${version} (${reason}). Re-export it with the opset the exporter pins (tools/twinvla_tools/export.py), or update onnxruntime-node.`);
  }
  if (EXTERNAL_SHAPE.test(reason)) {
    return new ModelError('MODEL_GRAPH', `${graph}: ONNX Runtime ${version} cannot build the graph: a small tensor it reads while building it (a shape) is stored in the external data file, not in the .onnx (${reason}). The files match the manifest's checksums; save the graph with its small tensors inline, as tools/twinvla_tools/external_data.py save_with_external_data does (only tensors above 1 KiB outside), and update its sha256s in the manifest, or re-export the model folder.`);
  }
  if (REWRITE_FAILED.test(reason)) {
    return new ModelError('MODEL_GRAPH', `${graph}: ONNX Runtime ${version} read the graph but failed while optimising it at the graph optimisation level "${level}" (${reason}). The files match the manifest's checksums; the model's manifest sets the level its graphs need in runtime.session_config (the exporter writes "basic" for streamed exports): re-export the model folder, or set runtime.session_config.graph_optimization_level to "basic".`);
  }
  return new ModelError('MODEL_GRAPH', `${graph}: the graph is corrupt: ONNX Runtime ${version} cannot load it (${reason}). Its sha256 matches the manifest, so the file was written broken or replaced together with its checksum; re-export the model folder with tools/twinvla_tools/export.py.`);
}

const CUDA_FIX = 'GPU users add the CUDA provider with the command in the README ("GPU") and keep "cpu" last as the fallback.';

export interface SessionOptions {
  intraOpThreads?: number;
  /** Let ONNX Runtime's intra-op threads spin while waiting for work; default false. */
  spinning?: boolean;
  /** The model's own settings (its manifest's runtime.session_config); the defaults when absent. */
  model?: SessionConfig;
}

/** {'a.b': v} -> {a: {b: v}}, merged into `into`: onnxruntime-node's `extra` is the configuration
 * entries as nested objects, their keys joined with '.'. */
function nestEntries(into: Record<string, unknown>, entries: Record<string, string>): Record<string, unknown> {
  for (const [key, value] of Object.entries(entries)) {
    const parts = key.split('.');
    let node = into;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1] as string] = value;
  }
  return into;
}

/** The ONNX Runtime options of a session on one provider: the model's settings, then the machine's. */
export function sessionOptionsFor(provider: ProviderName, options: SessionOptions = {}): ort.InferenceSession.SessionOptions {
  const model = options.model ?? DEFAULT_SESSION_CONFIG;
  return {
    executionProviders: [provider],
    graphOptimizationLevel: model.graphOptimizationLevel,
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    // Spinning intra-op threads busy-wait between operators: a little lower latency on a machine
    // with cores to spare, much higher on one shared with other work (the executors, ROS, other
    // processes): at a load average of 10 on 2 cores, a small-preset prediction on 2 threads
    // took 2.6x as long spinning as not.
    extra: nestEntries({ session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } }, model.entries),
  };
}

/** source: the graph's checked bytes, or its path when it has external data (read beside it). */
export async function createSession(
  source: Uint8Array | string,
  graph: string,
  report: ProviderReport,
  logger: Logger,
  options: SessionOptions = {},
): Promise<ort.InferenceSession> {
  const available = bundledBackends();
  const reasons: string[] = [];
  for (const provider of report.requested) {
    if (report.failed.has(provider)) {
      reasons.push(`${provider}: failed earlier for another graph of this model`);
      continue;
    }
    if (!available.has(provider)) {
      report.failed.add(provider);
      const reason = `not built into this onnxruntime-node (it has ${[...available].join(', ')})`;
      reasons.push(`${provider}: ${reason}`);
      report.fallbacks.push({ provider, graph, reason });
      logger.warn(`${graph}: execution provider ${provider} unavailable: ${reason}; trying the next one. ${CUDA_FIX}`);
      continue;
    }
    try {
      const sessionOptions = sessionOptionsFor(provider, options);
      // Two calls, not one: the overloads take a path or bytes, not their union.
      const session = typeof source === 'string'
        ? await ort.InferenceSession.create(source, sessionOptions)
        : await ort.InferenceSession.create(source, sessionOptions);
      report.used.set(graph, provider);
      return session;
    } catch (e) {
      const reason = plainReason((e as Error).message ?? String(e));
      if (provider === 'cpu' || GRAPH_FAULT.test(reason)) throw graphFault(graph, reason, (options.model ?? DEFAULT_SESSION_CONFIG).graphOptimizationLevel);
      reasons.push(`${provider}: ${reason}`);
      report.fallbacks.push({ provider, graph, reason });
      report.failed.add(provider);
      logger.warn(`${graph}: execution provider ${provider} failed to start (${reason}); trying the next one. ${CUDA_FIX}`);
    }
  }
  throw new ModelError(
    'MODEL_PROVIDER',
    `${graph}: no execution provider could run it. Tried:\n  ${reasons.join('\n  ')}\nAdd "cpu" to the providers parameter as the last resort, or fix the failing provider.`,
  );
}
