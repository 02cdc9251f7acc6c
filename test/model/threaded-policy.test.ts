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
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    const [a, b] = await Promise.all([threaded.predict(obs, { seed: 5 }), local.predict(obs, { seed: 5 })]);
    clearInterval(timer);
    assert.deepEqual(Array.from(a.actions), Array.from(b.actions));
    assert.ok(ticks >= 0);
    const e = await rejection(threaded.predict({ ...obs, instruction: '' }));
    assert.equal(e.code, 'INPUT');
    assert.match(e.message, /instruction: expected a non-empty string/);
    await threaded.release();
    await local.release();
  });
});
