"""Episodes of the synthetic task recorded as a robot records them: ROS 2 MCAP (zstd chunks), CDR,
the message definitions `ros2 bag record` stores. Several episodes go into one bag back to back,
with the recording paused between them (no messages for GAP seconds) while the scene is reset.

Topics (times are the stamps; the arms' poses are in their base frames):
  /camera/head/image_raw                   sensor_msgs/msg/Image rgb8, 10 Hz
  /camera/left_wrist/image_raw/compressed  sensor_msgs/msg/CompressedImage jpeg, 10 Hz
  /camera/right_wrist/image_raw            sensor_msgs/msg/Image bgr8, 10 Hz
  /left/joint_states, /right/joint_states  sensor_msgs/msg/JointState (gripper joint in m), 50 Hz
  /tf (base -> ee, measured), /tf_static (world -> bases)
  /left/target_pose, /right/target_pose    geometry_msgs/msg/PoseStamped, the expert's targets, 20 Hz
  /left/gripper_command, /right/...        std_msgs/msg/Float64, 1 open, 0 closed, 20 Hz
  /instruction                             std_msgs/msg/String, once at each episode's start
  /sim/scene                               std_msgs/msg/String, JSON of the episode (seed, blocks)

    python -m twinvla_tools.task.bag --out demo.mcap --first-seed 1000 --episodes 8
    python -m twinvla_tools.task.bag --out out/task/train --first-seed 0 --episodes 400 --per-bag 50
"""
from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
from mcap.writer import CompressionType
from mcap_ros2.writer import Writer as Ros2Writer
from PIL import Image

from .expert import ARMS, Episode, make_episode
from .render import head_image, wrist_image
from .scene import ARM_BASE_Y, make_scene
from .rosdefs import DEFINITIONS

START_NS = 1_700_000_000_000_000_000
GAP = 2.0            # s of no recording between episodes
CAMERA_HZ, STATE_HZ, TARGET_HZ = 10, 50, 20
JOINTS = ("waist", "shoulder", "elbow", "wrist", "gripper")
JPEG_QUALITY = 90


def yaw_down_quaternion(yaw: float) -> list[float]:
    """(x, y, z, w) of a gripper pointing down (pi about x), turned by yaw about the world z."""
    return [float(np.cos(yaw / 2)), float(np.sin(yaw / 2)), 0.0, 0.0]


def base_pose(arm: str, p: np.ndarray) -> list[float]:
    return [float(p[0]), float(p[1] - ARM_BASE_Y[arm]), float(p[2])]


def joint_positions(arm: str, p: np.ndarray, yaw: float, gripper_m: float) -> list[float]:
    """A plausible 4-joint arm's angles for the pose (two 0.3 m links), then the gripper."""
    x, y, z = base_pose(arm, p)
    waist = float(np.arctan2(y, x))
    r, h = float(np.hypot(x, y)), z + 0.08
    d = min(float(np.hypot(r, h)), 0.599)
    elbow = float(np.pi - 2 * np.arcsin(d / 0.6))
    shoulder = float(np.arctan2(h, r) - elbow / 2)
    return [waist, shoulder, elbow, yaw - waist, gripper_m]


