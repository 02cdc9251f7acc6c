/** Where a `model` parameter points: a folder, or a model name under the package's models/. */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ModelError } from '../errors.js';

/** The package root: two levels above dist/src/node (source tree or share/twinvla). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function resolveModelDir(model: string): string {
  const candidates = isAbsolute(model) ? [model] : [resolve(model), join(PACKAGE_ROOT, 'models', model), join(PACKAGE_ROOT, model)];
  const found = candidates.find((c) => existsSync(join(c, 'model.yaml')));
  if (!found) {
    throw new ModelError('MODEL_FILE', `parameter model = ${JSON.stringify(model)}: no model folder found (looked in ${candidates.join(', ')}). Give a folder with model.yaml, or a name under ${join(PACKAGE_ROOT, 'models')}.`);
  }
  return found;
}
