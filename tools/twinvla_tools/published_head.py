"""TwinBrainVLA's denoiser at the published dimensions (the released DiT-B head: 16 blocks, interleaved,
output 2560, cross-attending to a 2048-wide Qwen2.5-VL-3B readout), random weights: exported to ONNX
in fp32 and as an fp16 variant, then one denoising step run by ONNX Runtime on the CPU. Prints the
sizes, the time of that run and the process's peak memory.

    PYTHONPATH=tools .venv/bin/python -m twinvla_tools.published_head --out out/published-head

The two Qwen2.5-VL-3B brains (7.7 billion parameters the encoder graph would hold: 28.6 GiB in fp32,
14.3 GiB in fp16) do not fit this exporter's in-memory tracing on a 24 GB machine shared by others;
the head is the graph that runs at every Euler step."""
from __future__ import annotations

import argparse
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from .gr00t_head import ActionHead
from .presets import preset


class Denoiser(torch.nn.Module):
    def __init__(self, head: ActionHead):
        super().__init__()
        self.head = head

    def forward(self, x_t, t, readout_kv, state_token):
        return self.head.velocity(x_t, t, readout_kv, state_token)


def main(args) -> None:
    import onnxruntime as ort
    from onnxruntime.transformers.float16 import convert_float_to_float16

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = preset("twinbrainvla", "published")
    torch.manual_seed(0)
    head = ActionHead(cfg.head, cfg.text.hidden_size).eval()
    params = sum(p.numel() for p in head.parameters())
    n_cross = len(head.cross_blocks())
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, cfg.horizon, cfg.head.action_dim, generator=g)
    kv = torch.randn(1, 2 * n_cross, cfg.action_queries, cfg.head.input_embedding_dim, generator=g)
    st = torch.randn(1, 1, cfg.head.input_embedding_dim, generator=g)
    t = torch.tensor([0.25])
    with torch.no_grad():
        want = head.velocity(x, t, kv, st).numpy()
    fp32 = out / "denoiser.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Denoiser(head), (x, t, kv, st), str(fp32), input_names=["x_t", "t", "readout_kv", "state_token"],
                          output_names=["velocity"], opset_version=18, dynamo=False)
    fp16 = out / "denoiser.fp16.onnx"
    onnx.save(convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True), str(fp16))
    feed = {"x_t": x.numpy(), "t": t.numpy(), "readout_kv": kv.numpy(), "state_token": st.numpy()}
    for path in (fp32, fp16):
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        t0 = time.perf_counter()
        got = sess.run(["velocity"], feed)[0]
        ms = (time.perf_counter() - t0) * 1e3
        print(f"{path.name}: {path.stat().st_size / 2**20:.0f} MiB, one step on CPU {ms:.0f} ms, "
              f"max abs difference from PyTorch fp32 {np.abs(got - want).max():.2e}")
    print(f"head parameters {params / 1e6:.1f} M; peak memory of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="out/published-head")
    main(p.parse_args())
