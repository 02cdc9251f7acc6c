"""Size presets. `published` carries the dimensions of MODELS.md; `tiny` makes graphs of a few MB
for tests; `demo` is trained on the synthetic task (tools/twinvla_tools/task); `small` has tens of millions of parameters, for benchmarks."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VisionConfig:
    image_size: int
    patch: int
    width: int
    layers: int
    heads: int
    mlp: int


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


@dataclass(frozen=True)
class TwinBrainVLAConfig:
    vision: VisionConfig
    lm: LMConfig
    dit: DiTConfig
    horizon: int = 16
    arm_dim: int = 10
    action_queries: int = 8
    future_tokens: int = 32
    joint_layers: str = "all"  # "all" | "odd": AsyMoT on every layer or on odd layers only
    family: str = field(default="twinbrainvla")


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

TWINBRAINVLA_PRESETS = {
    "tiny": TwinBrainVLAConfig(
        vision=VisionConfig(image_size=56, patch=14, width=32, layers=2, heads=2, mlp=64),
        lm=LMConfig(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128),
        dit=DiTConfig(width=64, layers=2, heads=4),
    ),
    "demo": TwinBrainVLAConfig(
        vision=VisionConfig(image_size=84, patch=14, width=64, layers=2, heads=2, mlp=128),
        lm=LMConfig(hidden=96, layers=2, heads=4, kv_heads=2, intermediate=192),
        dit=DiTConfig(width=96, layers=2, heads=4),
    ),
    "small": TwinBrainVLAConfig(
        vision=VisionConfig(image_size=224, patch=14, width=384, layers=6, heads=6, mlp=1536),
        lm=LMConfig(hidden=384, layers=6, heads=6, kv_heads=2, intermediate=1536),
        dit=DiTConfig(width=384, layers=6, heads=6),
    ),
    # Qwen2.5-VL-3B: LM 2048 wide, 36 layers, 16 heads, 2 KV heads; vision 1280 wide, 32 blocks.
    "published": TwinBrainVLAConfig(
        vision=VisionConfig(image_size=448, patch=14, width=1280, layers=32, heads=16, mlp=3420),
        lm=LMConfig(hidden=2048, layers=36, heads=16, kv_heads=2, intermediate=11008),
        dit=DiTConfig(width=768, layers=16, heads=12),
    ),
}


def preset(family: str, name: str):
    table = {"twinvla": TWINVLA_PRESETS, "twinbrainvla": TWINBRAINVLA_PRESETS}.get(family)
    if table is None:
        raise ValueError(f"unknown family {family!r}: expected 'twinvla' or 'twinbrainvla'")
    if name not in table:
        raise ValueError(f"unknown preset {name!r} for {family}: expected one of {sorted(table)}")
    return table[name]
