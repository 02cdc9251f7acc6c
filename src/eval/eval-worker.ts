/**
 * One worker process of a dataset-scale evaluation: evaluates the bags it is sent, one at a time,
 * and answers each with the run's result (the errors themselves included, as typed arrays: the
 * channel uses structured-clone serialisation). A process, not a thread, per worker: each replay
 * runs its own ONNX Runtime session on its own core, with nothing shared.
 */
import type { EvalOptions } from './evaluate.js';

export type WorkerRequest = { kind: 'eval'; options: EvalOptions };

process.on('message', (msg: WorkerRequest) => {
  void (async () => {
    try {
      const { evaluate } = await import('./evaluate.js');
      const r = await evaluate(msg.options);
      process.send?.({ kind: 'done', result: r });
    } catch (e) {
      const err = e as Error & { code?: string };
      process.send?.({ kind: 'failed', error: { message: err.message, code: err.code ?? null, stack: err.stack ?? '' } });
    }
  })();
});
process.send?.({ kind: 'ready' });
