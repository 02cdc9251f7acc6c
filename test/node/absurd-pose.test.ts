/**
 * A measured end-effector pose that is finite but absurd (a wrong frame, a broken sensor: metres
 * beyond any arm's reach) is refused before inference, counted as an invalid snapshot, and never
 * turned into a command; inference resumes once the pose is sane again.
 */
import { strict as assert } from 'node:assert';

import { POLICY_PARAMS } from '../../src/node/policy-params.js';
import { Scene, sceneMessages } from './replay-scene.js';

describe('absurd measured poses', function () {
  this.timeout(120_000);

  it('max_reach is a parameter of the PolicyNode, 2 m unless set', () => {
    for (const arm of ['left', 'right']) {
      const spec = POLICY_PARAMS.find((p) => p.name === `arms.${arm}.pose.max_reach`);
      assert.equal(spec?.default, 2.0);
      assert.equal(spec?.unit, 'm');
    }
  });

  it('refuses a pose beyond max_reach before inference, counts it, commands nothing, and resumes when it is sane', async () => {
    const s = await Scene.create(0.05, { start_enabled: true }, { 'arms.left.pose.max_reach': 1.5 });
    // The end effectors 3 m out for the first second (x = 3.3), then back at the scene's 0.3 m.
    await s.bus.run(sceneMessages(10, 11, { dx: () => 3 }));
    assert.equal(s.chunks.length, 0);
    assert.equal(s.targets.left.length + s.targets.right.length, 0);
    assert.ok((s.policy.refused.get('invalid') ?? 0) > 10, `refused.invalid = ${s.policy.refused.get('invalid')}`);
    assert.ok(s.logs.lines.includes("warn: snapshot refused: left end-effector (TF left_base <- left_ee): position (3.300, 0.200, 0.200) m is 3.312 m from left_base's origin, beyond arms.left.pose.max_reach = 1.5 m; no inference runs on it. Check the frames (or raise the bound if the arm really reaches that far)."), s.logs.lines.filter((l) => l.startsWith('warn')).join('\n'));
    await s.bus.run(sceneMessages(11.02, 12, { withStatic: false }));
    assert.ok(s.chunks.length > 0, 'inference resumed');
    assert.ok(s.targets.left.length > 0 && s.targets.right.length > 0);
  });
});
