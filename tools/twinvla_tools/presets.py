"""Size presets. `published` carries the dimensions of MODELS.md; `tiny` makes graphs of a few MB
for tests; `demo` is trained on the synthetic task (tools/twinvla_tools/task); `small` has tens of millions of parameters, for benchmarks."""
from __future__ import annotations

from dataclasses import dataclass, field

from .twinbrainvla_config import PRESETS


@dataclass(frozen=True)
class VisionConfig:
    image_size: int
    patch: int
    width: int
    layers: int
    heads: int
    mlp: int
    ln_eps: float = 1e-6


@dataclass(frozen=True)
class LMConfig:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    rope_theta: float = 1e6
    rms_eps: float = 1e-6


@dataclass(frozen=True)
class DiTConfig:
    width: int
    layers: int
    heads: int


@dataclass(frozen=True)
class TwinVLAConfig:
    vision: VisionConfig
    lm: LMConfig
    dit: DiTConfig
    horizon: int = 20
    arm_dim: int = 10
    common_key_weight: float = 2.0
    family: str = field(default="twinvla")


TWINVLA_PRESETS = {
    "tiny": TwinVLAConfig(
        vision=VisionConfig(image_size=56, patch=14, width=32, layers=2, heads=2, mlp=64),
        lm=LMConfig(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128),
        dit=DiTConfig(width=64, layers=2, heads=4),
    ),
    # The synthetic task's demo model: 9 tokens per image, trainable on two CPU cores in minutes.
    "demo": TwinVLAConfig(
        vision=VisionConfig(image_size=84, patch=14, width=64, layers=2, heads=2, mlp=128),
        lm=LMConfig(hidden=96, layers=2, heads=4, kv_heads=2, intermediate=192),
        dit=DiTConfig(width=96, layers=2, heads=4),
    ),
    "small": TwinVLAConfig(
        vision=VisionConfig(image_size=224, patch=14, width=384, layers=6, heads=6, mlp=1536),
        lm=LMConfig(hidden=384, layers=6, heads=6, kv_heads=2, intermediate=1536),
        dit=DiTConfig(width=384, layers=6, heads=6),
    ),
    "published": TwinVLAConfig(
        vision=VisionConfig(image_size=448, patch=14, width=1152, layers=27, heads=16, mlp=4304),
        lm=LMConfig(hidden=896, layers=24, heads=14, kv_heads=2, intermediate=4864),
        dit=DiTConfig(width=1024, layers=24, heads=16),
    ),
}

# TwinBrainVLA's sizes live beside the run-folder reader that makes the same configuration.
TWINBRAINVLA_PRESETS = PRESETS


def preset(family: str, name: str):
    table = {"twinvla": TWINVLA_PRESETS, "twinbrainvla": TWINBRAINVLA_PRESETS}.get(family)
    if table is None:
        raise ValueError(f"unknown family {family!r}: expected 'twinvla' or 'twinbrainvla'")
    if name not in table:
        raise ValueError(f"unknown preset {name!r} for {family}: expected one of {sorted(table)}")
    return table[name]
