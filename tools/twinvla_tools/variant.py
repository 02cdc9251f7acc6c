"""A variant of an exported model folder: the same contract (manifest, tokenizer, fixture) with its
two graphs transformed (fused, converted to fp16, quantised). Written as a new folder, so the runtime
loads it like any model (`--model <variant>`) and the original stays untouched.

The manifest of the variant names the new graphs' sha256s (the runtime refuses a graph that differs
from them) and records in `provenance.variant` what was done, from which graphs, with which
onnxruntime, and the largest difference from the fixture's PyTorch outputs.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Callable

import onnx
import yaml

from .external_data import PROTOBUF_LIMIT, graph_entry, save_with_external_data, sha256

GRAPHS = ("encoder", "denoiser")
HEADER = "# twinvla model manifest: written by tools/twinvla_tools/export.py, read by src/model/manifest.ts\n"


def read_manifest(folder: Path) -> dict:
    return yaml.safe_load((folder / "model.yaml").read_text())


def write_variant(src: Path, out: Path, kind: str, transform: Callable[[onnx.ModelProto, str], onnx.ModelProto],
                  details: dict) -> dict:
    """Copies `src` to `out` with each graph passed through `transform(model, graph_name)`.

    Returns the variant's manifest. Parity is checked by the caller (it knows its tolerance)."""
    from .export import ManifestDumper  # the exporter's YAML style, so variants read like exports

    src, out = Path(src), Path(out)
    if src.resolve() == out.resolve():
        raise SystemExit(f"variant {kind}: --out must differ from the model folder {src}")
    doc = read_manifest(src)
    if out.exists():
        shutil.rmtree(out)
    graph_files = {f for g in GRAPHS for f in [doc["graphs"][g]["file"], *(d["file"] for d in doc["graphs"][g].get("external_data", []))]}
    # Everything but the graphs travels as is: tokenizer, fixture, statistics, the checkpoint.
    shutil.copytree(src, out, ignore=lambda d, names: [n for n in names if Path(d) == src and n in graph_files])
    source_sha = {}
    for g in GRAPHS:
        entry = doc["graphs"][g]
        path = src / entry["file"]
        source_sha[g] = sha256(path)
        model = transform(onnx.load(str(path)), g)
        if model.ByteSize() >= PROTOBUF_LIMIT or entry.get("external_data"):
            save_with_external_data(model, out / entry["file"])
        else:
            onnx.save(model, str(out / entry["file"]))
        entry.pop("external_data", None)
        entry.update(graph_entry(out, entry["file"]))
    import onnxruntime
    prov = doc.setdefault("provenance", {})
    source_checkpoint = prov.get("source_checkpoint")
    if source_checkpoint and not Path(source_checkpoint).is_absolute() and not (out / source_checkpoint).exists():
        prov["source_checkpoint"] = str((src / source_checkpoint).resolve())
    prov["variant"] = {"kind": kind, "from": doc["name"], "from_sha256": source_sha,
                       "onnxruntime": onnxruntime.__version__, **details}
    doc["name"] = f"{doc['name']}-{kind}"
    (out / "model.yaml").write_text(HEADER + yaml.dump(doc, Dumper=ManifestDumper, sort_keys=False, width=120))
    return doc


def record(out: Path, **fields) -> None:
    """Adds fields (the measured parity) to the variant's provenance."""
    from .export import ManifestDumper

    doc = read_manifest(out)
    doc["provenance"]["variant"].update(fields)
    (out / "model.yaml").write_text(HEADER + yaml.dump(doc, Dumper=ManifestDumper, sort_keys=False, width=120))


def cli(doc: str, flag: str, choices: tuple[str, ...], run: Callable[[Path, Path, str], dict]) -> None:
    """The command line of a variant writer: --model, --<flag> one of choices, --out."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, type=Path, help="exported model folder")
    p.add_argument(f"--{flag}", required=True, choices=choices)
    p.add_argument("--out", required=True, type=Path, help="variant folder to write (replaced if present)")
    a = p.parse_args()
    run(a.model, a.out, getattr(a, flag))
