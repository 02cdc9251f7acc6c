import { strict as assert } from 'node:assert';

import { gripperToModel, modelToGripper, type GripperMapping } from '../src/gripper.js';

describe('gripper mapping', () => {
  it('maps the gripper joint to the model range and back, clamped at the limits', () => {
    const m: GripperMapping = { joint: 'g', closedPosition: 0.01, openPosition: 0.05, modelClosed: 0, modelOpen: 1 };
    assert.ok(Math.abs(gripperToModel(0.03, m) - 0.5) < 1e-12);
    assert.equal(gripperToModel(0.07, m), 1);
    assert.equal(gripperToModel(-1, m), 0);
    assert.ok(Math.abs(modelToGripper(0.25, m) - 0.02) < 1e-12);
  });
});
