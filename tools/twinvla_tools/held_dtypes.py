"""The dtype the authors' code holds each weight in, whatever dtype the checkpoint file stores.

Their loaders build the modules first and copy the file's tensors into them, so a float32 tensor
loaded into a bfloat16 module is rounded to bfloat16 there, and their predict_action computes with
the rounded value. An export that kept the float32 value would compute something their code never
does (measured: 1.6e-4 on the final actions of a shrunk TwinVLA saved in float32).

- TwinVLA (jellyho/TwinVLA base_models.py:1118-1123, 1186): construct_twinvla loads the single-arm VLA
  with torch_dtype=bfloat16 and takes its modules from it, and makes the MoE gates in bfloat16; only
  the DiT head (decoder_c) stays float32.
- TwinBrainVLA (starVLA model/modules/vlm): both brains come from the base VLM's from_pretrained,
  Qwen2.5-VL with torch_dtype="auto" (the base's config.json `torch_dtype`, QWen2_5.py:89-93) and
  Qwen3-VL with dtype=bfloat16 (QWen3.py:58-62); the action head is built in float32.

Only float32 tensors are rounded: bfloat16 ones are already what the authors hold, and float16 is
not a dtype their save code writes (our demo checkpoints store float16 and stay as they are)."""
from __future__ import annotations

from typing import Callable

import torch

TWINVLA_FLOAT32 = ("decoder_c.",)
BRAIN_PREFIX = "qwen_vl_interface."


def twinvla_bfloat16(name: str) -> bool:
    return not name.startswith(TWINVLA_FLOAT32)


def brain_vlm_dtype(vlm_config: dict) -> str | None:
    """The dtype starVLA loads the brains in: Qwen3-VL always bfloat16; Qwen2.5-VL the base config's
    (torch_dtype, or dtype in newer configs); None when the config names none."""
    if vlm_config.get("model_type") == "qwen3_vl":
        return "bfloat16"
    return vlm_config.get("torch_dtype") or vlm_config.get("dtype")


def held_bfloat16(family: str, vlm_config: dict | None = None) -> Callable[[str], bool]:
    """Whether the authors' code holds the weight of this (checkpoint) name in bfloat16."""
    if family == "twinvla":
        return twinvla_bfloat16
    if family == "twinbrainvla" and vlm_config is not None and brain_vlm_dtype(vlm_config) == "bfloat16":
        return lambda name: name.startswith(BRAIN_PREFIX)
    return lambda name: False


def round_tensor(name: str, tensor: torch.Tensor, bf16: Callable[[str], bool]) -> torch.Tensor:
    return tensor.to(torch.bfloat16) if tensor.dtype == torch.float32 and bf16(name) else tensor


def round_state_dict(state_dict: dict[str, torch.Tensor], bf16: Callable[[str], bool],
                     strip_prefix: str = "") -> tuple[dict[str, torch.Tensor], int]:
    """The state dict as the authors' modules hold it, and how many tensors were rounded."""
    out, rounded = {}, 0
    for name, t in state_dict.items():
        key = name[len(strip_prefix):] if strip_prefix and name.startswith(strip_prefix) else name
        out[name] = round_tensor(key, t, bf16)
        rounded += out[name] is not t
    return out, rounded
