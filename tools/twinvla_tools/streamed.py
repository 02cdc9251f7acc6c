"""Export without the weights in memory, for models larger than the machine (TwinBrainVLA's two
Qwen2.5-VL-3B brains: 28.6 GiB of fp32 weights).

1. The model is built with its parameters on the meta device (no storage; their initialisation
   skipped); buffers are built as usual, since the graphs read their values.
2. For tracing, each parameter gets storage that is never written: the kernel backs untouched pages
   with its zero page, so the forward pass at full dimensions reads them without using the memory.
3. torch.onnx traces the graph with the parameters left as graph inputs named by their state-dict
   names (no weights serialised, no constant folding: folding would compute and keep transposed
   copies, and deduplication would merge the equal, all-zero placeholders).
4. Each parameter is then read (from a memory-mapped checkpoint) or drawn (from a seed) one at a
   time and appended to `<graph>.onnx.data`; the Transpose and Cast nodes that read only a parameter
   are folded into what is written, as torch's constant folding would fold them.

Weights may be stored in bf16 or fp16 and computed in fp32 (a Cast after each weight, after the
Gather for embeddings: one weight at a time is widened when the graph runs), or the whole graph may
compute in fp16 (the GPU variant). A bf16 checkpoint stored in bf16 computes exactly what the fp32
graph of its values computes. ONNX Runtime must not constant-fold such a graph (it would widen every
weight at load, the fp32 size again): the exporter writes the settings into the manifest
(session_config.STREAMED), and the runtime passes them to ONNX Runtime."""
from __future__ import annotations

import collections
import contextlib
import zlib
from pathlib import Path
from typing import Callable

import onnx
import torch
from onnx import TensorProto, helper
from torch import nn

from .layers import RMSNorm

ALIGN = 4096  # external-data offsets on page boundaries: ONNX Runtime can map them
STORED = {"fp32": (torch.float32, TensorProto.FLOAT), "bf16": (torch.bfloat16, TensorProto.BFLOAT16),
          "fp16": (torch.float16, TensorProto.FLOAT16)}
TORCH_OF = {TensorProto.FLOAT: torch.float32, TensorProto.FLOAT16: torch.float16,
            TensorProto.BFLOAT16: torch.bfloat16, TensorProto.DOUBLE: torch.float64,
            TensorProto.INT64: torch.int64, TensorProto.INT32: torch.int32, TensorProto.BOOL: torch.bool}
WIDER = {torch.float32, torch.float64}


@contextlib.contextmanager
def parameters_on_meta():
    """Modules built inside keep their parameters on the meta device; buffers are real."""
    register = nn.Module.register_parameter

    def on_meta(self, name, param):
        if param is not None and not param.is_meta:
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register(self, name, param)

    nn.Module.register_parameter = on_meta
    try:
        yield
    finally:
        nn.Module.register_parameter = register


def untouched_parameters(model: nn.Module) -> None:
    """Gives every meta parameter storage that nothing writes (read as zeros, costing no memory),
    enough for torch.onnx to trace the forward pass at full dimensions. Tied parameters stay tied."""
    made: dict[int, nn.Parameter] = {}
    for module in model.modules():
        for name, p in list(module._parameters.items()):
            if p is not None and p.is_meta:
                if id(p) not in made:
                    made[id(p)] = nn.Parameter(torch.empty(p.shape, dtype=p.dtype), requires_grad=False)
                module._parameters[name] = made[id(p)]


def trace(graph: nn.Module, args: tuple, path: Path, **kwargs) -> None:
    """torch.onnx's TorchScript export of `graph` with its parameters as named inputs, no weights."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, args, str(path), export_params=False, keep_initializers_as_inputs=True,
                          do_constant_folding=False, dynamo=False, **kwargs)


def to_fp16_compute(path: Path) -> None:
    """The traced graph computing in fp16 (weights too), its inputs and outputs as they were: the
    GPU variant (quantize.py's fp16, without ONNX Runtime's GPU fusions, which need the weights)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16
    model = onnx.load(str(path))
    params = {i.name for i in model.graph.input if i.name.startswith("model.")}
    # The parameters become initializers later: converted as graph inputs they would be cast at every run.
    for i in model.graph.input:
        if i.name in params and i.type.tensor_type.elem_type == TensorProto.FLOAT:
            i.type.tensor_type.elem_type = TensorProto.FLOAT16
    onnx.save(convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=True), str(path))


def _fold(model: onnx.ModelProto, params: dict[str, str]) -> dict[str, tuple[str, list, int]]:
    """graph name -> (state-dict key, operations, element type) for every parameter input and every
    Transpose or Cast output that depends on a parameter alone; those nodes are removed."""
    declared = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    recipes = {name: (key, [], declared[name]) for name, key in params.items()}
    keep = []
    for node in model.graph.node:
        if node.op_type in ("Transpose", "Cast") and node.input[0] in recipes:
            key, ops, elem = recipes[node.input[0]]
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type == "Cast":
                elem = attrs["to"]
            recipes[node.output[0]] = (key, ops + [(node.op_type, attrs)], elem)
        else:
            keep.append(node)
    del model.graph.node[:]
    model.graph.node.extend(keep)
    return recipes


