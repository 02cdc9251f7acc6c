"""Attention masks and position ids of both families, written with index arithmetic only so that
they trace into ONNX with a dynamic prompt length."""
from __future__ import annotations

import torch


def twin_segments(common_len, arm_len: int, device=None):
    """Segment (0 common, 1 left, 2 right) and local index of every token of [common | left | right]."""
    total = common_len + 2 * arm_len
    idx = torch.arange(total, device=device)
    seg = (idx >= common_len).long() + (idx >= common_len + arm_len).long()
    local = torch.where(seg == 0, idx, idx - common_len - (seg == 2).long() * arm_len)
    return idx, seg, local


def joint_attention_mask(common_len, arm_len: int, device=None) -> torch.Tensor:
    """TwinVLA's joint-attention mask, bool (S, S), True where query row may see key column.

    Causal over the concatenation, except that the left->right and right->left blocks are
    lower-triangular in local index: arm token i sees the other arm's tokens j <= i."""
    idx, seg, local = twin_segments(common_len, arm_len, device)
    causal = idx[None, :] <= idx[:, None]
    cross = (seg[:, None] > 0) & (seg[None, :] > 0) & (seg[:, None] != seg[None, :])
    # Logical ops rather than where(): ONNX Runtime has no bool Where kernel.
    return (cross & (local[None, :] <= local[:, None])) | (~cross & causal)


def joint_position_ids(common_len, arm_len: int, device=None) -> torch.Tensor:
    """Common tokens 0..C-1; both arms reuse C..C+L-1."""
    idx, seg, local = twin_segments(common_len, arm_len, device)
    return torch.where(seg == 0, idx, common_len + local)


def common_key_weight(common_len, arm_len: int, weight: float, device=None) -> torch.Tensor:
    idx, seg, _ = twin_segments(common_len, arm_len, device)
    return torch.where(seg == 0, torch.full_like(idx, 0, dtype=torch.float32) + weight,
                       torch.ones_like(idx, dtype=torch.float32))


def causal_mask(length, device=None) -> torch.Tensor:
    idx = torch.arange(length, device=device)
    return idx[None, :] <= idx[:, None]


def asymot_mask(left_len, right_len, joint: bool, device=None) -> torch.Tensor:
    """Right-stream queries over [left keys | right keys], bool (Lr, Ll + Lr).

    The left part is causal by index, and fully visible to right rows past the left length;
    on a non-joint layer the right stream sees only itself."""
    i = torch.arange(right_len, device=device)[:, None]
    j = torch.arange(left_len, device=device)[None, :]
    left_part = (j <= i) | (i >= left_len)
    if not joint:
        left_part = left_part & False
    return torch.cat([left_part, causal_mask(right_len, device)], dim=1)
