import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { EXECUTOR_PARAMS } from '../../src/node/executor-params.js';
import { defaultParamsYaml, KNOWN_PARAMETERS, NODE_SCHEMAS, parameterTables } from '../../src/node/node-schemas.js';
import { nodeParams } from '../../src/config/param-files.js';
import { resolveParams, type ParamSpec } from '../../src/config/params.js';
import { POLICY_PARAMS } from '../../src/node/policy-params.js';
import { ROOT, thrown } from '../helpers.js';

/** One node's parameters from one file, read as the live nodes and eval read it. */
const fromFile = (path: string, node: string, schema: readonly ParamSpec[]): Record<string, unknown> =>
  nodeParams({ files: [path], values: {} }, node, new Set(schema.map((s) => s.name)), KNOWN_PARAMETERS);

/** A value of the wrong kind, or out of range, for each parameter type. */
function invalid(s: ParamSpec): unknown {
  switch (s.type) {
    case 'bool': return 'yes';
    case 'integer': return s.max !== undefined ? s.max + 1 : 1.5;
    case 'double': return s.max !== undefined ? s.max * 2 + 1 : 'fast';
    case 'string': return s.allowed ? 'bogus' : 42;
    case 'string_array': return s.allowed ? ['bogus'] : 'not a list';
    case 'double_array': return [1, 2];
  }
}

describe('node parameters', () => {
  for (const [name, schema] of [['PolicyNode', POLICY_PARAMS], ['ArmExecutor', EXECUTOR_PARAMS]] as const) {
    it(`${name}: every invalid value is refused with the parameter's name, all reported at once`, () => {
      const given = Object.fromEntries(schema.map((s) => [s.name, invalid(s)]));
      const e = thrown(() => resolveParams(schema, given, 'robot.yaml'));
      assert.equal(e.code, 'PARAMETER');
      assert.match(e.message, new RegExp(`^robot\\.yaml: ${schema.length} invalid parameter\\(s\\):`));
      for (const s of schema) assert.ok(e.message.includes(`\n  ${s.name} = `), `no message for ${s.name}`);
    });
  }

  it('says what was expected: range, unit, allowed values, length', () => {
    const e = thrown(() => resolveParams(EXECUTOR_PARAMS, {
      control_rate_hz: 5000, 'blending.mode': 'average', 'safety.workspace_min': [0, 0], on_no_chunk: 3,
    }, 'params/robot.yaml'));
    assert.match(e.message, /control_rate_hz = 5000: expected a number in \[1, 1000\] \(Hz\)/);
    assert.match(e.message, /blending\.mode = "average": expected one of latest, temporal_ensemble, crossfade/);
    assert.match(e.message, /safety\.workspace_min = \[0,0\]: expected 3 numbers \(m\)/);
    assert.match(e.message, /on_no_chunk = 3: expected a string/);
  });

  it('refuses a parameter the node does not have (a typo must not pass silently)', () => {
    assert.match(thrown(() => resolveParams(EXECUTOR_PARAMS, { control_rate: 50 }, 'f.yaml')).message, /control_rate: not a parameter of this node \(did you mean control_rate_hz\?\)/);
  });

  for (const file of ['twinvla.yaml', 'aloha.yaml', 'dual_arm_servo.yaml']) {
    it(`params/${file} loads and validates for all three nodes, under a namespace too`, () => {
      const path = join(ROOT, 'params', file);
      for (const { node, schema } of NODE_SCHEMAS) {
        const values = resolveParams(schema, fromFile(path, `/robot1/${node}`, schema), path);
        if (schema === EXECUTOR_PARAMS) assert.equal(values['arm'], node.includes('left') ? 'left' : 'right');
      }
    });
  }

  it('dual_arm_servo.yaml routes the targets to the two Servo instances in their planning frames', () => {
    const path = join(ROOT, 'params', 'dual_arm_servo.yaml');
    const left = resolveParams(EXECUTOR_PARAMS, fromFile(path, '/twinvla_left_executor', EXECUTOR_PARAMS), path);
    const right = resolveParams(EXECUTOR_PARAMS, fromFile(path, '/twinvla_right_executor', EXECUTOR_PARAMS), path);
    assert.equal(left['target_topic'], '/left_servo_node/pose_target_cmds');
    assert.equal(right['target_topic'], '/right_servo_node/pose_target_cmds');
    assert.equal(left['output_frame'], 'left_base_link');
    assert.equal(right['output_frame'], 'right_base_link');
  });

  it('aloha.yaml runs the ViperX pair at 50 Hz', () => {
    const path = join(ROOT, 'params', 'aloha.yaml');
    const v = resolveParams(EXECUTOR_PARAMS, fromFile(path, '/twinvla_left_executor', EXECUTOR_PARAMS), path);
    assert.equal(v['control_rate_hz'], 50);
  });

  it('params/twinvla.yaml is the schemas\' own rendering (regenerate with `npx twinvla params --yaml`)', () => {
    assert.equal(readFileSync(join(ROOT, 'params', 'twinvla.yaml'), 'utf8'), defaultParamsYaml());
  });

  it('the README\'s parameter tables are the schemas\' own rendering (`npx twinvla params --markdown`)', () => {
    assert.ok(readFileSync(join(ROOT, 'README.md'), 'utf8').includes(parameterTables()), 'README parameter tables differ from the schemas');
  });

  it('names a params file that is not YAML', () => {
    assert.match(thrown(() => fromFile(join(ROOT, 'models', 'twinvla-tiny', 'encoder.onnx'), '/x', EXECUTOR_PARAMS)).message, /encoder\.onnx: cannot read the parameters file|expected a mapping/);
  });
});
