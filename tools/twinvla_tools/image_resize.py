"""TwinVLA's image preprocessing inside the graph (twin_eagle.py process_image): uint8 -> float / 255,
torchvision's bicubic resize with antialias and no clamp, then (x - 0.5) / 0.5.

torchvision resizes a float tensor with torch's antialiased bicubic (a = -0.5, support widened when
shrinking). That resize is linear and separable: out = Wh @ x @ Ww^T with one weight matrix per
axis that depends only on the input and output sizes. The matrices are taken from torch itself (by
resizing the unit vectors), so the graph computes exactly torchvision's weights as two MatMuls, for
the camera's declared size, on the accelerator, from the uint8 image the runtime hands over."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def resize_matrix(size_in: int, size_out: int) -> torch.Tensor:
    """(size_out, size_in): row o holds the weights of input pixels for output pixel o."""
    if size_in == size_out:
        return torch.eye(size_in)
    # Channel i: unit vector i along the height, two identical columns (torch treats an axis of
    # size 1 as a broadcast and returns a constant along it; an axis of 2 kept at 2 is the identity).
    basis = torch.eye(size_in).reshape(1, size_in, size_in, 1).expand(1, size_in, size_in, 2).contiguous()
    out = F.interpolate(basis, size=(size_out, 2), mode="bicubic", align_corners=False, antialias=True)
    return out[0, :, :, 0].T.contiguous()


class EagleImagePreprocess(torch.nn.Module):
    """(N, H, W, 3) uint8 at the camera's size -> (N, 3, S, S) float, normalised as SigLIP wants."""

    def __init__(self, height: int, width: int, size: int, mean: float = 0.5, std: float = 0.5):
        super().__init__()
        self.height, self.width, self.size, self.mean, self.std = height, width, size, mean, std
        self.register_buffer("wh", resize_matrix(height, size), persistent=False)
        self.register_buffer("ww", resize_matrix(width, size).T.contiguous(), persistent=False)

    def forward(self, images_u8: torch.Tensor) -> torch.Tensor:
        if tuple(images_u8.shape[1:3]) != (self.height, self.width):
            raise ValueError(f"image of {tuple(images_u8.shape[1:3])}, expected the camera's {self.height}x{self.width}")
        x = images_u8.to(torch.float32).permute(0, 3, 1, 2) / 255.0
        if self.height != self.size or self.width != self.size:
            x = torch.matmul(torch.matmul(self.wh, x), self.ww)
        return (x - self.mean) / self.std
