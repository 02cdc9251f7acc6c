/** The manifest records each graph's sha256: a truncated, corrupted or swapped file is refused by name. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ModelError } from '../errors.js';
import { withFileProblems } from '../file-problem.js';

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Reads the file once, checks it, and hands back its bytes so the session is built from what was checked. */
export function readVerified(dir: string, file: string, expected: string, manifestFile: string): Uint8Array {
  const path = join(dir, file);
  const bytes = withFileProblems('reading the model graph', (m) => new ModelError('MODEL_FILE', m), () => readFileSync(path));
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new ModelError(
      'MODEL_INTEGRITY',
      `${path}: sha256 mismatch: ${manifestFile} expects ${expected}, the file (${bytes.length} bytes) has ${actual}. ` +
        'The file is truncated, corrupted or from another export; copy the model folder again or re-export it.',
    );
  }
  return bytes;
}
