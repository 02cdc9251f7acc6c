/**
 * A Policy in a worker thread: the main thread keeps its timers (the executors' control ticks)
 * while a graph runs. Errors come back with their class and code.
 */
import { Worker } from 'node:worker_threads';

import { ModelError } from '../errors.js';
import { consoleLogger, type Logger } from '../log.js';
import { loadManifest, type Manifest } from './manifest.js';
import { Policy, type Observation, type PolicyChunk, type PolicyOptions, type SampleOptions } from './policy.js';
import type { WorkerReply, WorkerRequest } from './policy-worker.js';
import type { PolicyRunner } from './runner.js';
import { reviveError } from './worker-errors.js';

export class ThreadedPolicy implements PolicyRunner {
  readonly manifest: Manifest;
  readonly providerSummary: string;
  readonly providerFallbacks: number;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (c: PolicyChunk) => void; reject: (e: Error) => void }>();
  #next = 0;

  private constructor(manifest: Manifest, worker: Worker, summary: string, fallbacks: number) {
    this.manifest = manifest;
    this.#worker = worker;
    this.providerSummary = summary;
    this.providerFallbacks = fallbacks;
  }

  static async create(dir: string, { logger = consoleLogger(), ...options }: PolicyOptions = {}): Promise<ThreadedPolicy> {
    const manifest = loadManifest(dir);
    const worker = new Worker(new URL('./policy-worker.js', import.meta.url), { workerData: { dir, options } });
    const log = (r: WorkerReply): void => { if (r.kind === 'log') logger[r.level](r.message); };
    worker.on('message', log);
    const ready = await new Promise<{ summary: string; fallbacks: number }>((resolve, reject) => {
      const onMessage = (r: WorkerReply): void => {
        if (r.kind === 'ready') resolve({ summary: r.providerSummary, fallbacks: r.providerFallbacks });
        else if (r.kind === 'error' && r.id === -1) reject(reviveError(r.error));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    const policy = new ThreadedPolicy(manifest, worker, ready.summary, ready.fallbacks);
    worker.on('message', (r: WorkerReply) => policy.#onReply(r));
    worker.on('error', (e) => policy.#failAll(e));
    worker.unref();
    return policy;
  }

  #onReply(r: WorkerReply): void {
    if (r.kind !== 'result' && r.kind !== 'error') return;
    const p = this.#pending.get(r.id);
    if (!p) return;
    this.#pending.delete(r.id);
    if (r.kind === 'result') p.resolve(r.chunk as PolicyChunk);
    else p.reject(reviveError(r.error));
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(new ModelError('MODEL_PROVIDER', `the inference thread stopped: ${e.message}`));
    this.#pending.clear();
  }

  predict(obs: Observation, options: SampleOptions = {}): Promise<PolicyChunk> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ kind: 'predict', id, obs, options } satisfies WorkerRequest);
    }).finally(() => { if (this.#pending.size === 0) this.#worker.unref(); }) as Promise<PolicyChunk>;
  }

  async release(): Promise<void> {
    // Held until the thread has exited: an unreferenced worker lets the process end first, and the
    // caller's `await release()` would never return (a bench ended without printing its figures).
    this.#worker.ref();
    this.#worker.postMessage({ kind: 'release' } satisfies WorkerRequest);
    await new Promise((r) => this.#worker.once('exit', r));
  }
}

/** The in-thread Policy behind the same interface (replay, tests, tools). */
export async function inThreadPolicy(dir: string, options: PolicyOptions): Promise<PolicyRunner> {
  const policy = await Policy.create(dir, options);
  return {
    manifest: policy.manifest,
    providerSummary: policy.providers.summary,
    providerFallbacks: policy.providers.fallbackCount,
    predict: (obs, o) => policy.predict(obs, o),
    release: () => policy.release(),
  };
}
