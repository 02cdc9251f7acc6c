/**
 * A model whose weights hold a NaN (the graph valid, its sha256 updated, as a bad export would leave
 * it) is refused at warm-up by name; it never reaches the point of publishing a chunk.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

import { MemoryLogger } from '../../src/log.js';
import { Policy } from '../../src/model/policy.js';
import { copyModel, rejection, ROOT, TWINVLA_TINY } from '../helpers.js';
import { Scene, sceneMessages } from '../node/replay-scene.js';

/** Sets every value of the denoiser's largest float initializer to NaN, with the onnx package. */
function poisoned(): string {
  const dir = copyModel(TWINVLA_TINY);
  const script = [
    'import sys, numpy as np, onnx',
    'from onnx import numpy_helper',
    'm = onnx.load(sys.argv[1])',
    'inits = [i for i in m.graph.initializer if i.data_type == onnx.TensorProto.FLOAT]',
    'big = max(inits, key=lambda i: np.prod(i.dims))',
    'a = numpy_helper.to_array(big).copy(); a[...] = np.nan',
    'big.CopyFrom(numpy_helper.from_array(a, big.name))',
    'onnx.save(m, sys.argv[1])',
  ].join('\n');
  const file = join(dir, 'denoiser.onnx');
  execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', script, file]);
  const manifest = parse(readFileSync(join(dir, 'model.yaml'), 'utf8'));
  manifest.graphs.denoiser.sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  writeFileSync(join(dir, 'model.yaml'), stringify(manifest));
  return dir;
}

describe('non-finite model outputs', function () {
  this.timeout(60_000);

  it('refuses a model whose warm-up chunk is not finite, naming the model and the first bad value', async () => {
    const dir = poisoned();
    const e = await rejection(Policy.create(dir, { providers: ['cpu'], warmupRuns: 1, logger: new MemoryLogger() }));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.match(e.message, /^model .*model: warm-up run 1 produced a non-finite action chunk \(arm left, position NaN at step 0\); the weights or the graphs are broken \(NaN or Inf inside\), so the model is refused\. Re-export it from its checkpoint\.$/);
  });

  it('never publishes a non-finite chunk: without warm-up, each one is refused, counted and logged', async () => {
    const s = await Scene.create(0.05, { start_enabled: true }, { model: poisoned(), warmup_runs: 0 });
    await s.bus.run(sceneMessages(10, 11));
    assert.equal(s.chunks.length, 0);
    assert.equal(s.targets.left.length + s.targets.right.length, 0);
    const said = s.logs.lines.filter((l) => /^error: inference failed: model twinvla-tiny predicted a non-finite action chunk \(arm left, position NaN at step 0\); it is not published\.$/.test(l));
    assert.ok(said.length >= 5, `${said.length} refusals logged`);
  });
});
