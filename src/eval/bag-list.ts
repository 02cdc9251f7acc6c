/**
 * The bags of a dataset-scale evaluation: each argument is a bag (an .mcap or .db3 file, or a rosbag2
 * directory with its metadata.yaml) or a folder of bags (its .mcap and .db3 files and its rosbag2
 * directories, in name order, not recursing further).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

import { InputError } from '../errors.js';

const isBagFile = (p: string): boolean => ['.mcap', '.db3'].includes(extname(p).toLowerCase());
const isBagDir = (p: string): boolean => existsSync(join(p, 'metadata.yaml'));

export function expandBags(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (!existsSync(a)) throw new InputError(`eval: --bag ${a}: no such file or folder.`);
    if (statSync(a).isFile() || isBagDir(a)) { out.push(a); continue; }
    const found = readdirSync(a).sort().map((n) => join(a, n)).filter((p) => (statSync(p).isFile() ? isBagFile(p) : isBagDir(p)));
    if (found.length === 0) throw new InputError(`eval: --bag ${a}: a folder without bags (expected .mcap or .db3 files, or rosbag2 folders with a metadata.yaml).`);
    out.push(...found);
  }
  const names = new Map<string, string>();
  for (const b of out) {
    const n = outName(b);
    const other = names.get(n);
    if (other) throw new InputError(`eval: bags ${other} and ${b} would share the output folder ${n}; rename one or evaluate them separately.`);
    names.set(n, b);
  }
  return out;
}

/** The per-bag output folder's name: the bag's file or folder name without its extension. */
export function outName(bag: string): string {
  const b = basename(bag.replace(/[/\\]+$/, ''));
  return isBagFile(b) ? b.slice(0, -extname(b).length) : b;
}
