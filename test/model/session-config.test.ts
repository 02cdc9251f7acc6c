/**
 * A model's ONNX Runtime settings (`runtime.session_config`) reach its sessions. The model is a real
 * streamed export (tools/twinvla_tools/export.py --stream-weights bf16 --random-weights: weights
 * stored in bf16 in external data, each widened by a Cast where it is read), twinbrainvla-tiny's
 * size. With its manifest's settings the graph ONNX Runtime runs keeps every widening Cast (the
 * weights stay bf16 in memory, as the published-size graphs must on a 23 GiB machine); with ONNX
 * Runtime's defaults the Casts are folded at load, an fp32 copy of every weight kept. Bad settings are
 * refused by manifest file and field.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parse, stringify } from 'yaml';

import { MemoryLogger } from '../../src/log.js';
import { loadManifest } from '../../src/model/manifest.js';
import { Policy } from '../../src/model/policy.js';
import { sessionOptionsFor } from '../../src/model/providers.js';
import { copyModel, rejection, ROOT, thrown, TWINBRAINVLA_TINY } from '../helpers.js';

const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const quiet = { providers: ['cpu' as const], warmupRuns: 0, logger: new MemoryLogger() };
const STREAMED = {
  graph_optimization_level: 'basic',
  entries: { 'session.disable_prepacking': '1', 'optimization.disable_specified_optimizers': 'ConstantFolding' },
};

function python(script: string, ...args: string[]): string {
  return execFileSync(PYTHON, ['-c', script, ...args], { cwd: join(ROOT, 'tools'), env: { ...process.env, PYTHONPATH: join(ROOT, 'tools') } }).toString();
}

/** The Cast nodes the exporter put after bf16-stored weights (named <weight>::widen) in a graph. */
function widening(graph: string): number {
  return Number(python([
    'import sys, onnx',
    'g = onnx.load(sys.argv[1], load_external_data=False).graph',
    'print(sum(1 for n in g.node if n.op_type == "Cast" and n.name.endswith("::widen")))',
  ].join('\n'), graph));
}

