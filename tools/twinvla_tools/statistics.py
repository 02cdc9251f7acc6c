"""dataset_statistics.json in both authors' layouts, turned into the manifest's normalisation blocks.

    TwinVLA:  {dataset: {"action": {mean, std, q01, q99, min, max, mask}, "proprio": {...}}}
    starVLA:  {dataset: {"action": {...,  mask}, "state": {...}}}   (TwinBrainVLA)

Statistics may cover one arm (TwinVLA applies one arm's statistics to each half of the bimanual
vector, twinvla.py normalize_state / unnormalize_action) or the whole vector. A missing mask takes
the family's default. The normalisation method is the checkpoint's: 'quantile' (q01/q99), 'minmax'
(min/max: TwinVLA normalises the state with it but leaves actions as they are), 'normal' (identity).
"""
from __future__ import annotations

import json
from pathlib import Path

STATE_KEYS = ("proprio", "state")


def _dataset(data: dict, path: str, key: str | None) -> tuple[str, dict]:
    if key is None:
        if len(data) != 1:
            raise KeyError(f"{path} holds {len(data)} datasets ({sorted(data)}); name one with --stats-key")
        key = next(iter(data))
    if key not in data:
        raise KeyError(f"{path} has no dataset {key!r}; it has {sorted(data)}")
    return key, data[key]


def _widen(values: list, total: int, what: str) -> list:
    """One arm's statistics for a bimanual vector: the same values for each half."""
    if len(values) == total:
        return list(values)
    if 2 * len(values) == total:
        return list(values) + list(values)
    raise ValueError(f"{what}: {len(values)} values, expected {total} (both arms) or {total // 2} (one arm, applied to each)")


def _block(stats: dict, total: int, default_mask: list[bool], method: str, what: str, eps: float) -> dict:
    if method == "normal":
        return {"method": "quantile", "q01": [0.0] * total, "q99": [1.0] * total, "mask": [False] * total, "eps": eps}
    lo_key, hi_key = ("q01", "q99") if method == "quantile" else ("min", "max")
    for k in (lo_key, hi_key):
        if k not in stats:
            raise KeyError(f"{what} has no {k!r} (normalisation {method!r} needs {lo_key} and {hi_key}); it has {sorted(stats)}")
    mask = stats.get("mask")
    mask = _widen([bool(m) for m in mask], total, f"{what}.mask") if mask is not None else _widen(default_mask, total, f"{what} default mask")
    return {"method": "quantile", "q01": [float(x) for x in _widen(stats[lo_key], total, f"{what}.{lo_key}")],
            "q99": [float(x) for x in _widen(stats[hi_key], total, f"{what}.{hi_key}")], "mask": mask, "eps": eps}


def read_statistics(path: str, key: str | None, *, state_dim: int, action_dim: int, state_mask: list[bool],
                    action_mask: list[bool], method: str = "quantile", clip: bool = False,
                    state_eps: float = 1e-6, action_eps: float = 1e-6, round_dims: list[bool] | None = None) -> dict:
    """-> {"state": block, "action": block + clip/round}, blocks as the manifest holds them."""
    if method not in ("quantile", "minmax", "normal"):
        raise ValueError(f"normalisation {method!r} is not one the authors' code defines: expected quantile, minmax or normal")
    data = json.loads(Path(path).read_text())
    name, ds = _dataset(data, path, key)
    state_key = next((k for k in STATE_KEYS if k in ds), None)
    if "action" not in ds or state_key is None:
        raise KeyError(f"{path}: dataset {name!r} needs 'action' and 'proprio' (TwinVLA) or 'state' (starVLA); it has {sorted(ds)}")
    state = _block(ds[state_key], state_dim, state_mask, method, f"{path}: {name}.{state_key}", state_eps)
    # TwinVLA un-normalises actions only for 'quantile' (twinvla.py unnormalize_action): 'minmax'
    # leaves them as the model gives them.
    action_method = "normal" if method == "minmax" else method
    action = _block(ds["action"], action_dim, action_mask, action_method, f"{path}: {name}.action", action_eps)
    action["clip"] = clip
    action["round"] = _widen(list(round_dims), action_dim, "round") if round_dims is not None else [False] * action_dim
    return {"state": state, "action": action, "dataset": name}
