/** What the evaluation needs of a bag, whatever its storage: topics, and messages in log-time order. */
export interface BagTopic {
  name: string;
  type: string;
  count: number;
}

export interface BagMessage {
  topic: string;
  type: string;
  /** Log time, nanoseconds. */
  time: bigint;
  /** CDR bytes, as stored. */
  data: Uint8Array;
}

export interface BagReadOptions {
  topics?: readonly string[];
  start?: bigint;
  end?: bigint;
}

export interface Bag {
  readonly path: string;
  readonly topics: BagTopic[];
  /** First and last log time, nanoseconds. */
  readonly start: bigint;
  readonly end: bigint;
  /** Messages in log-time order, optionally only some topics and a time window (nanoseconds, both edges included). */
  messages(options?: BagReadOptions): AsyncIterable<BagMessage>;
  /** The schema a topic's messages were written with, when the bag has one. */
  schema(topic: string): { encoding: 'ros2msg' | 'ros2idl'; text: string } | null;
  close(): Promise<void>;
}

