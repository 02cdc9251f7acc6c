"""ort_fixture.py: the fixture computed by onnxruntime from a model folder alone. On the shipped tiny
models, whose fixtures the exporter computed with PyTorch, it generates the same inputs and gets the
same outputs (within the exporter's own parity bound, 1e-4)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twinvla_tools.ort_fixture import ort_fixture

ROOT = Path(__file__).resolve().parents[2]


def arrays(node):
    """Every array of a fixture by its path, as float64 (uint8 images decoded)."""
    import base64
    out = {}

    def walk(n, path):
        if isinstance(n, dict) and "dtype" in n:
            raw = np.frombuffer(base64.b64decode(n["base64"]), np.uint8) if "base64" in n else np.asarray(n["data"])
            out[path] = raw.astype(np.float64).reshape(n["shape"])
        elif isinstance(n, dict):
            for k, v in n.items():
                walk(v, f"{path}.{k}")
        elif isinstance(n, list):
            for i, v in enumerate(n):
                walk(v, f"{path}.{i}")
    walk(node, "")
    return out


@pytest.mark.parametrize("name", ["twinvla-tiny", "twinbrainvla-tiny"])
def test_the_onnxruntime_fixture_matches_the_pytorch_one(name):
    folder = ROOT / "models" / name
    want = json.loads((folder / "fixtures" / "fixture.json").read_text())
    got = ort_fixture(folder, want["seed"])
    assert got["instruction"] == want["instruction"] and got["reference"].startswith("onnxruntime ")
    a, b = arrays(got), arrays(want)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].shape == b[k].shape, k
        if k.startswith(".inputs") or "input_ids" in k or "state_normalized" in k:
            assert np.array_equal(a[k], b[k]), k
        else:
            assert np.abs(a[k] - b[k]).max() <= 1e-4, (k, np.abs(a[k] - b[k]).max())


def test_it_refuses_to_replace_a_fixture_unless_asked(tmp_path):
    import shutil
    folder = tmp_path / "m"
    shutil.copytree(ROOT / "models" / "twinbrainvla-tiny", folder)
    before = (folder / "fixtures" / "fixture.json").read_text()
    cmd = [sys.executable, "-m", "twinvla_tools.ort_fixture", "--model", str(folder)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT / "tools")
    assert r.returncode == 1 and "exists (the exporter writes PyTorch's outputs there); pass --replace" in r.stderr
    assert (folder / "fixtures" / "fixture.json").read_text() == before
    r = subprocess.run([*cmd, "--replace"], capture_output=True, text=True, cwd=ROOT / "tools")
    assert r.returncode == 0, r.stderr
    assert json.loads((folder / "fixtures" / "fixture.json").read_text())["reference"].startswith("onnxruntime ")
