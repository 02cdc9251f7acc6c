"""The timing loop the benchmark baselines share: warm-up runs, then wall time per run in ms."""
from __future__ import annotations

import time
import sys
from typing import Callable


def time_runs(run: Callable[[], object], iterations: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        run()
    ms = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        run()
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def serve_runs(run: Callable[[], object], warmup: int) -> None:
    """Warm-up runs, then "ready"; then for every line on stdin one timed run, its ms printed as a line.
    Ends at the end of stdin (the benchmark closes it)."""
    for _ in range(warmup):
        run()
    print("ready", flush=True)
    for _ in sys.stdin:
        t0 = time.perf_counter()
        run()
        print(f"{(time.perf_counter() - t0) * 1000:.3f}", flush=True)
