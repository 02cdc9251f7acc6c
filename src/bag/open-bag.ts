/**
 * A bag by path: an .mcap file, a .db3 file, or a bag directory with its metadata.yaml (the storage
 * and files `ros2 bag record` wrote; several files are merged by log time).
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { parse } from 'yaml';

import { BagError } from '../errors.js';
import { fileProblem, withFileProblemsAsync } from '../file-problem.js';
import type { Bag, BagMessage } from './bag.js';
import { openDb3 } from './db3-reader.js';
import { openMcap } from './mcap-reader.js';
import { formatTime, maxTime, minTime } from '../time.js';
import { zstdDecompress } from './zstd.js';

async function openFile(path: string): Promise<Bag> {
  const lower = path.toLowerCase();
  if (lower.endsWith('.zstd')) return openCompressedFile(path);
  const ext = extname(lower);
  if (ext === '.mcap') return openMcap(path);
  if (ext === '.db3') return openDb3(path);
  throw new BagError(`${path}: not a bag file; expected an .mcap or .db3 file (or one compressed as .mcap.zstd or .db3.zstd), or a bag directory with metadata.yaml.`);
}

/**
 * A file that rosbag2 compressed whole (compression_mode FILE): decompressed into a temporary file
 * that lives as long as the bag is open, then read as the storage it names.
 */
async function openCompressedFile(path: string): Promise<Bag> {
  const inner = basename(path).slice(0, -'.zstd'.length);
  const ext = extname(inner).toLowerCase();
  if (ext !== '.mcap' && ext !== '.db3') throw new BagError(`${path}: a zstd-compressed bag file must be an .mcap.zstd or a .db3.zstd; found ${inner}.`);
  const data = await zstdDecompress(new Uint8Array(await readFile(path)), path);
  const dir = await mkdtemp(join(tmpdir(), 'twinvla-bag-'));
  const file = join(dir, inner);
  await writeFile(file, data);
  let bag: Bag;
  try {
    bag = ext === '.mcap' ? await openMcap(file) : await openDb3(file);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    if (e instanceof BagError) throw new BagError(e.message.split(file).join(`${path} (decompressed)`));
    throw e;
  }
  return { ...bag, path, close: async () => { await bag.close(); await rm(dir, { recursive: true, force: true }); }, messages: (o) => bag.messages(o), schema: (t) => bag.schema(t) };
}

/** Each message's data decompressed (compression_mode MESSAGE). */
function messageCompressed(bag: Bag): Bag {
  return {
    ...bag,
    close: () => bag.close(),
    schema: (t) => bag.schema(t),
    async *messages(options) {
      for await (const m of bag.messages(options)) {
        yield { ...m, data: await zstdDecompress(m.data, `${bag.path} (topic ${m.topic} at ${formatTime(m.time)})`) };
      }
    },
  };
}

/**
 * The files of one bag directory as one bag. `ros2 bag record` splits by size or duration, but a
 * recording can also hold files written side by side (several storage plugins, or `--max-cache-size`
 * flushes), so the files' messages are merged by log time rather than replayed file after file.
 */
function merged(path: string, parts: Bag[]): Bag {
  if (parts.length === 1) return parts[0] as Bag;
  // An empty file (a split that caught nothing) has no first or last time.
  const timed = parts.filter((p) => p.topics.some((t) => t.count > 0));
  const spans = timed.length > 0 ? timed : parts;
  return {
    path,
    topics: parts.flatMap((p) => p.topics).reduce<Bag['topics']>((acc, t) => {
      const found = acc.find((a) => a.name === t.name);
      if (found) found.count += t.count; else acc.push({ ...t });
      return acc;
    }, []),
    start: spans.map((p) => p.start).reduce(minTime),
    end: spans.map((p) => p.end).reduce(maxTime),
    schema: (topic) => parts.map((p) => p.schema(topic)).find((s) => s !== null) ?? null,
    close: async () => { await Promise.all(parts.map((p) => p.close())); },
    messages: (options) => mergeByTime(parts.map((p) => p.messages(options))),
  };
}

