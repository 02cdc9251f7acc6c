/**
 * zstd for rosbag2's compression (`ros2 bag record --compression-format zstd`): a whole file
 * (compression_mode FILE, `bag_0.db3.zstd`) or each message's data (MESSAGE). The decoder is the
 * WebAssembly zstd that @mcap/support loads for MCAP chunks. rosbag2 and rosbags write the file
 * mode as a stream, whose frames need not carry their decompressed size, so the output buffer
 * grows until the data fits.
 */
import { BagError } from '../errors.js';
import { decompressHandlers } from './mcap-reader.js';

const MAGIC = 0xfd2fb528;
/** The most one file may decompress to: the process must hold it in memory. */
const LIMIT = 4 * 2 ** 30;

/** The decompressed size recorded in the first frame's header, when the writer recorded it. */
function frameContentSize(data: Uint8Array): number | null {
  if (data.length < 6) return null;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return null;
  const fhd = data[4] as number;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictFlag = fhd & 3;
  let pos = 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag]!;
  const size = fcsFlag === 0 ? (single ? 1 : 0) : [1, 2, 4, 8][fcsFlag]!;
  if (size === 0 || pos + size > data.length) return null;
  if (size === 1) return view.getUint8(pos);
  if (size === 2) return view.getUint16(pos, true) + 256;
  if (size === 4) return view.getUint32(pos, true);
  return Number(view.getBigUint64(pos, true));
}

export function isZstd(data: Uint8Array): boolean {
  return data.length >= 4 && new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) === MAGIC;
}

/** Decompresses zstd data; `what` names it in the error (file, or topic and time). */
export async function zstdDecompress(data: Uint8Array, what: string): Promise<Uint8Array> {
  if (!isZstd(data)) throw new BagError(`${what}: not zstd data (no zstd frame magic); the bag's metadata says it is zstd-compressed.`);
  const zstd = (await decompressHandlers()).zstd;
  if (!zstd) throw new BagError(`${what}: no zstd decoder is available (@mcap/support's handlers lack zstd).`);
  const known = frameContentSize(data);
  let size = known ?? Math.max(1024, data.length * 8);
  for (;;) {
    try {
      return zstd(data, BigInt(size));
    } catch (e) {
      // A stream of several frames decompresses to more than the first frame says.
      if (size >= LIMIT) {
        throw new BagError(`${what}: cannot decompress the zstd data (${(e as Error).message}); the file is damaged or not what its metadata says.`);
      }
      size = Math.min(LIMIT, size * 4);
    }
  }
}
