/**
 * The command line's grammar: each command's usage, the arguments read with node's parseArgs, and
 * usage errors (exit status 2, the usage line beside the message, no stack trace) kept apart from
 * errors in what the arguments name (status 1).
 */
import { parseArgs } from 'node:util';

export const USAGES = {
  inspect: 'twinvla inspect <model-dir> [--log-level <level>]',
  predict: 'twinvla predict --model <dir> --fixture [--providers cuda,cpu] [--tolerance 1e-4] [--log-level <level>]',
  eval: 'twinvla eval --bag <path> [--bag <path> ...] --model <dir> [--params <yaml>] [--out <dir>] [--latency measured|<ms>] [--seed <n>] [--start <s>] [--end <s>] [--jobs <n>] [--log-level <level>]',
  compare: 'twinvla compare <run-dir> <run-dir> ... [--out <dir>]',
  demo: 'twinvla demo [--log-level <level>]',
  node: 'twinvla node policy|executor|bringup [--ros-args ...]',
  params: 'twinvla params --yaml | --markdown',
} as const;

export type Command = keyof typeof USAGES;

export const HELP: Record<Command, string> = {
  inspect: 'Prints a model folder\'s contract: family, cameras, state and action layouts, horizon, flow, graph inputs and outputs.',
  predict: 'Runs the model folder\'s fixture (recorded inputs and PyTorch outputs) and compares; status 1 above --tolerance.',
  eval: [
    'Replays a bag through the policy node and both executors; writes metrics.json, report.html and replay.mcap into --out',
    '(default eval-out), once the run is complete. --start/--end: seconds from the bag\'s first message. --latency: fixed',
    'milliseconds per inference (deterministic) or measured. Fails when nothing could be scored.',
    'Several --bag, or a folder of bags: each bag in a worker process (--jobs at once, default the cores) into',
    '--out/<bag name>, and one combined metrics.json and report.html in --out with a row per bag.',
  ].join('\n'),
  compare: 'Two or more eval --out folders side by side: each headline figure per run, the better run, the settings that differ; writes --out/compare.html (default compare-out).',
  demo: 'The held-out episodes of the synthetic task (demo/heldout.mcap) through models/twinvla-demo; outputs in out/demo/eval.',
  node: 'Runs the ROS 2 nodes (needs ROS 2 and rclnodejs); ROS arguments after --ros-args.',
  params: 'Prints every node\'s parameters from their schemas, as a YAML parameter file or as Markdown tables.',
};

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type CliLogLevel = (typeof LOG_LEVELS)[number];

export class UsageError extends Error {
  constructor(readonly command: Command | null, message: string) {
    super(message);
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** parseArgs, strict, with --help and --log-level on every command; a bad argument is a UsageError. */
export function parse<O extends Options>(command: Command, args: string[], options: O, positionals = 0) {
  // `--start -5` means the value -5 (parseArgs would call it ambiguous): joined as `--start=-5`, so
  // that the value's own check answers.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string, next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name && options?.[name]?.type === 'string' && next !== undefined && /^-\d|^-\.\d/.test(next)) { joined.push(`${a}=${next}`); i++; } else joined.push(a);
  }
  args = joined;
  try {
    const r = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' }, 'log-level': { type: 'string' } }, allowPositionals: positionals > 0, strict: true });
    if (r.positionals.length > positionals) throw new UsageError(command, `unexpected argument ${JSON.stringify(r.positionals[positionals])}`);
    const level = stringOption(r.values, 'log-level');
    if (level !== undefined && logLevelOf(level) === undefined) {
      throw new UsageError(command, `--log-level ${JSON.stringify(level)}: expected one of ${LOG_LEVELS.join(', ')}`);
    }
    return r;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // node's messages, for example "Unknown option '--bagg'"; the hint about '--' is not ours.
    throw new UsageError(command, (e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** A string option's value as parseArgs left it, read without a cast (a flag or a list is no string). */
export function stringOption(values: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option's values (`multiple: true`), read without a cast. */
export function stringsOption(values: Readonly<Record<string, unknown>>, name: string): string[] | undefined {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

/** The log level a --log-level value names; undefined for any other text (parse has refused it by then). */
export function logLevelOf(v: string | undefined): CliLogLevel | undefined {
  return LOG_LEVELS.find((l) => l === v);
}

/** A number argument; `check` says what is allowed, else a UsageError names the option and the value. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

export function numberArg(command: Command, name: string, v: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  // Number() also takes hex, binary, blanks and '' (0): only a plain decimal number is a number here.
  if (!DECIMAL.test(v) || !Number.isFinite(n) || !check(n)) throw new UsageError(command, `--${name} ${JSON.stringify(v)}: expected ${expected}`);
  return n;
}
