"""ONNX external data: a graph past protobuf's 2 GB keeps its weights in a file beside the .onnx. The
exporter writes one such file per graph, `<graph>.onnx.data` (torch's own export writes one file per
tensor), and the manifest lists it with its size and sha256, which the runtime checks before ONNX
Runtime reads it (src/model/integrity.ts)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import onnx
from onnx.external_data_helper import uses_external_data

# Protobuf's limit on one message: a graph at or past it cannot be written inline.
PROTOBUF_LIMIT = 2 ** 31


def sha256(path: Path) -> str:
    """In pieces: an external-data file passes 2 GB."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _tensors(graph: onnx.GraphProto):
    """Every tensor of a graph, its subgraphs' included (initializers and constant attributes)."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield from (sparse.values, sparse.indices)
    for node in graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                yield from _tensors(g)


def locations(model: onnx.ModelProto) -> list[str]:
    """The external-data files a graph names (relative to its folder), each once, in order first met."""
    seen: dict[str, None] = {}
    for t in _tensors(model.graph):
        if uses_external_data(t):
            seen.update({e.value: None for e in t.external_data if e.key == "location"})
    return list(seen)


def graph_entry(folder: Path, file: str) -> dict:
    """The manifest's entry for a graph: file and sha256, and only when it has some, external_data
    (a self-contained graph's entry stays as it always was)."""
    model = onnx.load_model(str(folder / file), load_external_data=False)
    base = Path(file).parent
    data = [{"file": str(base / loc), "bytes": (folder / base / loc).stat().st_size, "sha256": sha256(folder / base / loc)}
            for loc in locations(model)]
    return {"file": file, "sha256": sha256(folder / file), **({"external_data": data} if data else {})}


def save_with_external_data(model: onnx.ModelProto, path: Path) -> None:
    """All of the graph's tensors above 1 KiB in one `<graph>.onnx.data` beside it."""
    data = path.with_name(path.name + ".data")
    data.unlink(missing_ok=True)  # onnx appends to an existing file
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data.name, size_threshold=1024)


def rewrite(path: Path) -> None:
    """A graph written with external data by another tool (torch.onnx.export) saved again as the
    exporter saves one: tensors above 1 KiB in `<graph>.onnx.data`, the small ones inline (ONNX Runtime
    reads shape constants while it builds the graph, and not from external data), the other data
    files removed."""
    scattered = locations(onnx.load_model(str(path), load_external_data=False))
    model = onnx.load_model(str(path))
    save_with_external_data(model, path)
    for name in scattered:
        if name != path.name + ".data":
            (path.parent / name).unlink()


def gather(path: Path) -> list[str]:
    """A graph written with external data spread over files (torch.onnx.export writes one per tensor)
    rewritten with it all in `<graph>.onnx.data`, the scattered files removed; returns their names.
    A self-contained graph is left as it is."""
    model = onnx.load_model(str(path), load_external_data=False)
    scattered = locations(model)
    if not scattered or scattered == [path.name + ".data"]:
        return []
    onnx.load_external_data_for_model(model, str(path.parent))
    save_with_external_data(model, path)
    for name in scattered:
        if name != path.name + ".data":
            (path.parent / name).unlink()
    return scattered
