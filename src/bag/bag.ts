/** What the evaluation needs of a bag, whatever its storage: topics, and messages in log-time order. */
export interface BagTopic {
  name: string;
  type: string;
  count: number;
}

export interface BagMessage {
  topic: string;
  type: string;
  /** Log time, seconds. */
  time: number;
  /** CDR bytes, as stored. */
  data: Uint8Array;
}

export interface Bag {
  readonly path: string;
  readonly topics: BagTopic[];
  /** First and last log time, seconds. */
  readonly start: number;
  readonly end: number;
  /** Messages in log-time order, optionally only some topics and a time window (seconds). */
  messages(options?: { topics?: readonly string[]; start?: number; end?: number }): AsyncIterable<BagMessage>;
  /** The schema a topic's messages were written with, when the bag has one. */
  schema(topic: string): { encoding: 'ros2msg' | 'ros2idl'; text: string } | null;
  close(): Promise<void>;
}

export const NS = 1e9;

export function nsToSec(ns: bigint | number): number {
  const v = BigInt(ns);
  return Number(v / 1_000_000_000n) + Number(v % 1_000_000_000n) / 1e9;
}

export function secToNs(s: number): bigint {
  const whole = Math.floor(s);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.round((s - whole) * 1e9));
}
