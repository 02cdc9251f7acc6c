"""Load a state dict (safetensors or a PyTorch .pt/.bin) into a reference model by parameter name,
and report what did not match, so a checkpoint/architecture mismatch is seen, never silent."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch


@dataclass
class LoadReport:
    missing: list[str] = field(default_factory=list)      # in the model, not in the checkpoint
    unexpected: list[str] = field(default_factory=list)   # in the checkpoint, not in the model
    mismatched: list[str] = field(default_factory=list)   # same name, other shape: "name: ckpt (a) vs model (b)"
    loaded: int = 0

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self) -> str:
        lines = [f"loaded {self.loaded} tensors; {len(self.missing)} missing, {len(self.unexpected)} unexpected, "
                 f"{len(self.mismatched)} with another shape"]
        for title, names in (("missing", self.missing), ("unexpected", self.unexpected), ("shape", self.mismatched)):
            for n in names[:20]:
                lines.append(f"  {title}: {n}")
            if len(names) > 20:
                lines.append(f"  ... and {len(names) - 20} more {title}")
        return "\n".join(lines)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if path.is_dir():
        files = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin")) or sorted(path.glob("*.pt"))
        if not files:
            raise FileNotFoundError(f"checkpoint folder {path} holds no *.safetensors, *.bin or *.pt file")
        merged: dict[str, torch.Tensor] = {}
        for f in files:
            merged.update(read_state_dict(f))
        return merged
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file
        return load_file(str(path))
    sd = torch.load(str(path), map_location="cpu", weights_only=True)
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        raise ValueError(f"{path} does not hold a state dict (found {type(sd).__name__})")
    return sd


def load_into(model: torch.nn.Module, state_dict: dict[str, torch.Tensor], strip_prefix: str = "") -> LoadReport:
    own = model.state_dict()
    report = LoadReport()
    matched: dict[str, torch.Tensor] = {}
    for name, tensor in state_dict.items():
        key = name[len(strip_prefix):] if strip_prefix and name.startswith(strip_prefix) else name
        if key not in own:
            report.unexpected.append(name)
        elif tuple(own[key].shape) != tuple(tensor.shape):
            report.mismatched.append(f"{key}: checkpoint {tuple(tensor.shape)} vs model {tuple(own[key].shape)}")
        else:
            matched[key] = tensor
    report.missing = sorted(k for k in own if k not in matched and not any(m.startswith(k + ":") for m in report.mismatched))
    model.load_state_dict(matched, strict=False)
    report.loaded = len(matched)
    return report
