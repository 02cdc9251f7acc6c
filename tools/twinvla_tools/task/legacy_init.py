"""A starting point for training the TwinVLA demo model on the authors' architecture: the weights of
the earlier demo model (this project's first TwinVLA layout, commit 6f9e332) carried into the
authors' names, so training on the corrected architecture starts from what the task already taught.

    git show 6f9e332:models/twinvla-demo/checkpoint.safetensors > out/task/legacy-twinvla-demo.safetensors
    python -m twinvla_tools.task.legacy_init --legacy out/task/legacy-twinvla-demo.safetensors \\
        --legacy-tokenizer <(git show 6f9e332:models/twinvla-demo/tokenizer.json) --out out/task/twinvla-init.pt

What carries over exactly: the vision tower and mlp1, both twins' decoder layers, the DiT blocks
(separate q/k/v fused into qkv; the affine LayerNorm weights the earlier DiT had folded into the linear
layer after each norm, which the authors' norms lack), the condition projection, the null condition.
What is approximate: one shared embedding (the mean of the twins'), each new token's row taken from
the old vocabulary by its text; one shared final norm and state projection (the twins' mean); gate
biases 0. What cannot carry: the earlier timestep embedding saw 1000 t, the authors' sees t, so its
first layer starts from the old weights and is retrained; the prompt text is the authors' now."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from tokenizers import Tokenizer

from ..checkpoint import read_state_dict
from ..families import family
from ..twinvla_config import arch_from_configs, preset_configs
from .train import task_tokenizer

CAMERAS = {"head": (84, 112), "left_wrist": (60, 80), "right_wrist": (60, 80)}


def _fold(norm_w, norm_b, weight, bias):
    """Linear(LN(x) * w + b) = Linear'(LN(x)) with W' = W diag(w), b' = W b + bias."""
    return weight * norm_w[None, :], weight @ norm_b + bias


def convert(old: dict[str, torch.Tensor], old_tok: Tokenizer, new_tok: Tokenizer, preset: str = "demo") -> dict:
    twin, single = preset_configs(preset)
    single["llm_config"]["vocab_size"] = new_tok.get_vocab_size()
    model = family("twinvla").build(arch_from_configs(twin, single), new_tok, CAMERAS)
    sd = {k: v.clone().float() for k, v in model.state_dict().items()}
    g = {k: v.float() for k, v in old.items()}
    for k in list(g):
        if k.startswith("vision_model."):
            sd["vision_c." + k[len("vision_model."):]] = g[k]
        elif k.startswith("mlp1."):
            sd[k] = g[k]
    for side, name in (("l", "left_vla"), ("r", "right_vla")):
        pre = f"{name}.language_model.model.layers."
        for k in g:
            if k.startswith(pre):
                sd[f"backbone_{side}." + k[len(pre):]] = g[k]
    lm = lambda side, k: g[f"{side}_vla.language_model.model.{k}"]  # noqa: E731
    sd["norm.weight"] = 0.5 * (lm("left", "norm.weight") + lm("right", "norm.weight"))
    sd["embed_arm_state.weight"] = 0.5 * (g["left_vla.state_proj.weight"] + g["right_vla.state_proj.weight"])
    sd["embed_arm_state.bias"] = 0.5 * (g["left_vla.state_proj.bias"] + g["right_vla.state_proj.bias"])
    emb = 0.5 * (lm("left", "embed_tokens.weight") + lm("right", "embed_tokens.weight"))
    rows = sd["embed_tokens_c.weight"]
    for token, i in new_tok.get_vocab().items():
        j = old_tok.token_to_id(token)
        if j is not None and j < emb.shape[0]:
            rows[i] = emb[j]
        else:
            ids = old_tok.encode(new_tok.decode([i], skip_special_tokens=False), add_special_tokens=False).ids
            if ids:
                rows[i] = emb[ids].mean(0)
    for i in range(2):
        sd[f"gates.{i}.weight"] = g[f"moe_gates.{i}.weight"]
        sd[f"gates.{i}.bias"] = torch.zeros(2)
    h = "action_head."
    sd["decoder_c.combine.weight"], sd["decoder_c.combine.bias"] = g[h + "cond_proj.weight"], g[h + "cond_proj.bias"]
    sd["decoder_c.net.z_embedder.uncondition"] = g[h + "uncond_token"][None]
    for a, b in (("z_embedder", "z_embedder.linear"), ("x_embedder", "x_embedder.linear")):
        sd[f"decoder_c.net.{b}.weight"], sd[f"decoder_c.net.{b}.bias"] = g[h + a + ".weight"], g[h + a + ".bias"]
    for k in ("t_embedder.mlp.0.weight", "t_embedder.mlp.0.bias", "t_embedder.mlp.2.weight", "t_embedder.mlp.2.bias"):
        sd["decoder_c.net." + k] = g[h + k]
    sd["decoder_c.net.positional_embedding"] = g[h + "pos_embed"]
    blocks = len([k for k in g if k.startswith(h + "blocks.") and k.endswith("attn.to_q.weight")])
    for n in range(blocks):
        b, o = f"{h}blocks.{n}.", f"decoder_c.net.blocks.{n}."
        w = torch.cat([g[b + f"attn.to_{x}.weight"] for x in "qkv"])
        bias = torch.cat([g[b + f"attn.to_{x}.bias"] for x in "qkv"])
        sd[o + "attn.qkv.weight"], sd[o + "attn.qkv.bias"] = _fold(g[b + "norm1.weight"], g[b + "norm1.bias"], w, bias)
        sd[o + "attn.proj.weight"], sd[o + "attn.proj.bias"] = g[b + "attn.to_out.weight"], g[b + "attn.to_out.bias"]
        sd[o + "mlp.fc1.weight"], sd[o + "mlp.fc1.bias"] = _fold(g[b + "norm2.weight"], g[b + "norm2.bias"],
                                                             g[b + "ff.fc1.weight"], g[b + "ff.fc1.bias"])
        sd[o + "mlp.fc2.weight"], sd[o + "mlp.fc2.bias"] = g[b + "ff.fc2.weight"], g[b + "ff.fc2.bias"]
    sd["decoder_c.net.final_layer.linear.weight"], sd["decoder_c.net.final_layer.linear.bias"] = _fold(
        g[h + "norm_out.weight"], g[h + "norm_out.bias"], g[h + "proj_out.weight"], g[h + "proj_out.bias"])
    return sd


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--legacy", required=True, help="the earlier demo's checkpoint.safetensors")
    p.add_argument("--legacy-tokenizer", required=True, help="the earlier demo's tokenizer.json")
    p.add_argument("--out", required=True, help="state dict (.pt) to pass to task.train --init")
    a = p.parse_args()
    sd = convert(read_state_dict(a.legacy), Tokenizer.from_file(a.legacy_tokenizer), task_tokenizer("twinvla"))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(sd, a.out)
    print(json.dumps({"tensors": len(sd), "out": a.out}))


if __name__ == "__main__":
    main()
