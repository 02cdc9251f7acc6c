"""What the exporter must know of each family: how to build the model from a tokenizer, the graphs'
input and output names, the prompt templates, the flow settings and default statistics."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .presets import preset
from .sampler import FlowSettings
from .tokenizer import encode, token_id
from .twinbrainvla import ACTION_TOKEN, STATE_TOKEN, TwinBrainVLA, prompt_prefix
from .twinbrainvla_config import TwinBrainVLAConfig
from .twinvla import TwinVLA, TwinVLATokens
from .twinvla_config import preset_arch, read_arch

CAMERAS = ("head", "left_wrist", "right_wrist")

# twin_eagle.py system_prompt() + base_models.py base_prompt(task), character for character (the
# spaces at the line ends and the indentation are theirs), tokenised as one text.
TWINVLA_PROMPT = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                  "You are a robotic decision-making assistant.  \n"
                  "            Given a task and robotic system states (Base, Arm), determine the appropriate action.\n"
                  "            What action should the robot take to accomplish {instruction}?\n"
                  "            Base State: \n        ")
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
    action_binarize: list[bool] | None = None  # per arm: after the clip, < 0.5 -> 0, else 1


def twinvla_tokens(tok) -> TwinVLATokens:
    """base_models.py prepare_inputs_ids: "\n", "Arm State: ", "Action: " each tokenised on its own;
    twin_eagle.py: the image wrappers <img> </img>; the readout slot is token 0."""
    return TwinVLATokens(img_start=token_id(tok, "<img>"), img_end=token_id(tok, "</img>"), newline=encode(tok, "\n"),
                         arm_prefix=encode(tok, "Arm State: "), action_prefix=encode(tok, "Action: "), readout=0)


def _build_twinvla(source, tok, camera_sizes=None) -> TwinVLA:
    """source: a preset name or a TwinVLAArch read from a checkpoint's config files."""
    arch = preset_arch(source, tok.get_vocab_size()) if isinstance(source, str) else source
    if arch.vocab < tok.get_vocab_size():
        raise ValueError(f"the tokenizer has {tok.get_vocab_size()} tokens, the checkpoint's embedding {arch.vocab}: "
                         "pass the tokenizer the checkpoint was trained with")
    return TwinVLA(arch, twinvla_tokens(tok), camera_sizes)


def _build_twinbrainvla(preset_or_cfg: "str | TwinBrainVLAConfig", tok) -> TwinBrainVLA:
    """The trainable brain's tokenizer gets `<|propri|>` and `<|action|>` as PhysBrainVLA adds them:
    special tokens appended to the base vocabulary (skipping any it has as special tokens), the
    trainable brain's embedding grown by the number added; the frozen brain keeps the base size
    (the base VLM's vocab_size; for a preset, the tokenizer's size). A tokenizer that already ends
    with them (an exported model's) was extended this way before: they count as added. The extended
    tokenizer is `model.tokenizer` (the caller's is left as it was)."""
    from dataclasses import replace
    from tokenizers import Tokenizer

    cfg = preset("twinbrainvla", preset_or_cfg) if isinstance(preset_or_cfg, str) else preset_or_cfg
    brain_tok = Tokenizer.from_str(tok.to_str())
    present = [i for i in (brain_tok.token_to_id(t) for t in (STATE_TOKEN, ACTION_TOKEN)) if i is not None]
    size = brain_tok.get_vocab_size()
    appended = [i for i in present if i >= size - len(present)]
    base = cfg.text.vocab_size or size - len(appended)
    added = brain_tok.add_special_tokens([STATE_TOKEN, ACTION_TOKEN]) + len(appended)
    cfg = replace(cfg, text=replace(cfg.text, vocab_size=base))
    model = TwinBrainVLA(cfg, base, base + added, encode(brain_tok, prompt_prefix(cfg)), token_id(brain_tok, "<|vision_start|>"),
                         token_id(brain_tok, "<|vision_end|>"), token_id(brain_tok, ACTION_TOKEN))
    model.tokenizer = brain_tok
    return model


