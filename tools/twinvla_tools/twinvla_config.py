"""TwinVLA's dimensions and switches, read from a checkpoint's own files as the authors' code writes
them (TwinVLA.save_pretrained, twinvla.py:194-197): `config.json` (the TwinVLA config) and
`singlevla_config/config.json` (the single-arm VLA it was built from: the Eagle2 vision and Qwen2
language configs, the action head's size, the chunk length). The size presets are configs in that
same layout, so one path builds every model, from a test model to the published Eagle2-1B twins,
and our own trained checkpoints are saved in the authors' layout too."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

from .presets import DiTConfig, LMConfig, VisionConfig

# action_heads.py:41-46: the DiT sizes the single-arm config names.
DIT_SIZES = {"DiT-S": DiTConfig(width=384, layers=6, heads=4), "DiT-B": DiTConfig(width=768, layers=12, heads=12),
             "DiT-L": DiTConfig(width=1024, layers=24, heads=16)}
# base_models.py:1186 and :877: 24 MoE gates are made, and the joint layers loop runs 24 times,
# whatever the language model's depth.
AUTHORS_GATES = 24


@dataclass(frozen=True)
class TwinVLAArch:
    vision: VisionConfig
    lm: LMConfig
    dit: DiTConfig
    horizon: int                  # action_len
    arm_dim: int                  # action_dim (per arm)
    state_dim: int                # per arm
    vocab: int
    readout_token_as_eos: bool    # True: the readout slot carries token 0's embedding; else action_token_l/r
    denoising_steps: int          # test_denoising_steps
    enable_cfg: bool              # the DiT holds the null condition `uncondition`
    normalization: str            # quantile | minmax | normal
    vision_use_head: bool         # SigLIP's pooling head: in the checkpoint, unused for the tokens
    downsample_ratio: float = 0.5
    common_key_weight: float = 2.0
    gates: int = AUTHORS_GATES
    family: str = "twinvla"

    @property
    def joint_layers(self) -> int:
        return min(self.lm.layers, self.gates)


class TwinVLAConfigError(ValueError):
    pass


def _need(cfg: dict, key: str, where: str):
    if key not in cfg:
        raise TwinVLAConfigError(f"{where}: no {key!r}; a TwinVLA checkpoint's config names it (the authors' "
                                 "save_pretrained writes config.json and singlevla_config/config.json)")
    return cfg[key]


def arch_from_configs(twin: dict, single: dict, where: str = "config") -> TwinVLAArch:
    """twin: config.json; single: singlevla_config/config.json (or config.json's singlevla_config)."""
    for key, want in (("share_vision", True), ("share_decoder", True), ("share_embed_tokens", True),
                      ("enable_moe", True), ("enable_joint_attn", True)):
        if twin.get(key, want) != want:
            raise TwinVLAConfigError(f"{where}: {key} = {twin[key]!r}; only the published TwinVLA layout "
                                     f"({key} = {want}) is supported")
    if single.get("num_readouts", 1) != 1:
        raise TwinVLAConfigError(f"{where}: num_readouts = {single['num_readouts']}; the authors' DiT head takes one "
                                 "readout per arm (DiTPolicy.denoise squeezes it)")
    if single.get("denoiser", "FM") != "FM" or single.get("action_head", "DiT") != "DiT":
        raise TwinVLAConfigError(f"{where}: action head {single.get('action_head')!r} with denoiser "
                                 f"{single.get('denoiser')!r}; supported: the DiT flow-matching head ('DiT', 'FM')")
    if not twin.get("attn_reweighting", True):
        raise TwinVLAConfigError(f"{where}: attn_reweighting = false is an ablation this exporter does not build")
    v = _need(single, "vision_config", f"{where} singlevla")
    lm = _need(single, "llm_config", f"{where} singlevla")
    dit_name = single.get("dit_size", "DiT-L")
    # dit_dims is this project's extension for test-sized models (the authors' sizes start at DiT-S).
    dims = single.get("dit_dims")
    if dims is None and dit_name not in DIT_SIZES:
        raise TwinVLAConfigError(f"{where}: dit_size {dit_name!r}; the authors define {sorted(DIT_SIZES)}")
    dit = DiTConfig(int(dims["width"]), int(dims["layers"]), int(dims["heads"])) if dims else DIT_SIZES[dit_name]
    image = single.get("force_image_size") or _need(v, "image_size", f"{where} vision_config")
    hidden = _need(lm, "hidden_size", f"{where} llm_config")
    heads = _need(lm, "num_attention_heads", f"{where} llm_config")
    return TwinVLAArch(
        vision=VisionConfig(image_size=int(image), patch=int(_need(v, "patch_size", "vision_config")),
                            width=int(_need(v, "hidden_size", "vision_config")),
                            layers=int(_need(v, "num_hidden_layers", "vision_config")),
                            heads=int(_need(v, "num_attention_heads", "vision_config")),
                            mlp=int(_need(v, "intermediate_size", "vision_config")),
                            ln_eps=float(v.get("layer_norm_eps", 1e-6))),
        lm=LMConfig(hidden=int(hidden), layers=int(_need(lm, "num_hidden_layers", "llm_config")), heads=int(heads),
                    kv_heads=int(lm.get("num_key_value_heads", heads)),
                    intermediate=int(_need(lm, "intermediate_size", "llm_config")),
                    rope_theta=float(lm.get("rope_theta", 10000.0)), rms_eps=float(lm.get("rms_norm_eps", 1e-6))),
        dit=dit,
        horizon=int(_need(single, "action_len", f"{where} singlevla")),
        arm_dim=int(_need(single, "action_dim", f"{where} singlevla")),
        state_dim=int(_need(single, "state_dim", f"{where} singlevla")),
        vocab=int(lm.get("vocab_size", single.get("vocab_size", 0))),
        readout_token_as_eos=bool(single.get("readout_token_as_eos", False)),
        denoising_steps=int(single.get("test_denoising_steps") or 10),
        enable_cfg=bool(single.get("enable_cfg", True)),
        normalization=str(twin.get("normalization") or single.get("normalization") or "quantile"),
        vision_use_head=bool(v.get("vision_use_head", True)),
        downsample_ratio=float(single.get("downsample_ratio", 0.5)),
    )


def read_arch(folder: str | Path) -> TwinVLAArch:
    """A TwinVLA checkpoint folder: config.json, and singlevla_config/config.json beside it (or the
    copy config.json carries under singlevla_config)."""
    folder = Path(folder)
    cfg_file = folder / "config.json"
    if not cfg_file.exists():
        raise TwinVLAConfigError(f"{folder}: no config.json; pass the folder TwinVLA.save_pretrained wrote")
    twin = json.loads(cfg_file.read_text())
    single_file = folder / "singlevla_config" / "config.json"
    if single_file.exists():
        single = json.loads(single_file.read_text())
    elif isinstance(twin.get("singlevla_config"), dict):
        single = twin["singlevla_config"]
    else:
        raise TwinVLAConfigError(f"{folder}: no singlevla_config/config.json and no singlevla_config in config.json")
    return arch_from_configs(twin, single, str(folder))


def preset_configs(name: str) -> tuple[dict, dict]:
    """(config.json, singlevla_config/config.json) of a size preset, in the authors' layout."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r} for twinvla: expected one of {sorted(PRESETS)}")
    vision, llm, single = copy.deepcopy(PRESETS[name])
    twin = {"model_type": "Eagle2_1BTwinVLA", "architectures": ["Eagle2_1BTwinVLA"], "action_dim": 10, "action_len": 20,
            "state_dim": 10, "normalization": "quantile", "modeling": "denoising", "action_head": "DiT",
            "denoiser": "FM", "num_readouts": 1, "readout_token_as_eos": True, "share_vision": True,
            "share_decoder": True, "share_embed_tokens": True, "attn_reweighting": True, "dit_scratch": False,
            "enable_moe": True, "enable_joint_attn": True}
    single = {"model_type": "Eagle2_1BVLA", "architectures": ["Eagle2_1BVLA"], "action_head": "DiT",
              "action_dim": 10, "action_len": 20, "state_dim": 10, "denoiser": "FM", "test_denoising_steps": 10,
              "num_readouts": 1, "readout_token_as_eos": True, "aggregation": "None", "enable_cfg": True,
              "normalization": "quantile", "downsample_ratio": 0.5, "force_image_size": vision["image_size"],
              "vision_config": {"model_type": "siglip_vision_model", "hidden_act": "gelu_pytorch_tanh",
                                "layer_norm_eps": 1e-6, "vision_use_head": False, **vision},
              "llm_config": {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_act": "silu",
                             "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, **llm},
              **single}
    return twin, single


def preset_arch(name: str, vocab: int) -> TwinVLAArch:
    twin, single = preset_configs(name)
    single["llm_config"]["vocab_size"] = vocab
    return arch_from_configs(twin, single, f"preset {name}")


def write_configs(folder: str | Path, twin: dict, single: dict) -> None:
    """The two config files where the authors' save_pretrained puts them."""
    folder = Path(folder)
    (folder / "singlevla_config").mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({**twin, "singlevla_config": single}, indent=1) + "\n")
    (folder / "singlevla_config" / "config.json").write_text(json.dumps(single, indent=1) + "\n")


