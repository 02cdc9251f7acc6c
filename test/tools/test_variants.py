"""Variants of an exported model (optimize.py, quantize.py, export --variant): the fused graphs match
PyTorch within the exporter's tolerance, run in the package's runtime (onnxruntime-node), keep the
contract's inputs and outputs, and their manifests name their own graphs and where they came from."""
import hashlib
import subprocess
from pathlib import Path

import onnx
import pytest
import yaml

from twinvla_tools.export import export, parser
from twinvla_tools.optimize import optimize

ROOT = Path(__file__).resolve().parents[2]
KINDS = ["cpu", "gpu", "fp16", "int8"]


@pytest.fixture(scope="module", params=["twinvla", "twinbrainvla"])
def variants(request, tmp_path_factory):
    """One tiny export per family with every variant, written by the exporter's --variant option."""
    name = request.param
    out = tmp_path_factory.mktemp("variants") / f"{name}-tiny"
    # Through the exporter's own parser, so a new option's default reaches this test too.
    export(parser().parse_args(["--family", name, "--preset", "tiny", "--out", str(out), "--name", f"{name}-tiny",
                                "--seed", "0", *[a for k in KINDS for a in ("--variant", k)]]))
    return out, {k: out.parent / f"{out.name}-{k}" for k in KINDS}


def manifest(folder: Path) -> dict:
    return yaml.safe_load((folder / "model.yaml").read_text())


def io_types(path: Path) -> list:
    g = onnx.load(str(path)).graph
    return [(v.name, v.type.tensor_type.elem_type) for v in [*g.input, *g.output]]


def ops(path: Path) -> set:
    return {n.op_type for n in onnx.load(str(path)).graph.node}


def predict_error(folder: Path) -> float:
    r = subprocess.run(["node", str(ROOT / "bin" / "twinvla.js"), "predict", "--model", str(folder), "--fixture",
                        "--tolerance", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return float(r.stdout.strip().splitlines()[-1].split("=")[1])


def test_manifests_name_their_graphs_and_their_origin(variants):
    src, outs = variants
    for kind, out in outs.items():
        doc, base = manifest(out), manifest(src)
        assert doc["name"] == f"{base['name']}-{kind}"
        v = doc["provenance"]["variant"]
        assert v["kind"] == kind and v["from"] == base["name"]
        for g in ("encoder", "denoiser"):
            assert doc["graphs"][g]["sha256"] == hashlib.sha256((out / f"{g}.onnx").read_bytes()).hexdigest()
            assert v["from_sha256"][g] == base["graphs"][g]["sha256"]
            assert doc["graphs"][g]["sha256"] != base["graphs"][g]["sha256"], f"{kind} {g}: graph unchanged"
            # The contract is unchanged: the same inputs and outputs with the same element types.
            assert io_types(out / f"{g}.onnx") == io_types(src / f"{g}.onnx")
        assert (out / "tokenizer.json").read_bytes() == (src / "tokenizer.json").read_bytes()
        assert (out / "fixtures" / "fixture.json").read_bytes() == (src / "fixtures" / "fixture.json").read_bytes()


@pytest.mark.parametrize("kind", ["cpu", "gpu"])
def test_fused_graphs_match_pytorch_within_1e4_in_both_runtimes(variants, kind):
    _, outs = variants
    out = outs[kind]
    v = manifest(out)["provenance"]["variant"]
    assert v["parity_max_abs_error"] <= 1e-4 and v["parity_tolerance"] == 1e-4
    # Residual add + RMS/layer norm fused into one contrib op in every graph.
    for g in ("encoder", "denoiser"):
        assert ops(out / f"{g}.onnx") & {"SkipLayerNormalization", "SkipSimplifiedLayerNormalization"}, g
    assert sum(v["fusions"]["encoder"].values()) > 0
    assert predict_error(out) <= 1e-4


def test_fp16_keeps_float32_at_the_boundary_and_halves_the_weights(variants):
    src, outs = variants
    out = outs["fp16"]
    m = onnx.load(str(out / "encoder.onnx"))
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in m.graph.initializer)
    assert (out / "encoder.onnx").stat().st_size < 0.6 * (src / "encoder.onnx").stat().st_size
    err = manifest(out)["provenance"]["variant"]["parity_max_abs_error"]
    assert 0 < err < 0.01
    assert predict_error(out) < 0.01


def test_int8_quantises_the_matmuls_and_runs_in_the_runtime(variants):
    src, outs = variants
    out = outs["int8"]
    for g in ("encoder", "denoiser"):
        assert "MatMulInteger" in ops(out / f"{g}.onnx"), g
    assert manifest(out)["provenance"]["variant"]["parity_max_abs_error"] > 0
    # The normalised chunk, not the final actions: TwinBrainVLA's gripper is thresholded at 0.5 to 0 / 1,
    # so int8 rounding near the threshold can flip it by exactly 1 without any numerical fault.
    r = subprocess.run(["node", str(ROOT / "bin" / "twinvla.js"), "predict", "--model", str(out), "--fixture",
                        "--tolerance", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("chunk_normalized"))
    assert float(line.split()[-1]) < 0.1, r.stdout


def test_refuses_to_overwrite_the_model_it_reads(variants):
    src, _ = variants
    with pytest.raises(SystemExit, match="--out must differ from the model folder"):
        optimize(src, src, "cpu")
