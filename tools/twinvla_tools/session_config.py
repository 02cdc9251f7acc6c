"""The ONNX Runtime session settings a model needs, stated in its manifest (`runtime.session_config`,
read by the runtime in src/model/session-config.ts and passed to every session of the model), and as
onnxruntime's Python SessionOptions for the tools that run the graphs themselves.

A streamed export (streamed.py) needs them: no constant folding (it would run the Cast after each
bf16-stored weight at load and keep an fp32 copy of every weight, the fp32 size again), no pre-packed
copies of the weights, and only the basic graph rewrites (onnxruntime 1.23's
SimplifiedLayerNormFusion fails on the fp16 graph on the CPU, where casts are inserted around its
half-precision nodes). A manifest without the field gets ONNX Runtime's defaults."""
from __future__ import annotations

STREAMED = {
    "graph_optimization_level": "basic",
    "entries": {
        "session.disable_prepacking": "1",
        "optimization.disable_specified_optimizers": "ConstantFolding",
    },
}


def session_options(ort, config: dict | None):
    """onnxruntime.SessionOptions for a manifest's `runtime.session_config` (None: the defaults)."""
    so = ort.SessionOptions()
    if config:
        levels = {"disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                  "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                  "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                  "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
        so.graph_optimization_level = levels[config["graph_optimization_level"]]
        for key, value in config.get("entries", {}).items():
            so.add_session_config_entry(key, value)
    return so


def of_manifest(doc: dict) -> dict | None:
    """A manifest's `runtime.session_config`, None when it has none."""
    return (doc.get("runtime") or {}).get("session_config")