# name -> (vision_config, llm_config, single-arm fields). Published: Eagle2-1B (SigLIP 448/14,
# Qwen2.5-0.5B) with DiT-L; the others are ours, in the same layout.
PRESETS = {
    "tiny": ({"image_size": 56, "patch_size": 14, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
              "intermediate_size": 64},
             {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
              "intermediate_size": 128},
             {"dit_size": "tiny", "dit_dims": {"width": 64, "layers": 2, "heads": 4}}),
    # The synthetic task's demo model, trained on two CPU cores.
    "demo": ({"image_size": 84, "patch_size": 14, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "intermediate_size": 128},
             {"hidden_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
              "intermediate_size": 192},
             {"dit_size": "demo", "dit_dims": {"width": 96, "layers": 2, "heads": 4}}),
    "small": ({"image_size": 224, "patch_size": 14, "hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 6,
               "intermediate_size": 1536},
              {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 6, "num_key_value_heads": 2,
               "intermediate_size": 1536},
              {"dit_size": "DiT-S"}),
    "published": ({"image_size": 448, "patch_size": 14, "hidden_size": 1152, "num_hidden_layers": 27,
                   "num_attention_heads": 16, "intermediate_size": 4304},
                  {"hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
                   "intermediate_size": 4864},
                  {"dit_size": "DiT-L"}),
}
