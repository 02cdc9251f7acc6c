/**
 * replay.mcap: the evaluated inputs and everything the nodes published, written as `ros2 bag record`
 * would (zstd chunks), plus what a viewer needs to draw the predictions: each ActionChunk again as
 * one nav_msgs/Path per arm, in that arm's frame, so that Foxglove's 3D panel shows the predicted
 * trajectory beside the executed and recorded targets without knowing twinvla's message types.
 */
import { Ros2McapWriter } from '../bag/mcap-writer.js';
import type { ActionChunkMsg, Header, Time } from '../messages.js';
import { nsToStamp, secondsToNs, stampToNs } from '../time.js';

export type Qos = 'reliable' | 'sensor_data' | 'transient_local';

/** nav_msgs/msg/Path */
export interface PathMsg {
  header: Header;
  poses: { header: Header; pose: ActionChunkMsg['arms'][number]['poses'][number] }[];
}

/** Where a chunk's arm path goes: beside the chunk topic, one per arm. */
export const predictedPathTopic = (chunkTopic: string, arm: string): string => `${chunkTopic}/${arm}/predicted_path`;

/** One Path per arm of a chunk; pose k stamped with the time it is due (stamp + k dt, whole nanoseconds as the executors step it). */
export function predictedPaths(chunk: ActionChunkMsg): { arm: string; path: PathMsg }[] {
  const start = stampToNs(chunk.header.stamp);
  const step = secondsToNs(chunk.dt);
  const due = (k: number): Time => nsToStamp(start + BigInt(k) * step);
  return chunk.arms.map((a) => ({
    arm: a.name,
    path: {
      header: { stamp: chunk.header.stamp, frame_id: a.frame_id },
      poses: a.poses.map((pose, k) => ({ header: { stamp: due(k), frame_id: a.frame_id }, pose })),
    },
  }));
}

export class ReplayRecorder {
  readonly #writer: Ros2McapWriter;
  #writing: Promise<void> = Promise.resolve();
  #failed: unknown = null;

  private constructor(writer: Ros2McapWriter) {
    this.#writer = writer;
  }

  static async create(path: string): Promise<ReplayRecorder> {
    return new ReplayRecorder(await Ros2McapWriter.create(path, { compression: 'zstd' }));
  }

  get path(): string { return this.#writer.path; }

  /** Writes are queued in call order (the writer is asynchronous; the replay is not). */
  #queue(f: () => Promise<void>): void {
    this.#writing = this.#writing.then(f).catch((e: unknown) => { this.#failed ??= e; });
  }

  /** An input message, copied as recorded (already CDR). */
  input(topic: string, type: string, time: bigint, data: Uint8Array, qos: Qos): void {
    this.#queue(() => this.#writer.writeRaw(topic, type, time, data, qos));
  }

  /** A message a node published; an ActionChunk is also written as one Path per arm. */
  published(topic: string, type: string, time: bigint, msg: unknown): void {
    this.#queue(() => this.#writer.write(topic, type, time, msg));
    if (type === 'twinvla/msg/ActionChunk') {
      for (const { arm, path } of predictedPaths(msg as ActionChunkMsg)) {
        this.#queue(() => this.#writer.write(predictedPathTopic(topic, arm), 'nav_msgs/msg/Path', time, path));
      }
    }
  }

  async close(): Promise<void> {
    await this.#writing;
    await this.#writer.close();
    if (this.#failed) throw this.#failed;
  }
}
