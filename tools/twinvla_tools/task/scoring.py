"""Does the arm head for the named block? Judged on the first chunk of each episode, predicted from
the arms at rest at home, before any motion gives the answer away: the chunk's heading (its last
waypoint from its first, on the table plane) must point nearer the named block than the other
block of that arm's half. The scenes keep those two blocks at least MIN_BEARING apart as seen from
home, so the heading tells them apart. Works on the reference's chunks and on `twinvla eval`'s
replay.mcap alike.

    python -m twinvla_tools.task.scoring --bag demo.mcap --replay out/eval/replay.mcap
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from mcap_ros2.reader import read_ros2_messages

from .scene import ARM_BASE_Y, make_scene


def _bearing_deg(heading: np.ndarray, to: np.ndarray) -> float:
    cos = float(heading @ to) / max(float(np.linalg.norm(heading) * np.linalg.norm(to)), 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def colour_choices(scenes: list[tuple[float, dict]], chunks: list[tuple[float, dict]], dt: float) -> dict:
    """scenes: (episode start, /sim/scene JSON); chunks: (stamp, arm -> {'positions': (H, 3)} in the
    arm's base frame)."""
    results = []
    ordered = sorted(chunks, key=lambda x: x[0])
    for i, (start, info) in enumerate(scenes):
        end = scenes[i + 1][0] if i + 1 < len(scenes) else np.inf
        # Stamps and log times of the same instant may differ in the last bit (sec + ns * 1e-9 vs ns / 1e9).
        first = next(((s, c) for s, c in ordered if start - 1e-6 <= s < end - 1e-6), None)
        if first is None:
            continue
        _, chunk = first
        scene = make_scene(info["seed"])
        if scene.instruction != info["instruction"]:
            raise ValueError(f"scene {info['seed']}: the bag's instruction differs from the generator's; regenerate the bag")
        arms = {}
        for arm, colour in scene.targets.items():
            p = np.asarray(chunk[arm]["positions"], float)[:, :2] + [0.0, ARM_BASE_Y[arm]]
            heading = p[-1] - p[0]
            named = scene.block(colour)
            other = next(b for b in scene.blocks if b.side == named.side and b.colour != colour)
            to_named = _bearing_deg(heading, np.array([named.x, named.y]) - p[0])
            to_other = _bearing_deg(heading, np.array([other.x, other.y]) - p[0])
            arms[arm] = {"named": colour, "correct": bool(np.linalg.norm(heading) > 0.01 and to_named < to_other),
                         "heading_error_deg": round(to_named, 1), "to_other_block_deg": round(to_other, 1)}
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
