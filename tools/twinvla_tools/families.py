"""What the exporter must know of each family: how to build the model from a tokenizer, the graphs'
input and output names, the prompt templates, the flow settings and default statistics."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from .presets import preset
from .sampler import FlowSettings
from .tokenizer import encode, token_id
from .twinbrainvla import TwinBrainTokens, TwinBrainVLA
from .twinvla import TwinVLA, TwinVLATokens

CAMERAS = ("head", "left_wrist", "right_wrist")
IMAGE_INPUTS = tuple(f"image_{c}" for c in CAMERAS)


@dataclass(frozen=True)
class Family:
    name: str
    prompts: dict[str, str]            # encoder input name -> template with {instruction}
    encoder_outputs: tuple[str, ...]
    conditioning: dict[str, str]       # denoiser input -> encoder output
    null_conditioning: dict[str, str] | None
    flow: FlowSettings
    resize: str
    image_mean: tuple[float, ...]
    image_std: tuple[float, ...]
    state_mask: list[bool]             # per arm
    action_mask: list[bool]            # per arm
    clip_actions: bool
    dt: float
    state_eps: float                   # added to q99 - q01 when normalising the state
    action_eps: float                  # ... and when un-normalising actions
    action_round: list[bool]           # per arm: dimensions rounded after un-normalising
    build: Callable


def _build_twinvla(preset_name: str, tok) -> TwinVLA:
    tokens = TwinVLATokens(
        img_start=token_id(tok, "<img>"), img_end=token_id(tok, "</img>"), newline=encode(tok, "\n"),
        arm_prefix=encode(tok, "Arm State: "), action_prefix=encode(tok, "\n\nAction: "),
        state=token_id(tok, "<|state|>"), readout=token_id(tok, "<|readout|>"))
    return TwinVLA(preset("twinvla", preset_name), tok.get_vocab_size(), tokens)


def _build_twinbrainvla(preset_name: str, tok) -> TwinBrainVLA:
    tokens = TwinBrainTokens(vision_start=token_id(tok, "<|vision_start|>"),
                             vision_end=token_id(tok, "<|vision_end|>"), action=token_id(tok, "<|action|>"))
    return TwinBrainVLA(preset("twinbrainvla", preset_name), tok.get_vocab_size(), tokens)


FAMILIES = {
    "twinvla": Family(
        name="twinvla",
        prompts={"input_ids": "<|im_start|>system\nYou are a bimanual robot policy.<|im_end|>\n"
                              "<|im_start|>user\nWhat action should the robot take to {instruction}?"},
        encoder_outputs=("cond", "cond_null"),
        conditioning={"cond": "cond"},
        null_conditioning={"cond": "cond_null"},
        # action_heads.py denoise_cfg: guidance only for scale > 1, then the SAMPLE is clamped to +-5
        # after each step; the velocity is not.
        flow=FlowSettings(noise_at=1.0, steps=10, guidance_scale=1.5, guidance_clamp=5.0, clamp_target="sample",
                          guidance_applies_above=1.0),
        resize="bicubic", image_mean=(0.5, 0.5, 0.5), image_std=(0.5, 0.5, 0.5),
        state_mask=[True] * 3 + [False] * 7, action_mask=[True] * 3 + [False] * 7,
        clip_actions=False, dt=0.05, state_eps=1e-6, action_eps=1e-6, action_round=[False] * 10,
        build=_build_twinvla),
    "twinbrainvla": Family(
        name="twinbrainvla",
        prompts={"input_ids_left": "<|im_start|>user\n{instruction}<|im_end|>\n",
                 "input_ids_right": "Instruction: {instruction}\nAction Query: "},
        encoder_outputs=("readout", "state_token"),
        conditioning={"readout": "readout", "state_token": "state_token"},
        null_conditioning=None,
        flow=FlowSettings(noise_at=0.0, steps=4),
        resize="bicubic", image_mean=(0.48145466, 0.4578275, 0.40821073),
        image_std=(0.26862954, 0.26130258, 0.27577711),
        state_mask=[True] * 3 + [False] * 6 + [True], action_mask=[True] * 3 + [False] * 6 + [True],
        clip_actions=True, dt=0.05, state_eps=1e-6, action_eps=1e-6, action_round=[False] * 10,
        build=_build_twinbrainvla),
}


def family(name: str) -> Family:
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}: expected one of {sorted(FAMILIES)}")
    return FAMILIES[name]


class EncoderGraph(nn.Module):
    """images (uint8 NHWC), prompt ids, normalised state -> conditioning tensors."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        return self.model.encode(*inputs)


class DenoiserGraph(nn.Module):
    """(x_t, t, conditioning...) -> velocity, plain (B, horizon, arms x per-arm dims) layout."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, *cond):
        return self.model.velocity(x_t, t, *cond)
