"""A recorded bag of the synthetic task, read back the way the runtime reads it: images decoded by
their encoding (raw rgb8/bgr8 by numpy, JPEG by PIL), end-effector poses from /tf, gripper joints
from the joint states, all keyed by stamp. Used to build training samples and by the reference
evaluation, so that both see exactly what a robot's recording holds."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mcap_ros2.reader import read_ros2_messages

from ..preprocess import decode_compressed, raw_to_rgb
from ..rotation import matrix_to_rot6d, quaternion_to_matrix
from .expert import GRIPPER_OPEN_M

CAMERA_TOPICS = {"head": "/camera/head/image_raw", "left_wrist": "/camera/left_wrist/image_raw/compressed",
                 "right_wrist": "/camera/right_wrist/image_raw"}
ARMS = ("left", "right")


def stamp(msg) -> float:
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


def decode_image(msg) -> np.ndarray:
    if hasattr(msg, "encoding"):
        return raw_to_rgb(msg.encoding, msg.width, msg.height, msg.step, bytes(msg.data))
    return decode_compressed(bytes(msg.data))


def pose_vector(xyz, quat_xyzw) -> np.ndarray:
    """Position then rot6d: the per-arm layout of the models' state and actions (without gripper)."""
    return np.concatenate([np.asarray(xyz, float), matrix_to_rot6d(quaternion_to_matrix(np.asarray(quat_xyzw, float)))])


@dataclass
class Episode:
    instruction: str
    scene: dict
    start: float
    end: float = 0.0
    cameras: dict[str, list[tuple[float, object]]] = field(default_factory=lambda: {c: [] for c in CAMERA_TOPICS})
    ee: dict[str, list[tuple[float, np.ndarray]]] = field(default_factory=lambda: {a: [] for a in ARMS})
    gripper: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {a: [] for a in ARMS})
    targets: dict[str, list[tuple[float, np.ndarray]]] = field(default_factory=lambda: {a: [] for a in ARMS})
    gripper_commands: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {a: [] for a in ARMS})


def read_episodes(path: Path) -> list[Episode]:
    """Episodes split at each /instruction message; camera messages are kept encoded."""
    episodes: list[Episode] = []
    pending_scene = None
    for m in read_ros2_messages(str(path)):
        topic, msg, t = m.channel.topic, m.ros_msg, m.log_time_ns * 1e-9
        if topic == "/sim/scene":
            pending_scene = json.loads(msg.data)
            if episodes and episodes[-1].scene is None:
                episodes[-1].scene = pending_scene
            continue
        if topic == "/instruction":
            episodes.append(Episode(msg.data, pending_scene, t))
            pending_scene = None
            continue
        if not episodes:
            continue
        ep = episodes[-1]
        ep.end = max(ep.end, t)
        for role, cam_topic in CAMERA_TOPICS.items():
            if topic == cam_topic:
                ep.cameras[role].append((stamp(msg), msg))
        if topic == "/tf":
            for tr in msg.transforms:
                arm = tr.child_frame_id.removesuffix("_ee_link")
                if arm in ARMS:
                    tt, r = tr.transform.translation, tr.transform.rotation
                    ep.ee[arm].append((stamp(tr), pose_vector([tt.x, tt.y, tt.z], [r.x, r.y, r.z, r.w])))
        for arm in ARMS:
            if topic == f"/{arm}/joint_states":
                ep.gripper[arm].append((stamp(msg), msg.position[list(msg.name).index(f"{arm}_gripper")] / GRIPPER_OPEN_M))
            elif topic == f"/{arm}/target_pose":
                p, q = msg.pose.position, msg.pose.orientation
                ep.targets[arm].append((stamp(msg), pose_vector([p.x, p.y, p.z], [q.x, q.y, q.z, q.w])))
            elif topic == f"/{arm}/gripper_command":
                ep.gripper_commands[arm].append((t, float(msg.data)))
    return episodes
