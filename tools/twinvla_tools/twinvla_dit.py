"""TwinVLA's action head as the authors define it (heads/action_heads.py DiTPolicy, heads/DiT_policy.py
DiT, built from timm's Attention and Mlp), with their parameter names: `combine`, `net.x_embedder.linear`,
`net.t_embedder.mlp.{0,2}`, `net.z_embedder.{linear,uncondition}`, `net.positional_embedding`,
`net.blocks.N.attn.{qkv,proj}`, `net.blocks.N.mlp.{fc1,fc2}`, `net.final_layer.linear`."""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F


def timestep_embedding(t: torch.Tensor, dim: int = 256, max_period: float = 10000.0) -> torch.Tensor:
    """DiT_policy.py:42-60: cos then sin of t * 10000^(-i/half). t enters as it is, in (0, 1]: the
    flow-matching scheduler's time (heads/utils.py:199-200), not scaled to 1000."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.to(torch.float32)[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    return torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1) if dim % 2 else emb


class TimestepEmbedder(nn.Module):
    def __init__(self, width: int, freq_dim: int = 256):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(nn.Linear(freq_dim, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(timestep_embedding(t, self.freq_dim))


class Linear1(nn.Module):
    """A module holding one `linear`, as the authors' ActionEmbedder and FinalLayer do."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)


class LabelEmbedder(nn.Module):
    """The condition's projection, and the learned null condition `uncondition` (1, token) when the
    head was trained with condition dropout (enable_cfg)."""

    def __init__(self, token: int, width: int, with_null: bool):
        super().__init__()
        self.linear = nn.Linear(token, width)
        if with_null:
            self.uncondition = nn.Parameter(torch.zeros(1, token))


class Attention(nn.Module):
    """timm's Attention: fused qkv with bias, softmax(q k^T / sqrt(d)) v, proj."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = F.scaled_dot_product_attention(q, k, v)
        return self.proj(a.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class DiTBlock(nn.Module):
    """LayerNorms without affine weights, eps 1e-6 (DiT_policy.py:132-134)."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.attn = Attention(width, heads)
        self.mlp = Mlp(width, 4 * width)
        self.width = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(F.layer_norm(x, (self.width,), eps=1e-6))
        return x + self.mlp(F.layer_norm(x, (self.width,), eps=1e-6))


class DiT(nn.Module):
    def __init__(self, token: int, arm_dim: int, horizon: int, dit, with_null: bool):
        super().__init__()
        w = dit.width
        self.width = w
        self.x_embedder = Linear1(arm_dim, w)
        self.t_embedder = TimestepEmbedder(w)
        self.z_embedder = LabelEmbedder(token, w, with_null)
        self.positional_embedding = nn.Parameter(torch.randn(horizon + 1, w) * w ** -0.5)
        self.blocks = nn.ModuleList(DiTBlock(w, dit.heads) for _ in range(dit.layers))
        self.final_layer = Linear1(w, arm_dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """x (N, T, arm_dim), t (N,), z (N, token) -> (N, T, arm_dim). DiT_policy.py:233-251."""
        c = self.t_embedder(t)[:, None] + self.z_embedder.linear(z)[:, None]
        h = torch.cat([c, self.x_embedder.linear(x)], dim=1) + self.positional_embedding
        for block in self.blocks:
            h = block(h)
        return self.final_layer.linear(F.layer_norm(h, (self.width,), eps=1e-6))[:, 1:]


class DiTPolicy(nn.Module):
    """`decoder_c`: combine(readout, arm state) -> the condition; net: the DiT."""

    def __init__(self, token: int, arm_dim: int, state_dim: int, horizon: int, dit, with_null: bool):
        super().__init__()
        self.combine = nn.Linear(token + state_dim, token)
        self.net = DiT(token, arm_dim, horizon, dit, with_null)
