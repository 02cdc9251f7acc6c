"""The Python reference of a model folder: the PyTorch model loaded from the checkpoint the graphs
were exported from, with the manifest's statistics and prompts. predict() does what the runtime's
policy does for one snapshot: resize, tokenise, normalise, sample (the runtime's noise), decode."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml
from tokenizers import Tokenizer

from ..checkpoint import load_into, read_state_dict
from ..families import build_for_folder, family
from ..normalization import normalize, unnormalize
from ..preprocess import resize
from ..rotation import matrix_to_quaternion, rot6d_to_matrix
from ..sampler import FlowSettings, sample
from ..tokenizer import encode
from .noise import GaussianNoise


class ReferencePolicy:
    def __init__(self, model_dir: Path, checkpoint: Path | None = None):
        self.dir = Path(model_dir)
        self.manifest = yaml.safe_load((self.dir / "model.yaml").read_text())
        m = self.manifest
        self.fam = family(m["family"])
        self.tok = Tokenizer.from_file(str(self.dir / m["prompt"]["tokenizer"]))
        source = m["provenance"]["source_checkpoint"]
        ckpt = Path(checkpoint) if checkpoint else (self.dir / source if source else None)
        # Without a checkpoint the exporter initialised the model from its seed: build_for_folder does the same.
        self.model = build_for_folder(m, self.tok, ckpt).eval()
        if ckpt:
            report = load_into(self.model, read_state_dict(str(ckpt)), "")
            if not report.complete:
                raise SystemExit(f"{ckpt} does not match {self.dir}: {report.summary()}")
        g = m["flow"]["guidance"]
        self.flow = FlowSettings(m["flow"]["noise_time"], m["flow"]["steps"],
                                 g["scale"] if g else None, g["clamp"] if g else None,
                                 g.get("clamp_target", "velocity") if g else "velocity",
                                 g.get("applies_above") if g else None)
        self.horizon, self.dt = m["action"]["horizon"], m["action"]["dt"]
        self.arms = m["action"]["arms"]

    @torch.no_grad()
    def predict(self, images: dict[str, np.ndarray], state: np.ndarray, instruction: str, seed: int) -> dict:
        """images: role -> decoded RGB (any size); state: raw (arms x 10). Returns per arm
        positions (H, 3), quaternions (H, 4, x y z w), grippers (H,)."""
        m, fam = self.manifest, self.fam
        # As the runtime: an image already at the camera size the graph takes goes in unchanged.
        ims = [torch.from_numpy(np.array(images[c["role"]] if images[c["role"]].shape[:2] == (c["height"], c["width"])
                                         else resize(images[c["role"]], c["width"], c["height"], c["resize"], c["letterbox"])))[None]
               for c in m["cameras"]]
        ids = [torch.tensor([encode(self.tok, p["template"].replace("{instruction}", instruction))]) for p in m["prompt"]["inputs"]]
        s = torch.from_numpy(normalize(state.astype(np.float32), m["state"]["normalization"]))[None]
        out = dict(zip(fam.encoder_outputs, self.model.encode(*ims, *ids, s)))
        cond = {k: out[o] for k, o in fam.conditioning.items()}
        null = {k: out[fam.null_conditioning[k]] if k in (fam.null_conditioning or {}) else v for k, v in cond.items()} \
            if fam.null_conditioning else None
        d = 2 * self.model.cfg.arm_dim
        noise = torch.from_numpy(GaussianNoise(seed).fill(self.horizon * d)).reshape(1, self.horizon, d)
        velocity = lambda x, t, **c: self.model.velocity(x, t, *c.values())  # noqa: E731
        x = sample(velocity, noise, cond, self.flow, null)[0].numpy()
        nrm = m["action"]["normalization"]
        actions = unnormalize(x, nrm, bool(nrm.get("clip", False)))
        chunk = {}
        for a, arm in enumerate(self.arms):
            part = actions[:, a * 10:(a + 1) * 10].astype(np.float64)
            quats = np.stack([matrix_to_quaternion(rot6d_to_matrix(r)) for r in part[:, 3:9]])
            chunk[arm] = {"positions": part[:, :3], "quaternions": quats, "grippers": part[:, 9]}
        return chunk
