"""The exporter: onnxruntime (Python) against PyTorch on the exported graphs, at other prompt
lengths and batch sizes than the export traced; and regeneration of the committed tiny models."""
import hashlib
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
import yaml

from twinvla_tools.export import export, parser
from twinvla_tools.families import family, image_size, prompt_templates
from twinvla_tools.tokenizer import build_tokenizer

ROOT = Path(__file__).resolve().parents[2]


def run_export(tmp_path, name):
    return export(parser().parse_args(["--family", name, "--preset", "tiny", "--out", str(tmp_path / f"{name}-tiny"),
                                       "--name", f"{name}-tiny", "--seed", "0"]))


@pytest.fixture(scope="module", params=["twinvla", "twinbrainvla"])
def exported(request, tmp_path_factory):
    out = run_export(tmp_path_factory.mktemp("export"), request.param)
    torch.manual_seed(0)
    model = family(request.param).build("tiny", build_tokenizer()).eval()
    return request.param, out, model


def test_regenerates_the_committed_model_byte_for_byte(exported):
    name, out, _ = exported
    committed = ROOT / "models" / f"{name}-tiny"
    # denoiser_vjp.onnx (and the manifest's sha256 of it) is checked numerically in test_vjp_graph.py.
    for f in ["encoder.onnx", "denoiser.onnx", "tokenizer.json", "fixtures/fixture.json"]:
        assert hashlib.sha256((out / f).read_bytes()).digest() == hashlib.sha256((committed / f).read_bytes()).digest(), f


@torch.no_grad()
def test_encoder_matches_pytorch_at_other_prompt_lengths(exported):
    name, out, model = exported
    fam = family(name)
    prompts = prompt_templates(fam, model)
    sess = ort.InferenceSession(str(out / "encoder.onnx"), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(3)
    size = image_size(model)
    imgs = [torch.randint(0, 256, (1, size, size, 3), generator=g, dtype=torch.uint8) for _ in range(3)]
    state = torch.randn(1, 20, generator=g)
    for length in (1, 7, 40):
        ids = [torch.randint(10, 400, (1, length + k), generator=g) for k in range(len(prompts))]
        if name == "twinbrainvla":  # the readout is found by the action token's id, after the text
            queries = torch.full((1, model.cfg.action_queries), model.action_token)
            ids[1] = torch.cat([ids[1], queries, torch.randint(10, 400, (1, 5), generator=g)], dim=1)
        want = model.encode(*imgs, *ids, state)
        feed = dict(zip(["image_head", "image_left_wrist", "image_right_wrist", *prompts, "state"],
                        [x.numpy() for x in [*imgs, *ids, state]]))
        got = sess.run(list(fam.encoder_outputs), feed)
        for w, o in zip(want, got):
            assert np.abs(w.numpy() - o).max() < 1e-4


@torch.no_grad()
def test_denoiser_matches_pytorch_for_a_batch(exported):
    name, out, model = exported
    fam = family(name)
    manifest = yaml.safe_load((out / "model.yaml").read_text())
    sess = ort.InferenceSession(str(out / "denoiser.onnx"), providers=["CPUExecutionProvider"])
    shapes = {i.name: i.shape for i in sess.get_inputs()}
    g = torch.Generator().manual_seed(4)
    horizon = manifest["action"]["horizon"]
    x = torch.randn(3, horizon, 20, generator=g)
    t = torch.tensor([0.0, 0.5, 1.0])
    cond = {k: torch.randn(3, *shapes[k][1:], generator=g) for k in fam.conditioning}
    want = model.velocity(x, t, *cond.values())
    got = sess.run(["velocity"], {"x_t": x.numpy(), "t": t.numpy(), **{k: v.numpy() for k, v in cond.items()}})[0]
    assert got.shape == (3, horizon, 20)
    assert np.abs(want.numpy() - got).max() < 1e-4


def test_manifest_records_the_graph_checksums(exported):
    _, out, _ = exported
    manifest = yaml.safe_load((out / "model.yaml").read_text())
    for g in ("encoder", "denoiser"):
        entry = manifest["graphs"][g]
        assert entry["sha256"] == hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest()


def test_fixture_chunk_is_the_unnormalised_sample(exported):
    name, out, _ = exported
    fx = json.loads((out / "fixtures" / "fixture.json").read_text())
    m = yaml.safe_load((out / "model.yaml").read_text())
    norm = m["action"]["normalization"]
    y = np.asarray(fx["expected"]["chunk_normalized"]["data"], np.float32).reshape(-1, 20)
    if norm["clip"]:
        y = np.clip(y, -1, 1)
    if "binarize" in norm:  # TwinBrainVLA's gripper: 0 below 0.5, 1 from there
        y = np.where(norm["binarize"], (y >= 0.5).astype(np.float32), y)
    q01, q99, mask = (np.asarray(norm[k]) for k in ("q01", "q99", "mask"))
    want = np.where(mask, (y + 1) / 2 * (q99 - q01 + norm.get("eps", 1e-6)) + q01, y)
    assert np.abs(want - np.asarray(fx["expected"]["chunk"]["data"]).reshape(-1, 20)).max() < 1e-6
