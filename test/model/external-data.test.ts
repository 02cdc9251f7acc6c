/**
 * Model folders whose graphs keep their weights in ONNX external data (`<graph>.onnx.data`, what the
 * exporter writes for a graph past protobuf's 2 GB): real graphs, twinvla-tiny's own, re-saved by
 * the onnx package as the exporter saves a big graph (every tensor above 1 KiB outside: ONNX Runtime
 * wants the small shape constants inline) and listed in the manifest by the exporter's code. They predict what the same model stored inline predicts; a data file that is
 * missing, truncated, corrupted or unlisted is refused by name.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

import { MemoryLogger } from '../../src/log.js';
import { sha256File } from '../../src/model/integrity.js';
import { externalDataLocations } from '../../src/model/onnx-external.js';
import { Policy } from '../../src/model/policy.js';
import { copyModel, rejection, ROOT, TWINVLA_TINY } from '../helpers.js';

const quiet = { providers: ['cpu' as const], warmupRuns: 0, logger: new MemoryLogger() };
const GRAPHS = ['encoder', 'denoiser', 'denoiser_vjp'] as const;

/** A copy of twinvla-tiny with each graph's weights in `<graph>.onnx.data`, saved and listed in the
 * manifest by the exporter's own functions (tools/twinvla_tools/external_data.py). */
function externalCopy(): string {
  const dir = copyModel(TWINVLA_TINY);
  const script = [
    'import sys, onnx, yaml',
    'from pathlib import Path',
    'from twinvla_tools.export import ManifestDumper',
    'from twinvla_tools.external_data import graph_entry, save_with_external_data',
    'folder = Path(sys.argv[1])',
    'doc = yaml.safe_load((folder / "model.yaml").read_text())',
    `for g in ${JSON.stringify(GRAPHS)}:`,
    '    file = doc["graphs"][g]["file"]',
    '    save_with_external_data(onnx.load(str(folder / file)), folder / file)',
    '    doc["graphs"][g].update(graph_entry(folder, file))',
    '(folder / "model.yaml").write_text(yaml.dump(doc, Dumper=ManifestDumper, sort_keys=False, width=120))',
  ].join('\n');
  execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', script, dir], { env: { ...process.env, PYTHONPATH: join(ROOT, 'tools') } });
  return dir;
}

