/** The `twinvla` command. */
import { parseArgs } from 'node:util';

import { TwinvlaError } from './errors.js';
import type { EvalOptions } from './eval/evaluate.js';
import { describeContract } from './inspect.js';
import { consoleLogger, type LogLevel } from './log.js';
import { loadManifest } from './model/manifest.js';
import { runFixture } from './model/parity.js';
import { Policy } from './model/policy.js';
import { parseProviders } from './model/providers.js';

const USAGE = `twinvla <command>

  inspect <model-dir>                     print a model's contract
  predict --model <dir> --fixture         run the model's fixture; compare with PyTorch
          [--providers cuda,cpu] [--tolerance 1e-4]
  eval --bag <path> --model <dir>         replay a bag through the nodes; metrics, report, replay.mcap
       [--params <yaml>] [--out <dir>] [--latency measured|<ms>] [--seed <n>] [--start <s>] [--end <s>]
  demo                                    the main job: the held-out task episodes through the trained demo model
  node policy|executor|bringup [ROS args] run the ROS 2 nodes (needs ROS 2 and rclnodejs)
  params --yaml | --markdown              the parameters of every node, from their schemas

Common options: --log-level debug|info|warn|error (default warn)`;

function providersFrom(value: string | undefined): ReturnType<typeof parseProviders> {
  return parseProviders((value ?? 'cuda,cpu').split(',').map((s) => s.trim()).filter(Boolean), '--providers');
}

async function inspect(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { 'log-level': { type: 'string' } } });
  const dir = positionals[0];
  if (!dir) throw new TwinvlaError('INPUT', 'inspect: expected a model folder, for example `twinvla inspect models/twinvla-tiny`.');
  const manifest = loadManifest(dir);
  const policy = await Policy.create(dir, { providers: ['cpu'], warmupRuns: 0, logger: consoleLogger((values['log-level'] ?? 'warn') as LogLevel) });
  process.stdout.write(`${describeContract(manifest, policy.sessions)}\n`);
  await policy.release();
  return 0;
}

async function predict(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' }, fixture: { type: 'boolean' }, providers: { type: 'string' },
      tolerance: { type: 'string' }, 'log-level': { type: 'string' },
    },
  });
  if (!values.model) throw new TwinvlaError('INPUT', 'predict: --model <dir> is required, for example --model models/twinvla-tiny.');
  if (!values.fixture) throw new TwinvlaError('INPUT', 'predict: only --fixture is supported here (the model folder\'s recorded inputs); live inputs come from the ROS node or `twinvla eval`.');
  const tolerance = Number(values.tolerance ?? '1e-4');
  const logger = consoleLogger((values['log-level'] ?? 'warn') as LogLevel);
  const policy = await Policy.create(values.model, { providers: providersFrom(values.providers), logger, warmupRuns: 0 });
  const report = await runFixture(policy);
  process.stdout.write(`model ${policy.manifest.name} on ${policy.providers.summary}\n`);
  process.stdout.write(`token ids ${report.tokensMatch ? 'match' : 'DIFFER from'} the Python tokenizer\n`);
  for (const e of report.errors) process.stdout.write(`  ${e.name.padEnd(28)} max abs error ${e.maxAbs.toExponential(3)}\n`);
  process.stdout.write(`max_abs_error=${report.maxAbs.toExponential(3)}\n`);
  await policy.release();
  return report.tokensMatch && report.maxAbs <= tolerance ? 0 : 1;
}

function latencyFrom(v: string | undefined): 'measured' | number {
  if (v === undefined || v === 'measured') return 'measured';
  const ms = Number(v);
  if (!Number.isFinite(ms) || ms < 0) throw new TwinvlaError('INPUT', `--latency ${JSON.stringify(v)}: expected "measured" or a number of milliseconds >= 0.`);
  return ms / 1e3;
}

function numberFrom(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TwinvlaError('INPUT', `--${name} ${JSON.stringify(v)}: expected a number.`);
  return n;
}

async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      bag: { type: 'string' }, model: { type: 'string' }, params: { type: 'string' }, out: { type: 'string' },
      latency: { type: 'string' }, seed: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' },
    },
  });
  if (!values.bag || !values.model) throw new TwinvlaError('INPUT', 'eval: --bag <path> and --model <dir> are required, for example `twinvla eval --bag demo.mcap --model models/twinvla-tiny`.');
  const start = numberFrom('start', values.start), end = numberFrom('end', values.end);
  return runEval({
    bag: values.bag, model: values.model, out: values.out ?? 'eval-out', latency: latencyFrom(values.latency),
    seed: numberFrom('seed', values.seed) ?? 0, progress: true,
    ...(values.params ? { params: values.params } : {}), ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}),
  });
}

async function runEval(options: EvalOptions): Promise<number> {
  const { evaluate } = await import('./eval/evaluate.js');
  const { summaryTable } = await import('./eval/summary.js');
  const { formatWarnings } = await import('./eval/warnings.js');
  const r = await evaluate(options);
  process.stdout.write(`${summaryTable(r)}\n`);
  if (r.warnings.length > 0) process.stderr.write(`\n${formatWarnings(r.warnings, Math.min(process.stderr.columns ?? 80, 80))}\n`);
  return 0;
}

/**
 * The main job on its embedded default: the held-out episodes of the synthetic bimanual task
 * (demo/heldout.mcap, written by tools/twinvla_tools/task/bag.py) through the TwinVLA model trained
 * on that task (models/twinvla-demo).
 */
async function demo(): Promise<number> {
  const { PACKAGE_ROOT } = await import('./paths.js');
  const { join } = await import('node:path');
  const bag = join(PACKAGE_ROOT, 'demo', 'heldout.mcap');
  process.stdout.write('twinvla demo: the held-out episodes of the synthetic bimanual task\n(demo/heldout.mcap) through models/twinvla-demo\n\n');
  return runEval({
    bag, model: join(PACKAGE_ROOT, 'models', 'twinvla-demo'), params: join(PACKAGE_ROOT, 'params', 'demo.yaml'),
    out: join('out', 'demo', 'eval'), latency: 0.05, seed: 0, progress: true,
  });
}

async function nodes(args: string[]): Promise<number> {
  const kind = args[0];
  if (kind !== 'policy' && kind !== 'executor' && kind !== 'bringup') {
    throw new TwinvlaError('INPUT', `node: expected policy, executor or bringup, got ${JSON.stringify(kind)}.`);
  }
  const { runNodes } = await import('./ros-main.js');
  await runNodes(kind, args.slice(1));
  return new Promise<number>(() => undefined); // runs until SIGINT/SIGTERM
}

async function params(args: string[]): Promise<number> {
  const { defaultParamsYaml, parameterTables } = await import('./node/node-schemas.js');
  if (args.includes('--yaml')) process.stdout.write(defaultParamsYaml());
  else if (args.includes('--markdown')) process.stdout.write(`${parameterTables()}\n`);
  else throw new TwinvlaError('INPUT', 'params: pass --yaml or --markdown.');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'node': return nodes(rest);
    case 'params': return params(rest);
    case 'inspect': return inspect(rest);
    case 'predict': return predict(rest);
    case 'demo': return demo();
    case 'eval': return evalCommand(rest);
    case undefined: case '-h': case '--help': process.stdout.write(`${USAGE}\n`); return command ? 0 : 2;
    default:
      process.stderr.write(`twinvla: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof TwinvlaError) process.stderr.write(`twinvla: ${e.message}\n`);
    else process.stderr.write(`twinvla: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
