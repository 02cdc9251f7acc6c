/** The `twinvla` command. */
import { parseArgs } from 'node:util';

import { TwinvlaError } from './errors.js';
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
  demo                                    the main job on its embedded default
  node policy|executor|bringup [ROS args] run the ROS 2 nodes (needs ROS 2 and rclnodejs)
  params --yaml | --markdown              the parameters of every node, from their schemas

Common options: --log-level debug|info|warn|error (default warn)`;

const DEMO_MODELS = ['models/twinvla-tiny', 'models/twinbrainvla-tiny'];

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

/** The main job on its embedded default: both bundled models on their fixtures. */
async function demo(): Promise<number> {
  let status = 0;
  process.stdout.write('twinvla demo: bundled models against their PyTorch fixtures\n\n');
  process.stdout.write(`${'model'.padEnd(20)}${'family'.padEnd(14)}${'provider'.padEnd(10)}${'tokens'.padEnd(8)}${'max_abs_error'.padEnd(15)}predict ms\n`);
  for (const dir of DEMO_MODELS) {
    const policy = await Policy.create(dir, { providers: ['cpu'], warmupRuns: 1, logger: consoleLogger('warn') });
    const report = await runFixture(policy);
    const obs = policy.neutralObservation();
    const t0 = performance.now();
    await policy.predict(obs, { seed: 1 });
    const ms = performance.now() - t0;
    const ok = report.tokensMatch && report.maxAbs <= 1e-4;
    if (!ok) status = 1;
    process.stdout.write(`${policy.manifest.name.padEnd(20)}${policy.manifest.family.padEnd(14)}${policy.providers.summary.padEnd(10)}${(report.tokensMatch ? 'match' : 'DIFFER').padEnd(8)}${report.maxAbs.toExponential(2).padEnd(15)}${ms.toFixed(1)}\n`);
    await policy.release();
  }
  return status;
}

async function nodes(args: string[]): Promise<number> {
  const kind = args[0];
  if (kind !== 'policy' && kind !== 'executor' && kind !== 'bringup') {
    throw new TwinvlaError('INPUT', `node: expected policy, executor or bringup, got ${JSON.stringify(kind)}.`);
  }
  const { runNodes } = await import('./node/run.js');
  await runNodes(kind, args.slice(1));
  return new Promise<number>(() => undefined); // runs until SIGINT/SIGTERM
}

async function params(args: string[]): Promise<number> {
  const { defaultParamsYaml, parameterTables } = await import('./node/params-doc.js');
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
