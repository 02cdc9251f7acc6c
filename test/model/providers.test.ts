import { strict as assert } from 'node:assert';

import { MemoryLogger } from '../../src/log.js';
import { Policy } from '../../src/model/policy.js';
import { parseProviders } from '../../src/model/providers.js';
import { rejection, thrown, TWINVLA_TINY } from '../helpers.js';

describe('execution providers', () => {
  it('falls back from an unavailable CUDA to the CPU, logged and counted', async () => {
    // This machine (like CI) has no CUDA provider libraries: the first choice cannot start.
    const logger = new MemoryLogger();
    const policy = await Policy.create(TWINVLA_TINY, { providers: ['cuda', 'cpu'], warmupRuns: 0, logger });
    assert.equal(policy.providers.summary, 'cpu');
    assert.equal(policy.providers.fallbackCount, 1);
    assert.equal(policy.providers.fallbacks[0]?.provider, 'cuda');
    assert.match(policy.providers.fallbacks[0]?.graph ?? '', /encoder\.onnx$/);
    const warnings = logger.lines.filter((l) => l.startsWith('warn:'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /execution provider cuda (failed to start|unavailable).*trying the next one/);
    assert.ok(logger.lines.some((l) => /loaded from .* on cpu after 1 provider fallback/.test(l)));
    await policy.release();
  });

  it('fails with every reason when no provider can start', async () => {
    const e = await rejection(Policy.create(TWINVLA_TINY, { providers: ['tensorrt'], warmupRuns: 0, logger: new MemoryLogger() }));
    assert.equal(e.code, 'MODEL_PROVIDER');
    assert.match(e.message, /encoder\.onnx: no execution provider could run it\. Tried:\n  tensorrt: /);
    assert.match(e.message, /Add "cpu" to the providers parameter/);
  });

  it('refuses an unknown provider name with the known ones', () => {
    const e = thrown(() => parseProviders(['cuda', 'rocm'], 'parameter providers'));
    assert.equal(e.code, 'MODEL_PROVIDER');
    assert.match(e.message, /parameter providers: unknown execution provider\(s\) "rocm"; expected a list drawn from cuda, tensorrt, webgpu, cpu/);
  });
});
