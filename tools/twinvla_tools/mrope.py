"""Qwen2.5-VL's 3-D rotary positions (M-RoPE) for a prompt laid out as
[fixed prefix | (vision_start, image tokens, vision_end) per camera | text].

`get_rope_index` gives text tokens one position on all three axes, counting on from the largest
position so far; the tokens of an image with a g x g grid of merge units share the temporal
position `base` and take `base + row` and `base + column` on the other two axes, where `base` is
one past the last position before the image. The rotary frequencies are then split in
`mrope_section` bands: the first band turns with the temporal position, the second with the row,
the third with the column (the same split for both halves of the head dimension). Qwen3-VL keeps the
positions and interleaves the bands instead (Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope):
frequency j turns with the row when j % 3 == 1 and j < 3 * section[1], with the column when
j % 3 == 2 and j < 3 * section[2], with the temporal position otherwise."""
from __future__ import annotations

import torch


def static_positions(prefix_len: int, images: int, grid: int) -> tuple[torch.Tensor, int]:
    """Positions (3, L) of the prefix and the image blocks; and the first position of the text after them."""
    cols: list[torch.Tensor] = [torch.arange(prefix_len).expand(3, -1)]
    nxt = prefix_len
    for _ in range(images):
        cols.append(torch.full((3, 1), nxt))                        # <|vision_start|>
        base = nxt + 1
        r = torch.arange(grid).view(grid, 1).expand(grid, grid).reshape(-1)
        c = torch.arange(grid).view(1, grid).expand(grid, grid).reshape(-1)
        cols.append(torch.stack([torch.full_like(r, base), base + r, base + c]))
        cols.append(torch.full((3, 1), base + grid))                 # <|vision_end|>
        nxt = base + grid + 1
    return torch.cat(cols, dim=1).long(), nxt


def section_index(head_dim: int, section: tuple[int, ...], interleaved: bool = False) -> torch.Tensor:
    """For every rotary dimension, which axis (0 t, 1 h, 2 w) it turns with."""
    if interleaved:
        j = torch.arange(head_dim // 2)
        half = torch.zeros_like(j)
        half[(j % 3 == 1) & (j < 3 * section[1])] = 1
        half[(j % 3 == 2) & (j < 3 * section[2])] = 2
        if sum(section) != head_dim // 2:
            raise ValueError(f"mrope_section {list(section)} sums to {sum(section)}, expected head_dim/2 = {head_dim // 2}")
        return torch.cat([half, half]).long()
    half = torch.cat([torch.full((n,), i % 3) for i, n in enumerate(section)])
    if half.numel() != head_dim // 2:
        raise ValueError(f"mrope_section {list(section)} sums to {half.numel()}, expected head_dim/2 = {head_dim // 2}")
    return torch.cat([half, half]).long()


def mrope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float, section: tuple[int, ...],
                  interleaved: bool = False):
    """positions (3, S) integer -> cos, sin (S, head_dim), float32 as the rotary embedding computes them."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    inv_full = torch.cat([inv_freq, inv_freq])
    sel = section_index(head_dim, section, interleaved)
    pos = positions.to(torch.float32)[sel]                          # (head_dim, S)
    ang = pos.transpose(0, 1) * inv_full
    return ang.cos(), ang.sin()
