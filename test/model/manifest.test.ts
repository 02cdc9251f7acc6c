import { strict as assert } from 'node:assert';
import { readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { loadManifest, parseManifest } from '../../src/model/manifest.js';
import { Policy } from '../../src/model/policy.js';
import { sha256File } from '../../src/model/integrity.js';
import { MemoryLogger } from '../../src/log.js';
import { copyModel, editedModel, rejection, thrown, TWINBRAINVLA_TINY, TWINVLA_TINY } from '../helpers.js';

const quiet = { providers: ['cpu' as const], warmupRuns: 0, logger: new MemoryLogger() };

describe('model manifest', () => {
  it('parses without the file system: the referenced files are checked through the function passed in', () => {
    const doc: unknown = parse(readFileSync(join(TWINVLA_TINY, 'model.yaml'), 'utf8'));
    const asked: string[] = [];
    const m = parseManifest(doc, '/nowhere/model', '/nowhere/model/model.yaml', (path) => { asked.push(path); return true; });
    assert.equal(m.name, loadManifest(TWINVLA_TINY).name);
    assert.equal(m.dir, '/nowhere/model');
    assert.deepEqual(asked, ['/nowhere/model/tokenizer.json', '/nowhere/model/encoder.onnx', '/nowhere/model/denoiser.onnx', '/nowhere/model/denoiser_vjp.onnx']);
    const e = thrown(() => parseManifest(doc, '/nowhere/model', '/nowhere/model/model.yaml', (path) => !path.endsWith('encoder.onnx')));
    assert.equal(e.code, 'MODEL_MANIFEST');
    assert.match(e.message, /^\/nowhere\/model\/model\.yaml: 1 problem\(s\) in the model manifest:\n {2}- graphs\.encoder\.file: expected a file inside \/nowhere\/model, found "?encoder\.onnx \(no such file\)/);
  });

  it('reads both bundled manifests into the contract', () => {
    const a = loadManifest(TWINVLA_TINY);
    assert.equal(a.family, 'twinvla');
    assert.deepEqual(a.cameras.map((c) => c.role), ['head', 'left_wrist', 'right_wrist']);
    assert.equal(a.action.horizon, 20);
    assert.equal(a.flow.noiseTime, 1);
    assert.equal(a.flow.steps, 10);
    assert.deepEqual(a.flow.guidance, { scale: 1.5, clamp: 5, clampTarget: 'sample', appliesAbove: 1, nullConditioning: { cond: 'cond_null' } });
    assert.equal(a.action.normalization.eps, 1e-6);
    assert.deepEqual(a.action.normalization.round, new Array(20).fill(false));
    const b = loadManifest(TWINBRAINVLA_TINY);
    assert.equal(b.family, 'twinbrainvla');
    assert.equal(b.action.horizon, 16);
    assert.equal(b.flow.noiseTime, 0);
    assert.equal(b.flow.guidance, null);
    assert.equal(b.action.normalization.clip, true);
    assert.deepEqual(b.prompt.inputs.map((i) => i.name), ['input_ids_left', 'input_ids_right']);
  });

  it('refuses a folder that does not exist, naming it', () => {
    const e = thrown(() => loadManifest('/nonexistent/model'));
    assert.equal(e.code, 'MODEL_FILE');
    assert.match(e.message, /model folder \/nonexistent\/model does not exist/);
  });

  it('refuses a folder without model.yaml', () => {
    const dir = copyModel(TWINVLA_TINY);
    rmSync(join(dir, 'model.yaml'));
    const e = thrown(() => loadManifest(dir));
    assert.equal(e.code, 'MODEL_FILE');
    assert.match(e.message, /model\.yaml is missing/);
  });

  it('refuses a manifest that is not YAML', () => {
    const dir = copyModel(TWINVLA_TINY);
    writeFileSync(join(dir, 'model.yaml'), 'family: [twinvla\n  horizon: : :\n');
    const e = thrown(() => loadManifest(dir));
    assert.equal(e.code, 'MODEL_MANIFEST');
    assert.match(e.message, /model\.yaml is not valid YAML/);
  });

  it('refuses a top-level list', () => {
    const dir = copyModel(TWINVLA_TINY);
    writeFileSync(join(dir, 'model.yaml'), '- a\n- b\n');
    assert.match(thrown(() => loadManifest(dir)).message, /expected a YAML mapping at the top, found a list/);
    writeFileSync(join(dir, 'model.yaml'), '# nothing yet\n');
    assert.equal(thrown(() => loadManifest(dir)).message, `${join(dir, 'model.yaml')}: expected a YAML mapping at the top, found an empty file. Re-export the model with tools/twinvla_tools/export.py, or correct the field by hand.`);
  });

  it('names an unknown family and the families it knows', () => {
    const dir = editedModel(TWINVLA_TINY, (d) => { d['family'] = 'pi0'; });
    const e = thrown(() => loadManifest(dir));
    assert.equal(e.code, 'MODEL_MANIFEST');
    assert.match(e.message, /family: expected one of "twinvla", "twinbrainvla", found "pi0"/);
    assert.match(e.message, /Re-export the model with tools\/twinvla_tools\/export\.py/);
  });

  it('reports every problem at once, each with its field', () => {
    const dir = editedModel(TWINVLA_TINY, (d) => {
      d['action']['horizon'] = -3;
      d['action']['dt'] = 0;
      d['flow']['steps'] = 2.5;
      d['state']['normalization']['q01'] = [0, 1];
    });
    const e = thrown(() => loadManifest(dir));
    assert.match(e.message, /4 problem\(s\)/);
    assert.match(e.message, /action\.horizon: expected an integer >= 1 and <= 10000, found -3/);
    assert.match(e.message, /action\.dt: expected a finite number > 0 and <= 10, found 0/);
    assert.match(e.message, /flow\.steps: expected an integer >= 1 and <= 1000, found 2\.5/);
    assert.match(e.message, /state\.normalization\.q01: expected a list of 20 finite numbers, found a list of 2/);
  });

  it('refuses a camera whose input the encoder does not have', () => {
    const dir = editedModel(TWINVLA_TINY, (d) => { d['cameras'][1]['input'] = 'image_wrist'; });
    assert.match(thrown(() => loadManifest(dir)).message,
      /cameras\.1\.input: expected one of graphs\.encoder\.inputs \(image_head, image_left_wrist, image_right_wrist, input_ids, state\), found "image_wrist"/);
  });

  it('refuses a null condition that names no encoder output', () => {
    const dir = editedModel(TWINVLA_TINY, (d) => { d['flow']['guidance']['null_conditioning'] = { cond: 'uncond' }; });
    assert.match(thrown(() => loadManifest(dir)).message, /flow\.guidance\.null_conditioning\.cond: expected one of graphs\.encoder\.outputs \(cond, cond_null\), found "uncond"/);
  });

  it('refuses a quantile range that is empty on a normalised dimension', () => {
    const dir = editedModel(TWINBRAINVLA_TINY, (d) => { d['action']['normalization']['q99'][0] = 0.1; });
    assert.match(thrown(() => loadManifest(dir)).message, /action\.normalization\.q99\[0\]: expected a value above q01\[0\] = 0\.1, found 0\.1/);
  });

  it('refuses a manifest whose graph file is missing', () => {
    const dir = copyModel(TWINVLA_TINY);
    rmSync(join(dir, 'denoiser.onnx'));
    assert.match(thrown(() => loadManifest(dir)).message, /graphs\.denoiser\.file: expected a file inside .*, found "denoiser\.onnx \(no such file\)"/);
  });

  it('refuses unknown keys at every level, naming each, the keys known there and a close match', () => {
    const dir = editedModel(TWINVLA_TINY, (d) => {
      d['flow']['stpes'] = 3;
      d['cameras'][2]['letterbx'] = true;
      d['graphs']['denoiser']['inputs']['cond'] = 'cond';
      d['horizon'] = 40;
    });
    const e = thrown(() => loadManifest(dir));
    assert.equal(e.code, 'MODEL_MANIFEST');
    assert.equal(e.message, `${join(dir, 'model.yaml')}: 4 problem(s) in the model manifest:
  - cameras.2.letterbx: expected one of the known keys here (role, input, height, width, resize, letterbox, encoding), found the unknown key "letterbx" (did you mean letterbox?)
  - flow.stpes: expected one of the known keys here (noise_time, guidance, steps), found the unknown key "stpes" (did you mean steps?)
  - graphs.denoiser.inputs.cond: expected one of the known keys here (x_t, t), found the unknown key "cond"
  - horizon: expected one of the known keys here (format, name, family, cameras, prompt, state, action, flow, graphs, runtime, provenance, image_normalization), found the unknown key "horizon"
Re-export the model with tools/twinvla_tools/export.py, or correct the field by hand.`);
  });

  it('accepts the keys the exporter writes for people and tools, and free names where names are data', () => {
    const dir = editedModel(TWINVLA_TINY, (d) => {
      d['provenance']['notes'] = { anything: [1, 2] };
      d['image_normalization']['comment'] = 'inside the graph';
      d['cameras'][0]['encoding'] = 'bgr8';
    });
    assert.equal(loadManifest(dir).name, 'twinvla-tiny');
  });

  it('refuses a template without {instruction}', () => {
    const dir = editedModel(TWINBRAINVLA_TINY, (d) => { d['prompt']['inputs'][1]['template'] = 'Action Query: '; });
    assert.match(thrown(() => loadManifest(dir)).message, /prompt\.inputs\.1\.template: expected a template containing \{instruction\}/);
  });
});

describe('model folder integrity', () => {
  it('refuses a truncated graph by name, with both checksums', async () => {
    const dir = copyModel(TWINVLA_TINY);
    const file = join(dir, 'encoder.onnx');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    const e = await rejection(Policy.create(dir, quiet));
    assert.equal(e.code, 'MODEL_INTEGRITY');
    assert.match(e.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: sha256 mismatch: .*model\\.yaml expects ${sha256File(join(TWINVLA_TINY, 'encoder.onnx'))}`));
    assert.match(e.message, /truncated, corrupted or from another export/);
  });

  it('refuses graphs swapped between folders, even with matching checksums', async () => {
    // A TwinBrainVLA denoiser under a TwinVLA manifest whose checksum was updated by hand.
    const dir = copyModel(TWINVLA_TINY);
    copyFileSync(join(TWINBRAINVLA_TINY, 'denoiser.onnx'), join(dir, 'denoiser.onnx'));
    const manifest = join(dir, 'model.yaml');
    const text = readFileSync(manifest, 'utf8').replace(sha256File(join(TWINVLA_TINY, 'denoiser.onnx')), sha256File(join(dir, 'denoiser.onnx')));
    writeFileSync(manifest, text);
    const e = await rejection(Policy.create(dir, quiet));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.match(e.message, /denoiser\.onnx does not match .*model\.yaml/);
    assert.match(e.message, /input cond is missing \(the graph has x_t, t, readout_kv, state_token\)/);
  });

  it('refuses a tokenizer that is not JSON', async () => {
    const dir = copyModel(TWINVLA_TINY);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    const e = await rejection(Policy.create(dir, quiet));
    assert.equal(e.code, 'MODEL_FILE');
    assert.match(e.message, /tokenizer\.json: cannot read the tokenizer/);
  });
});
