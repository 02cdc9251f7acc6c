"""TwinBrainVLA's dimensions, as a starVLA run folder states them.

A released checkpoint is a run folder: `config.yaml` (the training configuration: framework.qwenvl
names the base VLM, framework.action_model sizes the action head, datasets.vla_data the image size
and prompt wrapper, doublevla the readout), `dataset_statistics.json` and
`checkpoints/steps_N_pytorch_model.pt`. The base VLM's own `config.json` sizes both brains (each
brain is a whole Qwen2.5-VL). `from_run_config` reads exactly the fields the authors' code reads;
presets build the same configuration for test and demo sizes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class QwenVisionConfig:
    """Qwen2.5-VL's vision tower (`vision_config` of the base VLM)."""
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


@dataclass(frozen=True)
class QwenTextConfig:
    """Qwen2.5-VL's language model (`text_config`, or the top level of older configs)."""
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


def vlm_configs(vlm: dict) -> tuple[QwenVisionConfig, QwenTextConfig]:
    """The base VLM's config.json (Qwen2.5-VL: text fields at the top level or under text_config)."""
    model_type = vlm.get("model_type", "")
    if model_type != "qwen2_5_vl":
        raise RunConfigError(f"base VLM config.json: model_type {model_type!r}; this exporter builds Qwen2.5-VL "
                             "brains (model_type 'qwen2_5_vl') only")
    v = vlm["vision_config"]
    text = {**vlm, **vlm.get("text_config", {})}
    rope = text.get("rope_scaling") or {}
    vision = QwenVisionConfig(
        depth=v["depth"], hidden_size=v["hidden_size"], intermediate_size=v["intermediate_size"],
        num_heads=v["num_heads"], out_hidden_size=v.get("out_hidden_size", text["hidden_size"]),
        patch_size=v.get("patch_size", 14), spatial_merge_size=v.get("spatial_merge_size", 2),
        temporal_patch_size=v.get("temporal_patch_size", 2), window_size=v.get("window_size", 112),
        fullatt_block_indexes=tuple(v.get("fullatt_block_indexes", ())))
    lm = QwenTextConfig(
        vocab_size=text["vocab_size"], hidden_size=text["hidden_size"], num_hidden_layers=text["num_hidden_layers"],
        num_attention_heads=text["num_attention_heads"], num_key_value_heads=text["num_key_value_heads"],
        intermediate_size=text["intermediate_size"], rope_theta=float(text.get("rope_theta", 1e6)),
        rms_norm_eps=float(text.get("rms_norm_eps", 1e-6)),
        mrope_section=tuple(rope.get("mrope_section", (16, 24, 24))),
        tie_word_embeddings=bool(vlm.get("tie_word_embeddings", text.get("tie_word_embeddings", True))))
    return vision, lm


def _horizon(am: dict) -> int:
    """predict_action draws noise of action_horizon rows and integrates the last
    future_action_window_size + 1 rows of the velocity: the two must agree."""
    rows = int(am["future_action_window_size"]) + 1
    if int(am.get("action_horizon", rows)) != rows:
        raise RunConfigError(f"config.yaml: framework.action_model.action_horizon {am['action_horizon']} differs from "
                             f"future_action_window_size + 1 = {rows}; the authors' sampler needs them equal")
    return rows


def from_run_config(run: dict, vlm: dict) -> TwinBrainVLAConfig:
    """config.yaml (as a dict) + the base VLM's config.json -> the architecture."""
    vision, lm = vlm_configs(vlm)
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
                             "(patch x merge), which Qwen2.5-VL's processor would resize")
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
    """A Qwen2.5-VL config.json for the base VLM of a preset (test and demo sizes)."""
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


def read_run_folder(run_dir: Path, base_vlm: Path | None = None) -> tuple[TwinBrainVLAConfig, dict, Path]:
    """(architecture, config.yaml as a dict, base VLM folder) of a starVLA run folder."""
    import yaml
    run_dir = Path(run_dir)
    cfg_file = run_dir / "config.yaml"
    if not cfg_file.exists():
        raise RunConfigError(f"{run_dir}: no config.yaml; a starVLA run folder holds config.yaml, "
                             "dataset_statistics.json and checkpoints/")
    run = yaml.safe_load(cfg_file.read_text())
    vlm_dir = Path(base_vlm) if base_vlm else Path(_get(run, "framework.qwenvl.base_vlm"))
    if not vlm_dir.is_absolute() and not vlm_dir.exists():
        vlm_dir = run_dir / vlm_dir
    if not (vlm_dir / "config.json").exists():
        raise RunConfigError(f"{cfg_file}: framework.qwenvl.base_vlm {vlm_dir} has no config.json; pass --base-vlm "
                             "with the Qwen2.5-VL folder the run was trained from (its config.json and tokenizer.json)")
    return from_run_config(run, json.loads((vlm_dir / "config.json").read_text())), run, vlm_dir


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
    """checkpoints/steps_N_pytorch_model.pt (or .safetensors) with the largest N."""
    import re
    found = []
    for f in (Path(run_dir) / "checkpoints").glob("steps_*_pytorch_model.*"):
        m = re.fullmatch(r"steps_(\d+)_pytorch_model\.(pt|safetensors)", f.name)
        if m:
            found.append((int(m.group(1)), f))
    if not found:
        raise RunConfigError(f"{run_dir}/checkpoints holds no steps_N_pytorch_model.pt; pass --checkpoint")
    return max(found)[1]
