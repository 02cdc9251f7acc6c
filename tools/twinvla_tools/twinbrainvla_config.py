"""TwinBrainVLA's dimensions, as a starVLA run folder states them.

A released checkpoint is a run folder: `config.yaml` (the training configuration: framework.qwenvl
names the base VLM, framework.action_model sizes the action head, datasets.vla_data the image size
and prompt wrapper, doublevla the readout), `dataset_statistics.json` and the weights
(`checkpoints/steps_N_pytorch_model.pt`, `final_model/...`: latest_checkpoint). The base VLM's own `config.json` sizes both brains (each
brain is a whole Qwen2.5-VL or Qwen3-VL) and its `preprocessor_config.json` says how the processor
normalises and resizes the cameras. `from_run_config` reads exactly the fields the authors' code
reads; presets build the same configuration for test and demo sizes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
QWEN25 = "qwen2_5_vl"
QWEN3 = "qwen3_vl"


@dataclass(frozen=True)
class QwenVisionConfig:
    """The base VLM's vision tower (`vision_config`) and its processor's normalisation.
    kind qwen2_5_vl: windowed attention, RMSNorm, SwiGLU, no patch bias. kind qwen3_vl: learned
    position table interpolated to the grid, LayerNorm, GELU (tanh) MLP, patch bias, full attention,
    DeepStack mergers (loaded; PhysBrainVLA keeps only the main merger's tokens, PhysBrainVLA.py:845-849)."""
    depth: int
    hidden_size: int
    intermediate_size: int
    num_heads: int
    out_hidden_size: int
    patch_size: int = 14
    spatial_merge_size: int = 2
    temporal_patch_size: int = 2
    window_size: int = 112
    fullatt_block_indexes: tuple[int, ...] = (7, 15, 23, 31)
    kind: str = QWEN25
    num_position_embeddings: int = 0
    deepstack_visual_indexes: tuple[int, ...] = ()
    image_mean: tuple[float, ...] = CLIP_MEAN
    image_std: tuple[float, ...] = CLIP_STD


@dataclass(frozen=True)
class QwenTextConfig:
    """The language model (`text_config`, or the top level of older Qwen2.5-VL configs). Qwen3-VL's
    adds q/k RMSNorm per head, an explicit head_dim, no q/k/v bias, and interleaves the M-RoPE bands."""
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    intermediate_size: int
    rope_theta: float = 1e6
    rms_norm_eps: float = 1e-6
    mrope_section: tuple[int, ...] = (16, 24, 24)
    tie_word_embeddings: bool = True
    head_dim: int = 0                 # 0: hidden_size / num_attention_heads
    qk_norm: bool = False
    attention_bias: bool = True
    mrope_interleaved: bool = False

    @property
    def head_width(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads


@dataclass(frozen=True)
class ActionHeadConfig:
    """starVLA's GR00T-style flow-matching head (`framework.action_model`, DiT preset merged with
    `diffusion_model_cfg`, as FlowmatchingActionHead does it)."""
    action_dim: int
    state_dim: int
    hidden_size: int                 # state encoder and action decoder hidden width
    input_embedding_dim: int         # token width of the DiT (= heads * head dim)
    num_attention_heads: int
    attention_head_dim: int
    num_layers: int
    output_dim: int
    horizon: int                     # future_action_window_size + 1
    interleave_self_attention: bool = False
    positional_embeddings: str | None = "sinusoidal"
    max_num_positional_embeddings: int = 512
    num_target_vision_tokens: int = 32
    max_seq_len: int = 1024
    add_pos_embed: bool = True
    num_timestep_buckets: int = 1000
    num_inference_timesteps: int = 4
    norm_eps: float = 1e-5


@dataclass(frozen=True)
class TwinBrainVLAConfig:
    vision: QwenVisionConfig
    text: QwenTextConfig
    head: ActionHeadConfig
    image_size: int = 224
    action_queries: int = 8
    selected_layer: int = -1          # doublevla.hidden_states_selected_layer
    cot_prompt: str | None = None     # datasets.vla_data.CoT_prompt: wraps the instruction of both brains
    arm_dim: int = 10
    family: str = field(default="twinbrainvla")

    @property
    def horizon(self) -> int:
        return self.head.horizon

    def tokens_per_image(self) -> int:
        g = self.image_size // self.vision.patch_size // self.vision.spatial_merge_size
        return g * g


DIT_PRESETS = {  # GR00T_ActionHeader.DiTConfig
    "DiT-B": {"input_embedding_dim": 768, "attention_head_dim": 64, "num_attention_heads": 12},
    "DiT-L": {"input_embedding_dim": 1536, "attention_head_dim": 48, "num_attention_heads": 32},
}


class RunConfigError(ValueError):
    pass


def _get(d: dict, path: str, default=...):
    cur = d
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            if default is ...:
                raise RunConfigError(f"config.yaml: {path} is missing; a starVLA run folder's config.yaml sets it")
            return default
        cur = cur[part]
    return cur


def vlm_configs(vlm: dict, processor: dict | None = None) -> tuple[QwenVisionConfig, QwenTextConfig]:
    """The base VLM's config.json (Qwen2.5-VL: text fields at the top level or under text_config;
    Qwen3-VL: under text_config) and its preprocessor_config.json (mean and std; the released values
    when the folder has none)."""
    model_type = vlm.get("model_type", "")
    if model_type not in (QWEN25, QWEN3):
        raise RunConfigError(f"base VLM config.json: model_type {model_type!r}; this exporter builds Qwen2.5-VL "
                             f"('{QWEN25}') and Qwen3-VL ('{QWEN3}') brains")
    v = vlm["vision_config"]
    text = {**vlm, **vlm.get("text_config", {})}
    rope = text.get("rope_scaling") or {}
    qwen3 = model_type == QWEN3
    proc = processor or {}
    mean, std = (0.5,) * 3 if qwen3 else CLIP_MEAN, (0.5,) * 3 if qwen3 else CLIP_STD
    if qwen3 and v.get("hidden_act", "gelu_pytorch_tanh") != "gelu_pytorch_tanh":
        raise RunConfigError(f"base VLM config.json: vision_config.hidden_act {v['hidden_act']!r}; Qwen3-VL's "
                             "vision MLP is 'gelu_pytorch_tanh'")
    vision = QwenVisionConfig(
        depth=v["depth"], hidden_size=v["hidden_size"], intermediate_size=v["intermediate_size"],
        num_heads=v["num_heads"], out_hidden_size=v.get("out_hidden_size", text["hidden_size"]),
        patch_size=v.get("patch_size", 16 if qwen3 else 14), spatial_merge_size=v.get("spatial_merge_size", 2),
        temporal_patch_size=v.get("temporal_patch_size", 2), window_size=v.get("window_size", 112),
        fullatt_block_indexes=tuple(v.get("fullatt_block_indexes", ())), kind=model_type,
        num_position_embeddings=int(v.get("num_position_embeddings", 2304 if qwen3 else 0)),
        deepstack_visual_indexes=tuple(v.get("deepstack_visual_indexes", (8, 16, 24) if qwen3 else ())),
        image_mean=tuple(float(x) for x in proc.get("image_mean", mean)),
        image_std=tuple(float(x) for x in proc.get("image_std", std)))
    lm = QwenTextConfig(
        vocab_size=text["vocab_size"], hidden_size=text["hidden_size"], num_hidden_layers=text["num_hidden_layers"],
        num_attention_heads=text["num_attention_heads"], num_key_value_heads=text["num_key_value_heads"],
        intermediate_size=text["intermediate_size"], rope_theta=float(text.get("rope_theta", 5e6 if qwen3 else 1e6)),
        rms_norm_eps=float(text.get("rms_norm_eps", 1e-6)),
        mrope_section=tuple(rope.get("mrope_section", (24, 20, 20) if qwen3 else (16, 24, 24))),
        tie_word_embeddings=bool(vlm.get("tie_word_embeddings", text.get("tie_word_embeddings", True))),
        head_dim=int(text.get("head_dim", 128)) if qwen3 else 0, qk_norm=qwen3,
        attention_bias=bool(text.get("attention_bias", False)) if qwen3 else True,
        # Qwen3VLTextRotaryEmbedding always interleaves (apply_interleaved_mrope), whatever the flag says.
        mrope_interleaved=qwen3)
    return vision, lm


def processed_side(side: int, vision: QwenVisionConfig, processor: dict | None) -> int:
    """The side the base VLM's image processor gives a side x side image (Qwen2VLImageProcessor's
    smart_resize: a multiple of patch x merge, area between min_pixels and max_pixels)."""
    import math
    proc = processor or {}
    size = proc.get("size") or {}
    lo = int(proc.get("min_pixels") or size.get("shortest_edge") or (65536 if vision.kind == QWEN3 else 3136))
    hi = int(proc.get("max_pixels") or size.get("longest_edge") or (16777216 if vision.kind == QWEN3 else 12845056))
    unit = vision.patch_size * vision.spatial_merge_size
    bar = round(side / unit) * unit
    if bar * bar > hi:
        beta = math.sqrt(side * side / hi)
        bar = max(unit, math.floor(side / beta / unit) * unit)
    elif bar * bar < lo:
        beta = math.sqrt(lo / (side * side))
        bar = math.ceil(side * beta / unit) * unit
    return bar


def _horizon(am: dict) -> int:
    """predict_action draws noise of action_horizon rows and integrates the last
    future_action_window_size + 1 rows of the velocity: the two must agree."""
    rows = int(am["future_action_window_size"]) + 1
    if int(am.get("action_horizon", rows)) != rows:
        raise RunConfigError(f"config.yaml: framework.action_model.action_horizon {am['action_horizon']} differs from "
                             f"future_action_window_size + 1 = {rows}; the authors' sampler needs them equal")
    return rows


def from_run_config(run: dict, vlm: dict, processor: dict | None = None) -> TwinBrainVLAConfig:
    """config.yaml (as a dict) + the base VLM's config.json (+ its preprocessor_config.json) -> the
    architecture."""
    vision, lm = vlm_configs(vlm, processor)
    am = _get(run, "framework.action_model")
    kind = _get(run, "framework.action_model.action_model_type")
    if kind not in DIT_PRESETS:
        raise RunConfigError(f"config.yaml: framework.action_model.action_model_type {kind!r}: expected one of "
                             f"{sorted(DIT_PRESETS)}")
    dit = {**DIT_PRESETS[kind], **(am.get("diffusion_model_cfg") or {})}
    state_dim = am.get("state_dim")
    if not state_dim:
        raise RunConfigError("config.yaml: framework.action_model.state_dim is empty; twinvla feeds the arms' "
                             "state, so only checkpoints trained with a state encoder can be exported")
    head = ActionHeadConfig(
        action_dim=int(am["action_dim"]), state_dim=int(state_dim), hidden_size=int(am["hidden_size"]),
        input_embedding_dim=int(DIT_PRESETS[kind]["input_embedding_dim"]),
        num_attention_heads=int(dit.get("num_attention_heads", 8)), attention_head_dim=int(dit.get("attention_head_dim", 64)),
        num_layers=int(dit.get("num_layers", 12)), output_dim=int(dit.get("output_dim", 26)),
        horizon=_horizon(am),
        interleave_self_attention=bool(dit.get("interleave_self_attention", False)),
        positional_embeddings=dit.get("positional_embeddings", "sinusoidal"),
        max_num_positional_embeddings=int(dit.get("max_num_positional_embeddings", 512)),
        num_target_vision_tokens=int(am.get("num_target_vision_tokens", 32)), max_seq_len=int(am.get("max_seq_len", 1024)),
        add_pos_embed=bool(am.get("add_pos_embed", True)), num_timestep_buckets=int(am.get("num_timestep_buckets", 1000)),
        num_inference_timesteps=int(am["num_inference_timesteps"]), norm_eps=float(dit.get("norm_eps", 1e-5)))
    if head.num_attention_heads * head.attention_head_dim != head.input_embedding_dim:
        raise RunConfigError(f"config.yaml: DiT heads x head dim = {head.num_attention_heads * head.attention_head_dim} "
                             f"differs from the {kind} token width {head.input_embedding_dim}")
    size = _get(run, "datasets.vla_data.image_size", None)
    if size is None:
        raise RunConfigError("config.yaml: datasets.vla_data.image_size is missing; predict_action resizes the "
                             "cameras to it, so the export needs it")
    if size[0] != size[1]:
        raise RunConfigError(f"config.yaml: datasets.vla_data.image_size {list(size)}: square images expected")
    unit = vision.patch_size * vision.spatial_merge_size
    if size[0] % unit:
        raise RunConfigError(f"config.yaml: datasets.vla_data.image_size {size[0]} is not a multiple of {unit} "
                             "(patch x merge), which the base VLM's processor would resize")
    side = processed_side(int(size[0]), vision, processor)
    if side != size[0]:
        # The processor would resample the 224 px camera again (Qwen3-VL's released processor: at least
        # 65536 pixels, so 224 -> 256), with PIL's or torchvision's bicubic depending on what is
        # installed; the graphs do not reproduce that second resampling.
        raise RunConfigError(f"config.yaml: datasets.vla_data.image_size {size[0]}: the base VLM's processor "
                             f"(preprocessor_config.json min/max pixels) resizes a {size[0]} px image to {side} px, "
                             "a second resampling the exported graphs do not reproduce; export a run trained at "
                             f"{side} px, or a base VLM whose processor keeps {size[0]} px")
    dv = run.get("doublevla") or {}
    return TwinBrainVLAConfig(vision=vision, text=lm, head=head, image_size=int(size[0]),
                              action_queries=int(dv.get("action_query_token_num", 8)),
                              selected_layer=int(dv.get("hidden_states_selected_layer", -1)),
                              cot_prompt=_get(run, "datasets.vla_data.CoT_prompt", None))


def run_config_dict(cfg: TwinBrainVLAConfig, base_vlm: str) -> dict:
    """The config.yaml fields the architecture comes from (what the demo's training writes)."""
    h, dit = cfg.head, {"num_layers": cfg.head.num_layers, "output_dim": cfg.head.output_dim,
                        "num_attention_heads": cfg.head.num_attention_heads,
                        "attention_head_dim": cfg.head.attention_head_dim,
                        "interleave_self_attention": cfg.head.interleave_self_attention,
                        "positional_embeddings": cfg.head.positional_embeddings, "norm_type": "ada_norm",
                        "cross_attention_dim": cfg.text.hidden_size}
    kind = next(k for k, v in DIT_PRESETS.items() if v["input_embedding_dim"] == h.input_embedding_dim) \
        if any(v["input_embedding_dim"] == h.input_embedding_dim for v in DIT_PRESETS.values()) else None
    if kind is None:
        raise RunConfigError(f"no DiT preset has width {h.input_embedding_dim}")
    vla = {"image_size": [cfg.image_size, cfg.image_size]}
    if cfg.cot_prompt:
        vla["CoT_prompt"] = cfg.cot_prompt
    return {
        "framework": {"name": "PhysBrainVLA", "qwenvl": {"base_vlm": base_vlm},
                      "action_model": {"action_model_type": kind, "hidden_size": h.hidden_size, "action_dim": h.action_dim,
                                       "state_dim": h.state_dim, "future_action_window_size": h.horizon - 1,
                                       # GR00T_ActionHeader.predict_action draws its noise with action_horizon rows
                                       "action_horizon": h.horizon,
                                       "past_action_window_size": 0, "add_pos_embed": h.add_pos_embed,
                                       "max_seq_len": h.max_seq_len, "num_target_vision_tokens": h.num_target_vision_tokens,
                                       "num_timestep_buckets": h.num_timestep_buckets,
                                       "num_inference_timesteps": h.num_inference_timesteps,
                                       "noise_beta_alpha": 1.5, "noise_beta_beta": 1.0, "noise_s": 0.999,
                                       "diffusion_model_cfg": dit}},
        "datasets": {"vla_data": vla},
        "doublevla": {"action_query_token_num": cfg.action_queries, "hidden_states_selected_layer": cfg.selected_layer},
    }


def vlm_config_dict(cfg: TwinBrainVLAConfig) -> dict:
    """The base VLM's config.json for a preset (test and demo sizes): Qwen2.5-VL's, or Qwen3-VL's for a
    qwen3_vl vision kind."""
    if cfg.vision.kind == QWEN3:
        return _qwen3_config_dict(cfg)
    v, t = cfg.vision, cfg.text
    return {
        "model_type": "qwen2_5_vl", "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "vocab_size": t.vocab_size, "hidden_size": t.hidden_size, "num_hidden_layers": t.num_hidden_layers,
        "num_attention_heads": t.num_attention_heads, "num_key_value_heads": t.num_key_value_heads,
        "intermediate_size": t.intermediate_size, "rope_theta": t.rope_theta, "rms_norm_eps": t.rms_norm_eps,
        "hidden_act": "silu", "max_position_embeddings": 32768, "tie_word_embeddings": t.tie_word_embeddings,
        "rope_scaling": {"type": "mrope", "rope_type": "default", "mrope_section": list(t.mrope_section)},
        "vision_start_token_id": 151652, "vision_end_token_id": 151653, "image_token_id": 151655,
        "video_token_id": 151656,
        "vision_config": {"depth": v.depth, "hidden_size": v.hidden_size, "intermediate_size": v.intermediate_size,
                          "num_heads": v.num_heads, "out_hidden_size": v.out_hidden_size, "patch_size": v.patch_size,
                          "spatial_merge_size": v.spatial_merge_size, "temporal_patch_size": v.temporal_patch_size,
                          "window_size": v.window_size, "fullatt_block_indexes": list(v.fullatt_block_indexes),
                          "hidden_act": "silu", "in_chans": 3, "tokens_per_second": 2},
    }


def _qwen3_config_dict(cfg: TwinBrainVLAConfig) -> dict:
    v, t = cfg.vision, cfg.text
    return {
        "model_type": QWEN3, "architectures": ["Qwen3VLForConditionalGeneration"],
        "image_token_id": 151655, "video_token_id": 151656, "vision_start_token_id": 151652,
        "vision_end_token_id": 151653, "tie_word_embeddings": t.tie_word_embeddings,
        "text_config": {"model_type": "qwen3_vl_text", "vocab_size": t.vocab_size, "hidden_size": t.hidden_size,
                        "num_hidden_layers": t.num_hidden_layers, "num_attention_heads": t.num_attention_heads,
                        "num_key_value_heads": t.num_key_value_heads, "head_dim": t.head_width,
                        "intermediate_size": t.intermediate_size, "rope_theta": t.rope_theta,
                        "rms_norm_eps": t.rms_norm_eps, "hidden_act": "silu", "attention_bias": t.attention_bias,
                        "max_position_embeddings": 262144, "tie_word_embeddings": t.tie_word_embeddings,
                        "rope_scaling": {"rope_type": "default", "mrope_interleaved": True,
                                         "mrope_section": list(t.mrope_section)}},
        "vision_config": {"model_type": QWEN3, "depth": v.depth, "hidden_size": v.hidden_size,
                          "intermediate_size": v.intermediate_size, "num_heads": v.num_heads,
                          "out_hidden_size": v.out_hidden_size, "patch_size": v.patch_size,
                          "spatial_merge_size": v.spatial_merge_size, "temporal_patch_size": v.temporal_patch_size,
                          "num_position_embeddings": v.num_position_embeddings,
                          "deepstack_visual_indexes": list(v.deepstack_visual_indexes),
                          "hidden_act": "gelu_pytorch_tanh", "in_channels": 3},
    }


def read_run_folder(run_dir: Path, base_vlm: Path | None = None) -> tuple[TwinBrainVLAConfig, dict, Path]:
    """(architecture, config.yaml as a dict, base VLM folder) of a starVLA run folder."""
    import yaml
    run_dir = Path(run_dir)
    cfg_file = run_dir / "config.yaml"
    if not cfg_file.exists():
        raise RunConfigError(f"{run_dir}: no config.yaml; a starVLA run folder holds config.yaml, "
                             "dataset_statistics.json and checkpoints/")
    run = yaml.safe_load(cfg_file.read_text())
    if not isinstance(run, dict):
        raise RunConfigError(f"{cfg_file}: expected a YAML mapping (starVLA's training configuration)")
    vlm_dir = Path(base_vlm) if base_vlm else Path(_get(run, "framework.qwenvl.base_vlm"))
    if not vlm_dir.is_absolute() and not vlm_dir.exists():
        vlm_dir = run_dir / vlm_dir
    if not (vlm_dir / "config.json").exists():
        raise RunConfigError(f"{cfg_file}: framework.qwenvl.base_vlm {vlm_dir} has no config.json; pass --base-vlm "
                             "with the Qwen2.5-VL folder the run was trained from (its config.json and tokenizer.json)")
    proc_file = vlm_dir / "preprocessor_config.json"
    processor = json.loads(proc_file.read_text()) if proc_file.exists() else None
    return from_run_config(run, json.loads((vlm_dir / "config.json").read_text()), processor), run, vlm_dir


def _preset(image: int, window: int, vision: tuple[int, int, int, int], full: tuple[int, ...],
            text: tuple[int, int, int, int, int], section: tuple[int, ...], head: dict) -> TwinBrainVLAConfig:
    depth, vw, vheads, vmlp = vision
    hidden, layers, heads, kv, inter = text
    return TwinBrainVLAConfig(
        vision=QwenVisionConfig(depth=depth, hidden_size=vw, intermediate_size=vmlp, num_heads=vheads,
                                out_hidden_size=hidden, window_size=window, fullatt_block_indexes=full),
        text=QwenTextConfig(vocab_size=0, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                            num_key_value_heads=kv, intermediate_size=inter, mrope_section=section),
        head=ActionHeadConfig(action_dim=20, state_dim=20, horizon=16, **head),
        image_size=image)


# vocab_size 0: a preset takes the vocabulary of the tokenizer it is built with.
PRESETS = {
    # 112 px, windows of 56 px: both the windowed and the full-attention vision paths run.
    "tiny": _preset(112, 56, (2, 32, 2, 64), (1,), (64, 2, 4, 2, 128), (2, 3, 3),
                    dict(hidden_size=64, input_embedding_dim=64, num_attention_heads=4, attention_head_dim=16,
                         num_layers=2, output_dim=32, interleave_self_attention=True,
                         positional_embeddings="sinusoidal", num_target_vision_tokens=8)),
    # The synthetic task's demo: 84 px (9 tokens per camera), trainable on two CPU cores.
    "demo": _preset(84, 112, (2, 64, 2, 128), (1,), (96, 2, 4, 2, 192), (4, 4, 4),
                    dict(hidden_size=96, input_embedding_dim=96, num_attention_heads=4, attention_head_dim=24,
                         num_layers=2, output_dim=96, interleave_self_attention=True,
                         positional_embeddings=None, num_target_vision_tokens=8)),
    # Qwen3-VL brains at test size: 64 px at patch 16 (4 x 4 patches, 4 tokens per camera), a 6 x 6
    # position table interpolated to the grid, one DeepStack merger; the text model's head width 24
    # (not hidden / heads = 16), q/k norms, interleaved M-RoPE (3, 4, 5).
    "tiny-qwen3": TwinBrainVLAConfig(
        vision=QwenVisionConfig(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                                patch_size=16, kind=QWEN3, num_position_embeddings=36, deepstack_visual_indexes=(0,),
                                fullatt_block_indexes=(), image_mean=(0.5,) * 3, image_std=(0.5,) * 3),
        text=QwenTextConfig(vocab_size=0, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                            num_key_value_heads=2, intermediate_size=128, rope_theta=5e6, mrope_section=(3, 4, 5),
                            head_dim=24, qk_norm=True, attention_bias=False, mrope_interleaved=True),
        head=ActionHeadConfig(action_dim=20, state_dim=20, horizon=16, hidden_size=64, input_embedding_dim=64,
                              num_attention_heads=4, attention_head_dim=16, num_layers=2, output_dim=32,
                              interleave_self_attention=True, positional_embeddings=None, num_target_vision_tokens=8),
        image_size=64),
    "small": _preset(224, 112, (6, 384, 6, 1536), (2, 5), (384, 6, 6, 2, 1536), (8, 12, 12),
                     dict(hidden_size=512, input_embedding_dim=384, num_attention_heads=6, attention_head_dim=64,
                          num_layers=6, output_dim=512, interleave_self_attention=True,
                          positional_embeddings=None, num_target_vision_tokens=32)),
    # Qwen2.5-VL-3B brains (LM 2048 wide, 36 layers, 16 heads, 2 KV heads, vocabulary 151936; vision
    # 1280 wide, 32 blocks, full attention at 7, 15, 23, 31) and the released head (DiT-B, 16 layers,
    # output 2560, hidden 1024, interleaved), 224 px.
    "published": TwinBrainVLAConfig(
        vision=QwenVisionConfig(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=2048),
        text=QwenTextConfig(vocab_size=151936, hidden_size=2048, num_hidden_layers=36, num_attention_heads=16,
                            num_key_value_heads=2, intermediate_size=11008),
        head=ActionHeadConfig(action_dim=20, state_dim=20, hidden_size=1024, input_embedding_dim=768,
                              num_attention_heads=12, attention_head_dim=64, num_layers=16, output_dim=2560,
                              horizon=16, interleave_self_attention=True, positional_embeddings=None),
        image_size=224),
}


def latest_checkpoint(run_dir: Path) -> Path:
    """The weights a starVLA run ended with, under the names its trainer writes (train_starvla.py,
    `save_format` pt or safetensors): `final_model/pytorch_model.pt` or `final_model/model.safetensors`
    when training finished, else the largest N of `checkpoints/steps_N_pytorch_model.pt` or
    `checkpoints/steps_N_model.safetensors`."""
    import re
    run_dir = Path(run_dir)
    final = [f for f in (run_dir / "final_model" / "pytorch_model.pt", run_dir / "final_model" / "model.safetensors")
             if f.is_file()]
    if len(final) > 1:
        raise RunConfigError(f"{run_dir}/final_model holds both pytorch_model.pt and model.safetensors; "
                             "pass --checkpoint with the one to export")
    if final:
        return final[0]
    found = []
    for f in (run_dir / "checkpoints").glob("steps_*"):
        m = re.fullmatch(r"steps_(\d+)_(pytorch_model\.pt|model\.safetensors)", f.name)
        if m:
            found.append((int(m.group(1)), f.name, f))
    if not found:
        raise RunConfigError(f"{run_dir}: no final_model/pytorch_model.pt or model.safetensors and no "
                             "checkpoints/steps_N_pytorch_model.pt or steps_N_model.safetensors; pass --checkpoint")
    step = max(found)[0]
    at_step = [f for n, _, f in found if n == step]
    if len(at_step) > 1:
        raise RunConfigError(f"{run_dir}/checkpoints holds step {step} twice ({', '.join(f.name for f in at_step)}); "
                             "pass --checkpoint with the one to export")
    return at_step[0]
