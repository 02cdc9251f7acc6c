"""The Python reference evaluation: a bag replayed through the PyTorch reference model with the
protocol `twinvla eval` runs, written independently of it, and the same numbers.

Protocol (what the replay graph does, from src/graph/replay.ts, src/node and src/act):
- time is integer nanoseconds (log times, stamps, the clock; periods and latency rounded to whole
  nanoseconds once), and a duration is turned into seconds only after the subtraction;
- the clock starts at the bag's first message; the policy's retry timer and both executors' 50 Hz
  ticks fire at first + k * period; at a timer, messages stamped at that very time have not
  arrived yet;
- the policy starts an inference when idle and replan_period has passed since the last published
  chunk; the snapshot takes the newest image per camera, the newest TF pose and gripper joint per
  arm and the newest instruction, and is refused when any is older than max_age; a refused or
  completed inference takes `latency` seconds; chunk i uses seed base + i and is stamped with the
  snapshot's oldest input;
- an executor adds a chunk when it arrives (refusing out-of-order and stale ones) and at each tick
  blends the chunks that have arrived and cover the tick (latest or temporal_ensemble), then
  applies the safety filter; with no chunk it publishes nothing (on_no_chunk: stop); between chunk
  steps it interpolates by the executors' `interpolation` (linear, cubic, minimum_jerk: reference_spline.py);
- executed targets are scored against the recorded targets (lerp/slerp between samples, no truth
  across a recording gap), the hold baseline is the measured pose at the executed chunk's stamp,
  the gripper agrees when both sides of the threshold match.

    python -m twinvla_tools.task.reference_eval --bag demo.mcap --model models/twinvla-demo \\
        --params params/demo.yaml [--compare out/eval/metrics.json]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from mcap_ros2.reader import read_ros2_messages

from .recording import ARMS, CAMERA_TOPICS, decode_image, pose_vector
from .reference_policy import ReferencePolicy
from .reference_spline import interpolate
from .scoring import colour_choices

TRUTH_GAP = 0.25  # s: no ground truth between recorded samples further apart (a paused recording)
NS = 1_000_000_000


def ns_to_sec(ns: int) -> float:
    return float(ns // NS) + (ns % NS) / 1e9


def sec_to_ns(s: float) -> int:
    return round(s * 1e9)


def stamp_ns(msg) -> int:
    return msg.header.stamp.sec * NS + msg.header.stamp.nanosec


def slerp(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    dot = float(a @ b)
    if dot < 0:
        dot, b = -dot, -b
    if dot > 0.9995:
        q = a + (b - a) * s
        return q / np.linalg.norm(q)
    theta = math.acos(min(1.0, dot))
    return (math.sin((1 - s) * theta) * a + math.sin(s * theta) * b) / math.sin(theta)


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(2 * math.acos(min(1.0, abs(float(a @ b)))))


class Series:
    """Timed poses (position, quaternion) or scalars, interpolated, with no value across gaps.
    Times and the gap are integer nanoseconds."""

    def __init__(self):
        self.t: list[int] = []
        self.v: list = []

    def add(self, t: int, v) -> None:
        self.t.append(t)
        self.v.append(v)

    def at(self, t: int, max_gap: float = math.inf):
        """max_gap: seconds."""
        if not self.t or t < self.t[0] or t > self.t[-1]:
            return None
        i = int(np.searchsorted(self.t, t, side="right")) - 1
        j = min(i + 1, len(self.t) - 1)
        a, b = self.t[i], self.t[j]
        if (b - a) / 1e9 > max_gap:
            return None
        s = (t - a) / (b - a) if b > a else 0.0
        va, vb = self.v[i], self.v[j]
        if isinstance(va, tuple):
            return va[0] + (vb[0] - va[0]) * s, slerp(va[1], vb[1], s)
        return va + (vb - va) * s


@dataclass
class Chunk:
    """stamp, arrival: ns; dt: s (the step falls on whole nanoseconds: step k at stamp + k * round(dt * 1e9))."""
    stamp: int
    arrival: int
    dt: float
    positions: np.ndarray
    quaternions: np.ndarray
    grippers: np.ndarray
    interpolation: str = "minimum_jerk"

    @property
    def step_ns(self) -> int:
        return sec_to_ns(self.dt)

    @property
    def end(self) -> int:
        return self.stamp + (len(self.positions) - 1) * self.step_ns

    def sample(self, t: int):
        last = len(self.positions) - 1
        x = min(max((t - self.stamp) / self.step_ns, 0.0), last)
        k = min(math.floor(x), last)
        s = x - k
        p, q = interpolate(self.positions, self.quaternions, x, self.interpolation, slerp)
        return p, q, self.grippers[k]


@dataclass
class Timeline:
    mode: str
    coefficient: float
    chunks: list[Chunk] = field(default_factory=list)

    def add(self, c: Chunk, now: int) -> None:
        if self.chunks and c.stamp < self.chunks[-1].stamp:
            return
        if c.end < now:
            return
        self.chunks.append(c)
        self.chunks = self.chunks[-64:]

    def sample(self, t: int):
        active = [c for c in self.chunks if t >= c.arrival and c.stamp <= t <= c.end]
        if not active:
            return None
        if self.mode == "latest":
            return active[-1].sample(t)
        total, acc = 0.0, None
        for i, c in enumerate(active):
            w = math.exp(-self.coefficient * i)
            p, q, g = c.sample(t)
            total += w
            if acc is None:
                acc = (np.array(p), np.array(q), g)
                continue
            s = w / total
            acc = (acc[0] + (p - acc[0]) * s, slerp(acc[1], q, s), acc[2] + (g - acc[2]) * s)
        return acc


class Safety:
    """The executor's safety filter: into the workspace box, then speed limits from the previous
    target (the measured pose before the first), gripper clamped to its range."""

    def __init__(self, p: dict):
        self.p, self.previous = p, None

    def filter(self, target, now: int, measured):
        p, q, g = target
        if self.previous is None:
            if measured is None or not np.all((measured[0] >= self.p["workspace_min"]) & (measured[0] <= self.p["workspace_max"])):
                return None
            self.previous = (measured[0], measured[1], now - sec_to_ns(self.p["max_step_interval"]))
        prev_p, prev_q, prev_t = self.previous
        step = min(max((now - prev_t) / 1e9, 0.0), self.p["max_step_interval"])
        p = np.clip(p, self.p["workspace_min"], self.p["workspace_max"])
        d = float(np.linalg.norm(p - prev_p))
        if d > self.p["max_linear_speed"] * step:
            p = prev_p + (p - prev_p) * (self.p["max_linear_speed"] * step / d if d > 0 else 0.0)
        angle = math.radians(angle_deg(prev_q, q))
        if angle > self.p["max_angular_speed"] * step:
            q = slerp(prev_q, q, self.p["max_angular_speed"] * step / angle if angle > 0 else 0.0)
        self.previous = (p, q, now)
        return p, q, min(max(g, self.p["gripper_min"]), self.p["gripper_max"])


def _interpolation(ex: dict, path) -> str:
    scheme = ex.get("interpolation", "minimum_jerk")
    if scheme not in ("linear", "cubic", "minimum_jerk"):
        raise ValueError(f"{path}: interpolation {scheme!r}: the reference replays linear, cubic or minimum_jerk")
    return scheme


def load_params(path: Path | None) -> dict:
    doc = yaml.safe_load(path.read_text()) if path else {}

    def node(name):
        for k, v in (doc or {}).items():
            if k.split("/")[-1] == name:
                return (v or {}).get("ros__parameters", {})
        return {}

    pol, ex = node("twinvla_policy"), node("twinvla_left_executor")
    age = pol.get("max_age", {})
    grippers = {a: pol.get("arms", {}).get(a, {}).get("gripper", {}) for a in ARMS}
    return {
        "replan_period": pol.get("replan_period", 0.0), "retry_period": pol.get("retry_period", 0.02),
        "max_age": min(age.get("camera", 0.2), age.get("joints", 0.2), age.get("pose", 0.2)),
        "instruction_topic": pol.get("instruction_topic", "/twinvla_policy/instruction"),
        "control_period": 1.0 / ex.get("control_rate_hz", 50.0),
        "blend": ex.get("blending", {}).get("mode", "temporal_ensemble"),
        "coefficient": ex.get("blending", {}).get("coefficient", 0.01),
        "interpolation": _interpolation(ex, path),
        "gripper_threshold": node("twinvla_eval").get("gripper_threshold", 0.5),
        "gripper": {a: (g.get("closed_position", 0.0), g.get("open_position", 1.0)) for a, g in grippers.items()},
        "safety": {
            "workspace_min": np.array(ex.get("safety", {}).get("workspace_min", [0.0, -0.6, 0.0])),
            "workspace_max": np.array(ex.get("safety", {}).get("workspace_max", [0.7, 0.6, 0.6])),
            "max_linear_speed": ex.get("safety", {}).get("max_linear_speed", 0.25),
            "max_angular_speed": ex.get("safety", {}).get("max_angular_speed", 1.5),
            "max_step_interval": ex.get("safety", {}).get("max_step_interval", 0.1),
            "gripper_min": ex.get("safety", {}).get("gripper_min", 0.0),
            "gripper_max": ex.get("safety", {}).get("gripper_max", 1.0),
        },
    }


class Replay:
    """The latest inputs as the policy node holds them, and the ground truth."""

    def __init__(self, params: dict):
        self.p = params
        self.images: dict[str, tuple[int, object]] = {}
        self.ee: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
        self.joint: dict[str, tuple[int, float]] = {}
        self.instruction: str | None = None
        self.targets = {a: Series() for a in ARMS}
        self.grippers = {a: Series() for a in ARMS}
        self.measured = {a: Series() for a in ARMS}
        self.scenes: list[tuple[int, dict]] = []

    def deliver(self, topic: str, t: int, msg) -> None:
        for role, cam in CAMERA_TOPICS.items():
            if topic == cam:
                self.images[role] = (stamp_ns(msg), msg)
        if topic == "/tf":
            for tr in msg.transforms:
                arm = tr.child_frame_id.removesuffix("_ee_link")
                if arm in ARMS:
                    x, r = tr.transform.translation, tr.transform.rotation
                    p, q = np.array([x.x, x.y, x.z]), np.array([r.x, r.y, r.z, r.w])
                    self.ee[arm] = (stamp_ns(tr), p, q / np.linalg.norm(q))
                    self.measured[arm].add(stamp_ns(tr), (p, q / np.linalg.norm(q)))
        if topic == self.p["instruction_topic"]:
            self.instruction = msg.data
        if topic == "/sim/scene":
            self.scenes.append((t, json.loads(msg.data)))
        for arm in ARMS:
            if topic == f"/{arm}/joint_states":
                pos = msg.position[list(msg.name).index(f"{arm}_gripper")]
                closed, opened = self.p["gripper"][arm]
                self.joint[arm] = (stamp_ns(msg), min(1.0, max(0.0, (pos - closed) / (opened - closed))))
            elif topic == f"/{arm}/target_pose":
                p, q = msg.pose.position, msg.pose.orientation
                self.targets[arm].add(stamp_ns(msg), (np.array([p.x, p.y, p.z]), np.array([q.x, q.y, q.z, q.w])))
            elif topic == f"/{arm}/gripper_command":
                self.grippers[arm].add(t, float(msg.data))

    def snapshot(self, now: int):
        """(stamp, images, state, instruction) or None when an input is missing or stale."""
        stamps = [s for s, _ in self.images.values()] + [s for s, _, _ in self.ee.values()] + [s for s, _ in self.joint.values()]
        if len(self.images) < 3 or len(self.ee) < 2 or len(self.joint) < 2 or self.instruction is None:
            return None
        if any((now - s) / 1e9 > self.p["max_age"] or (s - now) / 1e9 > 0.05 for s in stamps):
            return None
        state = np.concatenate([np.concatenate([pose_vector(self.ee[a][1], self.ee[a][2]), [self.joint[a][1]]]) for a in ARMS])
        images = {role: decode_image(m) for role, (_, m) in self.images.items()}
        return min(stamps), images, state, self.instruction


def evaluate(bag: Path, policy: ReferencePolicy, params: dict, latency: float = 0.05, seed: int = 0,
             end: float | None = None) -> dict:
    """end: seconds from the bag's first message, as `twinvla eval --end`."""
    replay = Replay(params)
    timelines = {a: Timeline(params["blend"], params["coefficient"]) for a in ARMS}
    safety = {a: Safety(params["safety"]) for a in ARMS}
    executed = {a: [] for a in ARMS}
    chunks: list[tuple[int, int, dict]] = []  # (published, stamp, per-arm chunk), ns
    state = {"busy_until": None, "pending": None, "last_start": None, "seed": seed, "latest_stamp": None}
    latency_ns, replan_ns = sec_to_ns(latency), sec_to_ns(params["replan_period"])

    def policy_tick(now: int) -> None:
        if state["busy_until"] is not None:
            return
        if replan_ns > 0 and state["last_start"] is not None and now - state["last_start"] < replan_ns:
            return
        snap = replay.snapshot(now)
        state["busy_until"] = now + latency_ns
        if snap is None:
            state["pending"] = None
            return
        snap_stamp, images, st, text = snap
        state["pending"] = (now, snap_stamp, policy.predict(images, st, text, state["seed"]))

    def complete() -> None:
        t = state["busy_until"]
        state["busy_until"] = None
        if state["pending"] is None:
            return
        start, snap_stamp, chunk = state["pending"]
        state["pending"] = None
        state["seed"] += 1
        state["last_start"] = start
        chunks.append((t, snap_stamp, chunk))
        state["latest_stamp"] = snap_stamp
        for arm in ARMS:
            c = chunk[arm]
            timelines[arm].add(Chunk(snap_stamp, t, policy.dt, c["positions"], c["quaternions"], c["grippers"], params["interpolation"]), t)

    def exec_tick(now: int) -> None:
        for arm in ARMS:
            target = timelines[arm].sample(now)
            if target is None:
                continue
            measured = replay.ee.get(arm)
            target = safety[arm].filter(target, now, None if measured is None else measured[1:])
            if target is not None:
                executed[arm].append((now, target[0], target[1], target[2], state["latest_stamp"]))

    next_tick = None
    period = sec_to_ns(params["retry_period"])
    assert period == sec_to_ns(params["control_period"]), "the reference replays equal policy and executor periods"

    def advance(until: int) -> None:
        nonlocal next_tick
        while True:
            c = state["busy_until"]
            if min(c if c is not None else math.inf, next_tick) > until:
                return
            if c is not None and c <= next_tick:
                complete()
            else:
                now = next_tick
                next_tick += period
                policy_tick(now)
                exec_tick(now)

    last = None
    for m in read_ros2_messages(str(bag)):
        t = m.log_time_ns
        if next_tick is None:
            next_tick = t + period
            stop = math.inf if end is None else t + sec_to_ns(end)
        if t > stop:
            break
        advance(t)
        replay.deliver(m.channel.topic, t, m.ros_msg)
        last = t
    advance(last)
    return score(replay, executed, chunks, policy, params)


