import { strict as assert } from 'node:assert';

import { MemoryLogger } from '../../src/log.js';
import { loadFixture } from '../../src/model/fixture.js';
import { runFixture } from '../../src/model/parity.js';
import { Policy } from '../../src/model/policy.js';
import { rejection, TWINBRAINVLA_TINY, TWINVLA_TINY } from '../helpers.js';

const TOLERANCE = 1e-4;

for (const dir of [TWINVLA_TINY, TWINBRAINVLA_TINY]) {
  describe(`policy parity with PyTorch: ${dir.split('/').pop()}`, () => {
    let policy: Policy;
    before(async () => { policy = await Policy.create(dir, { providers: ['cpu'], warmupRuns: 1, logger: new MemoryLogger() }); });
    after(async () => { await policy.release(); });

    it('tokenises the fixture instruction exactly as the Python tokenizer', async () => {
      const fx = loadFixture(dir);
      const ids = policy.promptIds(fx.instruction);
      for (const [name, want] of fx.expected.inputIds) assert.deepEqual(ids.get(name), want, name);
    });

    it('matches conditioning, velocity, chunk and poses within 1e-4', async () => {
      const report = await runFixture(policy);
      assert.ok(report.tokensMatch);
      for (const e of report.errors) assert.ok(e.maxAbs <= TOLERANCE, `${e.name}: ${e.maxAbs}`);
      assert.equal(report.errors.length, 12);
    });

    it('gives per-arm chunks with unit quaternions (w >= 0 at step 0, no sign flip between steps) and the manifest step time', async () => {
      const m = policy.manifest;
      const chunk = await policy.predict(policy.neutralObservation(), { seed: 3 });
      assert.equal(chunk.dt, m.action.dt);
      assert.equal(chunk.horizon, m.action.horizon);
      assert.deepEqual(chunk.arms.map((a) => a.name), ['left', 'right']);
      for (const arm of chunk.arms) {
        assert.equal(arm.position.length, m.action.horizon * 3);
        for (let k = 0; k < m.action.horizon; k++) {
          const q = arm.quaternion.subarray(k * 4, k * 4 + 4);
          assert.ok(Math.abs(Math.hypot(...q) - 1) < 1e-9);
          if (k === 0) assert.ok((q[3] as number) >= 0);
          else {
            const p = arm.quaternion.subarray((k - 1) * 4, k * 4);
            assert.ok(q.reduce((acc, v, i) => acc + v * (p[i] as number), 0) >= 0, `step ${k} flips sign`);
          }
        }
      }
    });

    it('is deterministic for a seed and differs across seeds', async () => {
      const obs = policy.neutralObservation();
      const a = await policy.predict(obs, { seed: 7 });
      const b = await policy.predict(obs, { seed: 7 });
      const c = await policy.predict(obs, { seed: 8 });
      assert.deepEqual(a.actions, b.actions);
      assert.notDeepEqual(a.actions, c.actions);
    });

    it('holds a fixed prefix exactly (prefix-conditioned sampling)', async () => {
      const obs = policy.neutralObservation();
      const free = await policy.predict(obs, { seed: 1 });
      const rows = 4;
      const norm = policy.manifest.action.normalization;
      // Move the positions 5 % towards the middle of their range: a different prefix, still in range.
      const prefixActions = free.actions.slice(0, rows * policy.actionDim).map((v, i) => {
        const d = i % policy.actionDim;
        return d % 10 < 3 ? 0.95 * v + 0.05 * ((norm.q01[d]! + norm.q99[d]!) / 2) : v;
      });
      const conditioned = await policy.predict(obs, { seed: 1, prefix: { actions: prefixActions, rows } });
      for (let i = 0; i < rows * policy.actionDim; i++) {
        // Masked dimensions go through normalise -> un-normalise: float32 rounding only.
        const tol = norm.mask[i % policy.actionDim] ? 1e-5 : 1e-6;
        const want = norm.clip && !norm.mask[i % policy.actionDim] ? Math.max(-1, Math.min(1, prefixActions[i] as number)) : (prefixActions[i] as number);
        assert.ok(Math.abs((conditioned.actions[i] as number) - want) < tol, `row value ${i}`);
      }
      assert.notDeepEqual(conditioned.actions.subarray(rows * policy.actionDim), free.actions.subarray(rows * policy.actionDim));
    });

    it('refuses an observation without a camera, naming it', async () => {
      const obs = policy.neutralObservation();
      delete obs.images['left_wrist'];
      const e = await rejection(policy.predict(obs));
      assert.equal(e.code, 'INPUT');
      assert.match(e.message, /camera left_wrist: no image in the observation/);
    });

    it('refuses a wrongly sized image with the expected size', async () => {
      const obs = policy.neutralObservation();
      obs.images['head'] = new Uint8Array(10);
      const c = policy.manifest.cameras[0]!;
      assert.match((await rejection(policy.predict(obs))).message, new RegExp(`camera head: image has 10 bytes, expected ${c.height * c.width * 3} \\(${c.width}x${c.height}x3 rgb8\\)`));
    });

    it('refuses NaN in the state and a state of the wrong length', async () => {
      const obs = policy.neutralObservation();
      const state = Array.from(obs.state);
      state[4] = NaN;
      assert.match((await rejection(policy.predict({ ...obs, state }))).message, /state\[4\] is NaN, expected a finite number/);
      assert.match((await rejection(policy.predict({ ...obs, state: state.slice(0, 10) }))).message, /state: 10 values, expected 20 \(left, right x 10/);
    });

    it('refuses an empty instruction', async () => {
      const obs = policy.neutralObservation();
      assert.match((await rejection(policy.predict({ ...obs, instruction: ' ' }))).message, /instruction: expected a non-empty string/);
    });

    it('refuses injected noise of the wrong size', async () => {
      const cond = await policy.encode(policy.neutralObservation());
      assert.match((await rejection(policy.sample(cond, { noise: new Float32Array(3) }))).message, /noise: 3 values, expected/);
    });
  });
}
