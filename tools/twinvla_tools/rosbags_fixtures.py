"""Bags written by the pure-Python `rosbags` library (an independent rosbag2 writer), committed under
test/fixtures/rosbags/ for the TypeScript readers' tests: rosbag2's file and message compression
(zstd) with the sqlite3 and mcap storages, and one recording split over two files whose messages
interleave in time. rosbags is not a dependency of the package; run this in a scratch venv:

    python3 -m venv /tmp/rosbags && /tmp/rosbags/bin/pip install rosbags==0.11.9 zstandard pyyaml
    PYTHONPATH=tools /tmp/rosbags/bin/python -m twinvla_tools.rosbags_fixtures test/fixtures/rosbags

expected.json lists every message in log-time order (log times as decimal strings: JSON numbers are
doubles, which cannot hold epoch nanoseconds).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import yaml
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.rosbag2.enums import CompressionFormat, CompressionMode
from rosbags.typesys import Stores, get_typestore

START_NS = 1_700_000_000_123_456_789  # not a whole second: the readers must keep every nanosecond
STORE = get_typestore(Stores.ROS2_JAZZY)
String = STORE.types["std_msgs/msg/String"]
JointState = STORE.types["sensor_msgs/msg/JointState"]
Header = STORE.types["std_msgs/msg/Header"]
Time = STORE.types["builtin_interfaces/msg/Time"]


def messages() -> list[tuple[str, str, int, object, dict]]:
    """(topic, type, log time ns, message, expected decoded fields) in log-time order."""
    import numpy as np
    out = []
    for i in range(12):
        t = START_NS + i * 50_000_001
        stamp = Time(sec=t // 1_000_000_000, nanosec=t % 1_000_000_000)
        pos = [0.1 * i, -0.1 * i]
        out.append(("/joint_states", "sensor_msgs/msg/JointState", t,
                    JointState(header=Header(stamp=stamp, frame_id=""), name=["left_waist", "left_gripper"],
                               position=np.array(pos), velocity=np.array([], float), effort=np.array([], float)),
                    {"position": pos}))
        if i % 4 == 0:
            out.append(("/instruction", "std_msgs/msg/String", t + 1, String(data=f"step {i}"), {"data": f"step {i}"}))
    return out


def write(path: Path, plugin: StoragePlugin, compression: CompressionMode | None, only=None) -> None:
    w = Writer(path, version=9, storage_plugin=plugin)
    if compression is not None:
        w.set_compression(compression, CompressionFormat.ZSTD)
    with w:
        conns = {}
        for i, (topic, typ, t, msg, _) in enumerate(messages()):
            if only is not None and not only(i):
                continue
            if topic not in conns:
                conns[topic] = w.add_connection(topic, typ, typestore=STORE)
            w.write(conns[topic], t, STORE.serialize_cdr(msg, typ))


def split(out: Path) -> None:
    """One recording over two files, messages alternating between them (as a writer flushing two
    caches would leave them): the reader must merge by log time, not replay file after file."""
    tmp = out / "_split"
    write(tmp / "a", StoragePlugin.SQLITE3, None, lambda i: i % 2 == 0)
    write(tmp / "b", StoragePlugin.SQLITE3, None, lambda i: i % 2 == 1)
    dest = out / "split_sqlite3"
    dest.mkdir()
    shutil.copy(tmp / "a" / "a.db3", dest / "split_0.db3")
    shutil.copy(tmp / "b" / "b.db3", dest / "split_1.db3")
    meta = yaml.safe_load((tmp / "a" / "metadata.yaml").read_text())
    info = meta["rosbag2_bagfile_information"]
    info["relative_file_paths"] = ["split_0.db3", "split_1.db3"]
    info["message_count"] = len(messages())
    (dest / "metadata.yaml").write_text(yaml.safe_dump(meta))
    shutil.rmtree(tmp)


def main(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for plugin, name in ((StoragePlugin.SQLITE3, "sqlite3"), (StoragePlugin.MCAP, "mcap")):
        for mode, mname in ((CompressionMode.FILE, "file"), (CompressionMode.MESSAGE, "message")):
            write(out / f"zstd_{mname}_{name}", plugin, mode)
    split(out)
    expected = [{"topic": topic, "time_ns": str(t), **fields} for topic, _, t, _, fields in messages()]
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
