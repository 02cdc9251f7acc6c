/** Small helpers shared by the tests: temporary copies of model folders, manifest edits, paths. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

/** The repository root (tests run from dist/test/...). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TWINVLA_TINY = join(ROOT, 'models', 'twinvla-tiny');
export const TWINBRAINVLA_TINY = join(ROOT, 'models', 'twinbrainvla-tiny');

export function copyModel(src: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'twinvla-test-')), 'model');
  cpSync(src, dir, { recursive: true });
  return dir;
}

/** Copies a model folder and applies `edit` to its parsed manifest. */
export function editedModel(src: string, edit: (doc: Record<string, any>) => void): string {
  const dir = copyModel(src);
  const file = join(dir, 'model.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, any>;
  edit(doc);
  writeFileSync(file, stringify(doc));
  return dir;
}

export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the promise to reject, it resolved');
}

export function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the call to throw, it returned');
}
