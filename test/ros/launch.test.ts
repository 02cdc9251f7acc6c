import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from '../helpers.js';

/** Reads the launch file with Python's own parser: compiled, and its arguments and executables listed. */
function launchFacts(): { args: { name: string; description: string }[]; executables: string[] } {
  const script = `
import ast, json, sys
src = open(sys.argv[1]).read()
compile(src, sys.argv[1], 'exec')
tree = ast.parse(src)
args, exes = [], []
for node in ast.walk(tree):
    if isinstance(node, ast.Call):
        name = getattr(node.func, 'id', getattr(node.func, 'attr', ''))
        kw = {k.arg: k.value for k in node.keywords}
        if name == 'DeclareLaunchArgument':
            desc = kw.get('description')
            args.append({'name': node.args[0].value, 'description': desc.value if isinstance(desc, ast.Constant) else ''})
        if name == 'Node' and isinstance(kw.get('executable'), ast.Constant):
            exes.append(kw['executable'].value)
print(json.dumps({'args': args, 'executables': exes}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, join(ROOT, 'launch', 'bringup.launch.py')], { encoding: 'utf8' }));
}

describe('launch/bringup.launch.py', () => {
  const facts = launchFacts();

  it('compiles and declares model, params_file, namespace, use_sim_time, autostart, log_level, each described', () => {
    const names = facts.args.map((a) => a.name);
    for (const n of ['model', 'params_file', 'namespace', 'use_sim_time', 'autostart', 'log_level']) assert.ok(names.includes(n), `missing argument ${n}`);
    for (const a of facts.args) assert.ok(a.description.length > 20, `argument ${a.name} has no description`);
  });

  it('passes model only when the argument is given, so the params file\'s model: stands otherwise', () => {
    const src = readFileSync(join(ROOT, 'launch', 'bringup.launch.py'), 'utf8');
    assert.match(src, /DeclareLaunchArgument\(\s*'model', default_value='',/);
    assert.match(src, /model_override = \{'model': model\} if model else \{\}/);
    // Every parameters=[...] that names the model does it through model_override.
    assert.equal([...src.matchAll(/'model': /g)].length, 1);
    assert.equal([...src.matchAll(/\*\*model_override/g)].length, 2);
  });

  it('runs the three nodes as three processes unless single_process:=true, so the executors can take real-time priority', () => {
    const src = readFileSync(join(ROOT, 'launch', 'bringup.launch.py'), 'utf8');
    assert.match(src, /DeclareLaunchArgument\(\s*'single_process', default_value='false',/);
    // The one-process node only when asked; the three separate ones otherwise.
    assert.match(src, /executable='bringup'[^)]*condition=IfCondition\(single_process\)\)/);
    assert.equal([...src.matchAll(/condition=UnlessCondition\(single_process\)/g)].length, 2);
    assert.match(src, /executable='arm_executor'[^)]*condition=UnlessCondition\(single_process\)\)/);
  });

  it('reads no launch configuration it does not declare', () => {
    const src = readFileSync(join(ROOT, 'launch', 'bringup.launch.py'), 'utf8');
    const used = [...src.matchAll(/LaunchConfiguration\('([^']+)'\)/g)].map((m) => m[1]);
    const declared = facts.args.map((a) => a.name);
    for (const u of used) assert.ok(declared.includes(u as string), `LaunchConfiguration('${u}') is not declared`);
  });

  it('starts the policy node and both executors through executables that CMakeLists installs', () => {
    const cmake = readFileSync(join(ROOT, 'CMakeLists.txt'), 'utf8');
    const installed = /install\(PROGRAMS ([^)]*) DESTINATION lib\/\$\{PROJECT_NAME\}\)/.exec(cmake)?.[1]?.split(/\s+/).map((p) => p.replace(/^ros\//, '')) ?? [];
    assert.deepEqual([...new Set(facts.executables)].sort(), ['arm_executor', 'bringup', 'policy_node']);
    for (const exe of facts.executables) {
      assert.ok(installed.includes(exe), `${exe} is not installed to lib/twinvla`);
      assert.ok(statSync(join(ROOT, 'ros', exe)).mode & 0o111, `ros/${exe} is not executable`);
    }
  });
});