def _apply(t: torch.Tensor, ops: list, elem: int) -> torch.Tensor:
    for op, attrs in ops:
        if op == "Transpose":
            t = t.permute(*(attrs.get("perm") or reversed(range(t.dim()))))
        else:
            t = t.to(TORCH_OF[attrs["to"]])
    return t.to(TORCH_OF[elem]).contiguous()


def attach_weights(path: Path, weights: Callable[[str], torch.Tensor], stored: str = "fp32") -> dict:
    """Writes the traced graph at `path` with its parameters as initializers in `<path>.data`, each
    read from `weights(state-dict key)` when it is written. stored: the dtype float weights are
    written in where the graph computes in fp32 (a Cast widens them when the graph runs).
    Returns {"tensors": n, "bytes": size of the data file}."""
    model = onnx.load(str(path))
    g = model.graph
    params = {i.name: i.name[len("model."):] for i in g.input if i.name.startswith("model.")}
    recipes = _fold(model, params)
    used = collections.Counter(x for n in g.node for x in n.input) + collections.Counter(o.name for o in g.output)
    live = [name for name in recipes if used[name]]
    kept_inputs = [i for i in g.input if i.name not in params]
    del g.input[:]
    g.input.extend(kept_inputs)
    store_as, store_elem = STORED[stored]
    data = path.with_name(path.name + ".data")
    casts, written = [], 0
    with open(data, "wb") as f:
        for name in live:
            key, ops, elem = recipes[name]
            t = _apply(weights(key), ops, elem)
            target = name
            if t.dtype in WIDER and store_as not in WIDER:
                # Stored narrow, widened where it is read: after the Gather for a table (one row
                # each), else in front of its readers.
                t, target = t.to(store_as), f"{name}::{stored}"
                casts += _widen(g, name, target, elem)
            pad = -f.tell() % ALIGN
            f.write(b"\0" * pad)
            offset = f.tell()
            raw = t.reshape(-1).view(torch.uint8).numpy() if t.numel() else b""
            f.write(memoryview(raw))
            tensor = TensorProto(name=target, dims=list(t.shape), data_type=_elem_of(t.dtype))
            tensor.data_location = TensorProto.EXTERNAL
            for k, v in (("location", data.name), ("offset", str(offset)), ("length", str(t.numel() * t.element_size()))):
                tensor.external_data.add(key=k, value=v)
            g.initializer.append(tensor)
            written += 1
            del t, raw
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(_topological(nodes, {i.name for i in g.input} | {t.name for t in g.initializer}))
    onnx.save_model(model, str(path))
    onnx.checker.check_model(str(path))
    return {"tensors": written, "bytes": data.stat().st_size}


def _elem_of(dtype: torch.dtype) -> int:
    return next(e for e, d in TORCH_OF.items() if d == dtype)


def _widen(g: onnx.GraphProto, name: str, stored_name: str, elem: int) -> list[onnx.NodeProto]:
    """Points the readers of `name` at the narrow `stored_name` and returns the Casts that widen it."""
    readers = [n for n in g.node if name in n.input]
    if readers and all(n.op_type == "Gather" and n.input[0] == name and list(n.input).count(name) == 1 for n in readers):
        out = []
        for n in readers:
            n.input[0] = stored_name
            rows = n.output[0]
            n.output[0] = f"{rows}::narrow"
            out.append(helper.make_node("Cast", [n.output[0]], [rows], to=elem, name=f"{rows}::widen"))
        return out
    return [helper.make_node("Cast", [stored_name], [name], to=elem, name=f"{name}::widen")]


def _topological(nodes: list[onnx.NodeProto], available: set[str]) -> list[onnx.NodeProto]:
    """Each node after the nodes it reads from (a Cast behind a Gather goes after that Gather); nodes
    otherwise keep their order."""
    producer = {o: i for i, n in enumerate(nodes) for o in n.output}
    done, order = set(), []

    def visit(i: int):
        stack = [(i, False)]
        while stack:
            j, expanded = stack.pop()
            if j in done:
                continue
            if expanded:
                done.add(j)
                order.append(nodes[j])
                continue
            stack.append((j, True))
            for x in reversed(nodes[j].input):
                if x and x not in available and x in producer and producer[x] not in done:
                    stack.append((producer[x], False))

    for i in range(len(nodes)):
        visit(i)
    return order


class SeededWeights:
    """Random weights drawn per tensor from (seed, name), so that any tensor can be drawn alone and in
    any order, with Hugging Face's initialisation of Qwen2.5-VL (initializer_range 0.02): matrices
    and tables N(0, 0.02), norm scales 1, biases 0. Buffers keep the model's own values."""

    def __init__(self, model: nn.Module, seed: int, std: float = 0.02):
        self.seed, self.std = seed, std
        self.state = model.state_dict(keep_vars=True)
        self.norms = {f"{m}.{p}" if m else p for m, mod in model.named_modules()
                      if isinstance(mod, (RMSNorm, nn.LayerNorm)) for p, _ in mod.named_parameters(recurse=False)}

    def __call__(self, key: str) -> torch.Tensor:
        t = self.state[key]
        if not t.is_meta and not isinstance(t, nn.Parameter):
            return t.detach()
        if key in self.norms:
            return (torch.ones if key.endswith("weight") else torch.zeros)(t.shape, dtype=t.dtype)
        if t.dim() < 2:
            return torch.zeros(t.shape, dtype=t.dtype)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + zlib.crc32(key.encode()))
        return torch.randn(t.shape, generator=g, dtype=t.dtype).mul_(self.std)
