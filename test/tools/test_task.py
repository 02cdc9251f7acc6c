"""The synthetic bimanual task: scenes, the expert, the recorded bags, the training samples, the
training tool, the colour scoring, and the Python reference evaluation against `twinvla eval`."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from twinvla_tools.task.bag import write_bag
from twinvla_tools.task.dataset import episode_samples
from twinvla_tools.task.expert import ABOVE, GRASP, MEET_X, make_episode
from twinvla_tools.task.recording import read_episodes, decode_image
from twinvla_tools.task.render import wrist_image
from twinvla_tools.task.scene import ARM_BASE_Y, make_scene
from twinvla_tools.task.scoring import colour_choices

ROOT = Path(__file__).resolve().parents[2]


def test_scenes_are_deterministic_and_name_a_block_in_the_arms_half():
    kinds = set()
    for seed in range(60):
        s = make_scene(seed)
        assert s == make_scene(seed)
        kinds.add(s.kind)
        assert sorted(b.colour for b in s.blocks) == ["blue", "green", "red", "yellow"]
        for arm, colour in s.targets.items():
            assert s.block(colour).side == arm
            assert f"the {colour} block with the {arm} arm" in s.instruction
    assert kinds == {"lift", "handover"}


def _lift_scene():
    return next(make_scene(s) for s in range(100) if make_scene(s).kind == "lift" and make_scene(s).speed["left"] > 1.05
                and make_scene(s).speed["right"] < 0.95)


def test_lift_expert_grasps_the_named_blocks_and_lifts_both_together():
    scene = _lift_scene()
    ep = make_episode(scene)
    lift_starts = []
    for arm in ("left", "right"):
        close = next(t for t, g in ep.plans[arm].gripper_events if g == 0.0)
        p, yaw = ep.target(arm, close)
        b = scene.block(scene.targets[arm])
        np.testing.assert_allclose(p, [b.x, b.y, GRASP], atol=1e-9)
        assert yaw == pytest.approx(b.yaw)
        times = np.arange(close, ep.duration, 0.01)
        lift_starts.append(next(t for t in times if ep.target(arm, t)[0][2] > GRASP + 1e-6))
    # The faster (left) arm waits for the slower one: both rise in the same 10 ms.
    assert abs(lift_starts[0] - lift_starts[1]) <= 0.011


def test_handover_arms_arrive_at_the_meeting_point_together():
    scene = next(make_scene(s) for s in range(100) if make_scene(s).kind == "handover")
    ep = make_episode(scene)
    g = scene.giver
    r = "right" if g == "left" else "left"
    arrive = {arm: next(t for t in np.arange(0, ep.duration, 0.01) if abs(ep.target(arm, t)[0][0] - MEET_X) < 1e-9
                        and ep.target(arm, t)[0][2] < ABOVE + 0.1 and abs(ep.target(arm, t)[0][1]) < 0.05) for arm in (g, r)}
    assert abs(arrive[g] - arrive[r]) <= 0.011
    assert ep.gripper_command(r, ep.duration) == 0.0 and ep.gripper_command(g, ep.duration) == 1.0


@pytest.fixture(scope="module")
def one_episode_bag(tmp_path_factory):
    path = tmp_path_factory.mktemp("task") / "ep.mcap"
    write_bag(path, [3])
    return path


def test_bag_is_byte_identical_for_the_same_seeds(one_episode_bag, tmp_path):
    write_bag(tmp_path / "again.mcap", [3])
    assert (tmp_path / "again.mcap").read_bytes() == one_episode_bag.read_bytes()


def test_bag_records_what_a_robot_records(one_episode_bag):
    [ep] = read_episodes(one_episode_bag)
    scene = make_scene(3)
    truth = make_episode(scene)
    assert ep.instruction == scene.instruction and ep.scene["seed"] == 3
    n = int(np.floor(truth.duration * 10 + 1e-9)) + 1
    assert [len(ep.cameras[c]) for c in ep.cameras] == [n, n, n]
    assert len(ep.targets["left"]) == int(np.floor(truth.duration * 20 + 1e-9)) + 1
    t, msg = ep.cameras["right_wrist"][12]
    assert msg.encoding == "bgr8"
    rel = t - ep.start
    # Raw bgr8 decodes to exactly the rendered RGB; the JPEG one closely.
    np.testing.assert_array_equal(decode_image(msg), wrist_image(truth, "right", rel))
    jpeg = decode_image(ep.cameras["left_wrist"][12][1]).astype(int)
    assert np.abs(jpeg - wrist_image(truth, "left", rel)).mean() < 4
    # TF is the measured pose in the arm's base frame; the gripper joint in metres, read as 0..1.
    ts, pose = ep.ee["left"][100]
    expect, _ = truth.measured("left", ts - ep.start)
    np.testing.assert_allclose(pose[:3], expect - [0, ARM_BASE_Y["left"], 0], atol=1e-9)
    assert 0.0 <= min(g for _, g in ep.gripper["left"]) and max(g for _, g in ep.gripper["left"]) <= 1.0


def test_training_samples_pair_a_frame_with_the_future_targets(one_episode_bag):
    [ep] = read_episodes(one_episode_bag)
    images, states, actions = episode_samples(ep, 56, 20, 0.05)
    truth = make_episode(make_scene(3))
    assert images["head"].shape == (len(states), 56, 56, 3)
    i, k = 7, 5
    rel = ep.cameras["head"][i][0] - ep.start
    p, _ = truth.target("right", rel + k * 0.05)
    np.testing.assert_allclose(actions[i, k, 10:13], p - [0, ARM_BASE_Y["right"], 0], atol=1e-6)
    assert actions[i, k, 19] == truth.gripper_command("right", rel + k * 0.05)
    # Past the end the last target is held.
    np.testing.assert_array_equal(actions[-1, -1], actions[-1, 0])
    # State lag 0 is the measured pose at the frame.
    m, _ = truth.measured("left", rel)
    np.testing.assert_allclose(states[i, 0, :3], m - [0, ARM_BASE_Y["left"], 0], atol=1e-6)


def test_colour_scoring_tells_the_named_block_from_the_other():
    scene = _lift_scene()
    expert = make_episode(scene)
    info = {"seed": scene.seed, "instruction": scene.instruction, "kind": scene.kind}
    steps = np.arange(20) * 0.05

    def chunk(goal_left):
        out = {arm: {"positions": [expert.target(arm, t)[0] - [0, ARM_BASE_Y[arm], 0] for t in steps]} for arm in ("left", "right")}
        if goal_left is not None:
            start = np.array(out["left"]["positions"][0])
            out["left"]["positions"] = [start + (goal_left - start) * k / 19 for k in range(20)]
        return out

    right = colour_choices([(0.0, info)], [(0.0, chunk(None))], 0.05)
    assert right["rate"] == 1.0 and right["per_episode"][0]["arms"]["left"]["heading_error_deg"] < 1.0
    other = next(b for b in scene.blocks if b.side == "left" and b.colour != scene.targets["left"])
    wrong = colour_choices([(0.0, info)], [(0.0, chunk(np.array([other.x, other.y - ARM_BASE_Y["left"], 0.1])))], 0.05)
    assert wrong["rate"] == 0.0
    assert not wrong["per_episode"][0]["arms"]["left"]["correct"] and wrong["per_episode"][0]["arms"]["right"]["correct"]
    still = colour_choices([(0.0, info)], [(0.0, chunk(np.array(chunk(None)["left"]["positions"][0])))], 0.05)
    assert not still["per_episode"][0]["arms"]["left"]["correct"]


def test_the_two_blocks_of_a_half_lie_in_different_directions_from_home():
    from twinvla_tools.task.scene import HOME_X, MIN_BEARING
    for seed in range(100):
        for side in ("left", "right"):
            a, b = [blk for blk in make_scene(seed).blocks if blk.side == side]
            bearing = [np.arctan2(blk.y - ARM_BASE_Y[side], blk.x - HOME_X) for blk in (a, b)]
            assert abs(bearing[0] - bearing[1]) >= MIN_BEARING


def test_training_then_export_gives_a_model_folder(one_episode_bag, tmp_path):
    from twinvla_tools.task import train as t
    bags = tmp_path / "bags"
    bags.mkdir()
    (bags / "ep.mcap").write_bytes(one_episode_bag.read_bytes())
    args = t.parser().parse_args(["--family", "twinbrainvla", "--preset", "tiny", "--bags", str(bags), "--work",
                                  str(tmp_path / "work"), "--out", str(tmp_path / "model"), "--steps", "2", "--batch", "4"])
    t.train(args)
    t.export_trained(args)
    stats = json.loads((tmp_path / "work" / "twinbrainvla_statistics.json").read_text())["synthetic_bimanual"]
    q01, q99 = np.array(stats["action"]["q01"]), np.array(stats["action"]["q99"])
    # starVLA's default mask: position and rotation normalised (where they vary), the gripper not.
    assert (q01[:3] < q99[:3]).all() and stats["action"]["mask"][:3] == [True] * 3 and stats["action"]["mask"][9] is False
    import yaml
    manifest = yaml.safe_load((tmp_path / "model" / "model.yaml").read_text())
    assert manifest["provenance"]["source_checkpoint"] == "checkpoint.safetensors"
    np.testing.assert_allclose(manifest["action"]["normalization"]["q01"], q01)
    assert manifest["action"]["normalization"]["clip"] is True


def _params_with(out: Path, scheme: str) -> Path:
    """params/demo.yaml with the executors' interpolation between chunk steps set to `scheme`."""
    import yaml
    doc = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text())
    for key, node in doc.items():
        # The reference replays the protocol without real-time chunking, chunk smoothing or crossfade,
        if key.split("/")[-1] == "twinvla_policy":
            node.setdefault("ros__parameters", {})["rtc"] = {"enabled": False}
        if key.split("/")[-1] in ("twinvla_left_executor", "twinvla_right_executor"):
            p = node.setdefault("ros__parameters", {})
            p["interpolation"] = scheme
            p["smoothing"] = {"jerk_weight": 0.0}
            p["blending"] = {"mode": "temporal_ensemble"}
            # Nor the distance guards (the reference's safety filter is the box, speed and gripper).
            p.setdefault("safety", {}).update({"max_tracking_distance": 0.0, "min_arm_distance": 0.0})
    path = out / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _twinvla_eval(model: str, end: float, out: Path, scheme: str = "linear") -> dict:
    cli = ROOT / "dist" / "src" / "cli.js"
    if not cli.exists():
        pytest.skip("dist/ is not built: npm test builds it before these tests")
    r = subprocess.run(["node", str(ROOT / "bin" / "twinvla.js"), "eval", "--bag", "demo/heldout.mcap", "--model", model,
                        "--params", str(_params_with(out, scheme)), "--out", str(out / "eval"), "--latency", "50", "--end", str(end)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "eval" / "metrics.json").read_text())


