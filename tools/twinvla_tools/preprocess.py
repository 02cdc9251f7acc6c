"""Reference image preprocessing, as the training pipelines do it: decode (numpy for raw ROS
encodings, PIL for JPEG/PNG), then PIL BICUBIC resize to the model's size, optionally letterboxed
on black. The TypeScript runtime (src/observe) is tested against these outputs."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "nearest": Image.NEAREST, "lanczos3": Image.LANCZOS}

# OpenCV's fixed-point BT.601 (limited range) YUV -> RGB, as cv_bridge converts yuv422.
SHIFT, CY, CUB, CUG, CVG, CVR = 20, 1220542, 2116026, -409993, -852492, 1673527


def _yuv422(rows: np.ndarray, yuyv: bool) -> np.ndarray:
    q = rows.reshape(rows.shape[0], -1, 4).astype(np.int64)
    if yuyv:
        y0, u, y1, v = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    else:
        u, y0, v, y1 = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    uu, vv = u - 128, v - 128
    half = 1 << (SHIFT - 1)
    ruv, guv, buv = half + CVR * vv, half + CVG * vv + CUG * uu, half + CUB * uu
    out = []
    for y in (y0, y1):
        yy = np.maximum(0, y - 16) * CY
        out.append(np.stack([(yy + ruv) >> SHIFT, (yy + guv) >> SHIFT, (yy + buv) >> SHIFT], -1))
    px = np.stack(out, axis=2).reshape(rows.shape[0], -1, 3)
    return np.clip(px, 0, 255).astype(np.uint8)


def raw_to_rgb(encoding: str, width: int, height: int, step: int, data: bytes) -> np.ndarray:
    buf = np.frombuffer(data, np.uint8)[: height * step].reshape(height, step)
    bpp = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1, "yuv422": 2, "yuv422_yuy2": 2, "yuyv": 2}[encoding]
    rows = buf[:, : width * bpp]
    if encoding in ("yuv422", "yuv422_yuy2", "yuyv"):
        return _yuv422(rows, yuyv=encoding != "yuv422")
    px = rows.reshape(height, width, bpp)
    if encoding == "mono8":
        return np.repeat(px, 3, axis=2)
    if encoding.startswith("bgr"):
        return px[..., 2::-1].copy()
    return px[..., :3].copy()


def decode_compressed(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def resize(rgb: np.ndarray, width: int, height: int, filt: str = "bicubic", letterbox: bool = False) -> np.ndarray:
    img = Image.fromarray(rgb)
    if not letterbox:
        return np.asarray(img.resize((width, height), FILTERS[filt]))
    scale = min(width / img.width, height / img.height)
    w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
    canvas = Image.new("RGB", (width, height))
    canvas.paste(img.resize((w, h), FILTERS[filt]), ((width - w) // 2, (height - h) // 2))
    return np.asarray(canvas)
