"""Vision towers. Both take uint8 NHWC images: scaling and mean/std happen inside the graph so
that they run on the accelerator with the rest of the encoder."""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .layers import RMSNorm, SiglipEncoderLayer, split_heads, merge_heads


def uint8_nhwc_to_normalized(images: torch.Tensor, mean, std) -> torch.Tensor:
    x = images.to(torch.float32) / 255.0
    x = (x - torch.tensor(mean, dtype=torch.float32)) / torch.tensor(std, dtype=torch.float32)
    return x.permute(0, 3, 1, 2)


def pixel_shuffle(x: torch.Tensor, scale: float = 0.5) -> torch.Tensor:
    """InternVL / Eagle2 pixel shuffle (ps_version v2): (n, w, h, c) -> (n, w*s, h*s, c/s^2)."""
    n, w, h, c = x.shape
    x = x.reshape(n, w, int(h * scale), int(c / scale))
    x = x.permute(0, 2, 1, 3).contiguous()
    x = x.reshape(n, int(h * scale), int(w * scale), int(c / (scale * scale)))
    return x.permute(0, 2, 1, 3).contiguous()


class SiglipEmbeddings(nn.Module):
    def __init__(self, width: int, image_size: int, patch: int):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, width, kernel_size=patch, stride=patch)
        self.position_embedding = nn.Embedding((image_size // patch) ** 2, width)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        return x + self.position_embedding.weight[None]


class SiglipEncoder(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, mlp: int):
        super().__init__()
        self.layers = nn.ModuleList(SiglipEncoderLayer(width, heads, mlp) for _ in range(layers))


class SiglipTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = SiglipEmbeddings(cfg.width, cfg.image_size, cfg.patch)
        self.encoder = SiglipEncoder(cfg.width, cfg.layers, cfg.heads, cfg.mlp)
        self.post_layernorm = nn.LayerNorm(cfg.width, eps=1e-6)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(pixels)
        for layer in self.encoder.layers:
            x = layer(x)
        return self.post_layernorm(x)


class SiglipVisionModel(nn.Module):
    """Named as transformers' SiglipVisionModel: `vision_model.embeddings...`."""

    def __init__(self, cfg):
        super().__init__()
        self.vision_model = SiglipTransformer(cfg)


class EagleVision(nn.Module):
    """Eagle2's image path: SigLIP -> pixel shuffle 0.5 -> mlp1 (LayerNorm, Linear, GELU, Linear).

    Lives at the top of the model so its names read `vision_model.*` and `mlp1.*` as in Eagle2."""

    MEAN = (0.5, 0.5, 0.5)
    STD = (0.5, 0.5, 0.5)

    def __init__(self, vcfg, hidden: int):
        super().__init__()
        self.cfg = vcfg
        self.vision_model = SiglipVisionModel(vcfg)
        c4 = vcfg.width * 4
        self.mlp1 = nn.Sequential(nn.LayerNorm(c4), nn.Linear(c4, hidden), nn.GELU(), nn.Linear(hidden, hidden))

    def tokens_per_image(self) -> int:
        return (self.cfg.image_size // self.cfg.patch // 2) ** 2

    def forward(self, images_u8: torch.Tensor) -> torch.Tensor:
        x = self.vision_model.vision_model(uint8_nhwc_to_normalized(images_u8, self.MEAN, self.STD))
        n, s, c = x.shape
        g = self.cfg.image_size // self.cfg.patch
        x = pixel_shuffle(x.reshape(n, g, g, c), 0.5)
        return self.mlp1(x.reshape(n, -1, x.shape[-1]))


class QwenVisionBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp: int):
        super().__init__()
        self.heads = heads
        self.norm1 = RMSNorm(width)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(width, 3 * width)
        self.attn.proj = nn.Linear(width, width)
        self.norm2 = RMSNorm(width)
        self.mlp = nn.Module()
        self.mlp.gate_proj = nn.Linear(width, mlp)
        self.mlp.up_proj = nn.Linear(width, mlp)
        self.mlp.down_proj = nn.Linear(mlp, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.attn.qkv(self.norm1(x)).chunk(3, dim=-1)
        q, k, v = (split_heads(t, self.heads) for t in (q, k, v))
        x = x + self.attn.proj(merge_heads(F.scaled_dot_product_attention(q, k, v)))
        h = self.norm2(x)
        return x + self.mlp.down_proj(F.silu(self.mlp.gate_proj(h)) * self.mlp.up_proj(h))


class QwenVLVision(nn.Module):
    """Qwen2.5-VL-style vision tower: patch embed, blocks, 2x2 patch merger into the LLM width.

    Known divergences from Qwen2.5-VL (written down for the parity notes): a 2-D patch
    convolution instead of the temporal Conv3d, a learned absolute position table instead of
    2-D rotary positions, global instead of windowed attention."""

    MEAN = (0.48145466, 0.4578275, 0.40821073)
    STD = (0.26862954, 0.26130258, 0.27577711)

    def __init__(self, vcfg, hidden: int):
        super().__init__()
        self.cfg = vcfg
        w = vcfg.width
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, w, kernel_size=vcfg.patch, stride=vcfg.patch, bias=False)
        self.pos_embed = nn.Parameter(torch.zeros((vcfg.image_size // vcfg.patch) ** 2, w))
        self.blocks = nn.ModuleList(QwenVisionBlock(w, vcfg.heads, vcfg.mlp) for _ in range(vcfg.layers))
        self.merger = nn.Module()
        self.merger.ln_q = RMSNorm(w)
        self.merger.mlp = nn.Sequential(nn.Linear(4 * w, 4 * w), nn.GELU(), nn.Linear(4 * w, hidden))

    def tokens_per_image(self) -> int:
        return (self.cfg.image_size // self.cfg.patch // 2) ** 2

    def forward(self, images_u8: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed.proj(uint8_nhwc_to_normalized(images_u8, self.MEAN, self.STD))
        x = x.flatten(2).transpose(1, 2) + self.pos_embed[None]
        for block in self.blocks:
            x = block(x)
        x = self.merger.ln_q(x)
        n, s, c = x.shape
        g = self.cfg.image_size // self.cfg.patch
        # 2x2 neighbourhoods merged into one token, as Qwen's PatchMerger does.
        x = x.reshape(n, g // 2, 2, g // 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(n, (g // 2) ** 2, 4 * c)
        return self.merger.mlp(x)
