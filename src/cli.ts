/** The `twinvla` command. */
import { HELP, logLevelOf, numberArg, parse, stringOption, stringsOption, USAGES, UsageError, type CliLogLevel, type Command } from './cli-usage.js';
import { TwinvlaError } from './errors.js';
import { fileProblem } from './file-problem.js';
import type { EvalOptions } from './eval/evaluate.js';
import { describeContract } from './inspect.js';
import { consoleLogger } from './log.js';
import { loadManifest } from './model/manifest.js';
import { runFixture } from './model/parity.js';
import { Policy } from './model/policy.js';
import { parseProviders } from './model/providers.js';

const USAGE = `twinvla <command> [options]   (twinvla <command> --help for each)

  inspect <model-dir>                     print a model's contract
  predict --model <dir> --fixture         run the model's fixture; compare with PyTorch
          [--providers cuda,cpu] [--tolerance 1e-4]
  eval --bag <path> --model <dir>         replay a bag through the nodes; metrics, report, replay.mcap
       (--bag again, or a folder of bags: each bag in a worker process, [--jobs <n>] at once
       (default: the cores), one combined report with a row per bag)
       [--params <yaml>] [--out <dir>] [--latency measured|<ms>] [--seed <n>] [--start <s>] [--end <s>]
  compare <run-dir> <run-dir> ...         eval outputs side by side: which run is better per figure
          [--out <dir>]                   writes <dir>/compare.html (default compare-out)
  demo                                    the main job: the held-out task episodes through the trained demo model
  node policy|executor|bringup [ROS args] run the ROS 2 nodes (needs ROS 2 and rclnodejs)
  params --yaml | --markdown              the parameters of every node, from their schemas

Common options: --log-level debug|info|warn|error (default warn), --help; twinvla --version`;

function providersFrom(value: string | undefined): ReturnType<typeof parseProviders> {
  return parseProviders((value ?? 'cuda,cpu').split(',').map((s) => s.trim()).filter(Boolean), '--providers');
}

function help(command: Command): number {
  process.stdout.write(`usage: ${USAGES[command]}\n\n${HELP[command]}\n`);
  return 0;
}

const levelOf = (v: unknown): CliLogLevel => logLevelOf(typeof v === 'string' ? v : undefined) ?? 'warn';

async function inspect(args: string[]): Promise<number> {
  const { positionals, values } = parse('inspect', args, {}, 1);
  if (values.help) return help('inspect');
  const dir = positionals[0];
  if (!dir) throw new UsageError('inspect', 'expected a model folder, for example `twinvla inspect models/twinvla-tiny`');
  const manifest = loadManifest(dir);
  const policy = await Policy.create(dir, { providers: ['cpu'], warmupRuns: 0, logger: consoleLogger(levelOf(values['log-level'])) });
  process.stdout.write(`${describeContract(manifest, policy.sessions)}\n`);
  await policy.release();
  return 0;
}

async function predict(args: string[]): Promise<number> {
  const { values } = parse('predict', args, {
    model: { type: 'string' }, fixture: { type: 'boolean' }, providers: { type: 'string' }, tolerance: { type: 'string' },
  });
  if (values.help) return help('predict');
  const model = values['model'];
  if (typeof model !== 'string') throw new UsageError('predict', '--model <dir> is required, for example --model models/twinvla-tiny');
  if (!values['fixture']) throw new UsageError('predict', 'only --fixture is supported here (the model folder\'s recorded inputs); live inputs come from the ROS node or `twinvla eval`');
  const tolerance = numberArg('predict', 'tolerance', stringOption(values, 'tolerance'), (n) => n >= 0, 'a number >= 0') ?? 1e-4;
  const logger = consoleLogger(levelOf(values['log-level']));
  const start = performance.now();
  const policy = await Policy.create(model, { providers: providersFrom(stringOption(values, 'providers')), logger, warmupRuns: 0 });
  const load = (performance.now() - start) / 1e3;
  const report = await runFixture(policy);
  process.stdout.write(`model ${policy.manifest.name} on ${policy.providers.summary}\n`);
  const { encoder, sampling } = report.seconds;
  process.stdout.write(`seconds: load ${load.toFixed(1)} (checksums and sessions), encoder ${encoder.toFixed(1)}, sampling ${sampling.toFixed(1)} (${policy.manifest.flow.steps} steps)\n`);
  process.stdout.write(`token ids ${report.tokensMatch ? 'match' : 'DIFFER from'} the Python tokenizer\n`);
  for (const e of report.errors) process.stdout.write(`  ${e.name.padEnd(28)} max abs error ${e.maxAbs.toExponential(3)}\n`);
  process.stdout.write(`max_abs_error=${report.maxAbs.toExponential(3)}\n`);
  await policy.release();
  return report.tokensMatch && report.maxAbs <= tolerance ? 0 : 1;
}

function latencyFrom(v: string | undefined): 'measured' | number {
  if (v === undefined || v === 'measured') return 'measured';
  return (numberArg('eval', 'latency', v, (n) => n >= 0, '"measured" or a number of milliseconds >= 0') as number) / 1e3;
}

