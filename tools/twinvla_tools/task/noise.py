"""The runtime's sampler noise (src/model/noise.ts) in Python: sfc32 uniforms, Box-Muller normals,
so that the reference and the runtime start each chunk from the same noise for the same seed."""
from __future__ import annotations

import math

import numpy as np

M32 = 0xFFFFFFFF


class GaussianNoise:
    def __init__(self, seed: int):
        self.a, self.b, self.c, self.d = 0x9E3779B9, 0x243F6A88, 0xB7E15162, seed & M32
        self.spare: float | None = None
        for _ in range(15):
            self._uint32()

    def _uint32(self) -> int:
        t = (self.a + self.b + self.d) & M32
        self.d = (self.d + 1) & M32
        self.a = self.b ^ (self.b >> 9)
        self.b = (self.c + (self.c << 3)) & M32
        self.c = ((self.c << 21) | (self.c >> 11)) & M32
        self.c = (self.c + t) & M32
        return t

    def uniform(self) -> float:
        return (self._uint32() + 1) / 4294967296

    def normal(self) -> float:
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        r = math.sqrt(-2 * math.log(self.uniform()))
        theta = 2 * math.pi * self.uniform()
        self.spare = r * math.sin(theta)
        return r * math.cos(theta)

    def fill(self, n: int) -> np.ndarray:
        return np.array([self.normal() for _ in range(n)], dtype=np.float32)
