/**
 * Model folders whose graphs are wrong though their checksums match (a broken export, or a file
 * replaced together with its sha256): a corrupt graph is named as corrupt, not as an execution
 * provider failure, and a graph whose output has another shape or type than the manifest implies is
 * refused at load, naming the graph, the output, the expected and the found shape.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

import { MemoryLogger } from '../../src/log.js';
import { sha256File } from '../../src/model/integrity.js';
import { Policy } from '../../src/model/policy.js';
import { copyModel, rejection, ROOT, TWINBRAINVLA_TINY, TWINVLA_TINY } from '../helpers.js';

const quiet = (warmupRuns = 0) => ({ providers: ['cuda' as const, 'cpu' as const], warmupRuns, logger: new MemoryLogger() });

/** A copy of `model` whose denoiser is rewritten by `edit` (Python, `m` the loaded onnx.ModelProto,
 * or bytes written as they are), its sha256 updated in the manifest. */
function withDenoiser(model: string, edit: string | ((bytes: Buffer) => Buffer)): { dir: string; file: string } {
  const dir = copyModel(model);
  const file = join(dir, 'denoiser.onnx');
  if (typeof edit === 'string') {
    const script = ['import sys, onnx', 'from onnx import helper, TensorProto', 'm = onnx.load(sys.argv[1])', edit, 'onnx.save(m, sys.argv[1])'].join('\n');
    execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', script, file]);
  } else {
    writeFileSync(file, edit(readFileSync(file)));
  }
  const manifest = parse(readFileSync(join(dir, 'model.yaml'), 'utf8'));
  manifest.graphs.denoiser.sha256 = sha256File(file);
  writeFileSync(join(dir, 'model.yaml'), stringify(manifest));
  return { dir, file };
}

/** The graph's output renamed, and `node` (applied to it) producing the output under its old name. */
const wrapOutput = (node: string, outputInfo: string) => [
  'out = m.graph.output[0]',
  'for n in m.graph.node:',
  '    n.output[:] = ["velocity_raw" if o == out.name else o for o in n.output]',
  `m.graph.node.append(${node})`,
  'm.graph.output.pop()',
  `m.graph.output.append(${outputInfo})`,
].join('\n');

/** The output reshaped to [batch, rows, -1], `rows` computed from the input t so that no shape
 * inference sees it: only a run tells the shape. */
const reshapedAtRun = (rows: number): string => [
  'from onnx import numpy_helper',
  'import numpy as np',
  'out = m.graph.output[0]',
  'for n in m.graph.node:',
  '    n.output[:] = ["velocity_raw" if o == out.name else o for o in n.output]',
  `m.graph.initializer.extend([numpy_helper.from_array(np.array([0.0], np.float32), "zero"), numpy_helper.from_array(np.array([${rows}.0], np.float32), "rows"), numpy_helper.from_array(np.array([-1], np.int64), "minus1")])`,
  'm.graph.node.extend([',
  '    helper.make_node("Shape", ["velocity_raw"], ["batch_dim"], start=0, end=1),',
  '    helper.make_node("ReduceMax", ["t"], ["t_max"], keepdims=1),',
  '    helper.make_node("Mul", ["t_max", "zero"], ["t_zero"]),',
  '    helper.make_node("Add", ["t_zero", "rows"], ["rows_f"]),',
  '    helper.make_node("Cast", ["rows_f"], ["rows_i"], to=TensorProto.INT64),',
  '    helper.make_node("Concat", ["batch_dim", "rows_i", "minus1"], ["new_shape"], axis=0),',
  '    helper.make_node("Reshape", ["velocity_raw", "new_shape"], [out.name])])',
  'm.graph.output.pop()',
  'm.graph.output.append(helper.make_tensor_value_info(out.name, TensorProto.FLOAT, ["batch", "rows", "columns"]))',
].join('\n');

