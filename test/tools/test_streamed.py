"""The streamed export (streamed.py: traced over untouched storage, weights written one tensor at a
time into external data) against the in-memory export, on a run folder in the authors' layout."""
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from twinvla_tools.checkpoint import open_mapped, read_state_dict
from twinvla_tools.export import export, parser
from twinvla_tools.session_config import of_manifest, session_options
from twinvla_tools.streamed import SeededWeights, parameters_on_meta
from twinvla_tools.families import family
from twinvla_tools.tokenizer import build_tokenizer
from test_twinbrainvla_authors import RUN_SIZES, authors_run_folder


def run_graphs(folder: Path, feed: dict, x_t: np.ndarray) -> dict:
    import onnxruntime as ort
    import yaml
    so = session_options(ort, of_manifest(yaml.safe_load((folder / "model.yaml").read_text())))
    enc = ort.InferenceSession(str(folder / "encoder.onnx"), so, providers=["CPUExecutionProvider"])
    kv, st = enc.run(["readout_kv", "state_token"], feed)
    den = ort.InferenceSession(str(folder / "denoiser.onnx"), so, providers=["CPUExecutionProvider"])
    v = den.run(["velocity"], {"x_t": x_t, "t": np.array([0.25], np.float32), "readout_kv": kv, "state_token": st})[0]
    return {"readout_kv": kv, "state_token": st, "velocity": v}


def fixture_feed(folder: Path) -> tuple[dict, np.ndarray]:
    import base64, json
    fx = json.loads((folder / "fixtures" / "fixture.json").read_text())
    arr = lambda d: np.asarray(d["data"], np.float32 if d["dtype"] == "float32" else np.int64).reshape(d["shape"])
    feed = {k: np.frombuffer(base64.b64decode(v["base64"]), np.uint8).reshape(v["shape"])
            for k, v in fx["inputs"]["images"].items()}
    feed.update({k: arr(v)[None] for k, v in fx["expected"]["input_ids"].items()})
    feed["state"] = arr(fx["expected"]["state_normalized"])[None]
    return feed, arr(fx["inputs"]["x_t"])


def exported(tmp_path, run, name, *extra):
    out = tmp_path / name
    export(parser().parse_args(["--family", "twinbrainvla", "--run", str(run), "--out", str(out), "--seed", "0", *extra]))
    return out


@pytest.mark.parametrize("size", [RUN_SIZES[0], RUN_SIZES[3]], ids=["qwen25", "qwen3"])
def test_streamed_graphs_compute_what_the_in_memory_export_computes(tmp_path, capsys, size):
    """fp32 storage and bf16 storage (the checkpoint is bf16: widened, the same values) within 1e-5 of
    the normal export on the same inputs; every tensor of the checkpoint used; the weights outside the
    .onnx, in <graph>.onnx.data; no fixture (it needs the PyTorch model in memory)."""
    run = authors_run_folder(tmp_path, size[1], size)
    ref = exported(tmp_path, run, "ref")
    feed, x_t = fixture_feed(ref)
    want = run_graphs(ref, feed, x_t)
    for stored in ("fp32", "bf16"):
        out = exported(tmp_path, run, stored, "--stream-weights", stored)
        assert "0 missing, 0 unexpected, 0 with another shape" in capsys.readouterr().err
        got = run_graphs(out, feed, x_t)
        for k in want:
            assert got[k].shape == want[k].shape
            assert np.abs(got[k] - want[k]).max() <= 1e-5, (stored, k, np.abs(got[k] - want[k]).max())
        assert not (out / "fixtures" / "fixture.json").exists()
        m = onnx.load(str(out / "encoder.onnx"), load_external_data=False)
        assert m.graph.initializer and all(t.data_location == onnx.TensorProto.EXTERNAL for t in m.graph.initializer
                                           if t.name.startswith("model.qwen_vl_interface"))
        kinds = {t.data_type for t in m.graph.initializer if "language_model.layers" in t.name}
        assert kinds == {onnx.TensorProto.BFLOAT16 if stored == "bf16" else onnx.TensorProto.FLOAT}
        assert not any(i.name.startswith("model.") for i in m.graph.input)
        assert (out / "encoder.onnx.data").stat().st_size > (out / "encoder.onnx").stat().st_size


