"""ROS 2 message definitions of the recorded topics, composed the way `ros2 bag record` stores them
in MCAP: the type's .msg text, then each nested type after a line of '=' and 'MSG: pkg/Type'."""
from __future__ import annotations

import re

MSG = {
    "builtin_interfaces/Time": "int32 sec\nuint32 nanosec",
    "std_msgs/Header": "builtin_interfaces/Time stamp\nstring frame_id",
    "std_msgs/String": "string data",
    "std_msgs/Float64": "float64 data",
    "sensor_msgs/Image": "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data",
    "sensor_msgs/CompressedImage": "std_msgs/Header header\nstring format\nuint8[] data",
    "sensor_msgs/JointState": "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort",
    "geometry_msgs/Point": "float64 x\nfloat64 y\nfloat64 z",
    "geometry_msgs/Vector3": "float64 x\nfloat64 y\nfloat64 z",
    "geometry_msgs/Quaternion": "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1",
    "geometry_msgs/Pose": "Point position\nQuaternion orientation",
    "geometry_msgs/PoseStamped": "std_msgs/Header header\nPose pose",
    "geometry_msgs/Transform": "Vector3 translation\nQuaternion rotation",
    "geometry_msgs/TransformStamped": "std_msgs/Header header\nstring child_frame_id\nTransform transform",
    "tf2_msgs/TFMessage": "geometry_msgs/TransformStamped[] transforms",
}
SEPARATOR = "=" * 80


def _deps(name: str, seen: list[str]) -> None:
    pkg = name.split("/")[0]
    for line in MSG[name].splitlines():
        field_type = re.sub(r"\[.*\]$", "", line.split()[0])
        if field_type in MSG or f"{pkg}/{field_type}" in MSG:
            full = field_type if "/" in field_type else f"{pkg}/{field_type}"
            if full not in seen:
                seen.append(full)
                _deps(full, seen)


def definition(name: str) -> str:
    """name as pkg/msg/Type."""
    pkg, _, typ = name.split("/")
    short = f"{pkg}/{typ}"
    deps: list[str] = []
    _deps(short, deps)
    return "\n".join([MSG[short]] + [f"{SEPARATOR}\nMSG: {d}\n{MSG[d]}" for d in deps])


DEFINITIONS = {name: definition(name) for name in (
    "sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage", "sensor_msgs/msg/JointState",
    "tf2_msgs/msg/TFMessage", "geometry_msgs/msg/PoseStamped", "std_msgs/msg/Float64", "std_msgs/msg/String")}
