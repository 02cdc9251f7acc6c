/**
 * rosbag2's SQLite storage (`.db3`), read with sql.js (SQLite compiled to WebAssembly: no native
 * build). Tables `topics` and `messages`; from ROS 2 Iron on, `message_definitions` carries the
 * schemas, otherwise the bundled definitions are used. The file is read into memory whole.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import initSqlJs from 'sql.js';

import { BagError } from '../errors.js';
import type { Bag, BagMessage, BagTopic } from './bag.js';

type SqlJs = Awaited<ReturnType<typeof initSqlJs>>;
let sql: Promise<SqlJs> | null = null;

function sqlite(): Promise<SqlJs> {
  const wasm = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
  sql ??= initSqlJs({ locateFile: () => wasm });
  return sql;
}

export async function openDb3(path: string): Promise<Bag> {
  const SQL = await sqlite();
  // Read outside the try: a file it may not read is a permission problem (open-bag.ts says so), not bad data.
  const data = await readFile(path);
  if (data.length === 0) throw new BagError(`${path}: the file is empty (0 bytes): nothing was recorded into it, or the copy failed.`);
  let db;
  try {
    db = new SQL.Database(data);
    db.exec('SELECT count(*) FROM messages');
  } catch (e) {
    if (/malformed/.test((e as Error).message)) {
      throw new BagError(`${path}: the SQLite file is damaged (${(e as Error).message}): the recording was cut short or the file is corrupt. \`sqlite3 ${path} .recover\` may save its messages into a new file.`);
    }
    throw new BagError(`${path}: not a rosbag2 SQLite file (${(e as Error).message}); expected tables topics and messages as \`ros2 bag record -s sqlite3\` writes them.`);
  }
  const rows = (q: string, params: (string | number)[] = []): unknown[][] => {
    const r = db.exec(q, params);
    return r[0]?.values ?? [];
  };
  const topicRows = rows('SELECT id, name, type FROM topics ORDER BY id') as [number, string, string][];
  const counts = new Map(rows('SELECT topic_id, count(*) FROM messages GROUP BY topic_id') as [number, number][]);
  const topics: BagTopic[] = topicRows.map(([id, name, type]) => ({ name, type, count: counts.get(id) ?? 0 }));
  const byId = new Map(topicRows.map(([id, name, type]) => [id, { name, type }]));
  const definitions = new Map<string, { encoding: 'ros2msg' | 'ros2idl'; text: string }>();
  const hasDefinitions = rows("SELECT name FROM sqlite_master WHERE type='table' AND name='message_definitions'").length > 0;
  if (hasDefinitions) {
    for (const [type, encoding, text] of rows('SELECT topic_type, encoding, encoded_message_definition FROM message_definitions') as [string, string, string][]) {
      if ((encoding === 'ros2msg' || encoding === 'ros2idl') && text) definitions.set(type, { encoding, text });
    }
  }
  // Timestamps are int64 nanoseconds; sql.js would hand them over as doubles (rounded to ~0.25 us at
  // epoch scale), so they are read as text and parsed exactly.
  const [first, last] = (rows('SELECT CAST(min(timestamp) AS TEXT), CAST(max(timestamp) AS TEXT) FROM messages')[0] ?? [null, null]) as [string | null, string | null];
  return {
    path,
    topics,
    start: BigInt(first ?? 0),
    end: BigInt(last ?? 0),
    schema: (topic) => definitions.get(topics.find((t) => t.name === topic)?.type ?? '') ?? null,
    close: async () => { db.close(); },
    async *messages({ topics: only, start, end } = {}) {
      const ids = only ? topicRows.filter(([, name]) => only.includes(name)).map(([id]) => id) : null;
      const where = [
        ids ? `topic_id IN (${ids.join(',') || '-1'})` : '',
        start !== undefined ? `timestamp >= ${start}` : '',
        end !== undefined ? `timestamp <= ${end}` : '',
      ].filter(Boolean);
      const stmt = db.prepare(`SELECT topic_id, CAST(timestamp AS TEXT), data FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY timestamp, id`);
      try {
        while (stmt.step()) {
          const [topicId, timestamp, data] = stmt.get() as [number, string, Uint8Array];
          const t = byId.get(topicId);
          if (!t) throw new BagError(`${path}: a message refers to topic id ${topicId}, which the topics table does not have; the bag is corrupt.`);
          yield { topic: t.name, type: t.type, time: BigInt(timestamp), data } satisfies BagMessage;
        }
      } finally {
        stmt.free();
      }
    },
  };
}