def test_bf16_storage_widens_embeddings_after_the_gather(tmp_path):
    """A table is read row by row: the Cast follows the Gather (one row widened, not the vocabulary)."""
    run = authors_run_folder(tmp_path)
    out = exported(tmp_path, run, "bf16", "--stream-weights", "bf16")
    g = onnx.load(str(out / "encoder.onnx"), load_external_data=False).graph
    tables = [t.name for t in g.initializer if t.name.endswith("embed_tokens.weight::bf16")]
    assert len(tables) == 2
    producer = {o: n for n in g.node for o in n.output}
    for table in tables:
        readers = [n for n in g.node if table in n.input]
        assert readers and all(n.op_type == "Gather" for n in readers)
        for n in readers:
            widen = [c for c in g.node if n.output[0] in c.input]
            assert [c.op_type for c in widen] == ["Cast"] and producer[n.output[0]] is n


def test_fp16_compute_is_the_gpu_variant_within_half_precision(tmp_path):
    run = authors_run_folder(tmp_path)
    ref = exported(tmp_path, run, "ref")
    feed, x_t = fixture_feed(ref)
    want = run_graphs(ref, feed, x_t)
    out = exported(tmp_path, run, "fp16", "--stream-weights", "bf16", "--stream-compute", "fp16")
    g = onnx.load(str(out / "denoiser.onnx"), load_external_data=False).graph
    assert {t.data_type for t in g.initializer if t.name.startswith("model.action_model")} == {onnx.TensorProto.FLOAT16}
    assert [i.type.tensor_type.elem_type for i in g.input] == [onnx.TensorProto.FLOAT] * 4
    got = run_graphs(out, feed, x_t)
    scale = max(float(np.abs(want["velocity"]).max()), 1.0)
    assert np.abs(got["velocity"] - want["velocity"]).max() <= 2e-2 * scale


def test_random_weights_are_drawn_per_tensor_from_the_seed(tmp_path):
    """Any tensor alone gives the same values as in any order (the export writes them in graph order);
    norm scales 1, biases 0, matrices N(0, 0.02); buffers are the model's own."""
    tok = build_tokenizer()
    with parameters_on_meta():
        model = family("twinbrainvla").build("tiny", tok)
    keys = list(model.state_dict())
    a, b = SeededWeights(model, 7), SeededWeights(model, 7)
    w = "qwen_vl_interface.trainable_vlm.model.model.language_model.layers.0.mlp.up_proj.weight"
    first = a(w)
    for k in reversed(keys):
        b(k)
    assert torch.equal(b(w), first) and not torch.equal(SeededWeights(model, 8)(w), first)
    assert abs(float(first.std()) - 0.02) < 0.002
    norm = "qwen_vl_interface.frozen_vlm.model.model.language_model.norm.weight"
    assert torch.equal(a(norm), torch.ones_like(a(norm)))
    assert torch.equal(a(w.replace("mlp.up_proj.weight", "self_attn.q_proj.bias")), torch.zeros(64))
    pe = next(k for k in keys if k.endswith("pos_embed.pe"))
    assert torch.equal(a(pe), model.state_dict()[pe])


