"""Quantised variants of an exported model folder, opt-in:

- fp16: the GPU fusions (optimize.py), then every float tensor inside the graphs in half precision;
  the graphs' inputs and outputs stay as the contract has them (uint8 images, float32 state, x_t,
  t, conditioning and velocity), so the runtime is unchanged. For GPUs (tensor cores); on a CPU
  ONNX Runtime runs it through casts, slower than fp32.
- int8: the CPU fusions, then ONNX Runtime's dynamic quantisation of every MatMul and Gemm with a
  constant weight (weights int8 per output channel, activations uint8 quantised at run time), for
  CPUs. Per channel: on the demo task per-tensor weights cost TwinVLA 6 % of its left arm's position
  accuracy, per-channel 4 %.

    python -m twinvla_tools.quantize --model models/twinvla-demo --kind int8 --out models/twinvla-demo-int8

Neither matches PyTorch to 1e-4; the largest difference from the fixture is measured and written
in the manifest (provenance.variant.parity_max_abs_error), and the accuracy that matters is the
task's: evaluate the variant with `twinvla eval` beside the fp32 model.
"""
from __future__ import annotations

import collections
import tempfile
from pathlib import Path

import onnx

from .optimize import fuse, parity
from .variant import cli, read_manifest, record, write_variant

KINDS = ("fp16", "int8")


def _unshare_gemm_weights(model: onnx.ModelProto) -> None:
    """Gives every Gemm its own weight tensor. The quantiser rewrites Gemm (transB) as MatMul by
    transposing the weight in place: a weight shared by two Gemms would be transposed twice."""
    uses = collections.Counter(i for n in model.graph.node for i in n.input)
    init = {t.name: t for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Gemm" and len(n.input) > 1 and n.input[1] in init and uses[n.input[1]] > 1:
            copy = onnx.TensorProto()
            copy.CopyFrom(init[n.input[1]])
            copy.name = f"{n.input[1]}::{n.name}"
            model.graph.initializer.append(copy)
            n.input[1] = copy.name


def to_int8(model: onnx.ModelProto) -> onnx.ModelProto:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    _unshare_gemm_weights(model)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.onnx", Path(tmp) / "out.onnx"
        onnx.save(model, str(src))
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"], per_channel=True,
                         extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT})
        return onnx.load(str(dst))


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    from onnxruntime.transformers.onnx_model import OnnxModel

    m = OnnxModel(model)
    m.convert_float_to_float16(keep_io_types=True)
    return m.model


def quantize(model_dir: Path, out: Path, kind: str) -> dict:
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    stats: dict[str, dict[str, int]] = {}
    target = "gpu" if kind == "fp16" else "cpu"

    def transform(m: onnx.ModelProto, graph: str) -> onnx.ModelProto:
        fused, stats[graph] = fuse(m, target)
        return to_fp16(fused) if kind == "fp16" else to_int8(fused)

    write_variant(model_dir, out, kind, transform, {"fusions": stats, "target": target})
    err = parity(out)
    record(out, parity_max_abs_error=float(f"{err:.3g}"))
    print(f"{kind} variant of {model_dir} -> {out}; onnxruntime vs PyTorch fp32 max abs error {err:.3g}")
    return read_manifest(out)


if __name__ == "__main__":
    cli(__doc__, "kind", KINDS, quantize)
