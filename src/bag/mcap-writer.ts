/**
 * MCAP written the way `ros2 bag record` writes it (profile "ros2"): one ros2msg schema per type, cdr
 * channels carrying offered_qos_profiles, chunked, zstd-compressed (rosbag2's default storage preset
 * for MCAP, and what Foxglove reads natively) and indexed, so that Foxglove and `ros2 bag play` open it
 * directly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { McapWriter } from '@mcap/core';
import * as zstd from '@foxglove/wasm-zstd';

import { BagError } from '../errors.js';
import { CdrCodec } from './codec.js';
import { schemaText } from './definitions.js';

class FileWritable {
  #fd: number;
  #position = 0n;
  constructor(path: string) {
    this.#fd = openSync(path, 'w');
  }
  position(): bigint { return this.#position; }
  async write(buffer: Uint8Array): Promise<void> {
    writeSync(this.#fd, buffer);
    this.#position += BigInt(buffer.byteLength);
  }
  close(): void { closeSync(this.#fd); }
}

/** rosbag2's YAML for one offered QoS profile (reliable or best effort, volatile or transient local). */
export function offeredQos(kind: 'reliable' | 'sensor_data' | 'transient_local'): string {
  const reliability = kind === 'sensor_data' ? 2 : 1;
  const durability = kind === 'transient_local' ? 1 : 2;
  return [
    `- history: 3`, `  depth: 0`, `  reliability: ${reliability}`, `  durability: ${durability}`,
    `  deadline:`, `    sec: 9223372036`, `    nsec: 854775807`,
    `  lifespan:`, `    sec: 9223372036`, `    nsec: 854775807`,
    `  liveliness: 1`,
    `  liveliness_lease_duration:`, `    sec: 9223372036`, `    nsec: 854775807`,
    `  avoid_ros_namespace_conventions: false`,
  ].join('\n');
}

export type ChunkCompression = 'zstd' | 'none';

export interface Ros2McapWriterOptions {
  /** Chunk compression; default zstd. Raw images compress 5-20x; 'none' only for tests of readers. */
  compression?: ChunkCompression;
  /** zstd level (1 fast .. 19 small); default 3, zstd's own default. */
  level?: number;
}

export class Ros2McapWriter {
  readonly path: string;
  readonly #file: FileWritable;
  readonly #writer: McapWriter;
  readonly #channels = new Map<string, { id: number; codec: CdrCodec }>();
  readonly #schemas = new Map<string, number>();
  #sequence = 0;

  private constructor(path: string, { compression = 'zstd', level = 3 }: Ros2McapWriterOptions) {
    this.path = path;
    this.#file = new FileWritable(path);
    const compressChunk = compression === 'zstd'
      ? (data: Uint8Array) => ({ compression: 'zstd', compressedData: zstd.compress(data, level) })
      : undefined;
    this.#writer = new McapWriter({ writable: this.#file, useChunks: true, chunkSize: 1 << 20, useStatistics: true, useSummaryOffsets: true, ...(compressChunk ? { compressChunk } : {}) });
  }

  static async create(path: string, options: Ros2McapWriterOptions = {}): Promise<Ros2McapWriter> {
    if (options.compression !== 'none') await zstd.isLoaded;
    const w = new Ros2McapWriter(path, options);
    await w.#writer.start({ profile: 'ros2', library: 'twinvla' });
    return w;
  }

  async #channel(topic: string, type: string, qos: 'reliable' | 'sensor_data' | 'transient_local'): Promise<{ id: number; codec: CdrCodec }> {
    const known = this.#channels.get(topic);
    if (known) return known;
    const text = schemaText(type);
    if (!text) throw new BagError(`${this.path}: cannot write topic ${topic}: no definition for message type ${type}.`);
    let schemaId = this.#schemas.get(type);
    if (schemaId === undefined) {
      schemaId = await this.#writer.registerSchema({ name: type, encoding: 'ros2msg', data: new TextEncoder().encode(text) });
      this.#schemas.set(type, schemaId);
    }
    const id = await this.#writer.registerChannel({ topic, schemaId, messageEncoding: 'cdr', metadata: new Map([['offered_qos_profiles', offeredQos(qos)]]) });
    const entry = { id, codec: new CdrCodec(type, { encoding: 'ros2msg', text }, `${this.path} (${topic})`) };
    this.#channels.set(topic, entry);
    return entry;
  }

  /** Writes an already-encoded CDR message (inputs copied from another bag). */
  /** `time`: log time, nanoseconds. */
  async writeRaw(topic: string, type: string, time: bigint, data: Uint8Array, qos: 'reliable' | 'sensor_data' | 'transient_local' = 'reliable'): Promise<void> {
    const { id } = await this.#channel(topic, type, qos);
    await this.#writer.addMessage({ channelId: id, sequence: this.#sequence++, logTime: time, publishTime: time, data });
  }

  async write(topic: string, type: string, time: bigint, msg: unknown, qos: 'reliable' | 'sensor_data' | 'transient_local' = 'reliable'): Promise<void> {
    const { codec } = await this.#channel(topic, type, qos);
    await this.writeRaw(topic, type, time, codec.encode(msg), qos);
  }

  async close(): Promise<void> {
    await this.#writer.end();
    this.#file.close();
  }
}