describe('model folders with wrong graphs and matching checksums', function () {
  this.timeout(120_000);

  it('names a truncated graph as corrupt, not as a provider failure', async () => {
    const { dir, file } = withDenoiser(TWINVLA_TINY, (b) => b.subarray(0, b.length >> 1));
    const e = await rejection(Policy.create(dir, quiet()));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.equal(e.message, `${file}: the graph is corrupt: ONNX Runtime 1.23.2 cannot load it (Failed to load model because protobuf parsing failed.). Its sha256 matches the manifest, so the file was written broken or replaced together with its checksum; re-export the model folder with tools/twinvla_tools/export.py.`);
  });

  it('names an empty graph file and a graph that does not hold together as corrupt', async () => {
    const empty = withDenoiser(TWINVLA_TINY, () => Buffer.alloc(0));
    assert.match((await rejection(Policy.create(empty.dir, quiet()))).message, /denoiser\.onnx: the graph is corrupt: ONNX Runtime 1\.23\.2 cannot load it \(No graph was found in the protobuf\.\)/);
    const unknownOp = withDenoiser(TWINVLA_TINY, 'm.graph.node[3].op_type = "NoSuchOp"');
    const e = await rejection(Policy.create(unknownOp.dir, quiet()));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.match(e.message, /denoiser\.onnx: the graph is corrupt: ONNX Runtime 1\.23\.2 cannot load it \(This is an invalid model\. .*No Op registered for NoSuchOp with domain_version of 18\)\. Its sha256 matches the manifest/);
    const dangling = withDenoiser(TWINVLA_TINY, 'm.graph.node[3].input[0] = "nowhere"');
    assert.match((await rejection(Policy.create(dangling.dir, quiet()))).message, /denoiser\.onnx: the graph is corrupt: ONNX Runtime 1\.23\.2 cannot load it \(Invalid model\. Node input 'nowhere' is not a graph input, initializer, or output of a previous node\.\)/);
  });

  it('says, not "corrupt", when ONNX Runtime cannot build a graph whose shape tensors are all in external data', async () => {
    // The VJP graph saved with every tensor outside (size_threshold 0): its Reshape shapes are needed
    // while the graph is built, and ONNX Runtime does not read external data for them.
    const dir = copyModel(TWINVLA_TINY);
    const script = [
      'import sys, onnx, yaml',
      'from pathlib import Path',
      'from twinvla_tools.export import ManifestDumper',
      'from twinvla_tools.external_data import graph_entry',
      'f = Path(sys.argv[1])',
      'doc = yaml.safe_load((f / "model.yaml").read_text())',
      'file = doc["graphs"]["denoiser_vjp"]["file"]',
      'onnx.save_model(onnx.load(str(f / file)), str(f / file), save_as_external_data=True, all_tensors_to_one_file=True, location=file + ".data", size_threshold=0)',
      'doc["graphs"]["denoiser_vjp"].update(graph_entry(f, file))',
      '(f / "model.yaml").write_text(yaml.dump(doc, Dumper=ManifestDumper, sort_keys=False, width=120))',
    ].join('\n');
    execFileSync(join(ROOT, '.venv', 'bin', 'python'), ['-c', script, dir], { env: { ...process.env, PYTHONPATH: join(ROOT, 'tools') } });
    const e = await rejection(Policy.create(dir, quiet()));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.match(e.message, /^\S+denoiser_vjp\.onnx: ONNX Runtime 1\.23\.2 cannot build the graph: a small tensor it reads while building it \(a shape\) is stored in the external data file, not in the \.onnx \(.*Cannot parse data from external tensors.*\)\. The files match the manifest's checksums; save the graph with its small tensors inline, as tools\/twinvla_tools\/external_data\.py save_with_external_data does/);
    assert.doesNotMatch(e.message, /corrupt/);
  });

  it('says when a graph needs a newer ONNX Runtime', async () => {
    const { dir, file } = withDenoiser(TWINVLA_TINY, 'm.ir_version = 99');
    const e = await rejection(Policy.create(dir, quiet()));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.equal(e.message, `${file}: the graph needs a newer ONNX Runtime than this package's 1.23.2 (Unsupported model IR version: 99, max supported IR version: 11). Re-export it with the opset the exporter pins (tools/twinvla_tools/export.py), or update onnxruntime-node.`);
  });

  it('refuses at load a denoiser whose output has another shape, naming graph, output and both shapes', async () => {
    // TwinBrainVLA-tiny: horizon 16 x 20 action dims; the output transposed to [batch, 20, 16].
    const { dir, file } = withDenoiser(TWINBRAINVLA_TINY, wrapOutput(
      'helper.make_node("Transpose", ["velocity_raw"], [out.name], perm=[0, 2, 1])',
      'helper.make_tensor_value_info(out.name, TensorProto.FLOAT, ["batch", 20, 16])'));
    const e = await rejection(Policy.create(dir, quiet()));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.equal(e.message, `${file} does not match ${join(dir, 'model.yaml')}:\n  output velocity has shape [batch, 20, 16], the manifest implies [?, 16, 20]\nThe graph and the manifest come from different exports; re-export the model folder as a whole.`);
  });

  it('refuses at warm-up a denoiser whose output shape only a run can tell, and it comes back wrong', async () => {
    // Reshaped to [batch, 20, -1] with the 20 computed from the input t: no shape inference sees it.
    const { dir, file } = withDenoiser(TWINBRAINVLA_TINY, reshapedAtRun(20));
    const e = await rejection(Policy.create(dir, quiet(1)));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.equal(e.message, `${file}: output velocity came back as float32 [1, 20, 16], expected float32 [1, 16, 20]; the graph does not compute what its manifest describes. Re-export the model folder as a whole.`);
  });

  it('refuses a model whose graphs load but fail to run at warm-up, as the model\'s fault', async () => {
    // 16 x 20 values cannot be reshaped to 7 rows: ONNX Runtime fails inside the run.
    const { dir } = withDenoiser(TWINBRAINVLA_TINY, reshapedAtRun(7));
    const e = await rejection(Policy.create(dir, quiet(1)));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.match(e.message, /^model .*model: warm-up run 1 failed inside ONNX Runtime \(.*Reshape.*\); the graphs load but do not run on the inputs their manifest describes, so the model is refused\. Re-export the model folder as a whole\.$/);
  });

  it('refuses a denoiser whose output is not float32', async () => {
    const { dir, file } = withDenoiser(TWINVLA_TINY, wrapOutput(
      'helper.make_node("Cast", ["velocity_raw"], [out.name], to=TensorProto.FLOAT16)',
      'helper.make_tensor_value_info(out.name, TensorProto.FLOAT16, ["batch", 20, 20])'));
    const e = await rejection(Policy.create(dir, quiet()));
    assert.equal(e.code, 'MODEL_GRAPH');
    assert.equal(e.message, `${file} does not match ${join(dir, 'model.yaml')}:\n  output velocity holds float16, the runtime reads float32\nThe graph and the manifest come from different exports; re-export the model folder as a whole.`);
  });
});
