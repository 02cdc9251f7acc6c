"""Writes the golden images the TypeScript observe/ tests compare against:
test/fixtures/images/cases.json, <case>.bin (the message's data) and <case>.<spec>.rgb (the reference
preprocessing's output). Deterministic; re-run after changing preprocess.py:

    PYTHONPATH=tools .venv/bin/python -m twinvla_tools.golden_images
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from .preprocess import decode_compressed, raw_to_rgb, resize

W, H = 96, 72
SPECS = {
    "fill56": {"width": 56, "height": 56, "resize": "bicubic", "letterbox": False},
    "fill112": {"width": 112, "height": 112, "resize": "bicubic", "letterbox": False},
    "box64": {"width": 64, "height": 64, "resize": "bicubic", "letterbox": True},
}


def source_image() -> np.ndarray:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.stack([xx / W * 255, yy / H * 255, (np.sin(xx / 5) * np.cos(yy / 7) * 0.5 + 0.5) * 255], -1)
    img[20:40, 30:60] = [240, 20, 40]
    img[45:65, 10:25] = [20, 200, 60]
    return np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)


def rgb_to_yuv422(rgb: np.ndarray, yuyv: bool) -> bytes:
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    y, u, v = (np.clip(np.round(c), 0, 255).astype(np.uint8) for c in (y, u, v))
    u2 = ((u[:, 0::2].astype(int) + u[:, 1::2]) // 2).astype(np.uint8)
    v2 = ((v[:, 0::2].astype(int) + v[:, 1::2]) // 2).astype(np.uint8)
    q = np.stack([y[:, 0::2], u2, y[:, 1::2], v2], -1) if yuyv else np.stack([u2, y[:, 0::2], v2, y[:, 1::2]], -1)
    return q.reshape(H, -1).tobytes()


def pad_rows(rows: np.ndarray, step: int) -> bytes:
    out = np.zeros((rows.shape[0], step), np.uint8)
    out[:, : rows.shape[1]] = rows
    return out.tobytes()


def cases(src: np.ndarray) -> list[dict]:
    mono = (0.299 * src[..., 0] + 0.587 * src[..., 1] + 0.114 * src[..., 2]).round().astype(np.uint8)

    def enc(img: Image.Image, fmt: str, **kw) -> bytes:
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        return b.getvalue()

    rgba = np.concatenate([src, np.full((H, W, 1), 200, np.uint8)], -1)
    return [
        {"name": "rgb8", "kind": "raw", "encoding": "rgb8", "step": W * 3, "data": src.tobytes()},
        {"name": "rgb8_padded", "kind": "raw", "encoding": "rgb8", "step": W * 3 + 32, "data": pad_rows(src.reshape(H, -1), W * 3 + 32)},
        {"name": "bgr8", "kind": "raw", "encoding": "bgr8", "step": W * 3, "data": src[..., ::-1].tobytes()},
        {"name": "bgr8_padded", "kind": "raw", "encoding": "bgr8", "step": W * 3 + 4, "data": pad_rows(src[..., ::-1].reshape(H, -1), W * 3 + 4)},
        {"name": "rgba8", "kind": "raw", "encoding": "rgba8", "step": W * 4, "data": rgba.tobytes()},
        {"name": "bgra8", "kind": "raw", "encoding": "bgra8", "step": W * 4, "data": rgba[..., [2, 1, 0, 3]].tobytes()},
        {"name": "mono8", "kind": "raw", "encoding": "mono8", "step": W, "data": mono.tobytes()},
        {"name": "yuv422", "kind": "raw", "encoding": "yuv422", "step": W * 2, "data": rgb_to_yuv422(src, yuyv=False)},
        {"name": "yuv422_yuy2", "kind": "raw", "encoding": "yuv422_yuy2", "step": W * 2, "data": rgb_to_yuv422(src, yuyv=True)},
        {"name": "jpeg", "kind": "compressed", "format": "jpeg", "data": enc(Image.fromarray(src), "JPEG", quality=90)},
        {"name": "jpeg_bgr8", "kind": "compressed", "format": "rgb8; jpeg compressed bgr8", "data": enc(Image.fromarray(src), "JPEG", quality=95)},
        {"name": "jpeg_mono", "kind": "compressed", "format": "mono8; jpeg compressed mono8", "data": enc(Image.fromarray(mono), "JPEG", quality=90)},
        {"name": "png_bgr8", "kind": "compressed", "format": "bgr8; png compressed bgr8", "data": enc(Image.fromarray(src), "PNG")},
        {"name": "png_mono", "kind": "compressed", "format": "mono8; png compressed mono8", "data": enc(Image.fromarray(mono), "PNG")},
    ]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    src = source_image()
    meta = {"width": W, "height": H, "specs": SPECS, "cases": []}
    for c in cases(src):
        data = c.pop("data")
        (out / f"{c['name']}.bin").write_bytes(data)
        rgb = raw_to_rgb(c["encoding"], W, H, c["step"], data) if c["kind"] == "raw" else decode_compressed(data)
        for spec_name, s in SPECS.items():
            ref = resize(rgb, s["width"], s["height"], s["resize"], s["letterbox"])
            (out / f"{c['name']}.{spec_name}.rgb").write_bytes(np.ascontiguousarray(ref).tobytes())
        meta["cases"].append(c)
    (out / "cases.json").write_text(json.dumps(meta, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(__file__).resolve().parents[2] / "test" / "fixtures" / "images")
