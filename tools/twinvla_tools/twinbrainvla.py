"""TwinBrainVLA reference: a frozen generalist VLM (left brain) beside a trainable specialist VLM
(right brain) joined by AsyMoT, an action-query readout, and a DiT action expert whose even layers
cross-attend to the readout, conditioned on the timestep by adaLN."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

from .layers import (RMSNorm, batch_rows, rope_cos_sin, apply_rope, split_heads, merge_heads, repeat_kv,
                     masked_softmax_attention, TimestepEmbedder, DiTAttention, FeedForward)
from .masks import asymot_mask, causal_mask
from .presets import TwinBrainVLAConfig
from .twinvla import DecoderStack
from .vision import QwenVLVision


@dataclass(frozen=True)
class TwinBrainTokens:
    vision_start: int
    vision_end: int
    action: int  # <|action|>, repeated action_queries times at the end of the right stream


class VLM(nn.Module):
    """Named as Qwen2.5-VL: `visual.*`, `model.embed_tokens`, `model.layers.N.*`, `model.norm`."""

    def __init__(self, vocab: int, cfg: TwinBrainVLAConfig):
        super().__init__()
        self.visual = QwenVLVision(cfg.vision, cfg.lm.hidden)
        self.model = DecoderStack(vocab, cfg.lm)


class AdaLayerNorm(nn.Module):
    """LayerNorm without affine, shifted and scaled from the timestep embedding."""

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(width, 2 * width)

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        shift, scale = self.linear(F.silu(temb)).chunk(2, dim=-1)
        return self.norm(x) * (1 + scale[:, None]) + shift[:, None]


class ExpertBlock(nn.Module):
    def __init__(self, width: int, heads: int, context_width: int | None):
        super().__init__()
        self.cross = context_width is not None
        self.norm1 = AdaLayerNorm(width)
        self.attn1 = DiTAttention(width, heads, kv_width=context_width)
        self.norm3 = nn.LayerNorm(width, eps=1e-6)
        self.ff = FeedForward(width)

    def forward(self, x, temb, context):
        h = self.norm1(x, temb)
        x = x + self.attn1(h, context if self.cross else None)
        return x + self.ff(self.norm3(x))


class ActionExpert(nn.Module):
    """Sequence [state token, future tokens, action tokens + positions]; velocity at the actions."""

    def __init__(self, cfg: TwinBrainVLAConfig):
        super().__init__()
        w, d = cfg.dit.width, 2 * cfg.arm_dim
        self.cfg = cfg
        self.state_encoder = nn.Sequential(nn.Linear(d, w), nn.SiLU(), nn.Linear(w, w))
        self.future_tokens = nn.Embedding(cfg.future_tokens, w)
        self.action_encoder = nn.Linear(d, w)
        self.position_embedding = nn.Embedding(cfg.horizon, w)
        self.timestep_encoder = TimestepEmbedder(w)
        self.transformer_blocks = nn.ModuleList(
            ExpertBlock(w, cfg.dit.heads, cfg.lm.hidden if i % 2 == 0 else None) for i in range(cfg.dit.layers))
        self.norm_out = nn.LayerNorm(w, elementwise_affine=False, eps=1e-6)
        self.proj_out_1 = nn.Linear(w, 2 * w)
        self.action_decoder = nn.Linear(w, d)

    def encode_state(self, state: torch.Tensor) -> torch.Tensor:
        return self.state_encoder(state)[:, None]

    def velocity(self, x_t, t, readout, state_token):
        b = x_t.shape[0]
        temb = self.timestep_encoder(t)
        actions = self.action_encoder(x_t) + self.position_embedding.weight[None]
        future = self.future_tokens.weight[None].expand(b, -1, -1)
        x = torch.cat([state_token, future, actions], dim=1)
        for block in self.transformer_blocks:
            x = block(x, temb, readout)
        shift, scale = self.proj_out_1(F.silu(temb)).chunk(2, dim=-1)
        x = self.norm_out(x) * (1 + scale[:, None]) + shift[:, None]
        return self.action_decoder(x[:, -self.cfg.horizon:])


class TwinBrainVLA(nn.Module):
    def __init__(self, cfg: TwinBrainVLAConfig, vocab: int, tokens: TwinBrainTokens):
        super().__init__()
        self.cfg, self.tokens = cfg, tokens
        self.frozen_vlm = VLM(vocab, cfg)
        self.trainable_vlm = VLM(vocab, cfg)
        self.action_model = ActionExpert(cfg)
        for p in self.frozen_vlm.parameters():
            p.requires_grad_(False)

    def is_joint(self, layer: int) -> bool:
        return self.cfg.joint_layers == "all" or layer % 2 == 1

    def _ids(self, ids: list[int]) -> torch.Tensor:
        return torch.tensor([ids], dtype=torch.long)

    def _image_block(self, vlm: VLM, images_u8: torch.Tensor, b: int = 1) -> torch.Tensor:
        """images_u8: the cameras one after the other, each a batch of b."""
        emb, t = vlm.model.embed_tokens, self.tokens
        feats = vlm.visual(images_u8)
        parts = []
        for i in range(int(images_u8.shape[0]) // b):
            parts += [batch_rows(emb(self._ids([t.vision_start])), b), feats[i * b:(i + 1) * b],
                      batch_rows(emb(self._ids([t.vision_end])), b)]
        return torch.cat(parts, dim=1)

    def streams(self, images_u8, left_ids, right_ids):
        """Input embeddings of both brains: each sees the images through its own vision tower; the
        left brain then the instruction, the right brain its prompt and the action queries."""
        t, b = self.tokens, int(left_ids.shape[0])
        left = torch.cat([self._image_block(self.frozen_vlm, images_u8, b), self.frozen_vlm.model.embed_tokens(left_ids)], 1)
        emb_r = self.trainable_vlm.model.embed_tokens
        right = torch.cat([self._image_block(self.trainable_vlm, images_u8, b), emb_r(right_ids),
                           batch_rows(emb_r(self._ids([t.action] * self.cfg.action_queries)), b)], 1)
        return left, right

    def run_brains(self, left, right):
        """Both decoder stacks, layer by layer. Returns final-normed hidden states (left, right)."""
        lm = self.cfg.lm
        hd, groups = lm.hidden // lm.heads, lm.heads // lm.kv_heads
        l_len, r_len = left.shape[1], right.shape[1]
        cos_l, sin_l = rope_cos_sin(torch.arange(l_len), hd, lm.rope_theta)
        cos_r, sin_r = rope_cos_sin(torch.arange(r_len), hd, lm.rope_theta)
        left_allowed = causal_mask(l_len)
        for i in range(lm.layers):
            fl, tl = self.frozen_vlm.model.layers[i], self.trainable_vlm.model.layers[i]
            hl, hr = fl.input_layernorm(left), tl.input_layernorm(right)
            ql = apply_rope(split_heads(fl.self_attn.q_proj(hl), lm.heads), cos_l, sin_l)
            kl = apply_rope(split_heads(fl.self_attn.k_proj(hl), lm.kv_heads), cos_l, sin_l)
            vl = split_heads(fl.self_attn.v_proj(hl), lm.kv_heads)
            qr = apply_rope(split_heads(tl.self_attn.q_proj(hr), lm.heads), cos_r, sin_r)
            kr = apply_rope(split_heads(tl.self_attn.k_proj(hr), lm.kv_heads), cos_r, sin_r)
            vr = split_heads(tl.self_attn.v_proj(hr), lm.kv_heads)
            # Left brain: plain causal self-attention; it never sees the right brain.
            al = masked_softmax_attention(ql, repeat_kv(kl, groups), repeat_kv(vl, groups), left_allowed)
            # Right brain: queries over [K_left | K_right], [V_left | V_right].
            k_cat = repeat_kv(torch.cat([kl, kr], dim=2), groups)
            v_cat = repeat_kv(torch.cat([vl, vr], dim=2), groups)
            ar = masked_softmax_attention(qr, k_cat, v_cat, asymot_mask(l_len, r_len, self.is_joint(i)))
            left = left + fl.self_attn.o_proj(merge_heads(al))
            right = right + tl.self_attn.o_proj(merge_heads(ar))
            left = left + fl.mlp(fl.post_attention_layernorm(left))
            right = right + tl.mlp(tl.post_attention_layernorm(right))
        return self.frozen_vlm.model.norm(left), self.trainable_vlm.model.norm(right)

    def encode(self, head, left_wrist, right_wrist, left_ids, right_ids, state):
        """Returns readout (1, action_queries, hidden) and state_token (1, 1, dit width)."""
        images = torch.cat([head, left_wrist, right_wrist], dim=0)
        left, right = self.streams(images, left_ids, right_ids)
        _, h_right = self.run_brains(left, right)
        readout = h_right[:, -self.cfg.action_queries:]
        return readout, self.action_model.encode_state(state)

    def velocity(self, x_t, t, readout, state_token):
        return self.action_model.velocity(x_t, t, readout, state_token)
