"""The synthetic bimanual task's scenes: four coloured blocks on a table, two in each arm's half,
and an instruction that names which block each arm must take and how the arms then cooperate.
Everything is drawn from one seed, so episode N of a dataset is the same on every machine.

World frame: x forward from the robot, y to the left, z up, table top at z = 0. The arms' bases
stand at y = +/-ARM_BASE_Y, unrotated, so a base-frame pose is the world pose shifted in y."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLOURS = {"red": (220, 45, 40), "green": (40, 175, 70), "blue": (45, 85, 225), "yellow": (235, 200, 40)}
ARM_BASE_Y = {"left": 0.3, "right": -0.3}
BLOCK = 0.05           # block edge and height, m
X_RANGE = (0.26, 0.50)  # where blocks are placed, m
Y_RANGE = (0.12, 0.44)  # |y| of a block in its arm's half, m
MIN_GAP = 0.13         # least distance between the two blocks of a half, m
MIN_BEARING = 0.6      # least angle between the two blocks of a half as seen from the arm's home, rad
HOME_X = 0.22          # the arms rest at (HOME_X, base y) between episodes
YAW = 0.5              # blocks lie within +/- this yaw, rad


@dataclass(frozen=True)
class Block:
    colour: str
    x: float
    y: float
    yaw: float
    side: str  # the half of the table it lies in: "left" or "right"


@dataclass(frozen=True)
class Scene:
    seed: int
    blocks: tuple[Block, ...]
    kind: str                      # "lift": both arms pick and lift together; "handover"
    targets: dict[str, str]        # arm -> colour of the block it must take (handover: giver only)
    giver: str | None              # handover: the arm that picks and gives
    speed: dict[str, float]        # per-arm speed factor of the expert (the arms are not in step)
    light: float                   # brightness factor of the cameras

    @property
    def instruction(self) -> str:
        if self.kind == "lift":
            return (f"pick up the {self.targets['left']} block with the left arm and the "
                    f"{self.targets['right']} block with the right arm, then lift both together")
        receiver = "right" if self.giver == "left" else "left"
        return f"pick up the {self.targets[self.giver]} block with the {self.giver} arm and hand it to the {receiver} arm"

    def block(self, colour: str) -> Block:
        return next(b for b in self.blocks if b.colour == colour)


def _half(rng: np.random.Generator, side: str, colours: list[str]) -> list[Block]:
    sign = 1.0 if side == "left" else -1.0
    while True:
        xs = rng.uniform(*X_RANGE, size=2)
        ys = sign * rng.uniform(*Y_RANGE, size=2)
        # From home, the arm's first motion must tell the two blocks apart.
        bearings = np.arctan2(ys - ARM_BASE_Y[side], xs - HOME_X)
        if np.hypot(xs[0] - xs[1], ys[0] - ys[1]) >= MIN_GAP and abs(bearings[0] - bearings[1]) >= MIN_BEARING:
            break
    yaws = rng.uniform(-YAW, YAW, size=2)
    return [Block(c, float(x), float(y), float(w), side) for c, x, y, w in zip(colours, xs, ys, yaws)]


def make_scene(seed: int) -> Scene:
    rng = np.random.default_rng([seed, 0x7A5C])
    names = list(COLOURS)
    order = [names[i] for i in rng.permutation(len(names))]
    blocks = _half(rng, "left", order[:2]) + _half(rng, "right", order[2:])
    kind = "lift" if rng.random() < 0.5 else "handover"
    pick = {side: order[int(rng.integers(2)) + (0 if side == "left" else 2)] for side in ("left", "right")}
    giver = None
    if kind == "handover":
        giver = "left" if rng.random() < 0.5 else "right"
        pick = {giver: pick[giver]}
    speed = {arm: float(rng.uniform(0.8, 1.2)) for arm in ("left", "right")}
    return Scene(seed, tuple(blocks), kind, pick, giver, speed, float(rng.uniform(0.85, 1.1)))
