import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MemoryLogger } from '../../src/log.js';
import { Policy } from '../../src/model/policy.js';
import { ThreadedPolicy } from '../../src/model/threaded-policy.js';
import { rejection, ROOT, TWINBRAINVLA_TINY } from '../helpers.js';

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

  it('release() returns when nothing else keeps the process alive (a program that ends after it still runs its last lines)', () => {
    // Without a prediction in flight the worker is unreferenced; release() must hold the process until
    // the thread has exited, or `await release()` never returns and what follows it never runs.
    const module = join(ROOT, 'dist', 'src', 'model', 'threaded-policy.js');
    const script = `const { ThreadedPolicy } = await import(${JSON.stringify(module)});
      const p = await ThreadedPolicy.create(${JSON.stringify(TWINBRAINVLA_TINY)}, { providers: ['cpu'], warmupRuns: 0, logger: { debug() {}, info() {}, warn() {}, error() {} } });
      await p.release();
      console.log('after release');`;
    const file = join(mkdtempSync(join(tmpdir(), 'twinvla-release-')), 'release.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'after release');
  });
});