def _stat(values: list[float]) -> dict:
    v = np.asarray(values, np.float32).astype(np.float64)
    if v.size == 0:
        return {"count": 0, "mean": None, "median": None, "p95": None}
    return {"count": int(v.size), "mean": round(float(v.mean()), 4), "median": round(float(np.quantile(v, 0.5)), 4),
            "p95": round(float(np.quantile(v, 0.95)), 4)}


def score(replay: Replay, executed: dict, chunks: list, policy: ReferencePolicy, params: dict) -> dict:
    arms = {}
    for arm in ARMS:
        pos, rot, hold, agree, compared = [], [], [], 0, 0
        for t, p, q, g, hold_stamp in executed[arm]:
            gt = replay.targets[arm].at(t, TRUTH_GAP)
            if gt is None:
                continue
            pos.append(float(np.linalg.norm(p - gt[0])) * 1e3)
            rot.append(angle_deg(q, gt[1]))
            h = replay.measured[arm].at(hold_stamp) if hold_stamp is not None else None
            if h is not None:
                hold.append(float(np.linalg.norm(h[0] - gt[0])) * 1e3)
            gg = replay.grippers[arm].at(t, TRUTH_GAP)
            if gg is not None:
                compared += 1
                th = params["gripper_threshold"]
                agree += int((gg > th) == (g > th))
        arms[arm] = {"position_error_mm": _stat(pos), "rotation_error_deg": _stat(rot),
                     "gripper_agreement": round(agree / compared, 4) if compared else None,
                     "hold_baseline_position_error_mm": _stat(hold)}
    return {"format": "twinvla-reference-eval/1", "model": policy.manifest["name"], "chunks": len(chunks), "arms": arms,
            "colour": colour_choices([(ns_to_sec(t), sc) for t, sc in replay.scenes], [(ns_to_sec(s), c) for _, s, c in chunks], policy.dt)}


