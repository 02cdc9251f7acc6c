"""P1's Python baseline: the reference preprocessing (numpy + PIL) of three 640x480 cameras (two raw
rgb8, one JPEG) to the model's size, timed per frame set. Prints one JSON line {"ms": [...]}."""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from .preprocess import decode_compressed, raw_to_rgb, resize


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--raw", required=True)
    p.add_argument("--jpeg", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--iterations", type=int, default=200)
    a = p.parse_args()
    raw = open(a.raw, "rb").read()
    jpg = open(a.jpeg, "rb").read()

    def once():
        outs = [resize(raw_to_rgb("rgb8", 640, 480, 640 * 3, raw), a.size, a.size) for _ in range(2)]
        outs.append(resize(decode_compressed(jpg), a.size, a.size))
        return [np.ascontiguousarray(o) for o in outs]

    for _ in range(10):
        once()
    ms = []
    for _ in range(a.iterations):
        t = time.perf_counter()
        once()
        ms.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"ms": ms}))


if __name__ == "__main__":
    main()