async function evalCommand(args: string[]): Promise<number> {
  const { values } = parse('eval', args, {
    bag: { type: 'string', multiple: true }, model: { type: 'string' }, params: { type: 'string' }, out: { type: 'string' },
    latency: { type: 'string' }, seed: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' }, jobs: { type: 'string' },
  });
  if (values.help) return help('eval');
  const str = (k: string): string | undefined => stringOption(values, k);
  const bagArgs = stringsOption(values, 'bag');
  const model = str('model');
  if (!bagArgs?.length || !model) throw new UsageError('eval', '--bag <path> and --model <dir> are required, for example `twinvla eval --bag demo.mcap --model models/twinvla-tiny`');
  const start = numberArg('eval', 'start', str('start'), (n) => n >= 0, 'seconds >= 0 from the bag\'s first message');
  const end = numberArg('eval', 'end', str('end'), (n) => n > 0, 'seconds > 0 from the bag\'s first message');
  if (start !== undefined && end !== undefined && end <= start) throw new UsageError('eval', `--end ${end} is not after --start ${start}`);
  const seed = numberArg('eval', 'seed', str('seed'), (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number >= 0') ?? 0;
  const jobs = numberArg('eval', 'jobs', str('jobs'), (n) => Number.isSafeInteger(n) && n >= 1, 'a whole number of worker processes >= 1');
  const params = str('params');
  const options = {
    model, out: str('out') ?? 'eval-out', latency: latencyFrom(str('latency')), seed, progress: true,
    ...(values['log-level'] !== undefined ? { logLevel: levelOf(values['log-level']) } : {}),
    ...(params ? { params } : {}), ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}),
  };
  const { expandBags } = await import('./eval/bag-list.js');
  const bags = expandBags(bagArgs);
  if (bags.length === 1 && bagArgs.length === 1 && bags[0] === bagArgs[0]) return runEval({ ...options, bag: bags[0] as string });
  const { evaluateSet, setSummary } = await import('./eval/eval-set.js');
  const r = await evaluateSet(bags, options, {
    ...(jobs !== undefined ? { jobs } : {}),
    onDone: (i, one) => process.stderr.write(`bag ${i + 1} of ${bags.length} done: ${one.metrics.bag} (${one.simulatedSeconds.toFixed(1)} s in ${one.wallSeconds.toFixed(1)} s)\n`),
  });
  process.stdout.write(`${setSummary(r)}\n`);
  return 0;
}

async function compareCommand(args: string[]): Promise<number> {
  const { positionals, values } = parse('compare', args, { out: { type: 'string' } }, Infinity);
  if (values.help) return help('compare');
  if (positionals.length < 2) throw new UsageError('compare', `expected two or more eval output folders, got ${positionals.length}; for example \`twinvla compare out/run-a out/run-b\``);
  const { loadRun, compareTable, renderComparison } = await import('./eval/compare.js');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const runs = positionals.map((dir, i) => loadRun(dir, i));
  const out = stringOption(values, 'out') ?? 'compare-out';
  mkdirSync(out, { recursive: true });
  const file = join(out, 'compare.html');
  writeFileSync(file, renderComparison(runs));
  process.stdout.write(`${compareTable(runs)}\n\noutput: ${file}\n`);
  return 0;
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
async function demo(args: string[]): Promise<number> {
  const { values } = parse('demo', args, {});
  if (values.help) return help('demo');
  const { PACKAGE_ROOT } = await import('./paths.js');
  const { join } = await import('node:path');
  const bag = join(PACKAGE_ROOT, 'demo', 'heldout.mcap');
  process.stdout.write('twinvla demo: the held-out episodes of the synthetic bimanual task\n(demo/heldout.mcap) through models/twinvla-demo\n\n');
  return runEval({
    bag, model: join(PACKAGE_ROOT, 'models', 'twinvla-demo'), params: join(PACKAGE_ROOT, 'params', 'demo.yaml'),
    out: join('out', 'demo', 'eval'), latency: 0.05, seed: 0, progress: true,
    ...(values['log-level'] !== undefined ? { logLevel: levelOf(values['log-level']) } : {}),
  });
}

async function nodes(args: string[]): Promise<number> {
  const kind = args[0];
  if (kind === '--help' || kind === '-h') return help('node');
  if (kind !== 'policy' && kind !== 'executor' && kind !== 'bringup') {
    throw new UsageError('node', `expected policy, executor or bringup, got ${kind === undefined ? 'nothing' : JSON.stringify(kind)}`);
  }
  const { runNodes } = await import('./ros-main.js');
  await runNodes(kind, args.slice(1));
  return new Promise<number>(() => undefined); // runs until SIGINT/SIGTERM
}

async function params(args: string[]): Promise<number> {
  const { values } = parse('params', args, { yaml: { type: 'boolean' }, markdown: { type: 'boolean' } });
  if (values.help) return help('params');
  if (Boolean(values.yaml) === Boolean(values.markdown)) throw new UsageError('params', 'pass one of --yaml or --markdown');
  const { defaultParamsYaml, parameterTables } = await import('./node/node-schemas.js');
  if (values.yaml) process.stdout.write(defaultParamsYaml());
  else process.stdout.write(`${parameterTables()}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'node': return nodes(rest);
    case 'params': return params(rest);
    case 'inspect': return inspect(rest);
    case 'predict': return predict(rest);
    case 'demo': return demo(rest);
    case 'eval': return evalCommand(rest);
    case 'compare': return compareCommand(rest);
    case '-V': case '--version': process.stdout.write(`twinvla ${await version()}\n`); return 0;
    case '-h': case '--help': process.stdout.write(`${USAGE}\n`); return 0;
    case undefined:
      process.stderr.write(`twinvla: expected a command\n\n${USAGE}\n`);
      return 2;
    default:
      process.stderr.write(`twinvla: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      return 2;
  }
}

async function version(): Promise<string> {
  const { PACKAGE_ROOT } = await import('./paths.js');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`twinvla${e.command ? ` ${e.command}` : ''}: ${e.message}\nusage: ${e.command ? USAGES[e.command] : 'twinvla <command> [options]'}\n`);
      process.exitCode = 2;
      return;
    }
    const file = fileProblem(e, 'using');
    if (e instanceof TwinvlaError) process.stderr.write(`twinvla: ${e.message}\n`);
    else if (file) process.stderr.write(`twinvla: ${file}\n`);
    else process.stderr.write(`twinvla: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