function editManifest(dir: string, edit: (doc: Record<string, any>) => void): string {
  const file = join(dir, 'model.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, any>;
  edit(doc);
  writeFileSync(file, stringify(doc));
  return dir;
}

/** The problems loadManifest reports for `runtime` set to `runtime` in a copy of twinbrainvla-tiny. */
function refusal(runtime: unknown): string {
  const dir = editManifest(copyModel(TWINBRAINVLA_TINY), (doc) => { doc.runtime = runtime; });
  const e = thrown(() => loadManifest(dir));
  assert.equal(e.code, 'MODEL_MANIFEST');
  assert.ok(e.message.startsWith(`${join(dir, 'model.yaml')}: `), e.message);
  return e.message;
}

describe('the model\'s ONNX Runtime settings (runtime.session_config)', function () {
  this.timeout(180_000);
  let model = '';
  let fp16 = '';
  const exported = (...args: string[]): string => {
    const out = join(mkdtempSync(join(tmpdir(), 'twinvla-streamed-')), 'model');
    python('from twinvla_tools.export import export, parser; import sys; export(parser().parse_args(sys.argv[1:]))',
      '--family', 'twinbrainvla', '--preset', 'tiny', '--stream-weights', 'bf16', '--random-weights', '--seed', '0', '--out', out, ...args);
    return out;
  };
  before(() => {
    model = exported();
    fp16 = exported('--stream-compute', 'fp16');
  });

  it('are written by the exporter for a streamed export and read into the manifest', () => {
    assert.deepEqual(parse(readFileSync(join(model, 'model.yaml'), 'utf8')).runtime, { session_config: STREAMED });
    assert.deepEqual(loadManifest(model).runtime.sessionConfig, { graphOptimizationLevel: 'basic', entries: STREAMED.entries });
    const shown = execFileSync('node', [join(ROOT, 'bin', 'twinvla.js'), 'inspect', model], { encoding: 'utf8' });
    assert.match(shown, /\nruntime {4}ONNX Runtime graph optimisation basic, session\.disable_prepacking=1, optimization\.disable_specified_optimizers=ConstantFolding \(runtime\.session_config\)\n/);
    // Models without the field keep what the runtime always did.
    assert.deepEqual(loadManifest(TWINBRAINVLA_TINY).runtime.sessionConfig, { graphOptimizationLevel: 'all', entries: {} });
  });

  it('become the sessions\' options, beside the machine\'s own', () => {
    const options = sessionOptionsFor('cpu', { intraOpThreads: 2, spinning: true, model: loadManifest(model).runtime.sessionConfig });
    assert.deepEqual(options, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'basic',
      intraOpNumThreads: 2,
      extra: {
        session: { intra_op: { allow_spinning: '1' }, disable_prepacking: '1' },
        optimization: { disable_specified_optimizers: 'ConstantFolding' },
      },
    });
    assert.deepEqual(sessionOptionsFor('cpu'), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } });
  });

  it('keep every bf16 weight narrow in the graph ONNX Runtime loads; its defaults widen them', async () => {
    const encoder = join(model, 'encoder.onnx');
    const stored = widening(encoder);
    assert.ok(stored > 50, `${stored} widening Casts in the exported encoder`);
    const loaded = async (config: typeof STREAMED | null): Promise<number> => {
      const out = join(mkdtempSync(join(tmpdir(), 'twinvla-loaded-')), 'loaded.onnx');
      const base = sessionOptionsFor('cpu', config ? { model: loadManifest(model).runtime.sessionConfig } : {});
      const session = await ort.InferenceSession.create(encoder, { ...base, optimizedModelFilePath: out });
      await session.release();
      return widening(out);
    };
    assert.equal(await loaded(STREAMED), stored);
    // Only the two Casts behind the embedding Gathers survive folding (their rows depend on the prompt).
    assert.equal(await loaded(null), 2);
  });

  it('load the streamed model in the runtime, which predicts what ONNX Runtime\'s defaults predict', async () => {
    const withDefaults = editManifest(copyModel(model), (doc) => { delete doc.runtime; });
    const narrow = await Policy.create(model, quiet);
    const wide = await Policy.create(withDefaults, quiet);
    const obs = { ...narrow.neutralObservation(), instruction: 'hand over the red block' };
    const a = await narrow.predict(obs, { seed: 3 });
    const b = await wide.predict(obs, { seed: 3 });
    assert.ok(a.actions.length === 16 * 20 && a.actions.every(Number.isFinite));
    const most = Math.max(...a.normalized.map((v, i) => Math.abs(v - (b.normalized[i] ?? NaN))));
    assert.ok(most <= 1e-5, `normalised chunks differ by ${most}`);
    await narrow.release();
    await wide.release();
  });

  it('are passed by the runtime: the fp16 streamed variant loads and predicts on the CPU, which ONNX Runtime 1.23 refuses at its default level', async () => {
    const policy = await Policy.create(fp16, { ...quiet, warmupRuns: 1 });
    const chunk = await policy.predict({ ...policy.neutralObservation(), instruction: 'hand over the red block' }, { seed: 3 });
    assert.ok(chunk.actions.every(Number.isFinite));
    await policy.release();
    // Without its settings the `all` level's SimplifiedLayerNormFusion breaks on the casts the CPU
    // provider inserts around half-precision nodes (the reason the exporter asks for `basic`).
    const e = await rejection(Policy.create(editManifest(copyModel(fp16), (doc) => { delete doc.runtime; }), quiet));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.match(e.message, /^\S+encoder\.onnx: ONNX Runtime 1\.23\.2 read the graph but failed while optimising it at the graph optimisation level "all" \(.*SimplifiedLayerNormFusion.*\)\. The files match the manifest's checksums; the model's manifest sets the level its graphs need in runtime\.session_config/s);
    assert.doesNotMatch(e.message, /corrupt/);
  });

  it('give `twinvla predict --fixture` the chunk Python onnxruntime computes with them (ort_fixture.py: a streamed export has no PyTorch fixture)', () => {
    const dir = copyModel(model);
    python('import runpy, sys; sys.argv = ["ort_fixture", "--model", sys.argv[1]]; runpy.run_module("twinvla_tools.ort_fixture", run_name="__main__")', dir);
    const out = execFileSync('node', [join(ROOT, 'bin', 'twinvla.js'), 'predict', '--model', dir, '--fixture', '--providers', 'cpu', '--tolerance', '1e-6'], { encoding: 'utf8' });
    assert.match(out, /token ids match the Python tokenizer\n/);
    assert.match(out, /chunk_normalized {13}max abs error 0\.000e\+0\n/);
    assert.match(out, /\nmax_abs_error=\d\.\d{3}e-(?:[7-9]|\d\d)\n$/);
  });

  it('refuse an unknown entry, naming the manifest, the field and the nearest known entry', () => {
    const m = refusal({ session_config: { graph_optimization_level: 'basic', entries: { 'session.disable_prepacknig': '1' } } });
    assert.match(m, /1 problem\(s\)[^\n]*\n {2}- runtime\.session_config\.entries\["session\.disable_prepacknig"\]: expected one of the configuration entries the runtime knows \(session\.disable_prepacking, optimization\.disable_specified_optimizers, [^)]*\), found the unknown entry "session\.disable_prepacknig" \(did you mean session\.disable_prepacking\?\)/);
    // The spinning entry is the node's parameter, not the model's.
    assert.match(refusal({ session_config: { graph_optimization_level: 'all', entries: { 'session.intra_op.allow_spinning': '1' } } }), /entries\["session\.intra_op\.allow_spinning"\]: expected one of the configuration entries/);
  });

  it('refuse ill-typed values and levels, each by field', () => {
    const m = refusal({ session_config: { graph_optimization_level: 'fast', entries: { 'session.disable_prepacking': 1, 'optimization.disable_specified_optimizers': 'ConstantFolding;Gelu' } } });
    assert.match(m, /3 problem\(s\)/);
    assert.match(m, /- runtime\.session_config\.graph_optimization_level: expected one of "disabled", "basic", "extended", "all", found "fast"/);
    assert.match(m, /- runtime\.session_config\.entries\["session\.disable_prepacking"\]: expected the string "0" or "1" \(quoted in YAML\), found 1\n/);
    assert.match(m, /- runtime\.session_config\.entries\["optimization\.disable_specified_optimizers"\]: expected a comma-separated list of ONNX Runtime optimizer names, such as "ConstantFolding", found "ConstantFolding;Gelu"/);
    assert.match(refusal({ session_config: { graph_optimization_level: 'basic', entries: ['session.disable_prepacking'] } }), /- runtime\.session_config\.entries: expected a mapping, found a list of 1/);
    assert.match(refusal({ session_config: { graph_optimisation_level: 'basic' } }), /- runtime\.session_config\.graph_optimization_level: expected one of [^\n]*, found nothing[^\n]*\n {2}- runtime\.session_config\.graph_optimisation_level: expected one of the known keys here \(graph_optimization_level, entries\), found the unknown key "graph_optimisation_level" \(did you mean graph_optimization_level\?\)/);
    assert.match(refusal({ sessions: {} }), /- runtime\.session_config\.graph_optimization_level: expected one of/);
  });
});
