/**
 * The trained demo models on held-out episodes of the synthetic task: a model that has learned
 * exposes any slip in preprocessing, normalisation, joint reading or action decoding, which a random
 * one hides. Bounds are the errors measured when the models were trained (closing note of the
 * task issue) with a margin; the hold-the-pose baseline is the floor they must stay well under.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { evaluate } from '../../src/eval/evaluate.js';
import { ROOT } from '../helpers.js';

const BAG = join(ROOT, 'demo', 'heldout.mcap');
const PARAMS = join(ROOT, 'params', 'demo.yaml');
/** The first three held-out episodes (lift, hand-over, lift) and their pauses. */
const WINDOW_END = 21;

/** Measured on this window (left / right), `params/demo.yaml` with the replan period at 0.4 s:
 *  twinvla-demo (the authors' architecture, 400 + 3,000 steps from the earlier demo's weights) 15.8 /
 *  14.0 mm, grippers 96.0 / 97.1 %, holding the pose 46.4 / 45.7 mm. twinbrainvla-demo (retrained on
 *  the authors' architecture) 17.6 / 18.8 mm, 96.8 / 96.6 %, holding 46.4 / 45.7 mm. ratio: the mean
 *  error times this stays under the hold-the-pose error. */
const BOUNDS: Record<string, { positionMm: number; gripper: number; ratio: number }> = {
  'twinvla-demo': { positionMm: 20, gripper: 0.94, ratio: 2.5 },
  'twinbrainvla-demo': { positionMm: 22, gripper: 0.94, ratio: 2.2 },
};

describe('trained demo models on held-out task episodes', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-task-'));
  // The bounds were measured replanning every 0.4 s: the hold baseline (the pose at each executed
  // chunk's observation) depends on the replan period, so the check keeps that period.
  const params = join(dir, 'demo.yaml');
  const yaml = readFileSync(PARAMS, 'utf8');
  writeFileSync(params, yaml.replace(/replan_period: [0-9.]+/, 'replan_period: 0.4'));

  for (const [model, bound] of Object.entries(BOUNDS)) {
    it(`${model}: executed targets within ${bound.positionMm} mm on average, ${bound.ratio}x the hold-the-pose error, grippers agree`, async () => {
      const r = await evaluate({ bag: BAG, model: join(ROOT, 'models', model), params, out: join(dir, model), latency: 0.05, seed: 0, end: WINDOW_END });
      const m = r.metrics;
      for (const arm of ['left', 'right']) {
        const e = m.arms[arm]?.executed;
        assert.ok(e, `no metrics for the ${arm} arm`);
        const mean = e.position_error_mm.mean as number;
        const hold = e.hold_baseline.position_error_mm.mean as number;
        assert.ok(mean < bound.positionMm, `${model} ${arm}: mean position error ${mean} mm, bound ${bound.positionMm} mm`);
        assert.ok(mean * bound.ratio < hold, `${model} ${arm}: ${mean} mm times ${bound.ratio} is not under holding the pose (${hold} mm)`);
        assert.ok((e.gripper_agreement as number) >= bound.gripper, `${model} ${arm}: gripper agreement ${e.gripper_agreement}, bound ${bound.gripper}`);
      }
    });
  }
});