def test_random_weights_export_without_a_checkpoint_and_refuse_one(tmp_path, capsys):
    run = authors_run_folder(tmp_path)
    out = exported(tmp_path, run, "random", "--stream-weights", "bf16", "--random-weights")
    assert "weights streamed" in capsys.readouterr().out
    import yaml
    doc = yaml.safe_load((out / "model.yaml").read_text())
    assert doc["provenance"]["source_checkpoint"] is None
    with pytest.raises(SystemExit, match="--random-weights"):
        exported(tmp_path, run, "both", "--stream-weights", "bf16", "--random-weights", "--checkpoint",
                 str(next((run / "checkpoints").glob("steps_5_*"))))
    with pytest.raises(SystemExit, match="--random-weights"):
        exported(tmp_path, run, "plain", "--random-weights")


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_a_mapped_checkpoint_holds_the_saved_tensors(tmp_path, suffix):
    """open_mapped reads nothing until a tensor is used, and then the saved values (bf16 and fp32)."""
    from safetensors.torch import save_file
    sd = {"a.weight": torch.randn(3, 5).to(torch.bfloat16), "b.bias": torch.randn(7), "c.empty": torch.zeros(0)}
    path = tmp_path / f"ckpt{suffix}"
    (save_file if suffix == ".safetensors" else torch.save)(sd, str(path))
    mapped = open_mapped(path)
    assert set(mapped) == set(sd)
    for k, v in sd.items():
        assert mapped[k].dtype == v.dtype and torch.equal(mapped[k], v)
    assert set(read_state_dict(path)) == set(mapped)


def test_a_streamed_export_refuses_what_it_cannot_write(tmp_path):
    """A tensor the checkpoint lacks (with --allow-partial) has no values to stream; --variant needs
    the graphs in memory."""
    run = authors_run_folder(tmp_path)
    ckpt = next((run / "checkpoints").glob("steps_5_*"))
    sd = torch.load(ckpt)
    missing = "qwen_vl_interface.trainable_vlm.model.model.language_model.norm.weight"
    del sd[missing]
    torch.save(sd, ckpt)
    with pytest.raises(SystemExit, match=f"has no {missing}"):
        exported(tmp_path, run, "partial", "--stream-weights", "fp32", "--allow-partial")
    with pytest.raises(SystemExit, match="--stream-compute fp16"):
        exported(tmp_path, run, "variant", "--stream-weights", "fp32", "--variant", "fp16")


@pytest.mark.parametrize("brains,hidden,heads,image,vocab", [("qwen2.5-vl-3b", 2048, 16, 224, 151665),
                                                             ("qwen3-vl-4b", 2560, 32, 256, 151669)])
def test_the_published_run_folders_read_back_at_the_published_dimensions(tmp_path, brains, hidden, heads, image, vocab):
    """What published_brain writes is a run folder the exporter reads: the base VLM's sizes, the
    released head, an image size its processor keeps, the base's vocabulary."""
    from tokenizers import Tokenizer
    from twinvla_tools.published_brain import folder
    from twinvla_tools.twinbrainvla_config import read_run_folder
    cfg, _, vlm = read_run_folder(folder(tmp_path, brains))
    assert (cfg.text.hidden_size, cfg.text.num_hidden_layers, cfg.text.num_attention_heads) == (hidden, 36, heads)
    assert (cfg.head.num_layers, cfg.head.output_dim, cfg.head.input_embedding_dim) == (16, 2560, 768)
    assert cfg.image_size == image and cfg.head.num_inference_timesteps == 4
    assert Tokenizer.from_file(str(vlm / "tokenizer.json")).get_vocab_size() == vocab


def test_measure_reports_the_peak_and_stops_a_process_past_its_limit(capsys):
    import json, sys
    from twinvla_tools.published_brain import measure
    hold = "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep({})"
    assert measure([sys.executable, "-c", hold.format(1)], limit_gib=4) == 0
    done = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert done["peak_rss_anon_gib"] >= 0.29 and done["stopped_at_limit_gib"] is None
    assert measure([sys.executable, "-c", hold.format(60)], limit_gib=0.1) == -9  # SIGKILL, not the sleep's end
    stopped = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert stopped["stopped_at_limit_gib"] == 0.1 and stopped["exit"] == -9


