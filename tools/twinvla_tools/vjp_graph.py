"""The denoiser's vector-Jacobian product as a third ONNX graph, for the soft guidance of real-time
chunking (Black, Galliker, Levine, "Real-Time Execution of Action Chunking Flow Policies", 2025).

The guidance needs cotangent^T * d velocity / d x_t at every denoising step, and ONNX Runtime does not
differentiate graphs. The backward pass is therefore traced here, once, into plain operators: make_fx
records the forward and autograd's backward as aten operators (core decompositions; the math attention
kernel, whose backward decomposes where the fused ones do not), and torch.onnx exports that trace with
a dynamic batch. The graph takes the denoiser's inputs plus `cotangent` (the shape of x_t) and gives
`vjp`; model.yaml names it under graphs.denoiser_vjp. A model folder without it still runs real-time
chunking, with the prefix pinned and no soft guidance. A denoiser with 1 GiB of weights or more gets
them in `denoiser_vjp.onnx.data` (ONNX external data, listed in the manifest like the other graphs').

    python -m twinvla_tools.vjp_graph --model models/twinvla-demo     # add the graph to a model folder
"""
from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn

from .external_data import PROTOBUF_LIMIT, graph_entry, rewrite

FILE = "denoiser_vjp.onnx"
OPSET = 18
TOLERANCE = 1e-4
# Weights from this size on go to external data (`denoiser_vjp.onnx.data`): a graph must stay below
# protobuf's 2 GB, and the VJP graph may hold a weight more than once (read forward and backward).
INLINE_LIMIT = PROTOBUF_LIMIT // 2


def weight_bytes(module: nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in [*module.parameters(), *module.buffers()])


def _traced_vjp(denoiser: nn.Module, example: tuple[torch.Tensor, ...]):
    """(x_t, t, *conditioning, cotangent) -> vjp as an FX graph of aten operators; the parameters are
    inputs of the trace (symbolic tracing needs every tensor as an input) held by the wrapper below."""
    from torch._decomp import core_aten_decompositions
    from torch.fx.experimental.proxy_tensor import make_fx
    from torch.nn.attention import SDPBackend, sdpa_kernel

    params = {k: v.detach() for k, v in denoiser.named_parameters()}
    params.update({k: v.detach() for k, v in denoiser.named_buffers()})
    keys = list(params)

    def vjp(plist, x_t, t, *rest):
        cond, cotangent = rest[:-1], rest[-1]
        with torch.enable_grad():
            x = x_t.detach().requires_grad_(True)
            v = torch.func.functional_call(denoiser, dict(zip(keys, plist)), (x, t, *cond))
            return torch.autograd.grad(v, x, cotangent)[0]

    with sdpa_kernel(SDPBackend.MATH):
        gm = make_fx(vjp, tracing_mode="symbolic", decomposition_table=core_aten_decompositions())(
            [params[k] for k in keys], *example)

    class VjpGraph(nn.Module):
        def __init__(self):
            super().__init__()
            self.gm = gm
            for i, k in enumerate(keys):
                self.register_buffer(f"p{i}", params[k])

        def forward(self, x_t, t, *rest):
            return self.gm([getattr(self, f"p{i}") for i in range(len(keys))], x_t, t, *rest)

    return VjpGraph().eval()


def reference_vjp(denoiser: nn.Module, x_t, t, cond, cotangent) -> np.ndarray:
    x = x_t.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        v = denoiser(x, t, *cond)
        return torch.autograd.grad(v, x, cotangent)[0].numpy()


