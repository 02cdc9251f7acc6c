import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadManifest } from '../../src/model/manifest.js';
import { Policy } from '../../src/model/policy.js';
import { RtcPlanner, type RtcConfig } from '../../src/model/rtc-planner.js';
import { delaySteps, prefixWeights, previousAtSteps } from '../../src/model/rtc.js';
import { guidanceWeight, sampleFlow } from '../../src/model/sampler.js';
import { secondsToNs } from '../../src/time.js';
import { ROOT } from '../helpers.js';

const round = (a: ArrayLike<number>): number[] => Array.from(a, (v) => Math.round(v * 1e6) / 1e6);

describe('real-time chunking', () => {
  it('prefix weights: 1 on the frozen steps, the schedule up to the execution horizon, 0 after (as LeRobot)', () => {
    assert.deepEqual(round(prefixWeights('linear', 2, 6, 8)), [1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0]);
    assert.deepEqual(round(prefixWeights('zeros', 2, 6, 8)), [1, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(round(prefixWeights('ones', 2, 6, 8)), [1, 1, 1, 1, 1, 1, 0, 0]);
    const exp = [0.8, 0.6, 0.4, 0.2].map((w) => (w * Math.expm1(w)) / (Math.E - 1));
    assert.deepEqual(round(prefixWeights('exp', 2, 6, 8)), round([1, 1, ...exp, 0, 0]));
    // The frozen steps never pass the horizon.
    assert.deepEqual(round(prefixWeights('linear', 9, 3, 4)), [1, 1, 1, 0]);
  });

  it('the previous chunk at the new chunk\'s steps: shifted, interpolated between rows, as far as it reaches', () => {
    const prev = { actions: Float32Array.of(0, 10, 1, 11, 2, 12, 3, 13), rows: 4, dim: 2, stamp: 10, dt: 0.1 };
    const a = previousAtSteps(prev, 10.2, 0.1, 4);
    assert.equal(a.rows, 2);
    assert.deepEqual(round(a.actions), [2, 12, 3, 13, 0, 0, 0, 0]);
    const b = previousAtSteps(prev, 10.05, 0.1, 4);
    assert.equal(b.rows, 3);
    assert.deepEqual(round(b.actions.subarray(0, 6)), [0.5, 10.5, 1.5, 11.5, 2.5, 12.5]);
    assert.equal(previousAtSteps(prev, 10.5, 0.1, 4).rows, 0);
  });

  it('the delay in steps: what falls due between the observation and the expected arrival', () => {
    assert.equal(delaySteps(10, 10.05, 0.05, 0.05, 20), 2);
    assert.equal(delaySteps(10, 10.05, 0.06, 0.05, 20), 3);
    assert.equal(delaySteps(10, 10, 0, 0.05, 20), 0);
    assert.equal(delaySteps(10, 12, 0, 0.05, 20), 20);
  });

  it('guidance weight min(beta, (tau^2 + (1 - tau)^2) / (tau (1 - tau))), beta at the ends', () => {
    assert.equal(guidanceWeight(0.5, 5), 2);
    assert.equal(guidanceWeight(0.5, 1), 1);
    assert.equal(guidanceWeight(0, 5), 5);
    assert.equal(guidanceWeight(1, 5), 5);
    assert.ok(Math.abs(guidanceWeight(0.2, 100) - (0.04 + 0.64) / 0.16) < 1e-12);
  });

  for (const noiseTime of [1, 0] as const) {
    it(`soft guidance (noise at t=${noiseTime}): a constant field is pulled onto the target on the weighted rows in one step of weight 1`, async () => {
      const noise = Float32Array.of(0.5, -1, 2, 3);
      const c = Float32Array.of(1, 1, 1, 1);
      const target = Float32Array.of(7, 8, 0, 0);
      let vjps = 0;
      const x = await sampleFlow(async () => ({ conditional: c, unconditional: null }), noise, { noiseTime, steps: 1, guidance: null }, undefined,
        { target, weights: Float32Array.of(1, 0), dim: 2, maxWeight: 1, vjp: async () => { vjps++; return new Float32Array(4); } });
      assert.equal(vjps, 1);
      assert.deepEqual(round(x.subarray(0, 2)), [7, 8]);
      // The unweighted row follows the field alone.
      const free = noiseTime === 1 ? [2 - 1, 3 - 1] : [2 + 1, 3 + 1];
      assert.deepEqual(round(x.subarray(2)), free);
    });
  }

  it('soft guidance goes through the Jacobian: a denoiser whose clean estimate ignores x cannot be pulled', async () => {
    // Straight-line flow to the point a: v = (x - a) / t, so x - t v = a whatever x, and J = I / t.
    const a = Float32Array.of(0.3, -0.7);
    const field = async (x: Float32Array, t: number) => ({ conditional: x.map((v, i) => (v - a[i]!) / t), unconditional: null });
    const x = await sampleFlow(field, Float32Array.of(1, 1), { noiseTime: 1, steps: 4, guidance: null }, undefined,
      { target: Float32Array.of(5, 5), weights: Float32Array.of(1), dim: 2, maxWeight: 5, vjp: async (_x, t, e) => e.map((v) => v / t) });
    assert.deepEqual(round(x), round(a));
  });

  describe('on the tiny models', function () {
    this.timeout(120_000);
    const config: RtcConfig = { enabled: true, guidance: 'soft', executionHorizon: 0, schedule: 'linear', maxGuidanceWeight: 5, latencyQuantile: 0.9 };

    it('plans the pinned prefix from the measured delay and guides the rest of the overlap', () => {
      const m = loadManifest(join(ROOT, 'models', 'twinvla-tiny'));
      const dim = 20;
      const p = new RtcPlanner(m, dim, config);
      assert.equal(p.mode, 'soft');
      const s = (x: number): bigint => secondsToNs(x);
      assert.equal(p.plan(s(1), s(1), 0.05), null, 'nothing to continue yet');
      p.remember(new Float32Array(m.action.horizon * dim).fill(0.1), s(1), m.action.dt);
      // Observed 2 steps after the previous chunk, expected 0.12 s later: 3 steps pinned.
      const plan = p.plan(s(1 + 2 * m.action.dt), s(1 + 2 * m.action.dt + 0.02), 0.1)!;
      assert.equal(plan.frozen, 3);
      assert.equal(plan.guided, m.action.horizon - 2 - 3);
      assert.equal(plan.options.prefix?.rows, 3);
      assert.equal(plan.options.guide?.weights[m.action.horizon - 2], 0, 'past the previous chunk: no weight');
      p.configure({ ...config, guidance: 'hard' });
      const hard = p.plan(s(1 + 2 * m.action.dt), s(1 + 2 * m.action.dt + 0.02), 0.1)!;
      assert.equal(hard.mode, 'hard');
      assert.equal(hard.options.guide, undefined);
    });

    it('a model without the VJP graph falls back to pinning, and says why', () => {
      const dir = mkdtempSync(join(tmpdir(), 'twinvla-novjp-'));
      cpSync(join(ROOT, 'models', 'twinvla-tiny'), dir, { recursive: true });
      const yaml = readFileSync(join(dir, 'model.yaml'), 'utf8').replace(/  denoiser_vjp:\n(    .*\n)+/, '');
      writeFileSync(join(dir, 'model.yaml'), yaml);
      rmSync(join(dir, 'denoiser_vjp.onnx'));
      const p = new RtcPlanner(loadManifest(dir), 20, config);
      assert.equal(p.mode, 'hard');
      assert.match(p.softUnavailable ?? '', /has no graphs\.denoiser_vjp \(python -m twinvla_tools\.vjp_graph --model .* adds it\): real-time chunking pins the prefix only/);
    });

    for (const name of ['twinvla-tiny', 'twinbrainvla-tiny']) {
      it(`${name}: soft guidance through the exported VJP graph pulls the chunk towards the previous one`, async () => {
        const policy = await Policy.create(join(ROOT, 'models', name), { providers: ['cpu'], warmupRuns: 0, logger: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as never });
        try {
          const obs = policy.neutralObservation();
          const free = await policy.predict(obs, { seed: 1 });
          const target = (await policy.predict(obs, { seed: 2 })).actions;
          const h = policy.manifest.action.horizon;
          const guided = await policy.predict(obs, { seed: 1, guide: { actions: target, weights: new Float32Array(h).fill(1), maxWeight: 5 } });
          const dist = (a: Float32Array): number => Math.hypot(...a.map((v, i) => v - target[i]!));
          assert.ok(dist(guided.actions) < 0.5 * dist(free.actions), `${dist(guided.actions)} vs ${dist(free.actions)}`);
        } finally {
          await policy.release();
        }
      });
    }
  });
});
