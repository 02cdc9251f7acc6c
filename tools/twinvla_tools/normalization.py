"""Quantile normalisation with a mask, as both reference codebases apply it:
y = 2 * (x - q01) / (q99 - q01 + eps) - 1 on masked dimensions, identity elsewhere (eps from the
statistics block: 1e-6 in TwinVLA, 0 where starVLA un-normalises)."""
from __future__ import annotations

import numpy as np

EPS = 1e-6


def normalize(x: np.ndarray, stats: dict) -> np.ndarray:
    q01, q99, mask = (np.asarray(stats[k]) for k in ("q01", "q99", "mask"))
    y = 2.0 * (x - q01) / (q99 - q01 + stats.get("eps", EPS)) - 1.0
    return np.where(mask, y, x).astype(np.float32)


def unnormalize(y: np.ndarray, stats: dict, clip: bool) -> np.ndarray:
    """stats["binarize"] (optional, per dimension): after the clip, below 0.5 -> 0, else 1 (starVLA's gripper)."""
    q01, q99, mask = (np.asarray(stats[k]) for k in ("q01", "q99", "mask"))
    if clip:
        y = np.clip(y, -1.0, 1.0)
    if "binarize" in stats:
        y = np.where(np.asarray(stats["binarize"], dtype=bool), np.where(y < 0.5, 0.0, 1.0), y)
    x = (y + 1.0) / 2.0 * (q99 - q01 + stats.get("eps", EPS)) + q01
    x = np.where(mask, x, y)
    if "round" in stats:
        x = np.where(np.asarray(stats["round"], dtype=bool), np.round(x), x)
    return x.astype(np.float32)
