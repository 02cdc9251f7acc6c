"""The timing loop the benchmark baselines share: warm-up runs, then wall time per run in ms."""
from __future__ import annotations

import time
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