function editManifest(dir: string, edit: (doc: Record<string, any>) => void): void {
  const file = join(dir, 'model.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, any>;
  edit(doc);
  writeFileSync(file, stringify(doc));
}

describe('model folders with ONNX external data', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => {
    dir = externalCopy();
  });

  it('are real external data: most weights outside the graphs, the manifest lists each data file with its size and sha256', () => {
    const manifest = parse(readFileSync(join(dir, 'model.yaml'), 'utf8'));
    for (const g of GRAPHS) {
      const file = `${manifest.graphs[g].file}`;
      assert.deepEqual(externalDataLocations(readFileSync(join(dir, file))), [`${file}.data`]);
      assert.deepEqual(manifest.graphs[g].external_data, [{ file: `${file}.data`, bytes: statSync(join(dir, `${file}.data`)).size, sha256: sha256File(join(dir, `${file}.data`)) }]);
      assert.ok(statSync(join(dir, file)).size < statSync(join(dir, `${file}.data`)).size, `${file} still holds most of its weights`);
      assert.deepEqual(externalDataLocations(readFileSync(join(TWINVLA_TINY, file))), [], `the inline ${file} names no external data`);
    }
  });

  it('predict the same chunk as the same model stored inline', async () => {
    const inline = await Policy.create(TWINVLA_TINY, quiet);
    const external = await Policy.create(dir, quiet);
    const obs = { ...inline.neutralObservation(), instruction: 'hand over the red block' };
    const a = await inline.predict(obs, { seed: 7 });
    const b = await external.predict(obs, { seed: 7 });
    assert.deepEqual(b.actions, a.actions);
    assert.deepEqual(b.normalized, a.normalized);
    await inline.release();
    await external.release();
  });

  it('pass `twinvla predict --fixture` run from another working directory', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'twinvla-cwd-'));
    const out = execFileSync('node', [join(ROOT, 'bin', 'twinvla.js'), 'predict', '--model', dir, '--fixture', '--providers', 'cpu'], { cwd: elsewhere, encoding: 'utf8' });
    const m = /max_abs_error=(\S+)\s*$/.exec(out);
    assert.ok(m, out);
    assert.ok(Number(m[1]) <= 1e-4, out);
  });

  it('are named by `twinvla inspect`, with the size of each data file', () => {
    const out = execFileSync('node', [join(ROOT, 'bin', 'twinvla.js'), 'inspect', dir], { encoding: 'utf8' });
    const gb = (f: string) => (statSync(join(dir, f)).size / 1e9).toFixed(2);
    assert.match(out, new RegExp(`encoder\\.onnx sha256 [0-9a-f]{16}\\.\\.\\., weights in encoder\\.onnx\\.data \\(${gb('encoder.onnx.data')} GB\\)`));
    assert.match(out, new RegExp(`denoiser\\.onnx sha256 [0-9a-f]{16}\\.\\.\\., weights in denoiser\\.onnx\\.data \\(${gb('denoiser.onnx.data')} GB\\); x_t <- x_t`));
  });

  describe('refused', () => {
    it('a corrupted data file: sha256 mismatch, naming the file and both checksums', async () => {
      const d = copyModel(dir);
      const data = join(d, 'denoiser.onnx.data');
      const bytes = readFileSync(data);
      bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
      writeFileSync(data, bytes);
      const e = await rejection(Policy.create(d, quiet));
      assert.equal(e.code, 'MODEL_INTEGRITY');
      assert.equal(e.message, `${data}: sha256 mismatch: ${join(d, 'model.yaml')} expects ${sha256File(join(dir, 'denoiser.onnx.data'))}, the file (${bytes.length} bytes) has ${sha256File(data)}. The file is truncated, corrupted or from another export; copy the model folder again or re-export it.`);
    });

    it('a truncated data file, by its size', async () => {
      const d = copyModel(dir);
      const data = join(d, 'encoder.onnx.data');
      const size = statSync(data).size;
      truncateSync(data, size - 4096);
      const e = await rejection(Policy.create(d, quiet));
      assert.equal(e.code, 'MODEL_INTEGRITY');
      assert.equal(e.message, `${data}: ${size - 4096} bytes, ${join(d, 'model.yaml')} expects ${size} bytes, sha256 ${sha256File(join(dir, 'encoder.onnx.data'))}: the file is truncated or from another export; copy the model folder again (every file in it) or re-export it with tools/twinvla_tools/export.py.`);
    });

    it('a data file swapped for another graph\'s', async () => {
      const d = copyModel(dir);
      writeFileSync(join(d, 'denoiser_vjp.onnx.data'), readFileSync(join(d, 'denoiser.onnx.data')));
      const e = await rejection(Policy.create(d, quiet));
      assert.equal(e.code, 'MODEL_INTEGRITY');
      assert.match(e.message, /denoiser_vjp\.onnx\.data: \d+ bytes, .*model\.yaml expects \d+ bytes, sha256 [0-9a-f]{64}: the file is truncated or from another export/);
    });

    it('a missing data file, saying it belongs to the folder', async () => {
      const d = copyModel(dir);
      rmSync(join(d, 'encoder.onnx.data'));
      const e = await rejection(Policy.create(d, quiet));
      assert.equal(e.code, 'MODEL_FILE');
      assert.match(e.message, new RegExp(`^${join(d, 'encoder.onnx.data').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is missing: .*encoder\\.onnx keeps its weights in it \\(ONNX external data; .*model\\.yaml expects \\d+ bytes, sha256 [0-9a-f]{64}\\)\\. The \\.onnx\\.data files belong to the model folder: copy the model folder again`));
    });

    it('a manifest that does not list a data file the graph reads', async () => {
      const d = copyModel(dir);
      editManifest(d, (doc) => { delete doc.graphs.denoiser.external_data; });
      const e = await rejection(Policy.create(d, quiet));
      assert.equal(e.code, 'MODEL_INTEGRITY');
      assert.equal(e.message, `${join(d, 'denoiser.onnx')}: the graph keeps weights in denoiser.onnx.data (ONNX external data), which ${join(d, 'model.yaml')} does not list under graphs.denoiser.external_data, so they cannot be checked and the model is refused. Re-export the model folder with tools/twinvla_tools/export.py (it lists every external-data file with its sha256 and size).`);
    });

    it('a manifest that lists a data file the graph does not read', async () => {
      const d = copyModel(dir);
      editManifest(d, (doc) => { doc.graphs.encoder.external_data.push(doc.graphs.denoiser.external_data[0]); });
      const e = await rejection(Policy.create(d, quiet));
      assert.equal(e.code, 'MODEL_INTEGRITY');
      assert.match(e.message, /model\.yaml: graphs\.encoder\.external_data lists denoiser\.onnx\.data, which .*encoder\.onnx does not use: the manifest and the graph are from different exports/);
    });

    it('external_data entries that are malformed or point outside the folder, all named at once', async () => {
      const d = copyModel(dir);
      editManifest(d, (doc) => {
        doc.graphs.encoder.external_data[0].file = '../elsewhere/encoder.onnx.data';
        doc.graphs.denoiser.external_data[0].sha256 = 'ABC';
        delete doc.graphs.denoiser_vjp.external_data[0].bytes;
      });
      const e = await rejection(Policy.create(d, quiet));
      assert.equal(e.code, 'MODEL_MANIFEST');
      assert.match(e.message, /3 problem\(s\)/);
      assert.match(e.message, /graphs\.encoder\.external_data\.0\.file: expected a path inside the model folder, relative to it, found "\.\.\/elsewhere\/encoder\.onnx\.data"/);
      assert.match(e.message, /graphs\.denoiser\.external_data\.0\.sha256: expected 64 lowercase hex digits \(a sha256\), found "ABC"/);
      assert.match(e.message, /graphs\.denoiser_vjp\.external_data\.0\.bytes: expected an integer >= 0, found nothing \(the field is missing\)/);
    });
  });

  it('externalDataLocations gives up (null) on bytes that are not a protobuf, leaving the verdict to ONNX Runtime', () => {
    assert.equal(externalDataLocations(new Uint8Array([0x0a, 0xff, 0xff, 0xff])), null);
    assert.equal(externalDataLocations(new Uint8Array([0x3a, 0x05, 0x01])), null);
    assert.deepEqual(externalDataLocations(new Uint8Array(0)), []);
  });
});
