/**
 * The external-data files an ONNX graph names: every tensor stored outside the .onnx (a graph past
 * protobuf's 2 GB keeps its weights in `<graph>.onnx.data`) says where in its `external_data`
 * entries. Read straight from the protobuf wire format, so that the runtime can check that the
 * manifest lists (and so checksums) every file ONNX Runtime will read, without a protobuf library
 * and without copying the weights: length-delimited fields that are not messages are skipped.
 *
 * Field numbers from onnx/onnx.proto3: ModelProto.graph 7, functions 25; FunctionProto.node 7;
 * GraphProto.node 1, initializer 5, sparse_initializer 15; NodeProto.attribute 5; AttributeProto.t 5,
 * g 6, tensors 10, graphs 11, sparse_tensor 22, sparse_tensors 23; SparseTensorProto.values 1,
 * indices 2; TensorProto.external_data 13, data_location 14 (EXTERNAL = 1);
 * StringStringEntryProto.key 1, value 2.
 */

type Kind = 'model' | 'function' | 'graph' | 'node' | 'attribute' | 'sparse' | 'tensor';

/** For each message kind, the fields holding messages worth entering, and what they hold. */
const CHILDREN: Record<Kind, Partial<Record<number, Kind | 'entry'>>> = {
  model: { 7: 'graph', 25: 'function' },
  function: { 7: 'node' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  tensor: { 13: 'entry' },
};

class Malformed extends Error {}

class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, start: number, readonly end: number) {
    this.pos = start;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed();
      const b = this.bytes[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new Malformed();
  }

  /** Skips one field's payload of the given wire type; for length-delimited ones returns [start, end). */
  payload(wire: number): [number, number] | null {
    switch (wire) {
      case 0: this.varint(); return null;
      case 1: this.pos += 8; break;
      case 5: this.pos += 4; break;
      case 2: {
        const length = this.varint();
        const start = this.pos;
        this.pos += length;
        if (this.pos > this.end) throw new Malformed();
        return [start, this.pos];
      }
      default: throw new Malformed(); // groups (3, 4) are not in onnx.proto
    }
    if (this.pos > this.end) throw new Malformed();
    return null;
  }
}

const text = new TextDecoder('utf-8', { fatal: false });

/** key -> value of one StringStringEntryProto. */
function entry(bytes: Uint8Array, start: number, end: number): [string, string] {
  const r = new Reader(bytes, start, end);
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint();
    const span = r.payload(tag % 8);
    const field = Math.floor(tag / 8);
    if (span && (field === 1 || field === 2)) {
      const s = text.decode(bytes.subarray(span[0], span[1]));
      if (field === 1) key = s;
      else value = s;
    }
  }
  return [key, value];
}

function walk(bytes: Uint8Array, start: number, end: number, kind: Kind, found: Set<string>): void {
  const r = new Reader(bytes, start, end);
  let external = false;
  let location: string | null = null;
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (kind === 'tensor' && field === 14 && wire === 0) {
      external = r.varint() === 1;
      continue;
    }
    const span = r.payload(wire);
    const child = CHILDREN[kind][field];
    if (!span || !child) continue;
    if (child === 'entry') {
      const [k, v] = entry(bytes, span[0], span[1]);
      if (k === 'location') location = v;
    } else {
      walk(bytes, span[0], span[1], child, found);
    }
  }
  if (external && location !== null) found.add(location);
}

/**
 * The `location` of every tensor stored as external data, relative to the graph's folder, each once,
 * in the order first met; null when the bytes are not a well-formed protobuf (ONNX Runtime then
 * names the graph as corrupt, with its own reason).
 */
export function externalDataLocations(bytes: Uint8Array): string[] | null {
  const found = new Set<string>();
  try {
    walk(bytes, 0, bytes.length, 'model', found);
  } catch (e) {
    if (e instanceof Malformed) return null;
    throw e;
  }
  return [...found];
}
