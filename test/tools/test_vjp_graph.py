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
