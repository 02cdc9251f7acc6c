/**
 * ROS 2 parameter files as rcl reads them, for the live nodes and `twinvla eval` alike: which blocks
 * of which files configure a node, in which order, and which names are refused.
 *
 * Keys (rcl_yaml_param_parser): `/**` (every node), `/**\/name` (the node `name` in any namespace),
 * `/ns/name`, a bare `name` (rcl reads it as `/name`), `*` for one name or namespace part, and
 * nested namespaces (`ns: {name: {ros__parameters: ...}}` is `/ns/name`). rclnodejs itself applies
 * only `/**` and the node's exact name, and drops the rest without a word; so the package reads the
 * files itself, with this module, from the process's `--ros-args`.
 *
 * Order: files in command-line order, blocks of a file in the order they are written; a later value
 * wins. `-p name:=value` arguments come last (rcl gives them precedence over files).
 *
 * Refusal: a block whose key names one node (its last part has no `*`) is that node's alone, and a
 * name the node does not declare is an error. A block with a wildcard node part (`/**`, `/ns/*`)
 * reaches several nodes: each takes the names it declares, and a name that no node of the package
 * declares is an error (a typo there must not pass silently either).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

import { didYouMean } from '../close-match.js';
import { fileProblem } from '../file-problem.js';
import { ParameterError } from '../errors.js';

/** One `<key>: {ros__parameters: ...}` block, parameters flattened to dotted names. */
export interface ParamBlock {
  source: string;
  key: string;
  params: Record<string, unknown>;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function flatten(obj: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isMapping(v)) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

/** Every block of a parameters file, with its key made absolute (`name` -> `/name`). */
export function readParamBlocks(file: string): ParamBlock[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const problem = fileProblem(e, 'reading the parameters file');
    if (problem) throw new ParameterError(problem);
    throw new ParameterError(`${file}: cannot read the parameters file (${(e as Error).message.split('\n')[0]}).`);
  }
  const shape = 'a mapping of node names to their parameters, for example "twinvla_policy: {ros__parameters: {replan_period: 0.4}}" ("/**" for every node)';
  if (!isMapping(doc)) {
    const found = doc === null || doc === undefined ? 'an empty file' : Array.isArray(doc) ? `a list of ${doc.length}` : `${typeof doc} ${JSON.stringify(doc)}`;
    throw new ParameterError(`${file}: expected ${shape}, found ${found}.`);
  }
  if ('ros__parameters' in doc) throw new ParameterError(`${file}: ros__parameters at the top has no node name above it; expected ${shape}.`);
  const blocks: ParamBlock[] = [];
  const walk = (node: Record<string, unknown>, path: string[]): void => {
    for (const [k, v] of Object.entries(node)) {
      const parts = [...path, ...k.split('/').filter(Boolean)];
      if (!isMapping(v)) throw new ParameterError(`${file}: ${k} needs a ros__parameters mapping (found ${JSON.stringify(v)}).`);
      if ('ros__parameters' in v) {
        const params = v['ros__parameters'];
        if (!isMapping(params)) throw new ParameterError(`${file}: /${parts.join('/')} needs a ros__parameters mapping (found ${JSON.stringify(params)}).`);
        blocks.push({ source: file, key: `/${parts.join('/')}`, params: flatten(params) });
      } else {
        walk(v, parts);
      }
    }
  };
  walk(doc, []);
  return blocks;
}

/**
 * A file meant for a known set of nodes (an evaluation's) must reach at least one of them: a file
 * whose blocks all name other nodes would otherwise configure nothing, without a word.
 */
export function checkReachesNodes(file: string, nodes: readonly string[]): void {
  const blocks = readParamBlocks(file);
  if (blocks.some((b) => nodes.some((n) => keyMatches(b.key, n)))) return;
  throw new ParameterError(`${file}: no block of this parameters file reaches the nodes that read it (${nodes.join(', ')}); it has ${blocks.length === 0 ? 'no blocks' : `blocks for ${blocks.map((b) => b.key).join(', ')}`}. Name the blocks after these nodes (or "/**" for all of them), or pass the parameters file of this setup.`);
}

/** rcl's node-name wildcards: `**` any number of name parts, `*` within one part. */
export function keyMatches(key: string, fullyQualifiedName: string): boolean {
  const pattern = key.split('/').filter(Boolean).map((part) => {
    if (part === '**') return '(?:/[^/]+)*';
    return `/${part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}`;
  }).join('');
  return new RegExp(`^${pattern}$`).test(fullyQualifiedName);
}

/** A key whose node part is a wildcard reaches several nodes. */
export function isWildcardKey(key: string): boolean {
  return (key.split('/').pop() ?? '').includes('*');
}

/** The parameter files and `-p name:=value` values of a process's ROS arguments, in order. */
export interface RosParameterArguments {
  files: string[];
  values: Record<string, unknown>;
}

export function rosParameterArguments(argv: readonly string[]): RosParameterArguments {
  const out: RosParameterArguments = { files: [], values: {} };
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--ros-args') { inRos = true; continue; }
    if (a === '--') { inRos = false; continue; }
    if (!inRos) continue;
    if (a === '--params-file') {
      const f = argv[++i];
      if (f === undefined) throw new ParameterError('--params-file needs a file after it.');
      out.files.push(f);
    } else if (a === '-p' || a === '--param') {
      const kv = argv[++i] ?? '';
      const at = kv.indexOf(':=');
      if (at <= 0) throw new ParameterError(`${a} ${JSON.stringify(kv)}: expected name:=value.`);
      out.values[kv.slice(0, at)] = parse(kv.slice(at + 2)) as unknown;
    }
  }
  return out;
}

/**
 * One node's parameters from the blocks that reach it (see the module comment for the rules).
 * `declared`: the node's own names; `known`: every name that any node of the package declares.
 */
export function nodeParamsFromBlocks(blocks: readonly ParamBlock[], fullyQualifiedName: string, declared: ReadonlySet<string>, known: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const block of blocks) {
    if (!keyMatches(block.key, fullyQualifiedName)) continue;
    const wildcard = isWildcardKey(block.key);
    for (const [name, value] of Object.entries(block.params)) {
      if (!wildcard || declared.has(name) || name === 'use_sim_time') out[name] = value;
      else if (!known.has(name)) problems.push(`${block.source}: ${block.key}: ${name}: not a parameter of any twinvla node${didYouMean(name, known)} (see the README's parameter tables)`);
    }
  }
  if (problems.length > 0) throw new ParameterError(`${problems.length} unknown parameter(s):\n  ${problems.join('\n  ')}`);
  return out;
}

/** A node's parameters from files and `-p` values; `-p` values are a wildcard block after the files. */
export function nodeParams(args: RosParameterArguments, fullyQualifiedName: string, declared: ReadonlySet<string>, known: ReadonlySet<string>): Record<string, unknown> {
  const blocks = args.files.flatMap(readParamBlocks);
  if (Object.keys(args.values).length > 0) blocks.push({ source: 'command line (-p)', key: '/**', params: args.values });
  return nodeParamsFromBlocks(blocks, fullyQualifiedName, declared, known);
}
