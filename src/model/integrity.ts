/**
 * The manifest records each graph's sha256, and for a graph with ONNX external data each data file's
 * sha256 and size: a truncated, corrupted, swapped, missing or unlisted file is refused by name.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

import { ModelError } from '../errors.js';
import { withFileProblems } from '../file-problem.js';
import type { ExternalData, GraphFiles } from './manifest.js';
import { externalDataLocations } from './onnx-external.js';

const PIECE = 1 << 24;

/** Hashed in 16 MiB pieces: an external-data file passes 2 GB, more than one Node buffer holds. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(PIECE);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, piece, 0, PIECE, null); n > 0; n = readSync(fd, piece, 0, PIECE, null)) {
      hash.update(piece.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

const AGAIN = 'copy the model folder again (every file in it) or re-export it with tools/twinvla_tools/export.py.';

function mismatch(path: string, manifestFile: string, expected: string, bytes: number, actual: string): ModelError {
  return new ModelError(
    'MODEL_INTEGRITY',
    `${path}: sha256 mismatch: ${manifestFile} expects ${expected}, the file (${bytes} bytes) has ${actual}. ` +
      'The file is truncated, corrupted or from another export; copy the model folder again or re-export it.',
  );
}

/** Reads the file once, checks it, and hands back its bytes so the session is built from what was checked. */
export function readVerified(dir: string, file: string, expected: string, manifestFile: string): Uint8Array {
  const path = join(dir, file);
  const bytes = withFileProblems('reading the model graph', (m) => new ModelError('MODEL_FILE', m), () => readFileSync(path));
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) throw mismatch(path, manifestFile, expected, bytes.length, actual);
  return bytes;
}

/** The size first (a truncated copy is told as such, without hashing gigabytes), then the sha256. */
function checkDataFile(dir: string, data: ExternalData, graphPath: string, manifestFile: string): void {
  const path = join(dir, data.file);
  const expected = `${data.bytes} bytes, sha256 ${data.sha256}`;
  const stat = withFileProblems('reading the graph\'s external data', (m) => new ModelError('MODEL_FILE', m), () => statSync(path, { throwIfNoEntry: false }));
  if (!stat?.isFile()) {
    throw new ModelError('MODEL_FILE', `${path} is missing: ${graphPath} keeps its weights in it (ONNX external data; ${manifestFile} expects ${expected}). The .onnx.data files belong to the model folder: ${AGAIN}`);
  }
  if (stat.size !== data.bytes) {
    throw new ModelError('MODEL_INTEGRITY', `${path}: ${stat.size} bytes, ${manifestFile} expects ${expected}: the file is truncated or from another export; ${AGAIN}`);
  }
  const actual = withFileProblems('reading the graph\'s external data', (m) => new ModelError('MODEL_FILE', m), () => sha256File(path));
  if (actual !== data.sha256) throw mismatch(path, manifestFile, data.sha256, stat.size, actual);
}

/**
 * A graph as ONNX Runtime should open it: a self-contained graph as its checked bytes; a graph with
 * external data as its path, once the graph and every data file it names were checked against the
 * manifest (ONNX Runtime reads the data itself, beside the graph's path: from bytes it would not
 * find it). `where` is the graph's manifest key (graphs.encoder), for messages.
 */
export function openVerifiedGraph(dir: string, graph: GraphFiles, where: string, manifestFile: string): Uint8Array | string {
  const bytes = readVerified(dir, graph.file, graph.sha256, manifestFile);
  const graphPath = join(dir, graph.file);
  // Locations are relative to the graph's folder; the manifest's files to the model folder.
  const named = (externalDataLocations(bytes) ?? []).map((l) => ({ location: l, file: normalize(join(dirname(graph.file), l)) }));
  const listed = new Set(graph.externalData.map((d) => normalize(d.file)));
  const unlisted = named.filter((n) => !listed.has(n.file));
  if (unlisted.length > 0) {
    throw new ModelError('MODEL_INTEGRITY', `${graphPath}: the graph keeps weights in ${unlisted.map((n) => n.location).join(', ')} (ONNX external data), which ${manifestFile} does not list under ${where}.external_data, so they cannot be checked and the model is refused. Re-export the model folder with tools/twinvla_tools/export.py (it lists every external-data file with its sha256 and size).`);
  }
  const used = new Set(named.map((n) => n.file));
  const stray = graph.externalData.filter((d) => !used.has(normalize(d.file)));
  if (stray.length > 0) {
    throw new ModelError('MODEL_INTEGRITY', `${manifestFile}: ${where}.external_data lists ${stray.map((d) => d.file).join(', ')}, which ${graphPath} does not use: the manifest and the graph are from different exports; ${AGAIN}`);
  }
  if (named.length === 0) return bytes;
  for (const data of graph.externalData) checkDataFile(dir, data, graphPath, manifestFile);
  return graphPath;
}
