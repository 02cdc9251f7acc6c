import { strict as assert } from 'node:assert';

import { distance, type Vec3 } from '../../src/geometry.js';
import { ArmExecutor } from '../../src/node/arm-executor.js';
import { ReplayBus } from '../../src/graph/replay.js';
import { MemoryLogger } from '../../src/log.js';
import { thrown } from '../helpers.js';
import { executorParams, Scene, sceneMessages } from './replay-scene.js';

const pos = (p: { pose: { position: { x: number; y: number; z: number } } }): Vec3 => [p.pose.position.x, p.pose.position.y, p.pose.position.z];

describe('live parameter changes', function () {
  this.timeout(60_000);

  it('a valid safety change applies from the next tick', async () => {
    const s = await Scene.create(0.05, { start_enabled: true, 'safety.max_linear_speed': 5 });
    await s.bus.run(sceneMessages(10, 11));
    assert.equal(s.bus.setParameters('/twinvla_left_executor', { 'safety.max_linear_speed': 0.05 }), null);
    const n = s.targets.left.length;
    await s.bus.run(sceneMessages(11.02, 12, { withStatic: false }));
    const after = s.targets.left.slice(n);
    assert.ok(after.length > 40);
    for (let i = 1; i < after.length; i++) assert.ok(distance(pos(after[i]!.msg), pos(after[i - 1]!.msg)) <= 0.05 * 0.02 + 1e-9);
    assert.ok(s.logs.lines.some((l) => /left executor: parameters changed: safety\.max_linear_speed/.test(l)));
  });

  it('an invalid, a read-only or an inconsistent change is refused with the reason, and nothing changes', async () => {
    const s = await Scene.create(0.05, { start_enabled: true });
    const node = '/twinvla_right_executor';
    assert.match(s.bus.setParameters(node, { 'safety.max_linear_speed': -1, 'blending.mode': 'latest' }) ?? '', /safety\.max_linear_speed = -1: expected a number in \[0, 5\] \(m\/s\)/);
    assert.equal(s.right.params['blending.mode'], 'latest');
    assert.match(s.bus.setParameters(node, { control_rate_hz: 10 }) ?? '', /control_rate_hz: read-only while the node runs; set it in the params file and restart/);
    assert.match(s.bus.setParameters(node, { 'safety.workspace_min': [0.5, -2, -2], 'safety.workspace_max': [0.4, 2, 2] }) ?? '', /safety\.workspace_min\[0\] = 0\.5 must be below safety\.workspace_max\[0\] = 0\.4/);
    assert.deepEqual(s.right.pipeline.safety.limits.workspaceMin, [-2, -2, -2]);
    assert.equal(s.bus.setParameters('/twinvla_policy', { instruction: 'fold the towel' }), null);
    assert.equal(s.policy.params['instruction'], 'fold the towel');
    assert.match(s.bus.setParameters('/twinvla_policy', { model: 'other' }) ?? '', /model: read-only/);
    assert.match(s.bus.setParameters('/twinvla_policy', { instruction: ' ' }) ?? '', /instruction must be a non-empty string/);
    assert.equal(s.policy.params['instruction'], 'fold the towel');
  });

  it('refuses at start-up a workspace whose minimum is not below its maximum', () => {
    const bus = new ReplayBus({ logLevel: 'silent' });
    const e = thrown(() => ArmExecutor.create(bus.node('x', { parameters: executorParams('left', { 'safety.workspace_min': [0, 0, 1], 'safety.workspace_max': [1, 1, 1] }), logger: new MemoryLogger() })));
    assert.equal(e.code, 'PARAMETER');
    assert.match(e.message, /safety\.workspace_min\[2\] = 1 must be below safety\.workspace_max\[2\] = 1/);
  });
});
