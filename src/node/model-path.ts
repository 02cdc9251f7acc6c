/** Where a `model` parameter points: a folder, or a model name under the package's models/. */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

import { ModelError } from '../errors.js';
import { PACKAGE_ROOT } from '../paths.js';

export function resolveModelDir(model: string): string {
  const candidates = isAbsolute(model) ? [model] : [resolve(model), join(PACKAGE_ROOT, 'models', model), join(PACKAGE_ROOT, model)];
  const found = candidates.find((c) => existsSync(join(c, 'model.yaml')));
  if (!found) {
    throw new ModelError('MODEL_FILE', `parameter model = ${JSON.stringify(model)}: no model folder found (looked in ${candidates.join(', ')}). Give a folder with model.yaml, or a name under ${join(PACKAGE_ROOT, 'models')}.`);
  }
  return found;
}
