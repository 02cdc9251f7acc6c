/**
 * The benchmark's exports (bench/out) are kept between runs, as exporting the small preset takes
 * minutes; each carries a digest of the Python tools that wrote it, so that an export made before the
 * architectures or the exporter changed is written again instead of being measured as if current.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = '.tools-sha256';

/** The baselines' own scripts: changing how PyTorch is timed does not change an export. */
const NOT_EXPORT = new Set(['bench_torch.py', 'bench_preprocess.py', 'timing.py']);

/** sha256 over the Python tools' sources (tools/twinvla_tools/**.py but the baselines'), in a stable order. */
export function toolsDigest(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory() && e.name !== '__pycache__') walk(p);
      else if (e.isFile() && e.name.endsWith('.py') && !NOT_EXPORT.has(e.name)) hash.update(p.slice(root.length)).update(readFileSync(p));
    }
  };
  walk(join(root, 'tools', 'twinvla_tools'));
  return hash.digest('hex');
}

/** True when `dir` holds a model written by the tools as they are now. */
export function isCurrent(dir: string, digest: string): boolean {
  const stamp = join(dir, STAMP);
  return existsSync(join(dir, 'model.yaml')) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest;
}

export function markCurrent(dir: string, digest: string): void {
  writeFileSync(join(dir, STAMP), `${digest}\n`);
}
