"""Deterministic fixture inputs and the PyTorch outputs the TypeScript runtime is tested against."""
from __future__ import annotations

import base64

import numpy as np
import torch

from .normalization import normalize, unnormalize
from .rotation import matrix_to_quaternion, matrix_to_rot6d, rot6d_to_matrix, rpy_to_matrix
from .sampler import sample
from .tokenizer import encode

INSTRUCTION = "hand over the box to the other arm"
VELOCITY_T = 0.7


def f32(a) -> dict:
    a = np.asarray(a, dtype=np.float32)
    return {"dtype": "float32", "shape": list(a.shape), "data": [float(x) for x in a.reshape(-1)]}


def u8(a) -> dict:
    a = np.ascontiguousarray(a, dtype=np.uint8)
    return {"dtype": "uint8", "shape": list(a.shape), "base64": base64.b64encode(a.tobytes()).decode()}


def i64(a) -> dict:
    a = np.asarray(a, dtype=np.int64)
    return {"dtype": "int64", "shape": list(a.shape), "data": [int(x) for x in a.reshape(-1)]}


def synthetic_image(rng: np.random.Generator, size: int, width: int | None = None) -> np.ndarray:
    """A picture with structure (gradients, a disc, texture) so every pixel path is exercised."""
    width = width or size
    yy, xx = np.mgrid[0:size, 0:width].astype(np.float32)
    yy, xx = yy / max(size - 1, 1), xx / max(width - 1, 1)
    cx, cy, r = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.3)
    disc = ((xx - cx) ** 2 + (yy - cy) ** 2 < r * r).astype(np.float32)
    base = np.stack([xx, yy, 1 - xx * yy], -1) * 200 + disc[..., None] * rng.uniform(-80, 80, 3)
    return np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)


def arm_state(position, rpy, gripper) -> np.ndarray:
    return np.concatenate([position, matrix_to_rot6d(rpy_to_matrix(*rpy)), [gripper]]).astype(np.float32)


def fixture_state() -> np.ndarray:
    left = arm_state([0.32, 0.21, 0.18], [np.pi, 0.1, 0.3], 0.6)
    right = arm_state([0.35, -0.19, 0.22], [np.pi, -0.2, -0.4], 0.1)
    return np.concatenate([left, right])


def poses_from_chunk(chunk: np.ndarray, arm_dim: int) -> list[dict]:
    """Per arm: position (H, 3), quaternion xyzw (H, 4), gripper (H,), from a rot6d layout."""
    out = []
    for a in range(chunk.shape[-1] // arm_dim):
        part = chunk[:, a * arm_dim:(a + 1) * arm_dim].astype(np.float64)
        quats = [matrix_to_quaternion(rot6d_to_matrix(row[3:9])) for row in part]
        out.append({"position": f32(part[:, :3]), "quaternion": f32(np.stack(quats)), "gripper": f32(part[:, 9])})
    return out


@torch.no_grad()
def make_fixture(model, fam, tok, stats: dict, seed: int, flow=None, given: dict | None = None) -> dict:
    """given (optional): inputs to use instead of the generated ones, as an .npz from the user holds
    them: image_<role> (H, W, 3) uint8, state (20,), instruction (str), noise (horizon, 20)."""
    rng = np.random.default_rng(seed + 1000)
    from .families import camera_size, flow_settings, model_tokenizer, prompt_templates
    tok = model_tokenizer(model, tok)
    given = given or {}
    images = {f"image_{role}": synthetic_image(rng, *camera_size(model, role))[None]
              for role in ("head", "left_wrist", "right_wrist")}
    images.update({k: np.asarray(given[k], np.uint8).reshape(1, *np.shape(given[k])[-3:]) for k in images if k in given})
    state = np.asarray(given["state"], np.float32).reshape(-1) if "state" in given else fixture_state()
    instruction = str(given.get("instruction", INSTRUCTION))
    state_n = normalize(state, stats["state"])
    ids = {name: encode(tok, tpl.replace("{instruction}", instruction)) for name, tpl in prompt_templates(fam, model).items()}
    enc_in = [torch.from_numpy(images[k]) for k in images] + [torch.tensor([v]) for v in ids.values()] + \
             [torch.from_numpy(state_n)[None]]
    enc_out = dict(zip(fam.encoder_outputs, model.encode(*enc_in)))
    horizon, dim = model.cfg.horizon, 2 * model.cfg.arm_dim
    noise = torch.from_numpy(rng.standard_normal((1, horizon, dim)).astype(np.float32))
    if "noise" in given:
        noise = torch.from_numpy(np.asarray(given["noise"], np.float32).reshape(1, horizon, dim))
    x_t = torch.from_numpy(rng.standard_normal((1, horizon, dim)).astype(np.float32))
    cond = [enc_out[o] for o in fam.conditioning.values()]
    velocity = model.velocity(x_t, torch.tensor([VELOCITY_T]), *cond)

    def vel(x, t, **kw):
        return model.velocity(x, t, *kw.values())

    cond_kw = {k: enc_out[o] for k, o in fam.conditioning.items()}
    null_kw = {k: enc_out[o] for k, o in fam.null_conditioning.items()} if fam.null_conditioning else None
    chunk_n = sample(vel, noise, cond_kw, flow or flow_settings(fam, model), null_kw)[0].numpy()
    chunk = unnormalize(chunk_n, stats["action"], stats["action"]["clip"])
    return {
        "seed": seed,
        "instruction": instruction,
        "inputs": {
            "images": {k: u8(v) for k, v in images.items()},
            "state": f32(state),
            "noise": f32(noise.numpy()),
            "x_t": f32(x_t.numpy()),
            "t": VELOCITY_T,
        },
        "expected": {
            "input_ids": {k: i64(v) for k, v in ids.items()},
            "state_normalized": f32(state_n),
            "conditioning": {k: f32(v.numpy()) for k, v in enc_out.items()},
            "velocity": f32(velocity.numpy()),
            "chunk_normalized": f32(chunk_n),
            "chunk": f32(chunk),
            "poses": poses_from_chunk(chunk, model.cfg.arm_dim),
        },
    }
