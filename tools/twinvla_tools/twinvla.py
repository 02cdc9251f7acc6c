"""TwinVLA reference: one shared Eagle2 vision path, two Qwen2 decoder streams (left and right
SingleVLA) joined by joint attention, shared-token MoE, and a shared DiT flow-matching head."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .layers import (QwenDecoderLayer, batch_rows, RMSNorm, rope_cos_sin, apply_rope, split_heads, merge_heads,
                     repeat_kv, masked_softmax_attention, TimestepEmbedder, DiTAttention, FeedForward)
from .masks import joint_attention_mask, joint_position_ids, common_key_weight
from .presets import TwinVLAConfig
from .vision import EagleVision


@dataclass(frozen=True)
class TwinVLATokens:
    """Token ids the graph places around the prompt: fixed at export from the tokenizer."""
    img_start: int
    img_end: int
    newline: list[int]
    arm_prefix: list[int]   # "Arm State: "
    action_prefix: list[int]  # "\n\nAction: "
    state: int  # placeholder whose embedding is replaced by the projected state
    readout: int


class DecoderStack(nn.Module):
    """`model.embed_tokens`, `model.layers`, `model.norm`, as a Qwen2ForCausalLM's `model`."""

    def __init__(self, vocab: int, lm):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, lm.hidden)
        self.layers = nn.ModuleList(
            QwenDecoderLayer(lm.hidden, lm.heads, lm.kv_heads, lm.intermediate, lm.rms_eps) for _ in range(lm.layers))
        self.norm = RMSNorm(lm.hidden, lm.rms_eps)


class LanguageModel(nn.Module):
    def __init__(self, vocab: int, lm):
        super().__init__()
        self.model = DecoderStack(vocab, lm)


class SingleVLAStream(nn.Module):
    """One arm's decoder stream; names read `left_vla.language_model.model.layers.N...`."""

    def __init__(self, vocab: int, cfg: TwinVLAConfig):
        super().__init__()
        self.language_model = LanguageModel(vocab, cfg.lm)
        self.state_proj = nn.Linear(cfg.arm_dim, cfg.lm.hidden)