def test_the_manifest_s_session_config_keeps_the_weights_narrow_when_onnx_runtime_loads_them(tmp_path):
    """A streamed export's manifest states the ONNX Runtime settings it needs (runtime.session_config,
    configuration entries and the optimisation level, as the TypeScript runtime passes them); with them
    the bf16 weights stay bf16 behind their Casts in the graph ONNX Runtime runs. ONNX Runtime's
    defaults fold the Casts of whole weights, widening every one at load. An in-memory export states
    none (its graphs hold fp32 weights)."""
    import onnxruntime as ort
    import yaml
    run = authors_run_folder(tmp_path)
    out = exported(tmp_path, run, "bf16", "--stream-weights", "bf16")
    doc = yaml.safe_load((out / "model.yaml").read_text())
    assert doc["runtime"] == {"session_config": {"graph_optimization_level": "basic", "entries": {
        "session.disable_prepacking": "1", "optimization.disable_specified_optimizers": "ConstantFolding"}}}
    assert list(doc)[-2:] == ["runtime", "provenance"]
    assert of_manifest(yaml.safe_load((exported(tmp_path, run, "ref") / "model.yaml").read_text())) is None

    def loaded_graph(so):
        so.optimized_model_filepath = str(tmp_path / "loaded.onnx")
        ort.InferenceSession(str(out / "encoder.onnx"), so, providers=["CPUExecutionProvider"])
        return onnx.load(str(tmp_path / "loaded.onnx"), load_external_data=False).graph

    def widened(g):
        return sum(1 for n in g.node if n.op_type == "Cast" and n.name.endswith("::widen"))

    wanted = widened(onnx.load(str(out / "encoder.onnx"), load_external_data=False).graph)
    assert wanted > 100
    assert widened(loaded_graph(session_options(ort, of_manifest(doc)))) == wanted
    # Defaults: only the two Casts behind the embedding Gathers remain (their rows depend on the prompt).
    assert widened(loaded_graph(session_options(ort, None))) == 2


def computed(fixture: dict) -> dict:
    """A fixture's computed values by name: the encoder outputs, one velocity, the sampled chunk."""
    exp = fixture["expected"]
    arr = lambda d: np.asarray(d["data"], np.float64).reshape(d["shape"])  # noqa: E731
    return {**{f"conditioning.{k}": arr(v) for k, v in exp["conditioning"].items()},
            "velocity": arr(exp["velocity"]), "chunk_normalized": arr(exp["chunk_normalized"])}


def test_a_twinvla_checkpoint_streams_to_the_graphs_the_in_memory_export_writes(tmp_path, capsys):
    """The streamed path is family-independent: a TwinVLA checkpoint (bf16, as the authors' are saved)
    exported with --stream-weights fp32 and bf16 computes what the in-memory export of the same
    checkpoint computes: within 1e-5 on the same inputs (encoder outputs, one velocity, the sampled
    chunk, each run by ort_fixture.py with the folder's session settings); every tensor used; the
    weights stored as asked."""
    import yaml
    from twinvla_tools.ort_fixture import ort_fixture
    tok = build_tokenizer()
    torch.manual_seed(4)
    model = family("twinvla").build("tiny", tok)
    ckpt = tmp_path / "twin.pt"
    torch.save({k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in model.state_dict().items()}, ckpt)

    def export_twin(name, *extra):
        out = tmp_path / name
        export(parser().parse_args(["--family", "twinvla", "--preset", "tiny", "--checkpoint", str(ckpt), "--out",
                                    str(out), "--seed", "0", *extra]))
        return out

    ref = ort_fixture(export_twin("ref"), 0)
    want = computed(ref)
    for stored in ("fp32", "bf16"):
        out = export_twin(stored, "--stream-weights", stored)
        assert "0 missing, 0 unexpected, 0 with another shape" in capsys.readouterr().err
        assert yaml.safe_load((out / "model.yaml").read_text())["runtime"]["session_config"]["graph_optimization_level"] == "basic"
        fixture = ort_fixture(out, 0)
        assert fixture["inputs"] == ref["inputs"]
        for k, v in computed(fixture).items():
            assert v.shape == want[k].shape and np.abs(v - want[k]).max() <= 1e-5, (stored, k, np.abs(v - want[k]).max())
        m = onnx.load(str(out / "encoder.onnx"), load_external_data=False)
        weights = {t.data_type for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL}
        assert weights == {onnx.TensorProto.BFLOAT16 if stored == "bf16" else onnx.TensorProto.FLOAT}