FAMILIES = {
    "twinvla": Family(
        name="twinvla",
        prompts={"input_ids": TWINVLA_PROMPT},
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
        # The model's own templates (its config sets the query count and a CoT wrapper): see prompt_templates.
        prompts={"input_ids_left": "", "input_ids_right": ""},
        encoder_outputs=("readout_kv", "state_token"),
        conditioning={"readout_kv": "readout_kv", "state_token": "state_token"},
        null_conditioning=None,
        flow=FlowSettings(noise_at=0.0, steps=4),
        resize="bicubic", image_mean=(0.48145466, 0.4578275, 0.40821073),
        image_std=(0.26862954, 0.26130258, 0.27577711),
        # starVLA's default masks (data_config.py): position and rotation normalised, the gripper not;
        # un-normalised without eps (base_framework.unnormalize_actions).
        state_mask=[True] * 9 + [False], action_mask=[True] * 9 + [False],
        clip_actions=True, dt=0.05, state_eps=0.0, action_eps=0.0, action_round=[False] * 10,
        build=_build_twinbrainvla,
        # base_framework.unnormalize_actions: the gripper thresholded at 0.5 to 0 / 1 after the clip.
        action_binarize=[False] * 9 + [True]),
}


def prompt_templates(fam: Family, model) -> dict[str, str]:
    """Encoder prompt input -> template: the model's own where its configuration decides them."""
    return getattr(model, "prompt_templates", None) or fam.prompts


def flow_settings(fam: Family, model) -> FlowSettings:
    """The family's sampler with the model's own step count where its configuration sets one, and no
    guidance where the checkpoint was trained without a null condition (TwinVLA's enable_cfg)."""
    from dataclasses import replace
    steps = getattr(model, "flow_steps", None)
    flow = replace(fam.flow, steps=steps) if steps else fam.flow
    return flow if getattr(model, "guided", True) else replace(flow, guidance_scale=None)


def image_size(model) -> int:
    """The square side the vision tower takes."""
    return getattr(model.cfg, "image_size", None) or model.cfg.vision.image_size


def camera_size(model, role: str) -> tuple[int, int]:
    """(height, width) the model's graph takes from a camera: TwinVLA resizes inside its graph from the
    camera's own size, as the authors' preprocessing does; otherwise the vision tower's square."""
    sizes = getattr(model, "camera_sizes", None)
    if sizes:
        return tuple(sizes[role])
    s = image_size(model)
    return (s, s)


def build_for_folder(doc: dict, tok, checkpoint: Path | None):
    """The PyTorch model behind an exported folder (its manifest `doc`), initialised from the seed as the
    exporter drew it, weights not yet loaded: a checkpoint folder in the authors' layout (config.json)
    sizes it with its own config files and the manifest's camera sizes, otherwise the preset does."""
    fam = family(doc["family"])
    torch.manual_seed(int(doc["provenance"]["seed"]))
    if checkpoint is not None and checkpoint.is_dir() and (checkpoint / "config.json").exists():
        if fam.name != "twinvla":
            raise SystemExit(f"{checkpoint}: a config.json checkpoint folder is TwinVLA's layout, not {fam.name}'s")
        sizes = {c["role"]: (c["height"], c["width"]) for c in doc["cameras"]}
        return fam.build(read_arch(checkpoint), tok, sizes)
    return fam.build(doc["provenance"]["preset"], tok)


def model_tokenizer(model, tok):
    """The tokenizer the model reads its prompts with (TwinBrainVLA's has its two added tokens)."""
    return getattr(model, "tokenizer", None) or tok


def checkpoint_aliases(model) -> dict[str, str]:
    """Names a checkpoint holds twice (alias -> source): PhysBrainVLA exposes the trainable brain again as
    qwen_vl_interface.model, so its state dict carries every trainable-brain tensor under both names."""
    src = "qwen_vl_interface.trainable_vlm.model."
    return {"qwen_vl_interface.model." + k[len(src):]: k for k in model.state_dict() if k.startswith(src)}


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
