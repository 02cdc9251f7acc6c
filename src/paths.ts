/**
 * Where the package's own files are: the root holding models/, msg/, params/ and demo/, whether run
 * from the source tree or installed under share/twinvla. Below every room, so bag/ (msg/ definitions),
 * node/ (model names) and the CLI (the demo) can all reach it.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above dist/src (source tree or share/twinvla). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