def compare(reference: dict, runtime: dict, tolerance: float) -> list[str]:
    """Lines of the comparison; those over the tolerance start with 'FAIL'."""
    lines = []
    for arm in ARMS:
        r, m = reference["arms"][arm], runtime["arms"][arm]["executed"]
        pairs = [("position_error_mm", r["position_error_mm"]["mean"], m["position_error_mm"]["mean"]),
                 ("rotation_error_deg", r["rotation_error_deg"]["mean"], m["rotation_error_deg"]["mean"]),
                 ("hold_baseline_mm", r["hold_baseline_position_error_mm"]["mean"], m["hold_baseline"]["position_error_mm"]["mean"]),
                 ("gripper_agreement", r["gripper_agreement"], m["gripper_agreement"])]
        for name, a, b in pairs:
            rel = abs(a - b) / max(abs(a), 1e-12)
            lines.append(f"{'FAIL' if rel > tolerance else 'ok  '} {arm:5} {name:20} reference {a:10.4f}  twinvla eval {b:10.4f}  relative {rel:.2e}")
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bag", required=True, type=Path)
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--checkpoint", type=Path, help="default: the manifest's provenance.source_checkpoint")
    p.add_argument("--params", type=Path)
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--end", type=float, help="seconds from the bag's start to stop at (twinvla eval --end)")
    p.add_argument("--out", type=Path, help="write the reference metrics here (JSON)")
    p.add_argument("--compare", type=Path, help="metrics.json of `twinvla eval` on the same bag")
    p.add_argument("--tolerance", type=float, default=0.01)
    a = p.parse_args()
    import torch
    torch.set_num_threads(2)
    result = evaluate(a.bag, ReferencePolicy(a.model, a.checkpoint), load_params(a.params), a.latency, a.seed, a.end)
    text = json.dumps(result, indent=2)
    if a.out:
        a.out.write_text(text + "\n")
    print(text)
    if a.compare:
        lines = compare(result, json.loads(a.compare.read_text()), a.tolerance)
        print("\n".join(lines))
        return 1 if any(line.startswith("FAIL") for line in lines) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
