"""dataset_statistics.json in the TwinVLA ({action, proprio}) and starVLA ({action, state}) layouts."""
import json

import numpy as np
import pytest

from twinvla_tools.normalization import normalize, unnormalize
from twinvla_tools.statistics import read_statistics

ARM = {"q01": [0.1, -0.4, 0.0] + [-1.0] * 6 + [0.0], "q99": [0.5, 0.4, 0.3] + [1.0] * 6 + [1.0],
       "min": [0.0, -0.5, -0.1] + [-1.0] * 6 + [0.0], "max": [0.6, 0.5, 0.4] + [1.0] * 6 + [1.0],
       "mean": [0.0] * 10, "std": [1.0] * 10}
XYZ = [True] * 3 + [False] * 7


def write(tmp_path, doc):
    p = tmp_path / "dataset_statistics.json"
    p.write_text(json.dumps(doc))
    return str(p)


def read(path, key=None, **kw):
    args = dict(state_dim=20, action_dim=20, state_mask=XYZ, action_mask=XYZ)
    args.update(kw)
    return read_statistics(path, key, **args)


def test_twinvla_layout_one_arm_statistics_apply_to_each_half(tmp_path):
    """twinvla.py normalize_state: statistics of half the state's size normalise each half alike."""
    path = write(tmp_path, {"aloha": {"proprio": {**ARM, "mask": XYZ}, "action": {**ARM, "mask": XYZ}}})
    s = read(path)
    assert s["dataset"] == "aloha" and s["state"]["q01"] == ARM["q01"] * 2 and s["state"]["mask"] == XYZ * 2
    x = np.array([0.3, 0.0, 0.15] + [0.5] * 7 + [0.5, 0.4, 0.3] + [0.2] * 7, np.float32)
    y = normalize(x, s["state"])
    want = np.where(XYZ * 2, 2 * (x - np.array(ARM["q01"] * 2)) / (np.array(ARM["q99"] * 2) - np.array(ARM["q01"] * 2) + 1e-6) - 1, x)
    assert np.allclose(y, want, atol=1e-7)
    assert np.allclose(unnormalize(y, s["action"], False), x, atol=1e-6)


def test_starvla_layout_with_masks_and_a_full_vector(tmp_path):
    full = {k: v * 2 for k, v in ARM.items()}
    mask = [True] * 9 + [False]
    path = write(tmp_path, {"a": {}, "robotwin": {"state": {**full, "mask": mask * 2}, "action": full}})
    s = read(path, "robotwin", state_mask=XYZ, action_mask=mask, clip=True, action_eps=0.0, round_dims=[False] * 9 + [True])
    assert s["state"]["mask"] == mask * 2           # the file's mask wins
    assert s["action"]["mask"] == mask * 2           # absent: the family's default
    assert s["action"]["eps"] == 0.0 and s["action"]["clip"] and s["action"]["round"] == ([False] * 9 + [True]) * 2


def test_minmax_normalises_the_state_and_leaves_actions_as_twinvla_does(tmp_path):
    path = write(tmp_path, {"d": {"proprio": ARM, "action": ARM}})
    s = read(path, method="minmax")
    assert s["state"]["q01"] == ARM["min"] * 2 and s["state"]["q99"] == ARM["max"] * 2
    assert s["action"]["mask"] == [False] * 20


def test_errors_name_the_file_the_dataset_and_what_is_missing(tmp_path):
    path = write(tmp_path, {"a": {"action": ARM}, "b": {"action": ARM, "proprio": {"q01": [0] * 3, "q99": [1] * 3}}})
    with pytest.raises(KeyError, match="holds 2 datasets"):
        read(path)
    with pytest.raises(KeyError, match=r"dataset 'a' needs 'action' and 'proprio' \(TwinVLA\) or 'state' \(starVLA\)"):
        read(path, "a")
    with pytest.raises(ValueError, match=r"b\.proprio\.q01: 3 values, expected 20"):
        read(path, "b")
    with pytest.raises(ValueError, match="not one the authors' code defines"):
        read(path, "b", method="zscore")
