"""starVLA's GR00T-style flow-matching action head (FlowmatchingActionHead with its cross-attention
DiT), named as the authors' modules are, under `action_model.`.

Per denoising step the authors compute: the timestep discretised to int(t * buckets); the action
tokens layer3(swish(layer2([layer1(x_t), sinusoid(timestep)]))) plus a learned position; the
sequence [state token, future tokens, action tokens]; DiT blocks (adaLN with (scale, shift) from
the diffusers timestep embedding Timesteps(256, flip_sin_to_cos, shift 1), cross-attention to the
readout, or self-attention on odd blocks when interleave_self_attention); the output adaLN with
(shift, scale), proj_out_2, then the action decoder MLP; the last `horizon` rows are the velocity.

The readout's keys and values (to_k, to_v of each cross-attending block) and the state token do
not change across steps: `precompute` makes them once per chunk, and `velocity` takes them."""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, d_in: int, hidden: int, d_out: int):
        super().__init__()
        self.layer1 = nn.Linear(d_in, hidden)
        self.layer2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.layer2(F.relu(self.layer1(x)))


def buckets_that_differ(steps: int, buckets: int) -> list[int]:
    """The Euler steps at which the graph's bucket, floor(t * buckets) in float32 with t = float32(i / steps),
    is not the authors' int(i / steps * buckets), which predict_action computes in float64
    (GR00T_ActionHeader.py:338-339). They agree for buckets = 1000 (the released value) and every step
    count up to 256; some other bucket counts differ by one bucket at a few steps (300 and 15 steps: step 11)."""
    import numpy as np
    t = np.array([i / steps for i in range(steps)], dtype=np.float32)
    graph = np.floor(t * np.float32(buckets)).astype(np.int64)
    return [i for i in range(steps) if int(graph[i]) != int(i / steps * buckets)]


def sinusoid_sin_cos(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    """The action encoder's encoding of the (discretised) timestep: [sin, cos], frequencies 10000^(-i/half)."""
    half = dim // 2
    exponent = -torch.arange(half, dtype=torch.float32) * (torch.log(torch.tensor(10000.0)) / half)
    freqs = timesteps.float()[..., None] * exponent.exp()
    return torch.cat([torch.sin(freqs), torch.cos(freqs)], dim=-1)


def diffusers_timesteps(timesteps: torch.Tensor, channels: int = 256, shift: float = 1.0) -> torch.Tensor:
    """diffusers Timesteps(channels, flip_sin_to_cos=True, downscale_freq_shift=shift): [cos, sin],
    frequencies exp(-ln(10000) * i / (half - shift))."""
    half = channels // 2
    exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32) / (half - shift)
    args = timesteps.float()[:, None] * torch.exp(exponent)[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ActionEncoder(nn.Module):
    def __init__(self, action_dim: int, width: int):
        super().__init__()
        self.width = width
        self.layer1 = nn.Linear(action_dim, width)
        self.layer2 = nn.Linear(2 * width, width)
        self.layer3 = nn.Linear(width, width)

    def forward(self, actions, timesteps):
        a = self.layer1(actions)
        tau = sinusoid_sin_cos(timesteps[:, None].expand(-1, actions.shape[1]), self.width)
        x = self.layer2(torch.cat([a, tau], dim=-1))
        return self.layer3(x * torch.sigmoid(x))


class TimestepEncoder(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.timestep_embedder = nn.Module()
        self.timestep_embedder.linear_1 = nn.Linear(256, width)
        self.timestep_embedder.linear_2 = nn.Linear(width, width)

    def forward(self, timesteps):
        e = self.timestep_embedder
        return e.linear_2(F.silu(e.linear_1(diffusers_timesteps(timesteps))))


class AdaLayerNorm(nn.Module):
    """LayerNorm without affine weights; scale and shift from the timestep, in that order."""

    def __init__(self, width: int, eps: float = 1e-5):
        super().__init__()
        self.linear = nn.Linear(width, 2 * width)
        self.width, self.eps = width, eps

    def forward(self, x, temb):
        scale, shift = self.linear(F.silu(temb)).chunk(2, dim=1)
        return F.layer_norm(x, (self.width,), eps=self.eps) * (1 + scale[:, None]) + shift[:, None]


def sinusoidal_table(width: int, length: int) -> torch.Tensor:
    """diffusers SinusoidalPositionalEmbedding's table: sin on even, cos on odd channels."""
    position = torch.arange(length).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, width, 2) * (-math.log(10000.0) / width))
    pe = torch.zeros(1, length, width)
    pe[0, :, 0::2] = torch.sin(position * div_term)
    pe[0, :, 1::2] = torch.cos(position * div_term)
    return pe


