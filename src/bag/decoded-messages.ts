/**
 * A bag's messages decoded: each from CDR with its topic's codec (the bag's own schema, else the
 * bundled definition), in log-time order. A message that cannot be decoded stops the reading with
 * the file, topic and reason.
 */
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

export async function* decodedMessages(bag: Bag, options: BagReadOptions = {}): AsyncIterable<DecodedMessage> {
  const codecs = new Map<string, CdrCodec>();
  for await (const m of bag.messages(options)) {
    let codec = codecs.get(m.topic);
    if (!codec) {
      codec = new CdrCodec(fullName(m.type), bag.schema(m.topic), `${bag.path} (topic ${m.topic})`);
      codecs.set(m.topic, codec);
    }
    yield { topic: m.topic, type: fullName(m.type), time: m.time, message: codec.decode(m.data), data: m.data };
  }
}
