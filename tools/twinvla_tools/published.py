"""TwinVLA at its published dimensions (Eagle2-1B twins: SigLIP 448/14 x27, Qwen2.5-0.5B x24 per arm,
DiT-L) with random weights: export to ONNX (external data past protobuf's 2 GB), an fp16 variant for
GPUs, and one inference of each fp32 graph in ONNX Runtime on the CPU, with its time and the process's
peak memory. Each step runs in its own process so that peaks do not add up.

    python -m twinvla_tools.published export --out /tmp/twinvla-published
    python -m twinvla_tools.published fp16 --out /tmp/twinvla-published
    python -m twinvla_tools.published run --out /tmp/twinvla-published
"""
from __future__ import annotations

import argparse
import json
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from .families import DenoiserGraph, EncoderGraph, family, TWINVLA_PROMPT
from .tokenizer import build_tokenizer, encode
from .twinvla_config import arch_from_configs, preset_configs

OPSET = 18
GRAPHS = ("encoder", "denoiser")


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def _inputs(model, tok):
    s = model.arch.vision.image_size
    g = torch.Generator().manual_seed(0)
    imgs = [torch.randint(0, 256, (1, s, s, 3), generator=g, dtype=torch.uint8) for _ in range(3)]
    ids = torch.tensor([encode(tok, TWINVLA_PROMPT.format(instruction="hand over the box to the other arm"))])
    return imgs, ids, torch.randn(1, 2 * model.arch.state_dim, generator=g)


@torch.no_grad()
def export(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer()
    torch.manual_seed(0)
    t0 = time.perf_counter()
    twin, single = preset_configs("published")
    single["llm_config"]["vocab_size"] = 151674  # Eagle2-1B's embedding
    model = family("twinvla").build(arch_from_configs(twin, single), tok).eval()
    params = sum(p.numel() for p in model.parameters())
    imgs, ids, state = _inputs(model, tok)
    names = ["image_head", "image_left_wrist", "image_right_wrist", "input_ids", "state"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(EncoderGraph(model), (*imgs, ids, state), str(out / "encoder.onnx"), input_names=names,
                          output_names=["cond", "cond_null"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"input_ids": {1: "input_ids_length"}})
        cond, _ = model.encode(*imgs, ids, state)
        x = torch.zeros(1, model.arch.horizon, 2 * model.arch.arm_dim)
        torch.onnx.export(DenoiserGraph(model), (x, torch.tensor([0.5]), cond), str(out / "denoiser.onnx"),
                          input_names=["x_t", "t", "cond"], output_names=["velocity"], opset_version=OPSET,
                          dynamo=False, dynamic_axes={k: {0: "batch"} for k in ["x_t", "t", "cond", "velocity"]})
    np.savez(out / "inputs.npz", **{n: v.numpy() for n, v in zip(names, [*imgs, ids, state])})
    files = {f.name: f.stat().st_size for f in sorted(out.iterdir())}
    return {"step": "export", "parameters": params, "seconds": round(time.perf_counter() - t0, 1),
            "peak_rss_gib": round(peak_gib(), 2), "files_bytes": files}


def fp16(out: Path) -> dict:
    """Float16 weights and activations, float32 inputs and outputs (what the runtime feeds)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16
    t0 = time.perf_counter()
    sizes = {}
    for g in GRAPHS:
        m = onnx.load(str(out / f"{g}.onnx"))
        m16 = convert_float_to_float16(m, keep_io_types=True, disable_shape_infer=True)
        del m
        target = out / f"{g}.fp16.onnx"
        onnx.save_model(m16, str(target), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=f"{g}.fp16.onnx.data", size_threshold=1024)
        del m16
        sizes[g] = target.stat().st_size + (out / f"{g}.fp16.onnx.data").stat().st_size
    return {"step": "fp16", "seconds": round(time.perf_counter() - t0, 1), "peak_rss_gib": round(peak_gib(), 2),
            "bytes": sizes}


def run(out: Path) -> dict:
    import onnxruntime as ort
    feed = dict(np.load(out / "inputs.npz"))
    so = ort.SessionOptions()
    t0 = time.perf_counter()
    enc = ort.InferenceSession(str(out / "encoder.onnx"), so, providers=["CPUExecutionProvider"])
    load_enc = time.perf_counter() - t0
    t1 = time.perf_counter()
    cond, _ = enc.run(["cond", "cond_null"], feed)
    encode_s = time.perf_counter() - t1
    del enc
    den = ort.InferenceSession(str(out / "denoiser.onnx"), so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((1, 20, 20)).astype(np.float32)
    t2 = time.perf_counter()
    v = den.run(["velocity"], {"x_t": x, "t": np.array([0.5], np.float32), "cond": cond})[0]
    step_s = time.perf_counter() - t2
    return {"step": "run", "encoder_load_s": round(load_enc, 1), "encoder_run_s": round(encode_s, 2),
            "denoiser_step_s": round(step_s, 3), "velocity_finite": bool(np.isfinite(v).all()),
            "peak_rss_gib": round(peak_gib(), 2), "threads": torch.get_num_threads()}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["export", "fp16", "run"])
    p.add_argument("--out", required=True)
    a = p.parse_args()
    result = {"export": export, "fp16": fp16, "run": run}[a.step](Path(a.out))
    print(json.dumps(result))
    with open(Path(a.out) / "published.jsonl", "a") as f:
        f.write(json.dumps(result) + "\n")