class Block(nn.Module):
    def __init__(self, width: int, heads: int, head_dim: int, kv_width: int | None, cfg):
        super().__init__()
        self.heads, self.cross, self.width = heads, kv_width is not None, width
        inner = heads * head_dim
        self.norm1 = AdaLayerNorm(width)
        if cfg.positional_embeddings == "sinusoidal":
            self.pos_embed = nn.Module()
            self.pos_embed.register_buffer("pe", sinusoidal_table(width, cfg.max_num_positional_embeddings))
        elif cfg.positional_embeddings:
            raise ValueError(f"diffusion_model_cfg.positional_embeddings {cfg.positional_embeddings!r}: "
                             "expected 'sinusoidal' or null")
        self.attn1 = nn.Module()
        self.attn1.to_q = nn.Linear(width, inner)
        self.attn1.to_k = nn.Linear(kv_width or width, inner)
        self.attn1.to_v = nn.Linear(kv_width or width, inner)
        self.attn1.to_out = nn.ModuleList([nn.Linear(inner, width)])
        self.norm_eps = cfg.norm_eps
        self.ff = nn.Module()
        self.ff.net = nn.ModuleList([nn.Module(), nn.Dropout(0.0), nn.Linear(4 * width, width)])
        self.ff.net[0].proj = nn.Linear(width, 4 * width)

    def _heads(self, x):
        b, s, d = x.shape
        return x.view(b, s, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, x, temb, k=None, v=None):
        h = self.norm1(x, temb)
        if hasattr(self, "pos_embed"):
            h = h + self.pos_embed.pe[:, :h.shape[1]]
        q = self._heads(self.attn1.to_q(h))
        if not self.cross:
            k, v = self.attn1.to_k(h), self.attn1.to_v(h)
        a = F.scaled_dot_product_attention(q, self._heads(k), self._heads(v))
        b, _, s, _ = a.shape
        x = x + self.attn1.to_out[0](a.transpose(1, 2).reshape(b, s, -1))
        h = F.layer_norm(x, (self.width,), eps=self.norm_eps)
        return x + self.ff.net[2](F.gelu(self.ff.net[0].proj(h), approximate="tanh"))


class DiT(nn.Module):
    def __init__(self, cfg, cross_width: int):
        super().__init__()
        w = cfg.num_attention_heads * cfg.attention_head_dim
        self.timestep_encoder = TimestepEncoder(w)
        self.transformer_blocks = nn.ModuleList(
            Block(w, cfg.num_attention_heads, cfg.attention_head_dim,
                  None if (i % 2 == 1 and cfg.interleave_self_attention) else cross_width, cfg)
            for i in range(cfg.num_layers))
        self.proj_out_1 = nn.Linear(w, 2 * w)
        self.proj_out_2 = nn.Linear(w, cfg.output_dim)


class ActionHead(nn.Module):
    def __init__(self, cfg, cross_width: int):
        super().__init__()
        self.cfg = cfg
        e = cfg.input_embedding_dim
        self.model = DiT(cfg, cross_width)
        self.state_encoder = MLP(cfg.state_dim, cfg.hidden_size, e)
        self.action_encoder = ActionEncoder(cfg.action_dim, e)
        self.action_decoder = MLP(cfg.output_dim, cfg.hidden_size, cfg.action_dim)
        self.future_tokens = nn.Embedding(cfg.num_target_vision_tokens, e)
        if cfg.add_pos_embed:
            self.position_embedding = nn.Embedding(cfg.max_seq_len, e)

    def cross_blocks(self) -> list[Block]:
        return [b for b in self.model.transformer_blocks if b.cross]

    def precompute(self, readout: torch.Tensor, state: torch.Tensor):
        """Once per chunk: (B, 2 x cross blocks, queries, width) keys and values; (B, 1, width) state token."""
        kv = []
        for b in self.cross_blocks():
            kv += [b.attn1.to_k(readout), b.attn1.to_v(readout)]
        return torch.stack(kv, dim=1), self.state_encoder(state)[:, None]

    def velocity(self, x_t, t, readout_kv, state_token):
        """t in [0, 1): the authors' step time t/N, discretised inside as they do it."""
        cfg = self.cfg
        ts = torch.floor(t * cfg.num_timestep_buckets)
        temb = self.model.timestep_encoder(ts)
        actions = self.action_encoder(x_t, ts)
        if cfg.add_pos_embed:
            actions = actions + self.position_embedding.weight[None, :actions.shape[1]]
        future = self.future_tokens.weight[None].expand(x_t.shape[0], -1, -1)
        x = torch.cat([state_token, future, actions], dim=1)
        j = 0
        for block in self.model.transformer_blocks:
            if block.cross:
                x = block(x, temb, readout_kv[:, 2 * j], readout_kv[:, 2 * j + 1])
                j += 1
            else:
                x = block(x, temb)
        shift, scale = self.model.proj_out_1(F.silu(temb)).chunk(2, dim=1)
        x = F.layer_norm(x, (cfg.input_embedding_dim,), eps=1e-6) * (1 + scale[:, None]) + shift[:, None]
        return self.action_decoder(self.model.proj_out_2(x))[:, -cfg.horizon:]
