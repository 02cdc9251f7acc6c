import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkReachesNodes, isWildcardKey, keyMatches, nodeParams, readParamBlocks, rosParameterArguments } from '../../src/config/param-files.js';
import { thrown } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'twinvla-params-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const declared = new Set(['a', 'b', 'c', 'group.x']);
const known = new Set([...declared, 'other_node_only']);
const params = (files: string[], node: string, values: Record<string, unknown> = {}): Record<string, unknown> => nodeParams({ files, values }, node, declared, known);

describe('parameter files with the key forms rcl accepts', () => {
  it('matches /**, /**/name, /ns/name, bare name (= /name) and * as rcl does', () => {
    const fqn = '/robot1/twinvla_policy';
    for (const key of ['/**', '/**/twinvla_policy', '/robot1/twinvla_policy', '/*/twinvla_policy', '/robot1/*', '/robot1/twinvla_*', '/**/*']) assert.ok(keyMatches(key, fqn), key);
    for (const key of ['/twinvla_policy', '/robot2/twinvla_policy', '/robot1/twinvla_policy/x', '/*', '/robot1/*_executor']) assert.ok(!keyMatches(key, fqn), key);
    assert.ok(keyMatches('/twinvla_policy', '/twinvla_policy'));
    assert.ok(keyMatches('/**/twinvla_policy', '/twinvla_policy'));
    assert.ok(isWildcardKey('/**') && isWildcardKey('/robot1/*') && !isWildcardKey('/**/twinvla_policy'));
  });

  it('reads bare names as /name and nested namespaces as /ns/name, parameters flattened to dotted names', () => {
    const f = file('forms.yaml', 'twinvla_policy:\n  ros__parameters:\n    a: 1\nrobot1:\n  twinvla_policy:\n    ros__parameters:\n      group: {x: 2}\n');
    assert.deepEqual(readParamBlocks(f).map((b) => [b.key, b.params]), [['/twinvla_policy', { a: 1 }], ['/robot1/twinvla_policy', { 'group.x': 2 }]]);
    assert.deepEqual(params([f], '/twinvla_policy'), { a: 1 });
    assert.deepEqual(params([f], '/robot1/twinvla_policy'), { 'group.x': 2 });
  });

  it('applies blocks in file order and files in command-line order, -p values last', () => {
    const one = file('one.yaml', '/**/n:\n  ros__parameters: {a: 1, b: 1}\n/**:\n  ros__parameters: {b: 2, c: 2}\n');
    const two = file('two.yaml', '/n:\n  ros__parameters: {c: 3}\n');
    assert.deepEqual(params([one, two], '/n'), { a: 1, b: 2, c: 3 });
    assert.deepEqual(params([two, one], '/n'), { a: 1, b: 2, c: 2 });
    assert.deepEqual(params([one, two], '/n', { a: 9 }), { a: 9, b: 2, c: 3 });
  });

  it('reads the file launch_ros writes for a named node (/name) and for an unnamed one (/**)', () => {
    const named = file('launch_named.yaml', '/twinvla_right_executor:\n  ros__parameters:\n    a: right\n    use_sim_time: true\n');
    assert.deepEqual(params([named], '/twinvla_right_executor'), { a: 'right', use_sim_time: true });
    assert.deepEqual(params([named], '/twinvla_left_executor'), {});
  });

  it('refuses in a wildcard block a name no node declares, and passes over another node\'s', () => {
    const f = file('wild.yaml', '/**:\n  ros__parameters: {a: 1, other_node_only: 2}\n');
    assert.deepEqual(params([f], '/n'), { a: 1 });
    const bad = file('typo.yaml', '/**:\n  ros__parameters: {a: 1, replan_perod: 0.4, other_nod_only: 3}\n');
    assert.equal(thrown(() => params([bad], '/n')).message, `2 unknown parameter(s):\n  ${bad}: /**: replan_perod: not a parameter of any twinvla node (see the README's parameter tables)\n  ${bad}: /**: other_nod_only: not a parameter of any twinvla node (did you mean other_node_only?) (see the README's parameter tables)`);
  });

  it('gives a node\'s own block whole (its unknown names are refused by the schema, naming the node)', () => {
    const f = file('own.yaml', '/**/n:\n  ros__parameters: {a: 1, other_node_only: 2}\n');
    assert.deepEqual(params([f], '/n'), { a: 1, other_node_only: 2 });
  });

  it('parses --params-file and -p name:=value from the ROS arguments only', () => {
    assert.deepEqual(rosParameterArguments(['--params-file', 'x.yaml', '--ros-args', '--params-file', 'a.yaml', '-p', 'b:=2.5', '-r', '__node:=n', '--param', 'c:=[1, 2]', '--', '--params-file', 'z.yaml']), { files: ['a.yaml'], values: { b: 2.5, c: [1, 2] } });
    assert.match(thrown(() => rosParameterArguments(['--ros-args', '-p', 'b=2'])).message, /-p "b=2": expected name:=value/);
  });

  it('names a file that is a list, a scalar, empty, or parameters without a node name, with the shape expected', () => {
    const expected = 'expected a mapping of node names to their parameters, for example "twinvla_policy: {ros__parameters: {replan_period: 0.4}}" ("/**" for every node)';
    const list = file('list.yaml', '- twinvla_policy:\n    ros__parameters: {replan_period: 0.4}\n');
    const e = thrown(() => readParamBlocks(list));
    assert.equal(e.code, 'PARAMETER');
    assert.equal(e.message, `${list}: ${expected}, found a list of 1.`);
    const scalar = file('scalar.yaml', 'replan_period\n');
    assert.equal(thrown(() => readParamBlocks(scalar)).message, `${scalar}: ${expected}, found string "replan_period".`);
    const empty = file('empty.yaml', '# nothing here\n');
    assert.equal(thrown(() => readParamBlocks(empty)).message, `${empty}: ${expected}, found an empty file.`);
    const bare = file('bare.yaml', 'ros__parameters:\n  replan_period: 0.4\n');
    assert.equal(thrown(() => readParamBlocks(bare)).message, `${bare}: ros__parameters at the top has no node name above it; ${expected}.`);
  });

  it('refuses a file whose blocks all name other nodes, listing the nodes it has and the ones that read it', () => {
    const nodes = ['/twinvla_policy', '/twinvla_left_executor', '/twinvla_right_executor', '/twinvla_eval'];
    const other = file('other.yaml', 'move_group:\n  ros__parameters: {planning_time: 5}\n/robot1/twinvla_policy:\n  ros__parameters: {replan_period: 0.4}\n');
    const e = thrown(() => checkReachesNodes(other, nodes));
    assert.equal(e.code, 'PARAMETER');
    assert.equal(e.message, `${other}: no block of this parameters file reaches the nodes that read it (/twinvla_policy, /twinvla_left_executor, /twinvla_right_executor, /twinvla_eval); it has blocks for /move_group, /robot1/twinvla_policy. Name the blocks after these nodes (or "/**" for all of them), or pass the parameters file of this setup.`);
    checkReachesNodes(file('some.yaml', 'move_group:\n  ros__parameters: {}\ntwinvla_eval:\n  ros__parameters: {}\n'), nodes);
    checkReachesNodes(file('all.yaml', '/**:\n  ros__parameters: {}\n'), nodes);
  });

  it('names the file and key of a block without ros__parameters', () => {
    const f = file('bad.yaml', '/**/n:\n  ros__parameters: 3\n');
    assert.match(thrown(() => readParamBlocks(f)).message, /bad\.yaml: \/\*\*\/n needs a ros__parameters mapping \(found 3\)/);
  });
});
