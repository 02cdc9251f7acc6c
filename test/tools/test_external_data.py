"""ONNX external data in the tools (external_data.py): a graph past protobuf's 2 GB, which torch writes
with one external file per tensor, is gathered into one `<graph>.onnx.data` beside it, listed in the
manifest with its size and sha256, and carried through variants. Real graphs (twinvla-tiny's) saved the
way torch saves a big one stand in for the published sizes, which do not fit a test run."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import yaml
from onnx import numpy_helper

from twinvla_tools.export import ManifestDumper, export_variant
from twinvla_tools.external_data import gather, graph_entry, locations, save_with_external_data

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "models" / "twinvla-tiny"


def weights(path: Path) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}


def test_gather_puts_torchs_one_file_per_tensor_into_one_data_file(tmp_path):
    graph = tmp_path / "encoder.onnx"
    # What torch.onnx.export writes past 2 GB: each large tensor in a file named after it.
    onnx.save_model(onnx.load(str(TINY / "encoder.onnx")), str(graph), save_as_external_data=True,
                    all_tensors_to_one_file=False, size_threshold=1024)
    scattered = locations(onnx.load(str(graph), load_external_data=False))
    assert len(scattered) > 10
    assert sorted(gather(graph)) == sorted(scattered)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encoder.onnx", "encoder.onnx.data"]
    assert locations(onnx.load(str(graph), load_external_data=False)) == ["encoder.onnx.data"]
    before, after = weights(TINY / "encoder.onnx"), weights(graph)
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert gather(graph) == [], "gathering twice changes nothing"
    onnx.checker.check_model(str(graph))


def test_a_self_contained_graph_is_left_alone_and_its_entry_unchanged(tmp_path):
    shutil.copy(TINY / "denoiser.onnx", tmp_path / "denoiser.onnx")
    assert gather(tmp_path / "denoiser.onnx") == []
    doc = yaml.safe_load((TINY / "model.yaml").read_text())
    assert graph_entry(tmp_path, "denoiser.onnx") == {"file": "denoiser.onnx", "sha256": doc["graphs"]["denoiser"]["sha256"]}


def test_the_entry_lists_each_data_file_with_its_size_and_sha256(tmp_path):
    save_with_external_data(onnx.load(str(TINY / "denoiser.onnx")), tmp_path / "denoiser.onnx")
    data = tmp_path / "denoiser.onnx.data"
    assert graph_entry(tmp_path, "denoiser.onnx") == {
        "file": "denoiser.onnx", "sha256": hashlib.sha256((tmp_path / "denoiser.onnx").read_bytes()).hexdigest(),
        "external_data": [{"file": "denoiser.onnx.data", "bytes": data.stat().st_size,
                           "sha256": hashlib.sha256(data.read_bytes()).hexdigest()}]}


def test_a_variant_of_a_folder_with_external_data_keeps_it_and_loads_in_the_runtime(tmp_path):
    folder = tmp_path / "tiny-ext"
    shutil.copytree(TINY, folder)
    doc = yaml.safe_load((folder / "model.yaml").read_text())
    for g in ("encoder", "denoiser"):
        save_with_external_data(onnx.load(str(folder / f"{g}.onnx")), folder / f"{g}.onnx")
        doc["graphs"][g].update(graph_entry(folder, f"{g}.onnx"))
    (folder / "model.yaml").write_text(yaml.dump(doc, Dumper=ManifestDumper, sort_keys=False, width=120))
    out = export_variant(folder, "fp16")
    variant = yaml.safe_load((out / "model.yaml").read_text())
    for g in ("encoder", "denoiser"):
        assert variant["graphs"][g] == {**variant["graphs"][g], **graph_entry(out, f"{g}.onnx")}
        assert variant["graphs"][g]["external_data"][0]["file"] == f"{g}.onnx.data"
    r = subprocess.run(["node", str(ROOT / "bin" / "twinvla.js"), "predict", "--model", str(out), "--fixture",
                        "--providers", "cpu", "--tolerance", "1"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
