"""Graph optimisation of an exported model folder: ONNX Runtime's transformer fusions (layer norm and
RMS norm, with their residual adds as SkipLayerNormalization, GELU as FastGelu/BiasGelu, attention
where the pattern is one ONNX Runtime knows), written as a variant folder for a CPU or a GPU. The
fused operators are ONNX Runtime's own contrib operators, part of the runtime the package ships.

    python -m twinvla_tools.optimize --model models/twinvla-demo --target cpu --out models/twinvla-demo-cpu

Only the offline fusions run here (opt_level 0): the hardware-specific rewrites stay with the session
that loads the graph, so a variant for a target runs on any machine of that kind. The variant must
match the fixture's PyTorch outputs within the exporter's tolerance (1e-4), or it is refused.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import onnx

from .variant import cli, read_manifest, record, write_variant

PARITY_TOLERANCE = 1e-4
TARGETS = ("cpu", "gpu")


def fuse(model: onnx.ModelProto, target: str) -> tuple[onnx.ModelProto, dict[str, int]]:
    """The transformer fusions for `target`; returns the fused model and the count of each fused op."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    if target not in TARGETS:
        raise ValueError(f"target {target!r}: expected one of {', '.join(TARGETS)}")
    # "bert" is the generic transformer pass list (the others add model-specific rewrites); head
    # count and width 0: read from the graph where an attention pattern is found. The fusion passes
    # log every pattern they try and drop as a warning: silenced, the counts below say what fused.
    logging.disable(logging.WARNING)
    try:
        fused = optimize_model(model, model_type="bert", num_heads=0, hidden_size=0, opt_level=0,
                               optimization_options=FusionOptions("bert"), use_gpu=target == "gpu")
    finally:
        logging.disable(logging.NOTSET)
    stats = {k: int(v) for k, v in fused.get_fused_operator_statistics().items() if v}
    model = fused.model
    # The contrib operators' domain must be declared (save_model_to_file would add it; we keep the proto).
    if any(n.domain == "com.microsoft" for n in model.graph.node) and not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return model, stats


def parity(folder: Path) -> float:
    """Largest difference between the folder's graphs (onnxruntime, CPU) and its PyTorch fixture."""
    from .export import verify_with_onnxruntime
    from .families import family

    doc = read_manifest(folder)
    fixture = json.loads((folder / "fixtures" / "fixture.json").read_text())
    return verify_with_onnxruntime(folder, family(doc["family"]), fixture)


def optimize(model_dir: Path, out: Path, target: str) -> dict:
    stats: dict[str, dict[str, int]] = {}

    def transform(m: onnx.ModelProto, graph: str) -> onnx.ModelProto:
        fused, stats[graph] = fuse(m, target)
        return fused

    write_variant(model_dir, out, target, transform, {"fusions": stats, "target": target})
    err = parity(out)
    record(out, parity_max_abs_error=float(f"{err:.3g}"), parity_tolerance=PARITY_TOLERANCE)
    print(f"optimised {model_dir} for {target} -> {out}; fused {stats}; onnxruntime vs PyTorch max abs error {err:.3g}")
    if err > PARITY_TOLERANCE:
        raise SystemExit(f"optimised graphs ({out}) differ from PyTorch by {err} > {PARITY_TOLERANCE}")
    return read_manifest(out)


if __name__ == "__main__":
    cli(__doc__, "target", TARGETS, optimize)
