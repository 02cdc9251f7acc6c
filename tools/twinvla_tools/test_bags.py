"""Bags written by other implementations, for the TypeScript readers' tests: MCAP through the
`mcap` / `mcap-ros2-support` writers (zstd and lz4 chunks), and a rosbag2 SQLite bag directory laid
out as rosbag2 writes it (tables schema, metadata, topics, messages, message_definitions, and
metadata.yaml). Prints the expected decoded values as JSON.

    python -m twinvla_tools.test_bags <out-dir>
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from mcap.writer import CompressionType
from mcap_ros2.writer import Writer as Ros2Writer
from mcap_ros2._dynamic import serialize_dynamic

JOINT_STATE = "std_msgs/Header header\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort\n" \
    "================================================================================\nMSG: std_msgs/Header\n" \
    "builtin_interfaces/Time stamp\nstring frame_id\n" \
    "================================================================================\nMSG: builtin_interfaces/Time\n" \
    "int32 sec\nuint32 nanosec"
STRING = "string data"
START_NS = 1_700_000_000_000_000_000


def joint_state(i: int) -> dict:
    return {"header": {"stamp": {"sec": 1_700_000_000, "nanosec": i * 100_000_000}, "frame_id": ""},
            "name": ["left_waist", "left_gripper"], "position": [0.1 * i, 0.5 + 0.01 * i], "velocity": [], "effort": []}


def expected() -> list[dict]:
    """Log times as decimal strings: JSON numbers are doubles, which cannot hold epoch nanoseconds."""
    out = []
    for i in range(10):
        out.append({"topic": "/joint_states", "time_ns": str(START_NS + i * 100_000_000), "position": joint_state(i)["position"]})
        if i % 5 == 0:
            out.append({"topic": "/instruction", "time_ns": str(START_NS + i * 100_000_000 + 1), "data": f"step {i}"})
    return out


def write_mcap(path: Path, compression: CompressionType) -> None:
    with open(path, "wb") as f:
        w = Ros2Writer(f, compression=compression)
        js = w.register_msgdef("sensor_msgs/msg/JointState", JOINT_STATE)
        st = w.register_msgdef("std_msgs/msg/String", STRING)
        for i in range(10):
            t = START_NS + i * 100_000_000
            w.write_message("/joint_states", js, joint_state(i), log_time=t, publish_time=t)
            if i % 5 == 0:
                w.write_message("/instruction", st, {"data": f"step {i}"}, log_time=t + 1, publish_time=t + 1)
        w.finish()


def write_db3(folder: Path, with_definitions: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(folder / "bag_0.db3")
    db.executescript("""
        CREATE TABLE schema(schema_version INTEGER PRIMARY KEY, ros_distro TEXT NOT NULL);
        CREATE TABLE metadata(id INTEGER PRIMARY KEY, metadata_version INTEGER NOT NULL, metadata TEXT NOT NULL);
        CREATE TABLE topics(id INTEGER PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,
            serialization_format TEXT NOT NULL, offered_qos_profiles TEXT NOT NULL, type_description_hash TEXT NOT NULL);
        CREATE TABLE messages(id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, data BLOB NOT NULL);
        CREATE INDEX timestamp_idx ON messages (timestamp ASC);
    """)
    db.execute("INSERT INTO schema VALUES (4, 'jazzy')")
    db.execute("INSERT INTO topics VALUES (1, '/joint_states', 'sensor_msgs/msg/JointState', 'cdr', '', '')")
    db.execute("INSERT INTO topics VALUES (2, '/instruction', 'std_msgs/msg/String', 'cdr', '', '')")
    if with_definitions:
        db.executescript("CREATE TABLE message_definitions(id INTEGER PRIMARY KEY, topic_type TEXT NOT NULL, encoding TEXT NOT NULL, encoded_message_definition TEXT NOT NULL, type_description_hash TEXT NOT NULL);")
        db.execute("INSERT INTO message_definitions VALUES (1, 'sensor_msgs/msg/JointState', 'ros2msg', ?, '')", (JOINT_STATE,))
        db.execute("INSERT INTO message_definitions VALUES (2, 'std_msgs/msg/String', 'ros2msg', ?, '')", (STRING,))
    enc_js = serialize_dynamic("sensor_msgs/msg/JointState", JOINT_STATE)["sensor_msgs/msg/JointState"]
    enc_st = serialize_dynamic("std_msgs/msg/String", STRING)["std_msgs/msg/String"]
    n = 0
    # Written out of order on purpose: readers must sort by timestamp.
    for i in reversed(range(10)):
        t = START_NS + i * 100_000_000
        n += 1
        db.execute("INSERT INTO messages VALUES (?, 1, ?, ?)", (n, t, enc_js(joint_state(i))))
        if i % 5 == 0:
            n += 1
            db.execute("INSERT INTO messages VALUES (?, 2, ?, ?)", (n, t + 1, enc_st({"data": f"step {i}"})))
    db.commit()
    db.close()
    (folder / "metadata.yaml").write_text(
        "rosbag2_bagfile_information:\n  version: 9\n  storage_identifier: sqlite3\n"
        "  duration:\n    nanoseconds: 900000001\n  starting_time:\n    nanoseconds_since_epoch: 1700000000000000000\n"
        "  message_count: 12\n  relative_file_paths:\n    - bag_0.db3\n"
        "  topics_with_message_count:\n    - topic_metadata:\n        name: /joint_states\n        type: sensor_msgs/msg/JointState\n"
        "        serialization_format: cdr\n      message_count: 10\n")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_mcap(out / "python_zstd.mcap", CompressionType.ZSTD)
    write_mcap(out / "python_lz4.mcap", CompressionType.LZ4)
    write_db3(out / "rosbag2_jazzy", with_definitions=True)
    write_db3(out / "rosbag2_humble", with_definitions=False)
    (out / "expected.json").write_text(json.dumps(expected()))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
