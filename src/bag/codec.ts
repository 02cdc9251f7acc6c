/**
 * CDR encoding and decoding with Foxglove's ROS 2 libraries, from the bag's own schema (ros2msg, or
 * ros2idl) or, when the bag has none, the bundled definitions. One reader/writer per schema.
 */
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';

import { BagError } from '../errors.js';
import { knownTypes, schemaText } from './definitions.js';

export type SchemaEncoding = 'ros2msg' | 'ros2idl';

type Definitions = ReturnType<typeof parseMsg>;

function parseSchema(type: string, encoding: SchemaEncoding, text: string, where: string): Definitions {
  try {
    if (encoding === 'ros2idl') {
      // Foxglove's IDL parser is not among our dependencies; for the types we read, the ROS 2 IDL
      // and the bundled .msg definitions describe the same layout, so the bundled one is used.
      const bundled = schemaText(type);
      if (!bundled) throw new BagError(`no bundled definition for ${type}`);
      return parseMsg(bundled, { ros2: true });
    }
    return parseMsg(text, { ros2: true });
  } catch (e) {
    throw new BagError(`${where}: cannot parse the ${encoding} schema of ${type} (${(e as Error).message}).`);
  }
}

export class CdrCodec {
  readonly type: string;
  readonly #reader: MessageReader;
  readonly #writer: MessageWriter;
  readonly #where: string;

  constructor(type: string, schema: { encoding: SchemaEncoding; text: string } | null, where: string) {
    this.type = type;
    this.#where = where;
    let defs: Definitions;
    if (schema && schema.text.trim().length > 0) {
      defs = parseSchema(type, schema.encoding, schema.text, where);
    } else {
      const text = schemaText(type);
      if (!text) {
        throw new BagError(`${where}: unknown message type ${type}: the bag carries no schema for it and twinvla has no bundled definition (it knows ${knownTypes().join(', ')}).`);
      }
      defs = parseMsg(text, { ros2: true });
    }
    this.#reader = new MessageReader(defs);
    this.#writer = new MessageWriter(defs);
  }

  decode<T>(data: Uint8Array): T {
    try {
      return this.#reader.readMessage<T>(data);
    } catch (e) {
      throw new BagError(`${this.#where}: cannot decode a ${this.type} message of ${data.length} bytes as CDR (${(e as Error).message}); the message is corrupt or the schema does not match.`);
    }
  }

  encode(msg: unknown): Uint8Array {
    return this.#writer.writeMessage(msg);
  }
}
