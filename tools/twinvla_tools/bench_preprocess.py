"""P1's Python baseline: the reference preprocessing (numpy + PIL) of three 640x480 cameras (two raw
rgb8, one JPEG) to the model's size, timed per frame set. Prints one JSON line {"ms": [...]}."""
from __future__ import annotations

import argparse
import json

import numpy as np

from .preprocess import decode_compressed, raw_to_rgb, resize
from .timing import time_runs


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

    print(json.dumps({"ms": time_runs(once, a.iterations, warmup=10)}))


if __name__ == "__main__":
    main()
