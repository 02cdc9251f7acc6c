/**
 * Paths the process may not use are named as permission problems, with what the path was for (the
 * bag, the model folder, the parameters file, --out), never as bad data or a stack trace. Root reads
 * everything, so under root the command runs as an unprivileged user (nobody); the mapping itself is
 * also checked directly, with the errors the file system gives.
 */
import { strict as assert } from 'node:assert';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openBag } from '../src/bag/open-bag.js';
import { readParamBlocks } from '../src/config/param-files.js';
import { fileProblem } from '../src/file-problem.js';
import { loadManifest } from '../src/model/manifest.js';
import { rejection, ROOT, thrown } from './helpers.js';

const BIN = join(ROOT, 'bin', 'twinvla.js');
const HELDOUT = join(ROOT, 'demo', 'heldout.mcap');
const NOBODY = 65534;
const root = process.getuid?.() === 0;
const uid = root ? NOBODY : process.getuid?.() ?? 0;

describe('file-system problems in words', () => {
  it('maps EACCES and EPERM to a permission problem naming what the path was for', () => {
    const eacces = Object.assign(new Error('EACCES: permission denied, open \'/data/run1.mcap\''), { code: 'EACCES', path: '/data/run1.mcap', syscall: 'open' });
    assert.equal(fileProblem(eacces, 'reading the bag'), `permission denied reading the bag /data/run1.mcap (EACCES on open): this process (uid ${process.getuid?.()}) may not do that; check the permissions and owner of the path and its folders (ls -ld), or pick another path.`);
    const eperm = Object.assign(new Error('EPERM'), { code: 'EPERM', path: '/out/.run.partial-XXXXXX', syscall: 'mkdtemp' });
    assert.equal(fileProblem(eperm, 'writing the output folder (--out)'), `permission denied writing the output folder (--out) /out/.run.partial-XXXXXX (EPERM on mkdtemp): this process (uid ${process.getuid?.()}) may not do that; check the permissions and owner of the path and its folders (ls -ld), or pick another path.`);
    assert.equal(fileProblem(new Error('plain')), null);
    assert.equal(fileProblem({ code: 'BAG' }), null);
  });

  it('names a path through a file (ENOTDIR, as root gets it too) for each kind of input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twinvla-notdir-'));
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    const bag = await rejection(openBag(join(file, 'run.mcap')));
    assert.equal(bag.code, 'BAG');
    assert.equal(bag.message, `a part of the path is a file, not a folder, reading the bag ${file}/run.mcap (ENOTDIR on stat); check the path.`);
    const model = thrown(() => loadManifest(join(file, 'model')));
    assert.equal(model.code, 'MODEL_FILE');
    assert.equal(model.message, `a part of the path is a file, not a folder, reading the model folder ${file}/model (ENOTDIR on stat); check the path.`);
    const params = thrown(() => readParamBlocks(join(file, 'p.yaml')));
    assert.equal(params.code, 'PARAMETER');
    assert.equal(params.message, `a part of the path is a file, not a folder, reading the parameters file ${file}/p.yaml (ENOTDIR on open); check the path.`);
  });

  describe(`the command, run as a user who may not (uid ${uid})`, function () {
    this.timeout(120_000);
    // Under root, the files are made so that only root may use them, and the command runs as nobody.
    const dir = mkdtempSync(join(tmpdir(), 'twinvla-perm-'));
    chmodSync(dir, 0o755);
    const as: SpawnSyncOptions = { cwd: ROOT, encoding: 'utf8', ...(root ? { uid: NOBODY, gid: NOBODY } : {}) };
    const twinvla = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], as) as { status: number | null; stderr: string; stdout: string };
    const deny = `this process \\(uid ${uid}\\) may not do that; check the permissions and owner of the path and its folders \\(ls -ld\\), or pick another path\\.`;

    before(function () {
      // The package must be readable by that user (a checkout under /root is not): said, not passed over.
      const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)}); require('fs').accessSync(${JSON.stringify(HELDOUT)})`], as);
      if (probe.status !== 0) {
        console.warn(`  NOTE: uid ${uid} cannot read ${ROOT}; the permission tests through the command cannot run here (the mapping tests above did).`);
        this.skip();
      }
    });

    const refused = (r: { status: number | null; stderr: string }, pattern: RegExp) => {
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    };

    it('the bag', () => {
      const bag = join(dir, 'locked.mcap');
      writeFileSync(bag, 'x');
      chmodSync(bag, 0);
      refused(twinvla('eval', '--bag', bag, '--model', 'models/twinvla-tiny'), new RegExp(`^twinvla: permission denied reading the bag ${bag} \\(EACCES on open\\): ${deny}\\n$`));
    });

    it('the model folder', () => {
      const model = join(dir, 'model');
      mkdirSync(model);
      writeFileSync(join(model, 'model.yaml'), 'format: twinvla-model/1\n');
      chmodSync(model, 0);
      refused(twinvla('inspect', model), new RegExp(`^twinvla: permission denied reading the model manifest ${model}/model\\.yaml \\(EACCES on stat\\): ${deny}\\n$`));
    });

    it('the parameters file', () => {
      const params = join(dir, 'locked.yaml');
      writeFileSync(params, '/**:\n  ros__parameters: {}\n');
      chmodSync(params, 0);
      refused(twinvla('eval', '--bag', HELDOUT, '--model', 'models/twinvla-demo', '--params', params, '--out', join(dir, 'unused')),
        new RegExp(`^twinvla: permission denied reading the parameters file ${params} \\(EACCES on open\\): ${deny}\\n$`));
    });

    it('--out', () => {
      const parent = join(dir, 'readonly');
      mkdirSync(parent);
      chmodSync(parent, 0o555);
      refused(twinvla('eval', '--bag', HELDOUT, '--model', 'models/twinvla-demo', '--params', join(ROOT, 'params', 'demo.yaml'), '--out', join(parent, 'run')),
        new RegExp(`^twinvla: permission denied writing the output folder \\(--out\\) ${parent}/\\.run\\.partial-XXXXXX \\(EACCES on mkdtemp\\): ${deny}\\n$`));
    });
  });
});
