import { strict as assert } from 'node:assert';

import { BagError, InputError, InternalError, ModelError, ParameterError, SnapshotRefused, TwinvlaError } from '../../src/errors.js';
import { reviveError, serializeError } from '../../src/model/worker-errors.js';

/** What the main thread gets back: the error through structured clone, as postMessage sends it. */
function across(e: unknown): TwinvlaError {
  return reviveError(structuredClone(serializeError(e)));
}

describe('errors across the inference thread', () => {
  it('a refused snapshot keeps its class, input, reason, age and message', () => {
    const sent = new SnapshotRefused('camera head (/camera/head/image_raw)', 'stale', 'latest sample is 350 ms old, above its bound of 200 ms.', 0.35);
    const got = across(sent);
    assert.ok(got instanceof SnapshotRefused);
    assert.equal(got.input, sent.input);
    assert.equal(got.reason, 'stale');
    assert.equal(got.age, 0.35);
    assert.equal(got.message, sent.message);
    assert.equal(got.code, 'INPUT');
  });

  it('coded errors keep their class and code', () => {
    const cases: [TwinvlaError, Function][] = [
      [new InputError('state: 19 values, expected 20'), InputError],
      [new ParameterError('p: bad'), ParameterError],
      [new BagError('b.mcap: corrupt'), BagError],
      [new ModelError('MODEL_INTEGRITY', 'encoder.onnx: sha256 differs'), ModelError],
    ];
    for (const [sent, cls] of cases) {
      const got = across(sent);
      assert.ok(got instanceof cls, `${sent.name} came back as ${got.name}`);
      assert.equal(got.name, sent.name);
      assert.equal(got.code, sent.code);
      assert.equal(got.message, sent.message);
    }
  });

  it('an uncoded failure comes back as an InternalError with the worker\'s stack', () => {
    const got = across(new RangeError('offset out of bounds'));
    assert.ok(got instanceof InternalError);
    assert.equal(got.code, 'INTERNAL');
    assert.match(got.message, /^the inference thread failed: RangeError: offset out of bounds\n\s+at /);
  });
});
