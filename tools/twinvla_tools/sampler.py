"""Reference flow-matching sampler: Euler integration of the denoiser, as the runtime must do it."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class FlowSettings:
    noise_at: float  # 1.0: x_t = t*noise + (1-t)*action (TwinVLA); 0.0: x_t = (1-t)*noise + t*action
    steps: int
    guidance_scale: float | None = None
    guidance_clamp: float | None = None
    clamp_target: str = "velocity"        # "velocity": the guided velocity; "sample": x after each step
    guidance_applies_above: float | None = None  # guidance only when scale > this (TwinVLA: 1)

    @property
    def guided(self) -> bool:
        return self.guidance_scale is not None and (
            self.guidance_applies_above is None or self.guidance_scale > self.guidance_applies_above)


def time_grid(flow: FlowSettings) -> list[float]:
    """The times at which the velocity is evaluated; integration runs from noise to data."""
    n = flow.steps
    if flow.noise_at == 1.0:
        return [1.0 - i / n for i in range(n)]
    return [i / n for i in range(n)]


@torch.no_grad()
def sample(velocity, noise: torch.Tensor, cond: dict, flow: FlowSettings, null_cond: dict | None = None):
    """velocity(x_t, t, **cond) -> v. noise (1, horizon, dim). Returns the normalised chunk."""
    x = noise.clone()
    dt = (-1.0 if flow.noise_at == 1.0 else 1.0) / flow.steps
    for t in time_grid(flow):
        tt = torch.full((x.shape[0],), t, dtype=torch.float32)
        v = velocity(x, tt, **cond)
        guided = flow.guided and null_cond is not None
        if guided:
            v_null = velocity(x, tt, **null_cond)
            v = v_null + flow.guidance_scale * (v - v_null)
            if flow.guidance_clamp is not None and flow.clamp_target == "velocity":
                v = v.clamp(-flow.guidance_clamp, flow.guidance_clamp)
        x = x + dt * v
        if guided and flow.guidance_clamp is not None and flow.clamp_target == "sample":
            x = x.clamp(-flow.guidance_clamp, flow.guidance_clamp)
    return x
