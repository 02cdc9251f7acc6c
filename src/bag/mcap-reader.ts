/**
 * MCAP bags through @mcap/core: indexed files through their summary (seeking only what is read),
 * files without a summary (not indexed, or cut short) streamed record by record. zstd and lz4 chunks
 * are decompressed with @mcap/support's handlers.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { McapIndexedReader, McapStreamReader, type DecompressHandlers, type McapTypes } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';

import { BagError } from '../errors.js';
import type { Bag, BagMessage, BagTopic } from './bag.js';

let handlers: Promise<DecompressHandlers> | null = null;
export function decompressHandlers(): Promise<DecompressHandlers> {
  handlers ??= loadDecompressHandlers();
  return handlers;
}

class FileReadable {
  constructor(readonly handle: FileHandle, readonly bytes: bigint, readonly path: string) {}
  async size(): Promise<bigint> { return this.bytes; }
  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    const buf = new Uint8Array(Number(size));
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, Number(offset));
    if (bytesRead !== buf.length) throw new BagError(`${this.path}: short read at byte ${offset}: ${bytesRead} of ${size} bytes (the file changed or is truncated).`);
    return buf;
  }
}

type Channel = McapTypes.TypedMcapRecords['Channel'];
type Schema = McapTypes.TypedMcapRecords['Schema'];

function schemaOf(s: Schema | undefined): { encoding: 'ros2msg' | 'ros2idl'; text: string } | null {
  if (!s || (s.encoding !== 'ros2msg' && s.encoding !== 'ros2idl')) return null;
  return { encoding: s.encoding, text: new TextDecoder().decode(s.data) };
}

function why(e: unknown): string {
  return (e as Error).message.split('\n')[0] ?? String(e);
}

export async function openMcap(path: string): Promise<Bag> {
  const bytes = BigInt((await stat(path)).size);
  if (bytes === 0n) throw new BagError(`${path}: the file is empty (0 bytes): nothing was recorded into it, or the copy failed.`);
  const handle = await open(path, 'r');
  const decompress = await decompressHandlers();
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileReadable(handle, bytes, path), decompressHandlers: decompress });
    if (reader.chunkIndexes.length > 0 || reader.statistics?.messageCount === 0n) return indexedBag(path, reader, handle);
  } catch {
    // No summary (not indexed) or a damaged end: read the file from the start instead.
  }
  await handle.close();
  return streamedBag(path, decompress);
}

function indexedBag(path: string, reader: McapIndexedReader, handle: FileHandle): Bag {
  const counts = reader.statistics?.channelMessageCounts;
  const topics: BagTopic[] = [...reader.channelsById.values()].map((c) => ({
    name: c.topic, type: reader.schemasById.get(c.schemaId)?.name ?? '', count: Number(counts?.get(c.id) ?? 0n),
  }));
  const byTopic = new Map([...reader.channelsById.values()].map((c) => [c.topic, c]));
  const stats = reader.statistics;
  return {
    path,
    topics,
    start: stats?.messageStartTime ?? 0n,
    end: stats?.messageEndTime ?? 0n,
    schema: (topic) => schemaOf(reader.schemasById.get(byTopic.get(topic)?.schemaId ?? -1)),
    close: () => handle.close(),
    async *messages({ topics: only, start, end } = {}) {
      try {
        for await (const m of reader.readMessages({
          ...(only ? { topics: only } : {}),
          ...(start !== undefined ? { startTime: start } : {}),
          ...(end !== undefined ? { endTime: end } : {}),
          validateCrcs: true,
        })) {
          const c = reader.channelsById.get(m.channelId) as Channel;
          yield { topic: c.topic, type: reader.schemasById.get(c.schemaId)?.name ?? '', time: m.logTime, data: m.data } satisfies BagMessage;
        }
      } catch (e) {
        throw new BagError(`${path}: cannot read the MCAP data (${why(e)}); the file is corrupt (a damaged chunk or index). Try \`mcap recover\` and replay the recovered file.`);
      }
    },
  };
}

/** Streams the whole file once: channels, schemas and messages, sorted by log time. */
async function streamedBag(path: string, decompress: DecompressHandlers): Promise<Bag> {
  const reader = new McapStreamReader({ decompressHandlers: decompress, validateCrcs: true });
  const channels = new Map<number, Channel>();
  const schemas = new Map<number, Schema>();
  const messages: BagMessage[] = [];
  const handle = await open(path, 'r');
  try {
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      reader.append(buf.slice(0, bytesRead));
      for (let r = reader.nextRecord(); r; r = reader.nextRecord()) {
        if (r.type === 'Schema') schemas.set(r.id, r);
        else if (r.type === 'Channel') channels.set(r.id, r);
        else if (r.type === 'Message') {
          const c = channels.get(r.channelId);
          if (!c) throw new BagError(`message on unknown channel ${r.channelId}`);
          messages.push({ topic: c.topic, type: schemas.get(c.schemaId)?.name ?? '', time: r.logTime, data: r.data });
        }
      }
    }
  } catch (e) {
    throw new BagError(`${path}: cannot read the MCAP data (${why(e)}); the file is corrupt. Try \`mcap recover\` and replay the recovered file.`);
  } finally {
    await handle.close();
  }
  if (!reader.done()) {
    throw new BagError(`${path}: the MCAP file is truncated (it ends inside a record, ${reader.bytesRemaining()} bytes unread, and has no footer); the recording was cut short. \`mcap recover\` keeps the complete messages.`);
  }
  messages.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const topicCounts = new Map<string, BagTopic>();
  for (const c of channels.values()) topicCounts.set(c.topic, { name: c.topic, type: schemas.get(c.schemaId)?.name ?? '', count: 0 });
  for (const m of messages) (topicCounts.get(m.topic) as BagTopic).count++;
  const byTopic = new Map([...channels.values()].map((c) => [c.topic, c]));
  return {
    path,
    topics: [...topicCounts.values()],
    start: messages[0]?.time ?? 0n,
    end: messages[messages.length - 1]?.time ?? 0n,
    schema: (topic) => schemaOf(schemas.get(byTopic.get(topic)?.schemaId ?? -1)),
    close: async () => undefined,
    async *messages({ topics: only, start, end } = {}) {
      for (const m of messages) {
        if (only && !only.includes(m.topic)) continue;
        if (start !== undefined && m.time < start) continue;
        if (end !== undefined && m.time > end) continue;
        yield m;
      }
    },
  };
}
