"""PyTorch eager timing of a full prediction (encoder, then the sampler's denoiser steps with guidance
batched as the runtime batches it), on an exported model folder's fixture inputs, rebuilt from the
same preset and seed. Prints one JSON line: {"ms": [...], "threads": n}. Used by `npm run bench` (P3).

With --serve it times one prediction per line read from stdin and prints its milliseconds, so the
benchmark can alternate PyTorch and ONNX Runtime runs in short rounds: a loaded machine then slows
both sides alike, where a baseline measured before or after the other side would not be."""
from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import numpy as np
import torch
import yaml
from tokenizers import Tokenizer

from .families import build_for_folder, family, model_tokenizer, prompt_templates
from .normalization import normalize
from .timing import serve_runs, time_runs
from .tokenizer import encode


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--serve", action="store_true", help="time one prediction per stdin line (after --warmup runs)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.model)
    manifest = yaml.safe_load((out / "model.yaml").read_text())
    fx = json.loads((out / "fixtures" / "fixture.json").read_text())
    prov = manifest["provenance"]
    fam = family(manifest["family"])
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    # The exporter's own rule: a checkpoint folder in the authors' layout is sized by its config files,
    # anything else by the preset (TwinBrainVLA's builder takes no camera sizes).
    ckpt = prov.get("source_checkpoint")
    model = build_for_folder(manifest, tok, out / ckpt if ckpt else None).eval()

    imgs = [torch.from_numpy(np.frombuffer(base64.b64decode(fx["inputs"]["images"][k]["base64"]), np.uint8)
                             .reshape(fx["inputs"]["images"][k]["shape"]).copy())
            for k in ("image_head", "image_left_wrist", "image_right_wrist")]
    state = np.asarray(fx["inputs"]["state"]["data"], np.float32)
    noise = torch.tensor(fx["inputs"]["noise"]["data"]).reshape(fx["inputs"]["noise"]["shape"])
    steps, g = manifest["flow"]["steps"], manifest["flow"]["guidance"]
    noise_at_one = manifest["flow"]["noise_time"] == 1

    @torch.no_grad()
    def predict():
        ids = [torch.tensor([encode(model_tokenizer(model, tok), t.replace("{instruction}", fx["instruction"]))])
               for t in prompt_templates(fam, model).values()]
        s = torch.from_numpy(normalize(state, manifest["state"]["normalization"]))[None]
        enc = dict(zip(fam.encoder_outputs, model.encode(*imgs, *ids, s)))
        cond = [enc[o] for o in fam.conditioning.values()]
        if g:
            cond = [torch.cat([c, enc[g["null_conditioning"].get(k, o)]]) for c, (k, o) in zip(cond, fam.conditioning.items())]
        x = noise.clone()
        dt = (-1.0 if noise_at_one else 1.0) / steps
        b = 2 if g else 1
        for i in range(steps):
            t = 1.0 - i / steps if noise_at_one else i / steps
            v = model.velocity(x.expand(b, -1, -1), torch.full((b,), t), *cond)
            if g:
                v = (v[1:] + g["scale"] * (v[:1] - v[1:])).clamp(-g["clamp"], g["clamp"])
            x = x + dt * v
        return x

    if a.serve:
        serve_runs(predict, a.warmup)
    else:
        print(json.dumps({"ms": time_runs(predict, a.iterations, a.warmup), "threads": a.threads}))


if __name__ == "__main__":
    main()
