import { strict as assert } from 'node:assert';

import { MemoryLogger } from '../../src/log.js';
import { Policy } from '../../src/model/policy.js';
import { ThreadedPolicy } from '../../src/model/threaded-policy.js';
import { rejection, TWINBRAINVLA_TINY } from '../helpers.js';

describe('policy in a worker thread', () => {
  it('gives the same chunk as in-thread, keeps the event loop free, and passes errors with their class', async () => {
    const logger = new MemoryLogger();
    const threaded = await ThreadedPolicy.create(TWINBRAINVLA_TINY, { providers: ['cuda', 'cpu'], warmupRuns: 1, logger });
    const local = await Policy.create(TWINBRAINVLA_TINY, { providers: ['cpu'], warmupRuns: 0, logger: new MemoryLogger() });
    assert.equal(threaded.providerSummary, 'cpu');
    assert.equal(threaded.providerFallbacks, 1);
    assert.ok(logger.lines.some((l) => /execution provider cuda/.test(l)), 'worker logs reach the main thread');
    const obs = local.neutralObservation();
    const [a, b] = await Promise.all([threaded.predict(obs, { seed: 5 }), local.predict(obs, { seed: 5 })]);
    assert.deepEqual(Array.from(a.actions), Array.from(b.actions));
    // The event loop's turns while one prediction is in flight. In the thread, ONNX Runtime holds the
    // loop for each graph run, so it turns only between runs (a handful of times); from the worker,
    // it turns freely (the executors' timers run). Counted in turns, not timed.
    const turnsDuring = async (predict: () => Promise<unknown>): Promise<number> => {
      let turns = 0, done = false;
      const spin = (): void => { if (!done) { turns++; setImmediate(spin); } };
      setImmediate(spin);
      await predict();
      done = true;
      return turns;
    };
    // Summed over several predictions: a single worker reply can land before the first turn is counted.
    const totalTurns = async (predict: () => Promise<unknown>): Promise<number> => {
      let sum = 0;
      for (let i = 0; i < 5; i++) sum += await turnsDuring(predict);
      return sum;
    };
    const inThread = await totalTurns(() => local.predict(obs, { seed: 5 }));
    const fromWorker = await totalTurns(() => threaded.predict(obs, { seed: 5 }));
    assert.ok(fromWorker > 10 * inThread, `event loop turns during five predictions: ${fromWorker} from the worker, ${inThread} in the thread`);
    const e = await rejection(threaded.predict({ ...obs, instruction: '' }));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /instruction: expected a non-empty string/);
    await threaded.release();
    await local.release();
  });
});
