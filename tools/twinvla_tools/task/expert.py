"""The scripted expert of the synthetic task: per-arm end-effector targets (world position, yaw of
a downward-pointing gripper) and gripper commands (1 open, 0 closed) as functions of time, and
which arm holds which block when. The robot follows the targets ROBOT_LAG behind (what TF and the
joint states report); the targets are what a teleoperator would have commanded.

lift:     each arm reaches above its named block, descends, closes; the first to close waits for
          the other, then both lift together.
handover: the giver picks its named block and brings it to the middle while the receiver comes to
          meet it, arriving together; the receiver closes, the giver opens and backs off, the
          receiver carries the block to its side."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .scene import ARM_BASE_Y, BLOCK, HOME_X, Scene

ARMS = ("left", "right")
ROBOT_LAG = 0.06      # s the measured pose trails the target
GRIPPER_TAU = 0.08    # s time constant of the gripper joint following its command
GRIPPER_OPEN_M = 0.04  # joint position of an open gripper, m
ABOVE, GRASP, LIFTED, CARRY = 0.12, BLOCK / 2, 0.20, 0.18
MEET_X, MEET_GAP = 0.36, 0.03
TAIL = 0.6            # s the episode runs on after the last motion


def home(arm: str) -> np.ndarray:
    return np.array([HOME_X, ARM_BASE_Y[arm], 0.22])


@dataclass
class ArmPlan:
    """Piecewise minimum-jerk motion between poses; holds the last pose after the last segment."""
    start: np.ndarray
    segments: list[tuple[float, float, np.ndarray, float, np.ndarray, float]] = field(default_factory=list)
    gripper_events: list[tuple[float, float]] = field(default_factory=list)

    def end_pose(self) -> tuple[np.ndarray, float]:
        if not self.segments:
            return self.start, 0.0
        s = self.segments[-1]
        return s[4], s[5]

    def move(self, t0: float, duration: float, to: np.ndarray, yaw: float) -> float:
        p, w = self.end_pose()
        self.segments.append((t0, t0 + duration, p, w, np.asarray(to, float), float(yaw)))
        return t0 + duration

    def pose(self, t: float) -> tuple[np.ndarray, float]:
        p, w = self.start, 0.0
        for t0, t1, p0, w0, p1, w1 in self.segments:
            if t < t0:
                break
            if t >= t1:
                p, w = p1, w1
                continue
            s = (t - t0) / (t1 - t0)
            s = s * s * s * (10 - 15 * s + 6 * s * s)
            return p0 + (p1 - p0) * s, w0 + (w1 - w0) * s
        return p, w

    def gripper(self, t: float) -> float:
        g = 1.0
        for at, value in self.gripper_events:
            if t >= at:
                g = value
        return g


@dataclass
class Episode:
    scene: Scene
    plans: dict[str, ArmPlan]
    holds: list[tuple[str, str, float, float]]  # (arm, colour, from, until)
    duration: float

    def target(self, arm: str, t: float) -> tuple[np.ndarray, float]:
        return self.plans[arm].pose(t)

    def measured(self, arm: str, t: float) -> tuple[np.ndarray, float]:
        return self.plans[arm].pose(max(0.0, t - ROBOT_LAG))

    def gripper_command(self, arm: str, t: float) -> float:
        return self.plans[arm].gripper(t)

    def gripper_joint(self, arm: str, t: float) -> float:
        """First-order response of the joint to the command steps, in metres."""
        # Piecewise: integrate the first-order lag through each command step up to t.
        g, prev_t, cmd = 1.0, 0.0, 1.0
        for at, value in self.plans[arm].gripper_events:
            if at > t:
                break
            g = cmd + (g - cmd) * np.exp(-(at - prev_t) / GRIPPER_TAU)
            prev_t, cmd = at, value
        g = cmd + (g - cmd) * np.exp(-(t - prev_t) / GRIPPER_TAU)
        return float(g * GRIPPER_OPEN_M)

    def block_position(self, colour: str, t: float) -> np.ndarray:
        """Centre of a block: where it lies, or between the grippers holding it."""
        holders = [arm for arm, c, t0, t1 in self.holds if c == colour and t0 <= t < t1]
        if holders:
            return np.mean([self.measured(a, t)[0] for a in holders], axis=0)
        b = self.scene.block(colour)
        return np.array([b.x, b.y, BLOCK / 2])

    def block_yaw(self, colour: str, t: float) -> float:
        holders = [arm for arm, c, t0, t1 in self.holds if c == colour and t0 <= t < t1]
        return self.measured(holders[-1], t)[1] if holders else self.scene.block(colour).yaw


def _pick(plan: ArmPlan, scene: Scene, arm: str, colour: str) -> float:
    """Reach, descend, close. Returns the time the grasp is complete."""
    b = scene.block(colour)
    speed = scene.speed[arm]
    start, _ = plan.end_pose()
    dist = float(np.hypot(b.x - start[0], b.y - start[1]))
    t = plan.move(0.0, (0.8 + 1.8 * dist) / speed, [b.x, b.y, ABOVE], b.yaw)
    t = plan.move(t, 0.5 / speed, [b.x, b.y, GRASP], b.yaw)
    plan.gripper_events.append((t, 0.0))
    return t + 0.3


def make_episode(scene: Scene) -> Episode:
    plans = {arm: ArmPlan(home(arm)) for arm in ARMS}
    holds: list[tuple[str, str, float, float]] = []
    if scene.kind == "lift":
        grasped = {arm: _pick(plans[arm], scene, arm, scene.targets[arm]) for arm in ARMS}
        together = max(grasped.values())
        for arm in ARMS:
            p, w = plans[arm].end_pose()
            plans[arm].move(together, 0.8, [p[0], p[1], LIFTED], w)
            holds.append((arm, scene.targets[arm], grasped[arm] - 0.3, np.inf))
        end = together + 0.8 + TAIL
    else:
        g = scene.giver
        r = "right" if g == "left" else "left"
        colour = scene.targets[g]
        grasped = _pick(plans[g], scene, g, colour)
        p, w = plans[g].end_pose()
        t = plans[g].move(grasped, 0.5, [p[0], p[1], 0.15], w)
        meet = plans[g].move(t, 1.0, [MEET_X, np.sign(ARM_BASE_Y[g]) * MEET_GAP, CARRY], 0.0)
        plans[r].move(grasped, meet - grasped, [MEET_X, np.sign(ARM_BASE_Y[r]) * MEET_GAP, CARRY], 0.0)
        plans[r].gripper_events.append((meet + 0.2, 0.0))
        plans[g].gripper_events.append((meet + 0.5, 1.0))
        plans[g].move(meet + 0.7, 0.8, home(g), 0.0)
        end = plans[r].move(meet + 0.7, 0.9, [0.32, np.sign(ARM_BASE_Y[r]) * 0.2, 0.22], 0.0) + TAIL
        holds += [(g, colour, grasped - 0.3, meet + 0.5), (r, colour, meet + 0.2, np.inf)]
    return Episode(scene, plans, holds, float(end))
