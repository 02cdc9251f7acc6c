"""Load a state dict (safetensors, sharded safetensors, or a PyTorch .pt/.bin) into a reference model
by parameter name, and report what did not match, so a checkpoint/architecture mismatch is seen,
never silent.

Names are the authors' own. Two kinds of name may differ from the model's, both declared by the
caller, never guessed:
- renames: checkpoint name -> model name (one explicit table per family, tested);
- aliases: a second name for the same tensor (tied weights, or a module registered twice, as
  starVLA's `qwen_vl_interface.model` beside `qwen_vl_interface.trainable_vlm`). An alias in the
  checkpoint must equal its source; an alias the checkpoint left out (save_pretrained drops tied
  duplicates) is filled from its source.
Any dtype loads (bf16, fp16, fp32): values are cast to the model's parameter dtype."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch


@dataclass
class LoadReport:
    missing: list[str] = field(default_factory=list)      # in the model, not in the checkpoint
    unexpected: list[str] = field(default_factory=list)   # in the checkpoint, not in the model
    mismatched: list[str] = field(default_factory=list)   # same name, other shape: "name: ckpt (a) vs model (b)"
    loaded: int = 0
    aliased: list[str] = field(default_factory=list)      # checkpoint aliases checked against their source
    dtypes: dict[str, int] = field(default_factory=dict)  # checkpoint dtype -> tensor count

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self) -> str:
        lines = [f"loaded {self.loaded} tensors; {len(self.missing)} missing, {len(self.unexpected)} unexpected, "
                 f"{len(self.mismatched)} with another shape"]
        if self.dtypes:
            lines.append("  checkpoint dtypes: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.dtypes.items())))
        for title, names in (("missing", self.missing), ("unexpected", self.unexpected), ("shape", self.mismatched)):
            for n in names[:20]:
                lines.append(f"  {title}: {n}")
            if len(names) > 20:
                lines.append(f"  ... and {len(names) - 20} more {title}")
        return "\n".join(lines)


def _unwrap(sd, path: Path) -> dict[str, torch.Tensor]:
    """Training frameworks wrap the state dict: {"state_dict": ...}, {"model": ...}, {"module": ...}."""
    for key in ("state_dict", "model", "module"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict) and \
                all(isinstance(v, torch.Tensor) for v in sd[key].values()):
            return sd[key]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors (found {type(sd).__name__}); "
                         "expected a mapping name -> tensor, or one under 'state_dict', 'model' or 'module'")
    return sd


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A file, or a folder: its *.safetensors (sharded ones through model.safetensors.index.json),
    else its *.bin, else its *.pt, merged."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if path.is_dir():
        index = path / "model.safetensors.index.json"
        if index.exists():
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            files = [path / s for s in shards]
        else:
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
    return _unwrap(torch.load(str(path), map_location="cpu", weights_only=True), path)


def load_into(model: torch.nn.Module, state_dict: dict[str, torch.Tensor], strip_prefix: str = "",
              renames: dict[str, str] | None = None, aliases: dict[str, str] | None = None) -> LoadReport:
    """renames: checkpoint name -> model name. aliases: alias name -> source name, both in the
    checkpoint's naming (after strip_prefix and renames)."""
    own = model.state_dict()
    report, matched = match(own, state_dict, strip_prefix, renames, aliases)
    with torch.no_grad():
        model.load_state_dict({k: v.to(own[k].dtype) for k, v in matched.items()}, strict=False)
    return report


def match(own: dict[str, torch.Tensor], state_dict: dict[str, torch.Tensor], strip_prefix: str = "",
          renames: dict[str, str] | None = None, aliases: dict[str, str] | None = None
          ) -> tuple[LoadReport, dict[str, torch.Tensor]]:
    """The checkpoint's tensors by the model's names (own: the model's state dict; its tensors may be
    on the meta device, only names, shapes and dtypes are read), and the report; nothing loaded."""
    renames, aliases = renames or {}, aliases or {}
    report = LoadReport()
    matched: dict[str, torch.Tensor] = {}
    seen: dict[str, torch.Tensor] = {}
    for name, tensor in state_dict.items():
        report.dtypes[str(tensor.dtype).replace("torch.", "")] = report.dtypes.get(str(tensor.dtype).replace("torch.", ""), 0) + 1
        key = name[len(strip_prefix):] if strip_prefix and name.startswith(strip_prefix) else name
        seen[renames.get(key, key)] = tensor
    for key, tensor in seen.items():
        if key in aliases and key not in own:
            source = seen.get(aliases[key])
            if source is None or source.shape != tensor.shape or not torch.equal(source, tensor):
                report.mismatched.append(f"{key}: an alias of {aliases[key]} that differs from it")
            else:
                report.aliased.append(key)
            continue
        if key not in own:
            report.unexpected.append(key)
        elif tuple(own[key].shape) != tuple(tensor.shape):
            report.mismatched.append(f"{key}: checkpoint {tuple(tensor.shape)} vs model {tuple(own[key].shape)}")
        else:
            matched[key] = tensor
    # A tied duplicate that the checkpoint left out takes its source's values.
    for alias, source in aliases.items():
        if alias in own and alias not in matched and source in matched and own[alias].shape == matched[source].shape:
            matched[alias] = matched[source]
    bad_shape = {m.split(":")[0] for m in report.mismatched}
    report.missing = sorted(k for k in own if k not in matched and k not in bad_shape)
    report.loaded = len(matched)
    return report, matched


SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
                      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
                      "U8": torch.uint8, "BOOL": torch.bool}


def open_mapped(path: str | Path) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors backed by the file itself (memory-mapped, copy-on-write): nothing is
    read until a tensor is used, and what is read stays reclaimable page cache. A .pt/.bin in
    torch.save's zip format, a .safetensors file, or a folder of them (merged)."""
    import mmap
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    if path.is_dir():
        files = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin")) or sorted(path.glob("*.pt"))
        if not files:
            raise FileNotFoundError(f"checkpoint folder {path} holds no *.safetensors, *.bin or *.pt file")
        return {k: v for f in files for k, v in open_mapped(f).items()}
    if path.suffix != ".safetensors":
        try:
            return _unwrap(torch.load(str(path), map_location="cpu", weights_only=True, mmap=True), path)
        except RuntimeError as e:
            raise ValueError(f"{path}: cannot be memory-mapped ({e}); re-save it with torch.save (zip format) "
                             "or as .safetensors") from e
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    n = int.from_bytes(mm[:8], "little")
    header = json.loads(mm[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        count = (end - start) // torch.empty((), dtype=dtype).element_size()
        flat = torch.frombuffer(mm, dtype=dtype, count=count, offset=8 + n + start) if count else torch.empty(0, dtype=dtype)
        out[name] = flat.reshape(info["shape"])
    return out
