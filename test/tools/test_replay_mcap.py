"""replay.mcap as Foxglove and the ROS 2 tools read it: the demo evaluation's output opened with the
Python mcap reader (the library `ros2 bag` and Foxglove's own tooling build on), checked for its
profile, schemas, encodings, compression, frames and the predicted trajectories as nav_msgs/Path."""
import json
import subprocess
from pathlib import Path

import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

ROOT = Path(__file__).resolve().parents[2]
BAG = ROOT / "demo" / "heldout.mcap"
ARMS = ("left", "right")


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> tuple[Path, dict]:
    if not (ROOT / "dist" / "src" / "cli.js").exists():
        pytest.skip("dist/ is not built: npm test builds it before these tests")
    out = tmp_path_factory.mktemp("replay")
    r = subprocess.run(["node", str(ROOT / "bin" / "twinvla.js"), "eval", "--bag", str(BAG), "--model", "models/twinvla-demo",
                        "--params", "params/demo.yaml", "--out", str(out), "--latency", "50"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out / "replay.mcap", json.loads((out / "metrics.json").read_text())


def _messages(path: Path):
    with open(path, "rb") as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        yield from reader.iter_decoded_messages(log_time_order=True)


def test_replay_is_zstd_compressed_and_smaller_than_three_times_its_input(replay):
    path, _ = replay
    with open(path, "rb") as f:
        reader = make_reader(f)
        header, summary = reader.get_header(), reader.get_summary()
    assert header.profile == "ros2"
    assert summary.chunk_indexes, "replay.mcap has no chunks"
    assert {c.compression for c in summary.chunk_indexes} == {"zstd"}
    assert sum(c.compressed_size for c in summary.chunk_indexes) < sum(c.uncompressed_size for c in summary.chunk_indexes) / 3
    assert path.stat().st_size < 3 * BAG.stat().st_size, f"{path.stat().st_size} bytes for a {BAG.stat().st_size}-byte bag"


def test_every_schema_is_ros2msg_every_channel_cdr_and_every_message_decodes(replay):
    path, metrics = replay
    with open(path, "rb") as f:
        summary = make_reader(f).get_summary()
    assert {s.encoding for s in summary.schemas.values()} == {"ros2msg"}
    assert {c.message_encoding for c in summary.channels.values()} == {"cdr"}
    types = {c.topic: summary.schemas[c.schema_id].name for c in summary.channels.values()}
    for arm in ARMS:
        assert types[f"/twinvla_policy/action_chunk/{arm}/predicted_path"] == "nav_msgs/msg/Path"
        assert types[f"/twinvla_{arm}_executor/target_pose"] == "geometry_msgs/msg/PoseStamped"
    counts = {}
    for _, channel, _, _ in _messages(path):
        counts[channel.topic] = counts.get(channel.topic, 0) + 1
    assert sum(counts.values()) == summary.statistics.message_count
    assert counts["/twinvla_policy/action_chunk"] == metrics["chunks"]
    for arm in ARMS:
        assert counts[f"/twinvla_policy/action_chunk/{arm}/predicted_path"] == metrics["chunks"]


def test_predicted_paths_are_the_chunks_poses_in_each_arms_frame_stamped_when_due(replay):
    path, _ = replay
    chunks, paths = [], {arm: [] for arm in ARMS}
    for _, channel, message, msg in _messages(path):
        if channel.topic == "/twinvla_policy/action_chunk":
            chunks.append((message.log_time, msg))
        for arm in ARMS:
            if channel.topic == f"/twinvla_policy/action_chunk/{arm}/predicted_path":
                paths[arm].append((message.log_time, msg))
    assert len(chunks) > 100
    stamp_ns = lambda h: h.stamp.sec * 1_000_000_000 + h.stamp.nanosec  # noqa: E731
    for arm in ARMS:
        assert len(paths[arm]) == len(chunks)
        for (t_chunk, chunk), (t_path, p) in zip(chunks, paths[arm]):
            a = next(x for x in chunk.arms if x.name == arm)
            assert t_path == t_chunk
            assert p.header.frame_id == a.frame_id == f"{arm}_base_link"
            assert stamp_ns(p.header) == stamp_ns(chunk.header)
            assert len(p.poses) == chunk.horizon == len(a.poses)
            for k, (ps, pose) in enumerate(zip(p.poses, a.poses)):
                assert ps.header.frame_id == a.frame_id
                assert stamp_ns(ps.header) == stamp_ns(chunk.header) + round(k * chunk.dt * 1e9)
                assert (ps.pose.position.x, ps.pose.position.y, ps.pose.position.z) == (pose.position.x, pose.position.y, pose.position.z)
                assert (ps.pose.orientation.w, ps.pose.orientation.z) == (pose.orientation.w, pose.orientation.z)


def test_every_header_twinvla_writes_names_a_frame_that_tf_knows(replay):
    path, _ = replay
    tf_frames, used = set(), {}
    for _, channel, _, msg in _messages(path):
        if channel.topic in ("/tf", "/tf_static"):
            for t in msg.transforms:
                tf_frames |= {t.header.frame_id, t.child_frame_id}
        elif channel.topic.startswith("/twinvla_") and hasattr(msg, "header"):
            used.setdefault(channel.topic, set()).add(msg.header.frame_id)
    assert "/twinvla_policy/action_chunk" in used and "/twinvla_left_executor/target_pose" in used
    for topic, frames in used.items():
        assert "" not in frames, f"{topic} has a header with an empty frame_id"
        assert frames <= tf_frames, f"{topic} uses frames {frames - tf_frames} that TF does not have ({sorted(tf_frames)})"
    # The chunk's own header names the frame both arms hang from.
    assert used["/twinvla_policy/action_chunk"] == {"world"}


def test_the_demo_models_normal_gripper_overshoot_is_clipped_without_an_intervention(replay):
    """The demo model's gripper reaches a little past 0..1 (a regression head); /diagnostics must not
    call that a safety intervention, or an operator learns to ignore the count."""
    path, _ = replay
    last, outside = {}, 0
    for _, channel, _, msg in _messages(path):
        if channel.topic == "/diagnostics":
            for s in msg.status:
                if "executor" in s.name:
                    last[s.name] = {kv.key: kv.value for kv in s.values}
        if channel.topic == "/twinvla_policy/action_chunk":
            outside += sum(1 for a in msg.arms for g in a.gripper if not 0 <= g <= 1)
    assert outside > 100, "the demo model's gripper stays in 0..1: this test no longer tests anything"
    assert len(last) == 2, last
    for name, values in last.items():
        assert "safety.gripper_range" not in values, f"{name}: {values}"
        assert int(values["gripper_clipped"]) > 0, f"{name}: {values}"
