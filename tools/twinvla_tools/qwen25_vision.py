"""Qwen2.5-VL's vision tower, named as transformers names it (`patch_embed.proj`, `blocks.N.*`,
`merger.*`), for square uint8 NHWC images whose side is a multiple of patch x merge.

What the processor and the tower do to one still image, and how this module does the same:
- the processor rescales by 1/255, normalises with CLIP's mean and std, and repeats the frame
  `temporal_patch_size` times; the 3-D patch convolution over identical frames equals a 2-D
  convolution with the kernel summed over time, which is what runs here;
- patches are ordered by 2x2 merge unit (row of units, column of units, row in unit, column in
  unit), the order the merger expects;
- 2-D rotary positions: half the rotary frequencies rotate by the patch row, half by the column;
- windowed attention: all blocks but `fullatt_block_indexes` attend only within windows of
  `window_size` pixels (in merge units, counted from the top-left corner). The reference reorders
  the tokens window by window and back; attention inside a window does not depend on the order,
  so a mask over the original order gives the same result;
- the merger: RMSNorm, then 4 neighbouring patches concatenated, Linear, GELU (exact), Linear.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .layers import RMSNorm, masked_softmax_attention, rotate_half

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def patch_positions(grid: int, merge: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column of every patch of a grid x grid image, in the merge-unit order."""
    idx = torch.arange(grid * grid).reshape(grid // merge, grid // merge, merge, merge)
    units = grid // merge
    bh = torch.arange(units).view(units, 1, 1, 1).expand_as(idx)
    bw = torch.arange(units).view(1, units, 1, 1).expand_as(idx)
    mh = torch.arange(merge).view(1, 1, merge, 1).expand_as(idx)
    mw = torch.arange(merge).view(1, 1, 1, merge).expand_as(idx)
    return (bh * merge + mh).reshape(-1), (bw * merge + mw).reshape(-1)


def window_mask(grid: int, merge: int, window_units: int) -> torch.Tensor:
    """bool (S, S): patches in the same window (windows of window_units x window_units merge units)."""
    rows, cols = patch_positions(grid, merge)
    win = (rows // merge // window_units) * grid + (cols // merge // window_units)
    return win[:, None] == win[None, :]


class VisionBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp: int):
        super().__init__()
        self.heads = heads
        self.norm1 = RMSNorm(width, 1e-6)
        self.norm2 = RMSNorm(width, 1e-6)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(width, 3 * width)
        self.attn.proj = nn.Linear(width, width)
        self.mlp = nn.Module()
        self.mlp.gate_proj = nn.Linear(width, mlp)
        self.mlp.up_proj = nn.Linear(width, mlp)
        self.mlp.down_proj = nn.Linear(mlp, width)

    def forward(self, x, cos, sin, allowed):
        n, s, d = x.shape
        qkv = self.attn.qkv(self.norm1(x)).reshape(n, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if allowed is None:
            a = masked_softmax_attention(q, k, v, torch.ones((s, s), dtype=torch.bool))
        else:
            a = masked_softmax_attention(q, k, v, allowed)
        x = x + self.attn.proj(a.transpose(1, 2).reshape(n, s, d))
        h = self.norm2(x)
        return x + self.mlp.down_proj(F.silu(self.mlp.gate_proj(h)) * self.mlp.up_proj(h))


class Qwen25Vision(nn.Module):
    """uint8 NHWC (N, S, S, 3) -> (N, tokens per image, out_hidden_size)."""

    def __init__(self, vcfg, image_size: int):
        super().__init__()
        self.cfg, self.image_size = vcfg, image_size
        w, p = vcfg.hidden_size, vcfg.patch_size
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv3d(3, w, kernel_size=(vcfg.temporal_patch_size, p, p),
                                          stride=(vcfg.temporal_patch_size, p, p), bias=False)
        self.blocks = nn.ModuleList(VisionBlock(w, vcfg.num_heads, vcfg.intermediate_size) for _ in range(vcfg.depth))
        self.merger = nn.Module()
        self.merger.ln_q = RMSNorm(w, 1e-6)
        m2 = w * vcfg.spatial_merge_size ** 2
        self.merger.mlp = nn.Sequential(nn.Linear(m2, m2), nn.GELU(), nn.Linear(m2, vcfg.out_hidden_size))
        grid = image_size // p
        rows, cols = patch_positions(grid, vcfg.spatial_merge_size)
        head_dim = w // vcfg.num_heads
        quarter = head_dim // 2
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0, quarter, 2, dtype=torch.float32) / quarter))
        half = torch.cat([rows.float()[:, None] * inv_freq, cols.float()[:, None] * inv_freq], dim=-1)
        emb = torch.cat([half, half], dim=-1)
        self.register_buffer("rope_cos", emb.cos(), persistent=False)
        self.register_buffer("rope_sin", emb.sin(), persistent=False)
        units = vcfg.window_size // vcfg.spatial_merge_size // p
        self.register_buffer("window", window_mask(grid, vcfg.spatial_merge_size, units), persistent=False)
        self.register_buffer("mean", torch.tensor(getattr(vcfg, "image_mean", CLIP_MEAN)).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer("std", torch.tensor(getattr(vcfg, "image_std", CLIP_STD)).view(1, 3, 1, 1),
                             persistent=False)

    def tokens_per_image(self) -> int:
        return (self.image_size // self.cfg.patch_size // self.cfg.spatial_merge_size) ** 2

    def forward(self, images_u8: torch.Tensor) -> torch.Tensor:
        c = self.cfg
        x = images_u8.permute(0, 3, 1, 2).to(torch.float32) / 255.0
        x = (x - self.mean) / self.std
        kernel = self.patch_embed.proj.weight.sum(dim=2)
        x = F.conv2d(x, kernel, stride=c.patch_size)                  # (N, D, g, g)
        n, d, g, _ = x.shape
        m = c.spatial_merge_size
        x = x.permute(0, 2, 3, 1).reshape(n, g // m, m, g // m, m, d).permute(0, 1, 3, 2, 4, 5).reshape(n, g * g, d)
        full = set(c.fullatt_block_indexes)
        for i, block in enumerate(self.blocks):
            x = block(x, self.rope_cos, self.rope_sin, None if i in full else self.window)
        x = self.merger.ln_q(x).reshape(n, g * g // (m * m), d * m * m)
        return self.merger.mlp(x)