def export_vjp(denoiser: nn.Module, cond_names: list[str], cond_shapes: list[tuple[int, ...]], horizon: int,
               action_dim: int, path: Path, seed: int = 0) -> float:
    """Writes the graph and returns its largest difference from PyTorch's autograd (batch 1 and 2)."""
    import onnxruntime as ort

    g = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.randn(*shape, generator=g)  # noqa: E731
    def example(b):
        return (rand(b, horizon, action_dim), torch.rand(b, generator=g), *[rand(b, *s) for s in cond_shapes],
                rand(b, horizon, action_dim))
    names = ["x_t", "t", *cond_names, "cotangent"]
    module = _traced_vjp(denoiser, example(2))
    batch = torch.export.Dim("batch", min=1, max=64)
    external = weight_bytes(denoiser) >= INLINE_LIMIT
    path.with_name(path.name + ".data").unlink(missing_ok=True)  # an earlier graph's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, example(2), str(path), input_names=names, output_names=["vjp"],
                          opset_version=OPSET, dynamo=True, optimize=True, verbose=False, external_data=external,
                          dynamic_shapes=({0: batch}, {0: batch}, tuple({0: batch} for _ in names[2:])))
    if external:
        rewrite(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    err = 0.0
    for b in (1, 2):
        x, t, *rest = example(b)
        cond, cot = rest[:-1], rest[-1]
        got = session.run(["vjp"], dict(zip(names, [a.numpy() for a in (x, t, *cond, cot)])))[0]
        err = max(err, float(np.abs(got - reference_vjp(denoiser, x, t, cond, cot)).max()))
    return err


def add_to_model(model: nn.Module, folder: Path) -> float:
    """Exports the VJP of `model`'s denoiser into an exported model folder and names it in model.yaml."""
    import onnxruntime as ort

    from .families import DenoiserGraph

    manifest_path = folder / "model.yaml"
    text = manifest_path.read_text()
    doc = yaml.safe_load(text)
    den = doc["graphs"]["denoiser"]
    session = ort.InferenceSession(str(folder / den["file"]), providers=["CPUExecutionProvider"])
    inputs = {i.name: i.shape for i in session.get_inputs()}
    cond_names = list(den["conditioning"])
    cond_shapes = [tuple(int(d) for d in inputs[n][1:]) for n in cond_names]
    horizon, action_dim = int(inputs[den["inputs"]["x_t"]][1]), int(inputs[den["inputs"]["x_t"]][2])
    denoiser = DenoiserGraph(model).eval()
    for p in denoiser.parameters():
        p.requires_grad_(False)
    err = export_vjp(denoiser, cond_names, cond_shapes, horizon, action_dim, folder / FILE)
    if err > TOLERANCE:
        raise SystemExit(f"{folder / FILE}: differs from PyTorch's autograd by {err} > {TOLERANCE}")
    files = graph_entry(folder, FILE)  # sha256s hashed in pieces: the data file may pass 2 GB
    sha = files["sha256"]
    data = "".join(f"    - file: {d['file']}\n      bytes: {d['bytes']}\n      sha256: {d['sha256']}\n"
                   for d in files.get("external_data", []))
    entry = (f"  denoiser_vjp:\n    file: {FILE}\n    sha256: {sha}\n" + (f"    external_data:\n{data}" if data else "")
             + "    cotangent: cotangent\n    output: vjp\n")
    # The manifest keeps its layout: the entry is inserted (or replaced) after the denoiser's.
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l == "  denoiser_vjp:\n"), None)
    if start is not None:
        end = start + 1
        while end < len(lines) and lines[end].startswith("    "):
            end += 1
        del lines[start:end]
    at = next(i for i, l in enumerate(lines) if l.startswith("provenance:"))
    lines.insert(at, entry)
    manifest_path.write_text("".join(lines))
    written = yaml.safe_load(manifest_path.read_text())["graphs"]["denoiser_vjp"]
    assert {k: written.get(k) for k in files} == files
    return err


def rebuild(folder: Path) -> nn.Module:
    """The PyTorch model behind an exported folder: family and preset (or the checkpoint folder's own config
    files) from its manifest, weights from its checkpoint (or, without one, the seed's initialisation, as
    the exporter drew it)."""
    from tokenizers import Tokenizer

    from .checkpoint import load_into, read_state_dict
    from .families import build_for_folder

    doc = yaml.safe_load((folder / "model.yaml").read_text())
    source = doc["provenance"].get("source_checkpoint")
    ckpt = (Path(source) if Path(source).is_absolute() else folder / source) if source else None
    model = build_for_folder(doc, Tokenizer.from_file(str(folder / doc["prompt"]["tokenizer"])), ckpt).eval()
    if ckpt:
        report = load_into(model, read_state_dict(ckpt))
        if not report.complete:
            raise SystemExit(f"{folder}: its checkpoint {ckpt} does not load completely into the model its manifest "
                             f"describes:\n" + report.summary())
    return model


def check_same_weights(model: nn.Module, folder: Path) -> float:
    """The rebuilt model against the folder's denoiser.onnx: the VJP must belong to the graph it guides."""
    import onnxruntime as ort

    from .families import DenoiserGraph

    doc = yaml.safe_load((folder / "model.yaml").read_text())
    den = doc["graphs"]["denoiser"]
    session = ort.InferenceSession(str(folder / den["file"]), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(1)
    feeds, args = {}, []
    for i in session.get_inputs():
        shape = [1 if isinstance(d, str) else d for d in i.shape]
        a = torch.rand(shape, generator=g) if i.name == den["inputs"]["t"] else torch.randn(shape, generator=g)
        feeds[i.name] = a.numpy()
        args.append(a)
    with torch.no_grad():
        want = DenoiserGraph(model)(*args).numpy()
    return float(np.abs(session.run([den["output"]], feeds)[0] - want).max())


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="exported model folder (model.yaml, denoiser.onnx, checkpoint)")
    args = p.parse_args(argv)
    folder = Path(args.model)
    model = rebuild(folder)
    same = check_same_weights(model, folder)
    if same > TOLERANCE:
        raise SystemExit(f"{folder}: the rebuilt model differs from its denoiser.onnx by {same}; re-export the folder")
    err = add_to_model(model, folder)
    print(f"{folder / FILE}: vjp graph written; onnxruntime vs PyTorch autograd max abs error {err:.3g}")


if __name__ == "__main__":
    main()