@pytest.mark.parametrize("model,scheme", [("models/twinvla-demo", "minimum_jerk"), ("models/twinbrainvla-demo", "cubic"),
                                          ("models/twinvla-tiny", "linear")])
def test_reference_evaluation_agrees_with_twinvla_eval(model, scheme, tmp_path):
    from twinvla_tools.task.reference_eval import compare, evaluate, load_params
    from twinvla_tools.task.reference_policy import ReferencePolicy
    runtime = _twinvla_eval(model, 7.0, tmp_path, scheme)
    reference = evaluate(ROOT / "demo" / "heldout.mcap", ReferencePolicy(ROOT / model), load_params(tmp_path / "params.yaml"),
                         0.05, 0, 7.0)
    assert reference["chunks"] == runtime["chunks"]
    lines = compare(reference, runtime, 1e-3)
    assert not [line for line in lines if line.startswith("FAIL")], "\n".join(lines)


@pytest.mark.parametrize("name", ["twinvla-demo", "twinbrainvla-demo"])
def test_demo_model_regenerates_from_its_checkpoint_byte_for_byte(name, tmp_path):
    import shutil
    import yaml
    from twinvla_tools.export import export, parser
    from twinvla_tools.task.train import export_args
    src = ROOT / "models" / name
    out = tmp_path / name
    out.mkdir()
    if (src / "checkpoint").is_dir():  # TwinVLA's: the folder in the authors' save_pretrained layout
        shutil.copytree(src / "checkpoint", out / "checkpoint")
    else:
        for f in ("checkpoint.safetensors", "dataset_statistics.json"):
            shutil.copy(src / f, out / f)
    m = yaml.safe_load((src / "model.yaml").read_text())
    export(parser().parse_args(export_args(m["family"], m["provenance"]["preset"], m["provenance"]["seed"], out, name)))
    # denoiser_vjp.onnx is checked numerically (test_vjp_graph.py): its trace is not reproducible byte for byte here.
    for f in ("encoder.onnx", "denoiser.onnx", "fixtures/fixture.json"):
        assert (out / f).read_bytes() == (src / f).read_bytes(), f"{name}/{f} differs from a re-export of its checkpoint"


def test_the_committed_demo_bag_regenerates_from_its_seeds(tmp_path):
    write_bag(tmp_path / "heldout.mcap", list(range(100000, 100016)))
    assert (tmp_path / "heldout.mcap").read_bytes() == (ROOT / "demo" / "heldout.mcap").read_bytes()
