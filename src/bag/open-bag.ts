/**
 * A bag by path: an .mcap file, a .db3 file, or a bag directory with its metadata.yaml (the storage
 * and files `ros2 bag record` wrote; several files are replayed as one).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse } from 'yaml';

import { BagError } from '../errors.js';
import type { Bag, BagMessage } from './bag.js';
import { openDb3 } from './db3-reader.js';
import { openMcap } from './mcap-reader.js';

async function openFile(path: string): Promise<Bag> {
  const ext = extname(path).toLowerCase();
  if (ext === '.mcap') return openMcap(path);
  if (ext === '.db3') return openDb3(path);
  throw new BagError(`${path}: not a bag file; expected an .mcap or .db3 file, or a bag directory with metadata.yaml.`);
}

function concat(path: string, parts: Bag[]): Bag {
  if (parts.length === 1) return parts[0] as Bag;
  return {
    path,
    topics: parts.flatMap((p) => p.topics).reduce<Bag['topics']>((acc, t) => {
      const found = acc.find((a) => a.name === t.name);
      if (found) found.count += t.count; else acc.push({ ...t });
      return acc;
    }, []),
    start: Math.min(...parts.map((p) => p.start)),
    end: Math.max(...parts.map((p) => p.end)),
    schema: (topic) => parts.map((p) => p.schema(topic)).find((s) => s !== null) ?? null,
    close: async () => { await Promise.all(parts.map((p) => p.close())); },
    async *messages(options) {
      for (const p of parts) yield* p.messages(options) as AsyncIterable<BagMessage>;
    },
  };
}

export async function openBag(path: string): Promise<Bag> {
  if (!existsSync(path)) throw new BagError(`${path}: no such bag file or directory.`);
  if (!statSync(path).isDirectory()) return openFile(path);
  const meta = join(path, 'metadata.yaml');
  if (!existsSync(meta)) throw new BagError(`${path}: a bag directory needs metadata.yaml (as \`ros2 bag record\` writes it); none found.`);
  let files: string[];
  try {
    const info = (parse(readFileSync(meta, 'utf8')) as { rosbag2_bagfile_information?: { relative_file_paths?: string[] } }).rosbag2_bagfile_information;
    files = info?.relative_file_paths ?? [];
  } catch (e) {
    throw new BagError(`${meta}: cannot read the bag metadata (${(e as Error).message.split('\n')[0]}).`);
  }
  if (files.length === 0) throw new BagError(`${meta}: rosbag2_bagfile_information.relative_file_paths lists no file.`);
  const parts: Bag[] = [];
  for (const f of files) {
    const p = join(path, f);
    if (!existsSync(p)) throw new BagError(`${meta}: lists ${f}, which is not in ${path}.`);
    parts.push(await openFile(p));
  }
  return concat(path, parts);
}
