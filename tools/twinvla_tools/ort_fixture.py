"""A fixture computed by onnxruntime in Python from the model folder alone (its manifest and graphs,
loaded with the manifest's session settings), for models whose PyTorch reference cannot be held in
memory: the streamed exports (streamed.py) write no fixture. `twinvla predict --model <dir> --fixture`
then compares the TypeScript runtime (tokenizer, normalisation, sampler, un-normalisation, poses)
with Python on the same inputs, both running the same graphs in ONNX Runtime.

The fixture has the layout fixtures.make_fixture writes, with `reference` naming where its expected
values come from. The encoder's session is released before the denoiser's, so that at the published
size only one graph's weights are mapped at a time.

    python -m twinvla_tools.ort_fixture --model <dir> [--seed 0]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import yaml

from .fixtures import INSTRUCTION, VELOCITY_T, f32, fixture_state, i64, poses_from_chunk, synthetic_image, u8
from .normalization import normalize, unnormalize
from .sampler import FlowSettings, sample
from .session_config import of_manifest, session_options


ROTATION_DIM = {"rot6d": 6, "quaternion": 4}


def arm_dim(layout: dict) -> int:
    return layout["position"] + ROTATION_DIM[layout["rotation"]] + layout["gripper"]


def flow_of(doc: dict) -> FlowSettings:
    f, g = doc["flow"], doc["flow"]["guidance"]
    return FlowSettings(noise_at=float(f["noise_time"]), steps=int(f["steps"]),
                        guidance_scale=None if g is None else g["scale"],
                        guidance_clamp=None if g is None else g["clamp"],
                        clamp_target="velocity" if g is None else g.get("clamp_target", "velocity"),
                        guidance_applies_above=None if g is None else g.get("applies_above"))


def ort_fixture(folder: Path, seed: int = 0) -> dict:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    doc = yaml.safe_load((folder / "model.yaml").read_text())
    so = session_options(ort, of_manifest(doc))
    rng = np.random.default_rng(seed + 1000)
    images = {c["input"]: synthetic_image(rng, c["height"], c["width"])[None] for c in doc["cameras"]}
    state = fixture_state()
    state_n = normalize(state, doc["state"]["normalization"])
    tok = Tokenizer.from_file(str(folder / doc["prompt"]["tokenizer"]))
    ids = {p["name"]: tok.encode(p["template"].replace("{instruction}", INSTRUCTION), add_special_tokens=False).ids
           for p in doc["prompt"]["inputs"]}
    enc_doc, den_doc = doc["graphs"]["encoder"], doc["graphs"]["denoiser"]
    feed = {**images, **{k: np.array([v], np.int64) for k, v in ids.items()}, doc["state"]["input"]: state_n[None]}
    encoder = ort.InferenceSession(str(folder / enc_doc["file"]), so, providers=["CPUExecutionProvider"])
    enc_out = dict(zip(enc_doc["outputs"], encoder.run(enc_doc["outputs"], {k: feed[k] for k in enc_doc["inputs"]})))
    del encoder
    denoiser = ort.InferenceSession(str(folder / den_doc["file"]), so, providers=["CPUExecutionProvider"])
    horizon = doc["action"]["horizon"]
    dim = len(doc["action"]["arms"]) * arm_dim(doc["action"]["layout"])
    noise = rng.standard_normal((1, horizon, dim)).astype(np.float32)
    x_t = rng.standard_normal((1, horizon, dim)).astype(np.float32)

    def velocity(x, t, **cond):
        feed = {den_doc["inputs"]["x_t"]: np.asarray(x, np.float32), den_doc["inputs"]["t"]: np.asarray(t, np.float32),
                **{k: np.asarray(v) for k, v in cond.items()}}
        return torch.from_numpy(denoiser.run([den_doc["output"]], feed)[0])

    cond = {k: enc_out[o] for k, o in den_doc["conditioning"].items()}
    guidance = doc["flow"]["guidance"]
    null = None if guidance is None else {k: enc_out[o] for k, o in guidance["null_conditioning"].items()}
    null_cond = None if null is None else {**cond, **null}
    v = velocity(x_t, np.array([VELOCITY_T], np.float32), **cond)
    chunk_n = sample(velocity, torch.from_numpy(noise), cond, flow_of(doc), null_cond)[0].numpy()
    action = doc["action"]["normalization"]
    chunk = unnormalize(chunk_n, action, action["clip"])
    return {
        "seed": seed,
        "reference": f"onnxruntime {ort.__version__} in Python on the exported graphs (ort_fixture.py), "
                     "with the manifest's session settings",
        "instruction": INSTRUCTION,
        "inputs": {"images": {k: u8(a) for k, a in images.items()}, "state": f32(state), "noise": f32(noise),
                   "x_t": f32(x_t), "t": VELOCITY_T},
        "expected": {
            "input_ids": {k: i64(v) for k, v in ids.items()},
            "state_normalized": f32(state_n),
            "conditioning": {k: f32(a) for k, a in enc_out.items()},
            "velocity": f32(v.numpy()),
            "chunk_normalized": f32(chunk_n),
            "chunk": f32(chunk),
            "poses": poses_from_chunk(chunk, arm_dim(doc["action"]["layout"])),
        },
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, type=Path, help="exported model folder")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated inputs")
    p.add_argument("--replace", action="store_true", help="replace a fixture the folder already has (the "
                   "exporter's, from PyTorch, is the stronger reference)")
    a = p.parse_args()
    target = a.model / "fixtures" / "fixture.json"
    if target.exists() and not a.replace:
        raise SystemExit(f"{target} exists (the exporter writes PyTorch's outputs there); pass --replace to "
                         "overwrite it with onnxruntime's")
    fixture = ort_fixture(a.model, a.seed)
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {target}: {fixture['reference']}")


if __name__ == "__main__":
    main()
