"""TwinVLA as the authors compute it (jellyho/TwinVLA: base_models.py TwinVLAMetaModel,
twinvlas/twin_eagle.py, heads/), with the authors' parameter names, so that a checkpoint written by
their save_pretrained loads unchanged:

    norm, embed_tokens_c, embed_arm_state, backbone_l.N.*, backbone_r.N.* (Qwen2 decoder layers),
    vision_c.vision_model.* (SigLIP), mlp1.{0,1,3}, decoder_c.* (the DiT head), gates.N (Linear with
    bias), action_token_l/r (only when the readout is learned).

Sequence (base_models.py:559-626): [common | left arm | right arm].
    common: the prompt (system + base prompt with the task), <img> head image </img>, "\\n"
    arm:    "Arm State: ", <img> wrist image </img>, the state token, "\\n", "\\n", "Action: ", readout
"\\n", "\\n" and "Action: " are tokenised separately (three pieces, not "\\n\\nAction: "). The readout
slot carries token id 0's embedding (readout_token_as_eos, the default) or the learned
action_token_l/r. Joint attention and the shared-token MoE: see _joint_layer."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .image_resize import EagleImagePreprocess
from .layers import (QwenDecoderLayer, batch_rows, RMSNorm, rope_cos_sin, apply_rope, split_heads, merge_heads,
                     repeat_kv, masked_softmax_attention)
from .masks import joint_attention_mask, joint_position_ids, common_key_weight
from .twinvla_config import TwinVLAArch
from .twinvla_dit import DiTPolicy
from . import vision
from .vision import pixel_shuffle

CAMERA_ROLES = ("head", "left_wrist", "right_wrist")


@dataclass(frozen=True)
class TwinVLATokens:
    """Token ids placed around the prompt, fixed at export from the checkpoint's tokenizer
    (base_models.py prepare_inputs_ids: each text tokenised on its own)."""
    img_start: int        # <img> (151665 in Eagle2's vocabulary)
    img_end: int          # </img> (151666)
    newline: list[int]    # "\n"
    arm_prefix: list[int]  # "Arm State: "
    action_prefix: list[int]  # "Action: "
    readout: int = 0      # the readout slot's token when readout_token_as_eos


class SiglipHead(nn.Module):
    """SigLIP's attention-pooling head. Checkpoints with vision_use_head carry it; the image tokens
    (last_hidden_state) do not use it."""

    def __init__(self, width: int, mlp: int):
        super().__init__()
        self.probe = nn.Parameter(torch.zeros(1, 1, width))
        self.attention = nn.MultiheadAttention(width, 1, batch_first=True)
        self.layernorm = nn.LayerNorm(width)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(width, mlp)
        self.mlp.fc2 = nn.Linear(mlp, width)


class SiglipTransformer(vision.SiglipTransformer):
    """vision.py's SigLIP with the checkpoint's layer-norm eps and, where it has one, the pooling head."""

    def __init__(self, v, use_head: bool):
        super().__init__(v)
        for layer in self.encoder.layers:
            layer.layer_norm1.eps = layer.layer_norm2.eps = v.ln_eps
        self.post_layernorm.eps = v.ln_eps
        if use_head:
            self.head = SiglipHead(v.width, v.mlp)


class SiglipVisionModel(nn.Module):
    def __init__(self, v, use_head: bool):
        super().__init__()
        self.vision_model = SiglipTransformer(v, use_head)


class TwinVLA(nn.Module):
    def __init__(self, arch: TwinVLAArch, tokens: TwinVLATokens,
                 camera_sizes: dict[str, tuple[int, int]] | None = None):
        super().__init__()
        self.cfg = self.arch = arch
        self.tokens = tokens
        lm, v = arch.lm, arch.vision
        s = v.image_size
        self.camera_sizes = {r: tuple(camera_sizes[r]) if camera_sizes and r in camera_sizes else (s, s)
                             for r in CAMERA_ROLES}
        self.norm = RMSNorm(lm.hidden, lm.rms_eps)
        self.embed_tokens_c = nn.Embedding(arch.vocab, lm.hidden)
        self.backbone_l = nn.ModuleList(
            QwenDecoderLayer(lm.hidden, lm.heads, lm.kv_heads, lm.intermediate, lm.rms_eps) for _ in range(lm.layers))
        self.backbone_r = nn.ModuleList(
            QwenDecoderLayer(lm.hidden, lm.heads, lm.kv_heads, lm.intermediate, lm.rms_eps) for _ in range(lm.layers))
        self.vision_c = SiglipVisionModel(v, arch.vision_use_head)
        c4 = v.width * int(1 / arch.downsample_ratio) ** 2
        self.mlp1 = nn.Sequential(nn.LayerNorm(c4), nn.Linear(c4, lm.hidden), nn.GELU(), nn.Linear(lm.hidden, lm.hidden))
        self.decoder_c = DiTPolicy(lm.hidden, arch.arm_dim, arch.state_dim, arch.horizon, arch.dit, arch.enable_cfg)
        self.embed_arm_state = nn.Linear(arch.state_dim, lm.hidden)
        self.gates = nn.ModuleList(nn.Linear(lm.hidden, 2) for _ in range(arch.gates))
        if not arch.readout_token_as_eos:
            self.action_token_l = nn.Parameter(torch.zeros(1, lm.hidden))
            self.action_token_r = nn.Parameter(torch.zeros(1, lm.hidden))
        self.preprocess = nn.ModuleDict({r: EagleImagePreprocess(h, w, s) for r, (h, w) in self.camera_sizes.items()})

    @property
    def flow_steps(self) -> int:
        """Euler steps at inference: singlevla_config's test_denoising_steps."""
        return self.arch.denoising_steps

    @property
    def guided(self) -> bool:
        """Guidance needs the DiT's null condition (enable_cfg)."""
        return self.arch.enable_cfg

    # -- images -----------------------------------------------------------------------------------
    def tokens_per_image(self) -> int:
        g = self.arch.vision.image_size // self.arch.vision.patch
        return int(g * self.arch.downsample_ratio) ** 2

    def image_tokens(self, role: str, images_u8: torch.Tensor) -> torch.Tensor:
        """twin_eagle.py image_embeds: SigLIP's last hidden state, pixel shuffle 0.5, mlp1."""
        x = self.vision_c.vision_model(self.preprocess[role](images_u8))
        n, p, c = x.shape
        g = int(p ** 0.5)
        x = pixel_shuffle(x.reshape(n, g, g, c), self.arch.downsample_ratio)
        return self.mlp1(x.reshape(n, -1, x.shape[-1]))

    # -- token layout -----------------------------------------------------------------------------
    def arm_length(self) -> int:
        t = self.tokens
        return len(t.arm_prefix) + 2 + self.tokens_per_image() + 1 + 2 * len(t.newline) + len(t.action_prefix) + 1

    def _embed(self, ids: list[int], b: int) -> torch.Tensor:
        return batch_rows(self.embed_tokens_c(torch.tensor([ids], dtype=torch.long)), b)

    def _arm_sequence(self, wrist: torch.Tensor, state: torch.Tensor, learned_readout) -> torch.Tensor:
        t, b = self.tokens, int(wrist.shape[0])
        readout = self._embed([t.readout], b) if learned_readout is None else batch_rows(learned_readout[None], b)
        return torch.cat([
            self._embed(t.arm_prefix + [t.img_start], b), wrist, self._embed([t.img_end], b),
            self.embed_arm_state(state)[:, None], self._embed(t.newline + t.newline + t.action_prefix, b), readout,
        ], dim=1)

    # -- joint attention (base_models.py:858-1008) ---------------------------------------------------
    def _joint_layer(self, i, c, l, r, cos, sin, allowed, key_weight):
        """Common tokens use the MEAN of the twins' modules (norms, q/k/v/o: fuse_model); each arm
        its own. One attention over [common | left | right] (causal, left and right both at
        positions after the common part, each seeing the other's tokens up to its own index);
        probabilities on common keys x2, renormalised. The common tokens' FFN: the gate (Linear
        with bias) picks the left or the right twin's MLP, hard top-1, ties to the left."""
        ll, rl = self.backbone_l[i], self.backbone_r[i]
        hc = 0.5 * (ll.input_layernorm(c) + rl.input_layernorm(c))
        hl, hr = ll.input_layernorm(l), rl.input_layernorm(r)

        def proj(name):
            pl, pr = getattr(ll.self_attn, name), getattr(rl.self_attn, name)
            return torch.cat([(pl(hc) + pr(hc)) / 2.0, pl(hl), pr(hr)], dim=1)

        attn = ll.self_attn
        q = apply_rope(split_heads(proj("q_proj"), attn.heads), cos, sin)
        k = apply_rope(split_heads(proj("k_proj"), attn.kv_heads), cos, sin)
        v = split_heads(proj("v_proj"), attn.kv_heads)
        groups = attn.heads // attn.kv_heads
        a = merge_heads(masked_softmax_attention(q, repeat_kv(k, groups), repeat_kv(v, groups), allowed, key_weight))
        cl, al = c.shape[1], l.shape[1]
        ac, a_l, a_r = a[:, :cl], a[:, cl:cl + al], a[:, cl + al:]
        c = c + (ll.self_attn.o_proj(ac) + rl.self_attn.o_proj(ac)) / 2.0
        l = l + ll.self_attn.o_proj(a_l)
        r = r + rl.self_attn.o_proj(a_r)

        hc = (ll.post_attention_layernorm(c) + rl.post_attention_layernorm(c)) / 2.0
        gate = self.gates[i](hc)
        c = c + torch.where(gate[..., :1] >= gate[..., 1:], ll.mlp(hc), rl.mlp(hc))
        l = l + ll.mlp(ll.post_attention_layernorm(l))
        r = r + rl.mlp(rl.post_attention_layernorm(r))
        return c, l, r

    # -- encoder: images, prompt, state -> conditioning ------------------------------------------------
    def encode(self, head, left_wrist, right_wrist, input_ids, state):
        """head/left_wrist/right_wrist uint8 (B, H, W, 3) at the cameras' sizes; input_ids (B, P): the
        system and base prompt with the task; state (B, 2*state_dim) normalised. Returns cond
        (B, 2, hidden): the DiT condition per arm (combine(readout, arm state)), and cond_null, the
        learned null condition `uncondition` in the same shape (cond itself where the head has none)."""
        d, b = self.arch.state_dim, int(head.shape[0])
        t = self.tokens
        common = torch.cat([self.embed_tokens_c(input_ids), self._embed([t.img_start], b),
                            self.image_tokens("head", head), self._embed([t.img_end] + t.newline, b)], dim=1)
        s_l, s_r = state[:, :d], state[:, d:]
        left = self._arm_sequence(self.image_tokens("left_wrist", left_wrist), s_l, getattr(self, "action_token_l", None))
        right = self._arm_sequence(self.image_tokens("right_wrist", right_wrist), s_r, getattr(self, "action_token_r", None))
        c_len, a_len = common.shape[1], left.shape[1]
        allowed = joint_attention_mask(c_len, a_len)
        pos = joint_position_ids(c_len, a_len)
        kw = common_key_weight(c_len, a_len, self.arch.common_key_weight)
        lm = self.arch.lm
        cos, sin = rope_cos_sin(pos, lm.hidden // lm.heads, lm.rope_theta)
        for i in range(self.arch.joint_layers):
            common, left, right = self._joint_layer(i, common, left, right, cos, sin, allowed, kw)
        # One final norm, shared (base_models.py:1006, the single-arm VLA's norm).
        h_l, h_r = self.norm(left[:, -1]), self.norm(right[:, -1])
        combine = self.decoder_c.combine
        z = torch.stack([combine(torch.cat([h_l, s_l], -1)), combine(torch.cat([h_r, s_r], -1))], 1)
        null = getattr(self.decoder_c.net.z_embedder, "uncondition", None)
        return z, (null[None].expand_as(z) if null is not None else z)

    def velocity(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """The contract's layout: x_t (B, horizon, 2*arm_dim) plain, t (B,), cond (B, 2, hidden).

        The authors' head sees the (horizon, 2*arm_dim) chunk reshaped row-major to (2, horizon,
        arm_dim) (base_models.py:1032, 1082): row 0 holds steps 0..horizon/2-1 of both arms
        interleaved L, R, L, R and is conditioned on the left arm, row 1 the later steps on the right
        arm. The same reshape, here and back, keeps their computation and gives the runtime a plain
        chunk."""
        b, hz, dim = x_t.shape
        rows = x_t.reshape(b * 2, hz, dim // 2)
        z = cond.reshape(b * 2, cond.shape[-1])
        return self.decoder_c.net(rows, t.repeat_interleave(2), z).reshape(b, hz, dim)
