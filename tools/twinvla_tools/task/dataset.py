"""Training samples from recorded bags: one per camera frame. Images go through the reference
preprocessing (decode, then PIL bicubic resize to the model's size, or none where the model resizes
in its graph); the state is the measured pose and
gripper at the frame or up to STATE_LAG_STEPS joint-state periods after it (at run time the
snapshot's state is the newest TF, fresher than its images); the action chunk is the expert's
targets at frame time + k * dt, the last one held past the episode's end."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..preprocess import resize
from .recording import ARMS, CAMERA_TOPICS, decode_image, read_episodes

STATE_LAG_STEPS = 5  # 0..4 joint-state periods (0..80 ms at 50 Hz)


@dataclass
class Samples:
    images: dict[str, np.ndarray]   # role -> (N, S, S, 3) uint8
    states: np.ndarray              # (N, STATE_LAG_STEPS, 20) raw (unnormalised)
    actions: np.ndarray             # (N, horizon, 20) raw
    prompt: np.ndarray              # (N,) index into instructions
    instructions: list[str]
    episode_time: np.ndarray        # (N,) seconds since the episode's start


def _series_at(series: list[tuple[float, object]], times: np.ndarray) -> np.ndarray:
    stamps = np.array([s for s, _ in series])
    idx = np.clip(np.searchsorted(stamps, times - 1e-6), 0, len(series) - 1)
    return idx


def _arm_vector(ep, arm: str, idx: int, gripper_idx: int) -> np.ndarray:
    return np.concatenate([ep.ee[arm][idx][1], [ep.gripper[arm][gripper_idx][1]]])


def episode_samples(ep, size: int | None, horizon: int, dt: float):
    frames = ep.cameras["head"]
    for role in CAMERA_TOPICS:
        if [s for s, _ in ep.cameras[role]] != [s for s, _ in frames]:
            raise ValueError(f"episode at {ep.start:.3f} s: camera {role} is not in step with the head camera")
    for arm in ARMS:
        period = np.diff([s for s, _ in ep.targets[arm]])
        if period.size and np.abs(period - dt).max() > 1e-6:
            raise ValueError(f"episode at {ep.start:.3f} s: {arm} targets every {period.mean():.4f} s; the model's chunk "
                             f"steps are {dt} s apart, and chunk step k is read as the k-th recorded target")
    times = np.array([s for s, _ in frames])
    # size None: the images as the cameras deliver them (a model that resizes inside its graph, as
    # TwinVLA's does, takes them so).
    images = {role: np.stack([decode_image(m) if size is None else resize(decode_image(m), size, size, "bicubic")
                              for _, m in ep.cameras[role]])
              for role in CAMERA_TOPICS}
    states = np.zeros((len(times), STATE_LAG_STEPS, 20), np.float32)
    actions = np.zeros((len(times), horizon, 20), np.float32)
    for a, arm in enumerate(ARMS):
        ee_idx = _series_at(ep.ee[arm], times)
        g_idx = _series_at(ep.gripper[arm], times)
        t_idx = _series_at(ep.targets[arm], times)
        c_idx = _series_at(ep.gripper_commands[arm], times)
        for i in range(len(times)):
            for o in range(STATE_LAG_STEPS):
                e = min(ee_idx[i] + o, len(ep.ee[arm]) - 1)
                g = min(g_idx[i] + o, len(ep.gripper[arm]) - 1)
                states[i, o, a * 10:(a + 1) * 10] = _arm_vector(ep, arm, e, g)
            for k in range(horizon):
                # A frame time falls on the targets' grid (10 Hz cameras, 20 Hz targets).
                j = min(t_idx[i] + k, len(ep.targets[arm]) - 1)
                actions[i, k, a * 10:a * 10 + 9] = ep.targets[arm][j][1]
                actions[i, k, a * 10 + 9] = ep.gripper_commands[arm][min(c_idx[i] + k, len(ep.gripper_commands[arm]) - 1)][1]
    return images, states, actions


def load_samples(bags: list[Path], size: int | None, horizon: int, dt: float) -> Samples:
    parts, instructions = [], []
    for bag in bags:
        for ep in read_episodes(bag):
            images, states, actions = episode_samples(ep, size, horizon, dt)
            if ep.instruction not in instructions:
                instructions.append(ep.instruction)
            times = np.array([s for s, _ in ep.cameras["head"]]) - ep.start
            parts.append((images, states, actions, np.full(len(states), instructions.index(ep.instruction)), times))
    return Samples(
        images={role: np.concatenate([p[0][role] for p in parts]) for role in CAMERA_TOPICS},
        states=np.concatenate([p[1] for p in parts]), actions=np.concatenate([p[2] for p in parts]),
        prompt=np.concatenate([p[3] for p in parts]), instructions=instructions,
        episode_time=np.concatenate([p[4] for p in parts]))


def statistics(s: Samples, state_mask: list[bool], action_mask: list[bool]) -> dict:
    """dataset_statistics.json as the families write it: 1st and 99th percentiles and the mask."""
    def part(x: np.ndarray, mask: list[bool]) -> dict:
        flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
        q01, q99 = np.quantile(flat, 0.01, axis=0), np.quantile(flat, 0.99, axis=0)
        # A dimension that does not vary in the data (a rotation held fixed through one short episode)
        # stays unnormalised: dividing by its near-zero range would blow it up by orders of magnitude.
        varies = (q99 - q01) > 1e-4
        return {"q01": q01.tolist(), "q99": q99.tolist(), "mean": flat.mean(0).tolist(), "std": flat.std(0).tolist(),
                "mask": [bool(m and v) for m, v in zip(list(mask) * 2, varies)]}
    return {"proprio": part(s.states[:, 0], state_mask), "action": part(s.actions, action_mask)}