class DiTBlock(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=1e-6)
        self.attn = DiTAttention(width, heads)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.ff = FeedForward(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ff(self.norm2(x))


class TwinVLAActionHead(nn.Module):
    """Shared DiT: prefix token t_emb + z_emb, then the action tokens with learned positions."""

    def __init__(self, cfg: TwinVLAConfig):
        super().__init__()
        h, w = cfg.lm.hidden, cfg.dit.width
        self.cfg = cfg
        self.cond_proj = nn.Linear(h + cfg.arm_dim, h)
        self.uncond_token = nn.Parameter(torch.randn(h) * 0.02)
        self.z_embedder = nn.Linear(h, w)
        self.t_embedder = TimestepEmbedder(w)
        self.x_embedder = nn.Linear(cfg.arm_dim, w)
        self.pos_embed = nn.Parameter(torch.randn(1 + cfg.horizon, w) * 0.02)
        self.blocks = nn.ModuleList(DiTBlock(w, cfg.dit.heads) for _ in range(cfg.dit.layers))
        self.norm_out = nn.LayerNorm(w, eps=1e-6)
        self.proj_out = nn.Linear(w, cfg.arm_dim)

    def forward_rows(self, rows: torch.Tensor, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The reference layout: rows (R, horizon, arm_dim), t (R,), z (R, hidden)."""
        prefix = (self.t_embedder(t) + self.z_embedder(z))[:, None]
        x = torch.cat([prefix, self.x_embedder(rows)], dim=1) + self.pos_embed[None]
        for block in self.blocks:
            x = block(x)
        return self.proj_out(self.norm_out(x[:, 1:]))

    def velocity(self, x_t: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """The contract's layout: x_t (B, horizon, 2*arm_dim) plain, t (B,), cond (B, 2, hidden).

        Training reshaped the (horizon, 2*arm_dim) chunk row-major into (2, horizon, arm_dim): row 0
        holds steps 0..horizon/2-1 of both arms interleaved L,R,L,R and is conditioned on the left
        arm's z, row 1 the later steps on the right arm's z. The same reshape, here and back, keeps
        the checkpoint's behaviour and gives the runtime a plain chunk."""
        b, hz, d = x_t.shape
        rows = x_t.reshape(b * 2, hz, d // 2)
        z = cond.reshape(b * 2, cond.shape[-1])
        v = self.forward_rows(rows, t.repeat_interleave(2), z)
        return v.reshape(b, hz, d)


class TwinVLA(nn.Module):
    def __init__(self, cfg: TwinVLAConfig, vocab: int, tokens: TwinVLATokens):
        super().__init__()
        self.cfg, self.tokens = cfg, tokens
        eagle = EagleVision(cfg.vision, cfg.lm.hidden)
        # Shared by both arms (frozen during bimanual fine-tuning); Eagle2's names.
        self.vision_model = eagle.vision_model
        self.mlp1 = eagle.mlp1
        self._eagle = [eagle]  # not a submodule: its parameters are registered above
        self.left_vla = SingleVLAStream(vocab, cfg)
        self.right_vla = SingleVLAStream(vocab, cfg)
        self.moe_gates = nn.ModuleList(nn.Linear(cfg.lm.hidden, 2, bias=False) for _ in range(cfg.lm.layers))
        self.action_head = TwinVLAActionHead(cfg)

    # -- token layout -------------------------------------------------------------------------
    def tokens_per_image(self) -> int:
        return self._eagle[0].tokens_per_image()

    def arm_length(self) -> int:
        t = self.tokens
        return len(t.arm_prefix) + 2 + self.tokens_per_image() + 1 + len(t.action_prefix) + 1

    def _ids(self, ids: list[int]) -> torch.Tensor:
        return torch.tensor([ids], dtype=torch.long)

    def _embed_common(self, ids: torch.Tensor) -> torch.Tensor:
        el = self.left_vla.language_model.model.embed_tokens
        er = self.right_vla.language_model.model.embed_tokens
        return 0.5 * (el(ids) + er(ids))

    def _arm_sequence(self, stream: SingleVLAStream, wrist: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        t, b = self.tokens, int(wrist.shape[0])
        emb = lambda ids: batch_rows(stream.language_model.model.embed_tokens(self._ids(ids)), b)  # noqa: E731
        return torch.cat([
            emb(t.arm_prefix), emb([t.img_start]), wrist, emb([t.img_end]),
            stream.state_proj(state)[:, None], emb(t.action_prefix), emb([t.readout]),
        ], dim=1)

    # -- joint attention ------------------------------------------------------------------------
    def _joint_layer(self, i, c, l, r, cos, sin, allowed, key_weight):
        ll = self.left_vla.language_model.model.layers[i]
        rl = self.right_vla.language_model.model.layers[i]
        hc = 0.5 * (ll.input_layernorm(c) + rl.input_layernorm(c))
        hl, hr = ll.input_layernorm(l), rl.input_layernorm(r)

        def proj(name):
            pl, pr = getattr(ll.self_attn, name), getattr(rl.self_attn, name)
            return torch.cat([0.5 * (pl(hc) + pr(hc)), pl(hl), pr(hr)], dim=1)

        attn = ll.self_attn
        q = apply_rope(split_heads(proj("q_proj"), attn.heads), cos, sin)
        k = apply_rope(split_heads(proj("k_proj"), attn.kv_heads), cos, sin)
        v = split_heads(proj("v_proj"), attn.kv_heads)
        groups = attn.heads // attn.kv_heads
        a = merge_heads(masked_softmax_attention(q, repeat_kv(k, groups), repeat_kv(v, groups), allowed, key_weight))
        cl = c.shape[1]
        al_len = l.shape[1]
        ac, al, ar = a[:, :cl], a[:, cl:cl + al_len], a[:, cl + al_len:]
        c = c + 0.5 * (ll.self_attn.o_proj(ac) + rl.self_attn.o_proj(ac))
        l = l + ll.self_attn.o_proj(al)
        r = r + rl.self_attn.o_proj(ar)

        hc = 0.5 * (ll.post_attention_layernorm(c) + rl.post_attention_layernorm(c))
        gate = self.moe_gates[i](hc)
        # Hard top-1: each common token goes through the left or the right FFN, unscaled.
        c = c + torch.where(gate[..., :1] >= gate[..., 1:], ll.mlp(hc), rl.mlp(hc))
        l = l + ll.mlp(ll.post_attention_layernorm(l))
        r = r + rl.mlp(rl.post_attention_layernorm(r))
        return c, l, r

    # -- encoder: images, prompt, state -> conditioning ------------------------------------------
    def encode(self, head, left_wrist, right_wrist, input_ids, state):
        """head/left_wrist/right_wrist uint8 (B, H, W, 3); input_ids (B, P); state (B, 2*arm_dim)
        normalised. Returns cond (B, 2, hidden) and the unconditional cond_null of the same shape.
        The exporter traces B = 1; training runs batches."""
        d, b = self.cfg.arm_dim, int(head.shape[0])
        images = self.mlp1_tokens(torch.cat([head, left_wrist, right_wrist], dim=0))
        t = self.tokens
        fixed = lambda ids: batch_rows(self._embed_common(self._ids(ids)), b)  # noqa: E731
        common = torch.cat([
            self._embed_common(input_ids), fixed([t.img_start]), images[0:b], fixed([t.img_end]), fixed(t.newline),
        ], dim=1)
        s_l, s_r = state[:, :d], state[:, d:]
        left = self._arm_sequence(self.left_vla, images[b:2 * b], s_l)
        right = self._arm_sequence(self.right_vla, images[2 * b:3 * b], s_r)
        c_len, a_len = common.shape[1], left.shape[1]
        allowed = joint_attention_mask(c_len, a_len)
        pos = joint_position_ids(c_len, a_len)
        kw = common_key_weight(c_len, a_len, self.cfg.common_key_weight)
        cos, sin = rope_cos_sin(pos, self.cfg.lm.hidden // self.cfg.lm.heads, self.cfg.lm.rope_theta)
        for i in range(self.cfg.lm.layers):
            common, left, right = self._joint_layer(i, common, left, right, cos, sin, allowed, kw)
        h_l = self.left_vla.language_model.model.norm(left)[:, -1]
        h_r = self.right_vla.language_model.model.norm(right)[:, -1]
        head_ = self.action_head
        z = torch.stack([head_.cond_proj(torch.cat([h_l, s_l], -1)), head_.cond_proj(torch.cat([h_r, s_r], -1))], 1)
        return z, head_.uncond_token.expand_as(z)

    def mlp1_tokens(self, images_u8: torch.Tensor) -> torch.Tensor:
        return self._eagle[0](images_u8)

    def velocity(self, x_t, t, cond):
        return self.action_head.velocity(x_t, t, cond)
