"""Qwen3-VL's vision tower, named as transformers 4.57 names it (`patch_embed.proj`, `pos_embed`,
`blocks.N.{norm1,norm2,attn.qkv,attn.proj,mlp.linear_fc1,mlp.linear_fc2}`, `merger.*`,
`deepstack_merger_list.N.*`), for square uint8 NHWC images whose side is a multiple of patch x merge.

What differs from Qwen2.5-VL's tower (qwen25_vision.py), and how this module does it:
- the processor normalises with mean = std = 0.5 (the base's preprocessor_config.json);
- the patch convolution has a bias: over the repeated still frame it is the 2-D convolution with the
  kernel summed over time, plus the bias;
- a learned position table of num_position_embeddings = side^2 rows is interpolated bilinearly to the
  patch grid (fast_pos_embed_interpolate: linspace over the table's side, floor / floor + 1 corners,
  the four weighted rows summed in that order) and added to the patches, in the merge-unit order;
- every block attends over the whole image (no windows); LayerNorm, not RMSNorm; the MLP is
  linear_fc2(gelu_tanh(linear_fc1));
- the merger: LayerNorm over each patch, 4 neighbouring patches concatenated, linear_fc1, GELU (exact),
  linear_fc2. The DeepStack mergers' features are dropped by PhysBrainVLA's MoT forward (it keeps
  `image_embeds[0]`, PhysBrainVLA.py:845-849, and never adds the DeepStack features to the decoder
  layers), so they are loaded with the checkpoint but not computed.
The 2-D rotary positions are Qwen2.5-VL's (half the frequencies turn with the row, half with the column).
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .layers import masked_softmax_attention, rotate_half
from .qwen25_vision import patch_positions


def position_interpolation(side: int, grid: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of the side x side table and their weights (4, grid * grid), row-major over the patch grid,
    in the float32 arithmetic of fast_pos_embed_interpolate."""
    h = torch.linspace(0, side - 1, grid)
    floor = h.int()
    ceil = (floor + 1).clip(max=side - 1)
    d = h - floor
    base, base_ceil = floor * side, ceil * side
    idx = [(base[None].T + floor[None]).flatten(), (base[None].T + ceil[None]).flatten(),
           (base_ceil[None].T + floor[None]).flatten(), (base_ceil[None].T + ceil[None]).flatten()]
    w = [((1 - d)[None].T * (1 - d)[None]).flatten(), ((1 - d)[None].T * d[None]).flatten(),
         (d[None].T * (1 - d)[None]).flatten(), (d[None].T * d[None]).flatten()]
    return torch.stack(idx).long(), torch.stack(w).to(torch.float32)


class VisionBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, eps=1e-6)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(width, 3 * width)
        self.attn.proj = nn.Linear(width, width)
        self.mlp = nn.Module()
        self.mlp.linear_fc1 = nn.Linear(width, mlp)
        self.mlp.linear_fc2 = nn.Linear(mlp, width)

    def forward(self, x, cos, sin, allowed):
        n, s, d = x.shape
        qkv = self.attn.qkv(self.norm1(x)).reshape(n, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        a = masked_softmax_attention(q, k, v, allowed)
        x = x + self.attn.proj(a.transpose(1, 2).reshape(n, s, d))
        return x + self.mlp.linear_fc2(F.gelu(self.mlp.linear_fc1(self.norm2(x)), approximate="tanh"))


class PatchMerger(nn.Module):
    def __init__(self, width: int, merge: int, out: int, postshuffle: bool):
        super().__init__()
        wide = width * merge * merge
        self.norm = nn.LayerNorm(wide if postshuffle else width, eps=1e-6)
        self.linear_fc1 = nn.Linear(wide, wide)
        self.linear_fc2 = nn.Linear(wide, out)


class Qwen3Vision(nn.Module):
    """uint8 NHWC (N, S, S, 3) -> (N, tokens per image, out_hidden_size)."""

    def __init__(self, vcfg, image_size: int):
        super().__init__()
        self.cfg, self.image_size = vcfg, image_size
        w, p, m = vcfg.hidden_size, vcfg.patch_size, vcfg.spatial_merge_size
        side = int(vcfg.num_position_embeddings ** 0.5)
        if side * side != vcfg.num_position_embeddings:
            raise ValueError(f"vision_config.num_position_embeddings {vcfg.num_position_embeddings} is not a square")
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv3d(3, w, kernel_size=(vcfg.temporal_patch_size, p, p),
                                          stride=(vcfg.temporal_patch_size, p, p), bias=True)
        self.pos_embed = nn.Embedding(vcfg.num_position_embeddings, w)
        self.blocks = nn.ModuleList(VisionBlock(w, vcfg.num_heads, vcfg.intermediate_size) for _ in range(vcfg.depth))
        self.merger = PatchMerger(w, m, vcfg.out_hidden_size, postshuffle=False)
        self.deepstack_merger_list = nn.ModuleList(
            PatchMerger(w, m, vcfg.out_hidden_size, postshuffle=True) for _ in vcfg.deepstack_visual_indexes)
        grid = image_size // p
        rows, cols = patch_positions(grid, m)
        idx, weight = position_interpolation(side, grid)
        order = rows * grid + cols                                     # merge-unit order -> row-major index
        self.register_buffer("pos_index", idx[:, order], persistent=False)
        self.register_buffer("pos_weight", weight[:, order, None], persistent=False)
        head_dim = w // vcfg.num_heads
        quarter = head_dim // 2
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0, quarter, 2, dtype=torch.float32) / quarter))
        half = torch.cat([rows.float()[:, None] * inv_freq, cols.float()[:, None] * inv_freq], dim=-1)
        emb = torch.cat([half, half], dim=-1)
        self.register_buffer("rope_cos", emb.cos(), persistent=False)
        self.register_buffer("rope_sin", emb.sin(), persistent=False)
        self.register_buffer("everywhere", torch.ones((grid * grid, grid * grid), dtype=torch.bool), persistent=False)
        self.register_buffer("mean", torch.tensor(vcfg.image_mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(vcfg.image_std).view(1, 3, 1, 1), persistent=False)

    def tokens_per_image(self) -> int:
        return (self.image_size // self.cfg.patch_size // self.cfg.spatial_merge_size) ** 2

    def forward(self, images_u8: torch.Tensor) -> torch.Tensor:
        c = self.cfg
        x = images_u8.permute(0, 3, 1, 2).to(torch.float32) / 255.0
        x = (x - self.mean) / self.std
        kernel = self.patch_embed.proj.weight.sum(dim=2)
        x = F.conv2d(x, kernel, self.patch_embed.proj.bias, stride=c.patch_size)   # (N, D, g, g)
        n, d, g, _ = x.shape
        m = c.spatial_merge_size
        x = x.permute(0, 2, 3, 1).reshape(n, g // m, m, g // m, m, d).permute(0, 1, 3, 2, 4, 5).reshape(n, g * g, d)
        rows = self.pos_embed(self.pos_index) * self.pos_weight           # (4, g * g, D)
        x = x + (rows[0] + rows[1] + rows[2] + rows[3])
        for block in self.blocks:
            x = block(x, self.rope_cos, self.rope_sin, self.everywhere)
        x = self.merger.norm(x).reshape(n, g * g // (m * m), d * m * m)
        return self.merger.linear_fc2(F.gelu(self.merger.linear_fc1(x)))
