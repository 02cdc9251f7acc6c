/**
 * A bag's messages decoded: each from CDR with its topic's codec (the bag's own schema, else the
 * bundled definition), in log-time order. A message that cannot be decoded (or a topic whose schema
 * cannot be parsed) stops the reading with the file, topic and reason; or, given `onSkip`, is
 * skipped and reported there, so that one bad message does not end an evaluation.
 */
import { TwinvlaError } from '../errors.js';
import { fullName } from './definitions.js';
import type { Bag, BagReadOptions } from './bag.js';
import { CdrCodec } from './codec.js';

/** One decoded message, with its CDR bytes as stored (copied verbatim into output bags). */
export interface DecodedMessage {
  topic: string;
  /** Full type name, `pkg/msg/Name`. */
  type: string;
  /** Log time, nanoseconds. */
  time: bigint;
  message: unknown;
  data: Uint8Array;
}

/** A message left out: its topic, log time (ns) and why. */
export interface SkippedMessage { topic: string; type: string; time: bigint; reason: string }

export async function* decodedMessages(bag: Bag, options: BagReadOptions & { onSkip?: (skip: SkippedMessage) => void } = {}): AsyncIterable<DecodedMessage> {
  const { onSkip, ...read } = options;
  const codecs = new Map<string, CdrCodec | TwinvlaError>();
  for await (const m of bag.messages(read)) {
    let codec = codecs.get(m.topic);
    if (!codec) {
      try {
        codec = new CdrCodec(fullName(m.type), bag.schema(m.topic), `${bag.path} (topic ${m.topic})`);
      } catch (e) {
        if (!(e instanceof TwinvlaError) || !onSkip) throw e;
        codec = e;
      }
      codecs.set(m.topic, codec);
    }
    let message: unknown;
    try {
      if (codec instanceof TwinvlaError) throw codec;
      message = codec.decode(m.data);
    } catch (e) {
      if (!(e instanceof TwinvlaError) || !onSkip) throw e;
      onSkip({ topic: m.topic, type: fullName(m.type), time: m.time, reason: e.message });
      continue;
    }
    yield { topic: m.topic, type: fullName(m.type), time: m.time, message, data: m.data };
  }
}
