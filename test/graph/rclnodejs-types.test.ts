/**
 * The rclnodejs adapter against rclnodejs 2.x's own published type declarations. The package is
 * fetched with `npm pack` (no install script runs, no ROS 2 needed) and cached under node_modules/.cache.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from '../helpers.js';

const VERSION = '2.2.0';
const CACHE = join(ROOT, 'node_modules', '.cache', 'rclnodejs-types', VERSION);

function fetchTypes(): string {
  const types = join(CACHE, 'package', 'types', 'index.d.ts');
  if (existsSync(types)) return types;
  mkdirSync(CACHE, { recursive: true });
  execFileSync('npm', ['pack', `rclnodejs@${VERSION}`, '--pack-destination', CACHE, '--silent'], { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(CACHE).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack wrote no tarball');
  execFileSync('tar', ['xzf', tgz, 'package/types', 'package/package.json'], { cwd: CACHE });
  return types;
}

function typeCheck(files: string[]): { status: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'twinvla-rcl-'));
  const config = {
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      // The published declarations, even where colcon has built rclnodejs into node_modules (its
      // generated message types would narrow the type names and hide what the package promises).
      paths: { rclnodejs: [join(CACHE, 'package', 'types', 'index.d.ts')] },
    },
    files,
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

describe(`rclnodejs adapter against rclnodejs ${VERSION}'s published declarations`, function () {
  this.timeout(180_000);
  let types: string;
  before(() => { types = fetchTypes(); });

  it('the adapter and the API it uses type-check against the real declarations', () => {
    const r = typeCheck([types, join(ROOT, 'src', 'graph', 'rclnodejs.ts'), join(ROOT, 'test', 'graph', 'conformance', 'conforms.ts')]);
    assert.equal(r.status, 0, r.output);
  });

  it('a misuse (a millisecond number as the timer period) fails the check', () => {
    const r = typeCheck([types, join(ROOT, 'test', 'graph', 'conformance', 'misuse.ts')]);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /misuse\.ts.*error TS2322/s);
    assert.match(r.output, /bigint/);
  });
});