def _stamp(t_ns: int) -> dict:
    return {"sec": t_ns // 1_000_000_000, "nanosec": t_ns % 1_000_000_000}


def _header(t_ns: int, frame: str = "") -> dict:
    return {"stamp": _stamp(t_ns), "frame_id": frame}


def _transform(t_ns: int, parent: str, child: str, xyz, q) -> dict:
    return {"header": _header(t_ns, parent), "child_frame_id": child,
            "transform": {"translation": dict(zip("xyz", map(float, xyz))), "rotation": dict(zip("xyzw", map(float, q)))}}


def scene_json(ep: Episode) -> str:
    s = ep.scene
    return json.dumps({"seed": s.seed, "kind": s.kind, "targets": s.targets, "giver": s.giver,
                       "instruction": s.instruction, "duration": ep.duration,
                       "blocks": [{"colour": b.colour, "x": b.x, "y": b.y, "yaw": b.yaw, "side": b.side} for b in s.blocks]})


class EpisodeWriter:
    def __init__(self, path: Path):
        self.f = open(path, "wb")
        self.w = Ros2Writer(self.f, compression=CompressionType.ZSTD)
        self.schemas = {name: self.w.register_msgdef(name, text) for name, text in DEFINITIONS.items()}

    def put(self, topic: str, type_: str, t_ns: int, msg: dict) -> None:
        self.w.write_message(topic, self.schemas[type_], msg, log_time=t_ns, publish_time=t_ns)

    def static(self, t_ns: int) -> None:
        self.put("/tf_static", "tf2_msgs/msg/TFMessage", t_ns, {"transforms": [
            _transform(t_ns, "world", f"{arm}_base_link", [0, ARM_BASE_Y[arm], 0], [0, 0, 0, 1]) for arm in ARMS]})

    def episode(self, ep: Episode, start_ns: int) -> int:
        """Writes one episode from start_ns; returns the time just after its last message."""
        self.put("/instruction", "std_msgs/msg/String", start_ns, {"data": ep.scene.instruction})
        self.put("/sim/scene", "std_msgs/msg/String", start_ns, {"data": scene_json(ep)})
        # One 50 Hz clock; targets every 2.5 ticks are on their own 20 Hz grid.
        events: list[tuple[int, int, str]] = []
        n_state = int(np.floor(ep.duration * STATE_HZ + 1e-9)) + 1
        events += [(round(i * 1e9 / STATE_HZ), 0, "state") for i in range(n_state)]
        events += [(round(i * 1e9 / TARGET_HZ), 1, "target") for i in range(int(np.floor(ep.duration * TARGET_HZ + 1e-9)) + 1)]
        events += [(round(i * 1e9 / CAMERA_HZ), 2, "camera") for i in range(int(np.floor(ep.duration * CAMERA_HZ + 1e-9)) + 1)]
        last = start_ns
        for rel_ns, _, kind in sorted(events):
            t_ns, t = start_ns + rel_ns, rel_ns / 1e9
            getattr(self, f"_{kind}")(ep, t, t_ns)
            last = t_ns
        return last

    def _state(self, ep: Episode, t: float, t_ns: int) -> None:
        tfs = []
        for arm in ARMS:
            p, yaw = ep.measured(arm, t)
            tfs.append(_transform(t_ns, f"{arm}_base_link", f"{arm}_ee_link", base_pose(arm, p), yaw_down_quaternion(yaw)))
            self.put(f"/{arm}/joint_states", "sensor_msgs/msg/JointState", t_ns, {
                "header": _header(t_ns), "name": [f"{arm}_{j}" for j in JOINTS],
                "position": joint_positions(arm, p, yaw, ep.gripper_joint(arm, t)), "velocity": [], "effort": []})
        self.put("/tf", "tf2_msgs/msg/TFMessage", t_ns, {"transforms": tfs})

    def _target(self, ep: Episode, t: float, t_ns: int) -> None:
        for arm in ARMS:
            p, yaw = ep.target(arm, t)
            q = yaw_down_quaternion(yaw)
            self.put(f"/{arm}/target_pose", "geometry_msgs/msg/PoseStamped", t_ns, {
                "header": _header(t_ns, f"{arm}_base_link"),
                "pose": {"position": dict(zip("xyz", base_pose(arm, p))), "orientation": dict(zip("xyzw", q))}})
            self.put(f"/{arm}/gripper_command", "std_msgs/msg/Float64", t_ns, {"data": ep.gripper_command(arm, t)})

    def _camera(self, ep: Episode, t: float, t_ns: int) -> None:
        head = head_image(ep, t)
        h, w, _ = head.shape
        self.put("/camera/head/image_raw", "sensor_msgs/msg/Image", t_ns, {
            "header": _header(t_ns, "head_camera"), "height": h, "width": w, "encoding": "rgb8",
            "is_bigendian": 0, "step": w * 3, "data": head.tobytes()})
        buf = io.BytesIO()
        Image.fromarray(wrist_image(ep, "left", t)).save(buf, format="JPEG", quality=JPEG_QUALITY)
        self.put("/camera/left_wrist/image_raw/compressed", "sensor_msgs/msg/CompressedImage", t_ns, {
            "header": _header(t_ns, "left_wrist_camera"), "format": "jpeg", "data": buf.getvalue()})
        right = wrist_image(ep, "right", t)[..., ::-1]
        h, w, _ = right.shape
        self.put("/camera/right_wrist/image_raw", "sensor_msgs/msg/Image", t_ns, {
            "header": _header(t_ns, "right_wrist_camera"), "height": h, "width": w, "encoding": "bgr8",
            "is_bigendian": 0, "step": w * 3, "data": np.ascontiguousarray(right).tobytes()})

    def close(self) -> None:
        self.w.finish()
        self.f.close()


def write_bag(path: Path, seeds: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".partial")
    w = EpisodeWriter(tmp)
    w.static(START_NS)
    t = START_NS
    for seed in seeds:
        t = w.episode(make_episode(make_scene(seed)), t) + int(GAP * 1e9)
    w.close()
    tmp.replace(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--episodes", type=int, default=1)
    p.add_argument("--per-bag", type=int, help="split into bags of this many episodes: --out is then a folder")
    a = p.parse_args()
    seeds = list(range(a.first_seed, a.first_seed + a.episodes))
    if a.per_bag:
        for k in range(0, len(seeds), a.per_bag):
            write_bag(a.out / f"part-{k // a.per_bag:03d}.mcap", seeds[k:k + a.per_bag])
    else:
        write_bag(a.out, seeds)


if __name__ == "__main__":
    main()
