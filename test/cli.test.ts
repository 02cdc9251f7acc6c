import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './helpers.js';

const BIN = join(ROOT, 'bin', 'twinvla.js');

describe('twinvla command', () => {
  for (const model of ['twinvla-tiny', 'twinbrainvla-tiny']) {
    it(`predict --fixture on ${model} ends with max_abs_error <= 1e-4`, () => {
      const out = execFileSync('node', [BIN, 'predict', '--model', join('models', model), '--fixture', '--providers', 'cpu'], { cwd: ROOT, encoding: 'utf8' });
      const last = out.trim().split('\n').pop() ?? '';
      const m = /^max_abs_error=(\S+)$/.exec(last);
      assert.ok(m, `last line: ${last}`);
      assert.ok(Number(m[1]) <= 1e-4);
      assert.match(out, /token ids match the Python tokenizer/);
      // The times a person running a large model once wants; their values are not checked.
      assert.match(out, new RegExp(`\\nseconds: load \\d+\\.\\d \\(checksums and sessions\\), encoder \\d+\\.\\d, sampling \\d+\\.\\d \\(${model === 'twinvla-tiny' ? 10 : 4} steps\\)\\n`));
    });
  }

  it('inspect prints the contract: family, cameras, layouts, horizon, flow, graph inputs', () => {
    const out = execFileSync('node', [BIN, 'inspect', 'models/twinbrainvla-tiny'], { cwd: ROOT, encoding: 'utf8' });
    assert.match(out, /family twinbrainvla/);
    assert.match(out, /camera {5}head {9}-> image_head: 112x112 rgb8/);
    assert.match(out, /action {5}left, right x \[position 3, rot6d 6, gripper 1\] = 20 values; quantile on 18 of 20, clipped to \[-1, 1\] first/);
    assert.match(out, /horizon {4}16 steps, dt 0\.05 s/);
    assert.match(out, /flow {7}noise at t=0 \(Euler 0 -> 1\), 4 steps/);
    assert.match(out, /\nruntime {4}ONNX Runtime graph optimisation all \(runtime\.session_config\)\n/);
    assert.match(out, /in {7}input_ids_right: int64 \[1, input_ids_right_length\]/);
    assert.match(out, /out {6}velocity: float32 \[batch, 16, 20\]/);
  });

  it('fails with a message and status 1 on a missing folder', () => {
    const r = spawnSync('node', [BIN, 'inspect', 'models/nope'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /twinvla: model folder models\/nope does not exist/);
  });

  it('names an unknown command', () => {
    const r = spawnSync('node', [BIN, 'fly'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command "fly"/);
  });
});

describe('twinvla eval command', function () {
  this.timeout(120_000);

  it('usage errors exit 2 with the message and the usage line, never a stack trace', () => {
    const cases: [string[], RegExp][] = [
      [['eval', '--model', 'models/twinvla-tiny'], /^twinvla eval: --bag <path> and --model <dir> are required/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--latency', 'fast'], /^twinvla eval: --latency "fast": expected "measured" or a number of milliseconds >= 0\n/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--latency', '-5'], /^twinvla eval: --latency "-5": expected "measured" or a number of milliseconds >= 0\n/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--start', '-5'], /^twinvla eval: --start "-5": expected seconds >= 0 from the bag's first message\n/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--start', '50', '--end', '40'], /^twinvla eval: --end 40 is not after --start 50\n/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--start', '0x10'], /^twinvla eval: --start "0x10": expected seconds >= 0 from the bag's first message\n/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--end', ' '], /^twinvla eval: --end " ": expected seconds > 0 from the bag's first message\n/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--latency', 'Infinity'], /^twinvla eval: --latency "Infinity": expected "measured" or a number of milliseconds >= 0\n/],
      [['eval', '--bag', 'x.mcap', '--model', 'm', '--seed', '1.5'], /^twinvla eval: --seed "1\.5": expected a whole number >= 0\n/],
      [['eval', '--bagg', 'x.mcap'], /^twinvla eval: Unknown option '--bagg'\n/],
      [['eval', '--bag'], /^twinvla eval: Option '--bag <value>' argument missing\n/],
      [['inspect', 'a', 'b'], /^twinvla inspect: unexpected argument "b"\n/],
      [['inspect', 'models/twinvla-tiny', '--log-level', 'loud'], /^twinvla inspect: --log-level "loud": expected one of debug, info, warn, error\n/],
      [['predict', '--model', 'models/twinvla-tiny'], /^twinvla predict: only --fixture is supported here/],
      [['params'], /^twinvla params: pass one of --yaml or --markdown\n/],
      [['node', 'robot'], /^twinvla node: expected policy, executor or bringup, got "robot"\n/],
    ];
    for (const [args, re] of cases) {
      const r = spawnSync('node', [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /\nusage: twinvla \w+ /);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
    }
    const none = spawnSync('node', [BIN], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^twinvla: expected a command\n/);
  });

  it('--help for every command (exit 0, usage on stdout) and --version', () => {
    for (const command of ['inspect', 'predict', 'eval', 'demo', 'node', 'params']) {
      const r = spawnSync('node', [BIN, command, '--help'], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, command);
      assert.match(r.stdout, new RegExp(`^usage: twinvla ${command}`));
    }
    const top = spawnSync('node', [BIN, '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(top.status, 0);
    assert.match(top.stdout, /^twinvla <command> \[options\]/);
    const v = spawnSync('node', [BIN, '--version'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(v.status, 0);
    assert.equal(v.stdout, `twinvla ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
  });

  it('evaluates a bag window and prints the summary table; progress goes to stderr as plain lines', async () => {
    const { ensureDemoBag } = await import('../src/eval/demo-bag.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'twinvla-cli-eval-'));
    const bag = await ensureDemoBag(join(dir, 'demo.mcap'));
    const r = spawnSync('node', [BIN, 'eval', '--bag', bag, '--model', 'models/twinvla-tiny', '--params', 'test/fixtures/loops.yaml', '--out', join(dir, 'out'), '--latency', '40', '--end', '3'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^twinvla-tiny on .*demo\.mcap\nlatency 40 ms, seed 0; replayed 3\.0 s in /);
    assert.match(r.stdout, /\nleft arm, against the recorded targets\n {2}position error, mm {15} *[\d.]+ +[\d.]+ +[\d.]+ {2}[\d.]+x hold\n/);
    assert.match(r.stdout, /\nright arm, against the recorded targets\n/);
    assert.match(r.stderr, /replay 100%: 3\.0 of 3\.0 s/);
  });
});
