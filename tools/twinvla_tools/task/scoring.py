"""Does the arm head for the named block? Judged on the first chunk of each episode, predicted from
the arms at rest at home, before any motion gives the answer away: the chunk's last waypoint must
lie nearer the expert's pose at that time than the pose of an expert sent to the other block of
that arm's half. Works on the reference's chunks and on `twinvla eval`'s replay.mcap alike.

    python -m twinvla_tools.task.scoring --bag demo.mcap --replay out/eval/replay.mcap
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
from mcap_ros2.reader import read_ros2_messages

from .expert import make_episode
from .scene import ARM_BASE_Y, make_scene


def _alternative(scene, arm: str):
    """The same scene with `arm` sent to the other block of its half."""
    mine = scene.block(scene.targets[arm])
    other = next(b for b in scene.blocks if b.side == mine.side and b.colour != mine.colour)
    return dataclasses.replace(scene, targets={**scene.targets, arm: other.colour})


def colour_choices(scenes: list[tuple[float, dict]], chunks: list[tuple[float, dict]], dt: float) -> dict:
    """scenes: (episode start, /sim/scene JSON); chunks: (stamp, arm -> {'positions': (H, 3)})."""
    results = []
    for i, (start, info) in enumerate(scenes):
        end = scenes[i + 1][0] if i + 1 < len(scenes) else np.inf
        first = next(((s, c) for s, c in sorted(chunks, key=lambda x: x[0]) if start <= s < end), None)
        if first is None:
            continue
        stamp, chunk = first
        scene = make_scene(info["seed"])
        if scene.instruction != info["instruction"]:
            raise ValueError(f"scene {info['seed']}: the bag's instruction differs from the generator's; regenerate the bag")
        arms = {}
        for arm, colour in scene.targets.items():
            final = np.asarray(chunk[arm]["positions"])[-1] + [0.0, ARM_BASE_Y[arm], 0.0]
            when = stamp + (len(chunk[arm]["positions"]) - 1) * dt - start
            true_p, _ = make_episode(scene).target(arm, when)
            alt_p, _ = make_episode(_alternative(scene, arm)).target(arm, when)
            arms[arm] = {"named": colour, "correct": bool(np.linalg.norm(final - true_p) < np.linalg.norm(final - alt_p)),
                         "error_mm": round(float(np.linalg.norm(final - true_p)) * 1e3, 1)}
        results.append({"seed": info["seed"], "kind": info["kind"], "arms": arms,
                        "correct": all(a["correct"] for a in arms.values())})
    n = len(results)
    return {"episodes": n, "correct": sum(r["correct"] for r in results),
            "rate": round(sum(r["correct"] for r in results) / n, 4) if n else None, "per_episode": results}


def runtime_chunks(replay: Path) -> tuple[list[tuple[float, dict]], float]:
    """ActionChunk messages from a `twinvla eval` replay.mcap."""
    chunks, dt = [], 0.05
    for m in read_ros2_messages(str(replay), topics=None):
        if m.schema.name != "twinvla/msg/ActionChunk":
            continue
        msg, dt = m.ros_msg, m.ros_msg.dt
        s = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        chunks.append((s, {a.name: {"positions": [[p.position.x, p.position.y, p.position.z] for p in a.poses]} for a in msg.arms}))
    return chunks, dt


def bag_scenes(bag: Path) -> list[tuple[float, dict]]:
    return [(m.log_time_ns * 1e-9, json.loads(m.ros_msg.data)) for m in read_ros2_messages(str(bag), topics=["/sim/scene"])]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bag", required=True, type=Path)
    p.add_argument("--replay", required=True, type=Path, help="replay.mcap written by twinvla eval")
    a = p.parse_args()
    chunks, dt = runtime_chunks(a.replay)
    print(json.dumps(colour_choices(bag_scenes(a.bag), chunks, dt), indent=2))


if __name__ == "__main__":
    main()
