"""The denoiser's VJP graph (real-time chunking's soft guidance) against PyTorch's autograd."""
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
import yaml

from twinvla_tools.families import DenoiserGraph
from twinvla_tools.vjp_graph import check_same_weights, rebuild, reference_vjp

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["twinvla-tiny", "twinbrainvla-tiny"])
def test_committed_vjp_graph_is_the_denoisers_vector_jacobian_product(name):
    folder = ROOT / "models" / name
    model = rebuild(folder)
    assert check_same_weights(model, folder) < 1e-4
    doc = yaml.safe_load((folder / "model.yaml").read_text())
    den, vjp = doc["graphs"]["denoiser"], doc["graphs"]["denoiser_vjp"]
    sess = ort.InferenceSession(str(folder / vjp["file"]), providers=["CPUExecutionProvider"])
    shapes = {i.name: i.shape for i in sess.get_inputs()}
    g = torch.Generator().manual_seed(5)
    for batch in (1, 2, 3):
        args = {}
        for n, shape in shapes.items():
            s = [batch if isinstance(d, str) else d for d in shape]
            args[n] = torch.rand(s, generator=g) if n == den["inputs"]["t"] else torch.randn(s, generator=g)
        cond = [args[c] for c in den["conditioning"]]
        want = reference_vjp(DenoiserGraph(model).eval(), args["x_t"], args["t"], cond, args[vjp["cotangent"]])
        got = sess.run([vjp["output"]], {k: v.numpy() for k, v in args.items()})[0]
        assert np.abs(got - want).max() < 1e-4, f"batch {batch}"


def test_a_large_denoisers_vjp_graph_keeps_its_weights_in_external_data(tmp_path, monkeypatch):
    """Past vjp_graph.INLINE_LIMIT of weights (set to 0 here; 1 GiB normally) the graph keeps them in
    denoiser_vjp.onnx.data, listed in the manifest with its size and sha256, the small tensors inline
    (ONNX Runtime reads shape constants while building the graph); it computes what the inline graph
    computes. Written again below the limit, it is inline and the data file is gone."""
    import onnx
    from onnx.external_data_helper import uses_external_data
    from twinvla_tools import vjp_graph
    from twinvla_tools.external_data import sha256
    folder = tmp_path / "m"
    shutil.copytree(ROOT / "models" / "twinvla-tiny", folder)
    monkeypatch.setattr(vjp_graph, "INLINE_LIMIT", 0)
    vjp_graph.main(["--model", str(folder)])
    entry = yaml.safe_load((folder / "model.yaml").read_text())["graphs"]["denoiser_vjp"]
    data = folder / "denoiser_vjp.onnx.data"
    assert entry == {"file": "denoiser_vjp.onnx", "sha256": sha256(folder / "denoiser_vjp.onnx"),
                     "external_data": [{"file": data.name, "bytes": data.stat().st_size, "sha256": sha256(data)}],
                     "cotangent": "cotangent", "output": "vjp"}
    assert sorted(p.name for p in folder.glob("denoiser_vjp*")) == ["denoiser_vjp.onnx", "denoiser_vjp.onnx.data"]
    m = onnx.load(str(folder / "denoiser_vjp.onnx"), load_external_data=False)
    outside = [t for t in m.graph.initializer if uses_external_data(t)]
    assert outside and data.stat().st_size > (folder / "denoiser_vjp.onnx").stat().st_size
    # onnx compares sys.getsizeof(raw_data), 33 bytes over the data, with its 1 KiB threshold
    assert all(int({e.key: e.value for e in t.external_data}["length"]) >= 1024 - 33 for t in outside)
    assert any(not uses_external_data(t) for t in m.graph.initializer)  # the shape constants
    inline = ort.InferenceSession(str(ROOT / "models" / "twinvla-tiny" / "denoiser_vjp.onnx"), providers=["CPUExecutionProvider"])
    external = ort.InferenceSession(str(folder / "denoiser_vjp.onnx"), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(3)
    feed = {i.name: (torch.rand if i.name == "t" else torch.randn)([2 if isinstance(d, str) else d for d in i.shape], generator=g).numpy()
            for i in inline.get_inputs()}
    assert np.abs(external.run(["vjp"], feed)[0] - inline.run(["vjp"], feed)[0]).max() <= 1e-6
    monkeypatch.setattr(vjp_graph, "INLINE_LIMIT", vjp_graph.PROTOBUF_LIMIT // 2)
    vjp_graph.main(["--model", str(folder)])
    assert "external_data" not in yaml.safe_load((folder / "model.yaml").read_text())["graphs"]["denoiser_vjp"]
    assert not data.exists()