/** A k-way merge of time-ordered streams; ties keep the files' order (the first file first). */
async function* mergeByTime(streams: AsyncIterable<BagMessage>[]): AsyncIterable<BagMessage> {
  const its = streams.map((s) => s[Symbol.asyncIterator]());
  const heads: (BagMessage | null)[] = await Promise.all(its.map(async (it) => (await it.next()).value ?? null));
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best < 0 || h.time < (heads[best] as BagMessage).time)) best = i;
      }
      if (best < 0) return;
      yield heads[best] as BagMessage;
      const next = await (its[best] as AsyncIterator<BagMessage>).next();
      heads[best] = next.done ? null : next.value;
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}

/** What a bag directory's metadata.yaml says: its files, and how they are compressed. */
function readMetadata(meta: string): { files: string[]; compression: { mode: string; format: string } } {
  let doc: unknown;
  try {
    doc = parse(readFileSync(meta, 'utf8'));
  } catch (e) {
    if (fileProblem(e)) throw e;
    throw new BagError(`${meta}: cannot read the bag metadata (${(e as Error).message.split('\n')[0]}).`);
  }
  const expected = 'a mapping rosbag2_bagfile_information: {relative_file_paths: [...], ...} as `ros2 bag record` writes it';
  const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const info = isMapping(doc) ? doc['rosbag2_bagfile_information'] : undefined;
  if (!isMapping(info)) {
    const found = doc === null || doc === undefined ? 'an empty file' : Array.isArray(doc) ? `a list of ${doc.length}` : !isMapping(doc) ? JSON.stringify(doc) : `keys ${Object.keys(doc).join(', ') || '(none)'}`;
    throw new BagError(`${meta}: expected ${expected}; found ${found}.`);
  }
  const files = info['relative_file_paths'];
  if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f === 'string' && f !== '')) {
    throw new BagError(`${meta}: rosbag2_bagfile_information.relative_file_paths: expected a list of one or more file names, found ${JSON.stringify(files) ?? 'nothing'}.`);
  }
  const mode = info['compression_mode'] ?? '';
  const format = info['compression_format'] ?? '';
  if (typeof mode !== 'string' || typeof format !== 'string') {
    throw new BagError(`${meta}: compression_mode and compression_format: expected strings, found ${JSON.stringify(mode)} and ${JSON.stringify(format)}.`);
  }
  return { files: files as string[], compression: { mode: mode.toUpperCase(), format: format.toLowerCase() } };
}

/** Opens a bag; a path it may not read is named as a permission problem, not as bad data. */
export async function openBag(path: string): Promise<Bag> {
  return withFileProblemsAsync('reading the bag', (m) => new BagError(m), () => openBagAt(path));
}

async function openBagAt(path: string): Promise<Bag> {
  // Not existsSync: it says false for a path it may not look at, which is a permission problem.
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new BagError(`${path}: no such bag file or directory.`);
  if (!stat.isDirectory()) return openFile(path);
  const meta = join(path, 'metadata.yaml');
  if (!statSync(meta, { throwIfNoEntry: false })) throw new BagError(`${path}: a bag directory needs metadata.yaml (as \`ros2 bag record\` writes it); none found.`);
  const { files, compression } = readMetadata(meta);
  if (compression.mode !== '' && compression.mode !== 'NONE' && compression.format !== 'zstd') {
    throw new BagError(`${meta}: compression_format ${JSON.stringify(compression.format)} is not supported; rosbag2 compresses with zstd, which twinvla reads (decompress the bag with \`ros2 bag convert\` otherwise).`);
  }
  if (compression.mode !== '' && !['NONE', 'FILE', 'MESSAGE'].includes(compression.mode)) {
    throw new BagError(`${meta}: unknown compression_mode ${JSON.stringify(compression.mode)}; expected none, file or message.`);
  }
  const parts: Bag[] = [];
  for (const f of files) {
    const p = join(path, f);
    const part = statSync(p, { throwIfNoEntry: false });
    if (!part) throw new BagError(`${meta}: lists ${f}, which is not in ${path}.`);
    if (!part.isFile()) throw new BagError(`${meta}: lists ${f}, which is a folder in ${path}, not a bag file.`);
    // File mode names the compressed files (bag_0.db3.zstd); openFile decompresses them.
    const bag = await openFile(p);
    parts.push(compression.mode === 'MESSAGE' ? messageCompressed(bag) : bag);
  }
  return merged(path, parts);
}
