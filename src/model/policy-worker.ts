/** The worker thread of ThreadedPolicy: owns the Policy and answers predict requests. */
import { parentPort, workerData } from 'node:worker_threads';

import type { Logger } from '../log.js';
import { Policy, type Observation, type PolicyOptions, type SampleOptions } from './policy.js';
import { serializeError, type SerializedError } from './worker-errors.js';

export type WorkerRequest = { kind: 'predict'; id: number; obs: Observation; options: SampleOptions } | { kind: 'release' };
export type WorkerReply =
  | { kind: 'ready'; providerSummary: string; providerFallbacks: number }
  | { kind: 'log'; level: keyof Logger; message: string }
  | { kind: 'result'; id: number; chunk: unknown }
  | { kind: 'error'; id: number; error: SerializedError };

const port = parentPort;
if (port) {
  const post = (r: WorkerReply): void => port.postMessage(r);
  const logger: Logger = {
    debug: (message) => post({ kind: 'log', level: 'debug', message }),
    info: (message) => post({ kind: 'log', level: 'info', message }),
    warn: (message) => post({ kind: 'log', level: 'warn', message }),
    error: (message) => post({ kind: 'log', level: 'error', message }),
  };
  const { dir, options } = workerData as { dir: string; options: Omit<PolicyOptions, 'logger'> };
  Policy.create(dir, { ...options, logger }).then(
    (policy) => {
      post({ kind: 'ready', providerSummary: policy.providers.summary, providerFallbacks: policy.providers.fallbackCount });
      port.on('message', (req: WorkerRequest) => {
        if (req.kind === 'release') {
          void policy.release().then(() => process.exit(0));
          return;
        }
        policy.predict(req.obs, req.options).then(
          (chunk) => post({ kind: 'result', id: req.id, chunk }),
          (e: unknown) => post({ kind: 'error', id: req.id, error: serializeError(e) }),
        );
      });
    },
    (e: unknown) => {
      post({ kind: 'error', id: -1, error: serializeError(e) });
    },
  );
}
