"""Camera images of the synthetic task, drawn by ray-casting each pixel onto horizontal planes:
a head camera looking down on the table from above the robot, and a camera on each wrist looking
down past the fingers, turning with the gripper. Flat shading, a checkered table (motion shows),
a per-episode brightness; no noise, so that the bags compress and stay small."""
from __future__ import annotations

import numpy as np

from .expert import ARMS, Episode
from .scene import ARM_BASE_Y, BLOCK, COLOURS

HEAD_SIZE = (112, 84)    # width, height
WRIST_SIZE = (80, 60)
HEAD_CENTRE = (0.35, 0.0)
HEAD_HEIGHT = 1.2        # m above the table
HEAD_SPAN = (1.1, 0.55)  # table extent seen at z = 0 across the width / the height, m
WRIST_ABOVE = 0.09       # camera height above the fingertips, m
WRIST_FOV = 0.75         # half-width of the view per metre of distance
TABLE = ((150, 120, 90), (138, 110, 82))
FLOOR = (60, 60, 66)
ARM_GREY, GRIPPER, FINGER = (110, 112, 118), (45, 45, 50), (200, 200, 205)


def _table(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    check = ((np.floor(x / 0.05) + np.floor(y / 0.05)) % 2).astype(int)
    img = np.asarray(TABLE, float)[check]
    off = (x < 0.0) | (x > 0.7) | (np.abs(y) > 0.62)
    img[off] = FLOOR
    return img


def _paint(img: np.ndarray, mask: np.ndarray, colour) -> None:
    img[mask] = colour


def _in_square(x, y, cx, cy, yaw, half) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    dx, dy = x - cx, y - cy
    return (np.abs(c * dx + s * dy) <= half) & (np.abs(-s * dx + c * dy) <= half)


def _gripper_marks(x, y, p, yaw, opening, scale=1.0):
    """Palm disc and two fingers across the gripper's y axis, spread by the opening (0..1)."""
    c, s = np.cos(yaw), np.sin(yaw)
    lx, ly = c * (x - p[0]) + s * (y - p[1]), -s * (x - p[0]) + c * (y - p[1])
    palm = lx ** 2 + ly ** 2 <= (0.028 * scale) ** 2
    spread = (0.012 + 0.03 * opening) * scale
    finger = (np.abs(lx) <= 0.012 * scale) & (np.abs(np.abs(ly) - spread) <= 0.007 * scale)
    return palm, finger


def _scene_on_planes(episode: Episode, t: float, ground_xy, drawn_arms=ARMS) -> np.ndarray:
    """ground_xy(z) -> (x, y) arrays: where each pixel's ray meets the plane at height z."""
    gx, gy = ground_xy(0.0)
    img = _table(gx, gy)
    centres = {c: episode.block_position(c, t) for c in COLOURS}
    for colour in sorted(COLOURS, key=lambda c: centres[c][2]):
        centre = centres[colour]
        x, y = ground_xy(centre[2] + BLOCK / 2)
        _paint(img, _in_square(x, y, centre[0], centre[1], episode.block_yaw(colour, t), BLOCK / 2), COLOURS[colour])
    for arm in drawn_arms:
        p, yaw = episode.measured(arm, t)
        opening = episode.gripper_joint(arm, t) / 0.04
        x, y = ground_xy(p[2] + 0.04)
        bx, by = 0.0, ARM_BASE_Y[arm]
        # The arm's link, from its base to the wrist, as a thick segment.
        d = np.array([p[0] - bx, p[1] - by])
        u = np.clip(((x - bx) * d[0] + (y - by) * d[1]) / max(d @ d, 1e-9), 0, 1)
        _paint(img, np.hypot(x - bx - u * d[0], y - by - u * d[1]) <= 0.02, ARM_GREY)
        palm, finger = _gripper_marks(x, y, p, yaw, opening)
        _paint(img, palm, GRIPPER)
        _paint(img, finger, FINGER)
    return img


def head_image(episode: Episode, t: float) -> np.ndarray:
    w, h = HEAD_SIZE
    u = (np.arange(w) + 0.5) / w - 0.5
    v = (np.arange(h) + 0.5) / h - 0.5
    uu, vv = np.meshgrid(u, v)

    def ground_xy(z):
        k = (HEAD_HEIGHT - z) / HEAD_HEIGHT  # nearer planes look bigger
        return HEAD_CENTRE[0] - vv * HEAD_SPAN[1] * k, HEAD_CENTRE[1] - uu * HEAD_SPAN[0] * k

    return _finish(_scene_on_planes(episode, t, ground_xy), episode)


def wrist_image(episode: Episode, arm: str, t: float) -> np.ndarray:
    w, h = WRIST_SIZE
    u = (np.arange(w) + 0.5) / w - 0.5
    v = ((np.arange(h) + 0.5) / h - 0.5) * h / w
    uu, vv = np.meshgrid(u, v)
    p, yaw = episode.measured(arm, t)
    cam_z = p[2] + WRIST_ABOVE
    c, s = np.cos(yaw), np.sin(yaw)

    def ground_xy(z):
        dist = max(cam_z - z, 1e-3)
        fx, fy = -vv * 2 * WRIST_FOV * dist, -uu * 2 * WRIST_FOV * dist  # image up = gripper forward
        return p[0] + c * fx - s * fy, p[1] + s * fx + c * fy

    other = tuple(a for a in ARMS if a != arm)
    img = _scene_on_planes(episode, t, ground_xy, drawn_arms=other)
    # Its own fingers, fixed in the view, spread as the gripper opens.
    opening = episode.gripper_joint(arm, t) / 0.04
    spread = 0.12 + 0.22 * opening
    _paint(img, (np.abs(np.abs(uu) - spread) <= 0.05) & (vv >= 0.12), FINGER)
    return _finish(img, episode)


def _finish(img: np.ndarray, episode: Episode) -> np.ndarray:
    return np.clip(np.rint(img * episode.scene.light), 0, 255).astype(np.uint8)
