"""Qwen3-VL's decoder layer, named as transformers 4.57 names it (`self_attn.{q,k,v,o}_proj`,
`self_attn.{q,k}_norm`, `mlp.{gate,up,down}_proj`, `input_layernorm`, `post_attention_layernorm`).

Against Qwen2.5-VL's layer: the head width is the config's head_dim (not hidden / heads), q/k/v
carry a bias only with attention_bias (false in the released configs), and each head's query and key
pass an RMSNorm over the head width before the rotary embedding (Qwen3VLTextAttention.forward; the
authors' _project_qkv does the same, PhysBrainVLA.py:992-1001)."""
from __future__ import annotations

import torch
from torch import nn

from .layers import QwenMLP, RMSNorm, split_heads


class Qwen3Attention(nn.Module):
    def __init__(self, hidden: int, heads: int, kv_heads: int, head_dim: int, bias: bool, eps: float):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.q_proj = nn.Linear(hidden, heads * head_dim, bias=bias)
        self.k_proj = nn.Linear(hidden, kv_heads * head_dim, bias=bias)
        self.v_proj = nn.Linear(hidden, kv_heads * head_dim, bias=bias)
        self.o_proj = nn.Linear(heads * head_dim, hidden, bias=bias)
        self.q_norm = RMSNorm(head_dim, eps)
        self.k_norm = RMSNorm(head_dim, eps)

    def project(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, S, hidden) -> q, k, v as (B, heads, S, head_dim), q and k normed, before the rotary embedding."""
        q = self.q_norm(split_heads(self.q_proj(h), self.heads))
        k = self.k_norm(split_heads(self.k_proj(h), self.kv_heads))
        return q, k, split_heads(self.v_proj(h), self.kv_heads)


class Qwen3DecoderLayer(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.input_layernorm = RMSNorm(t.hidden_size, t.rms_norm_eps)
        self.self_attn = Qwen3Attention(t.hidden_size, t.num_attention_heads, t.num_key_value_heads, t.head_width,
                                        t.attention_bias, t.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(t.hidden_size, t.rms_norm_eps)
        self.mlp = QwenMLP(t.hidden_size, t.intermediate_size)
