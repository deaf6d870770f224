"""Learning-rate schedules, per ball from its drop, with torch.optim.lr_scheduler's numbers.

`parse_schedule(spec)` reads "constant", "step:K:G" (StepLR(step_size=K, gamma=G)),
"cosine:T" (CosineAnnealingLR(T_max=T, eta_min=0)) or "warmup:K" (LinearLR(start_factor=1/K,
end_factor=1, total_iters=K)); `lr_factor(schedule, k)` is the factor on the base lr after k
scheduler steps (k [n] int array: each ball's own step count), in torch's closed forms.
Used by sim.rules.dynamics.step for optimizer rules whose Rule.schedule is not "constant".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("constant", "step", "cosine", "warmup")


@dataclass(frozen=True)
class Schedule:
    kind: str = "constant"
    k: int = 1  # step: step_size; cosine: T_max; warmup: total_iters
    gamma: float = 1.0  # step only

    def spec(self) -> str:
        return {"constant": "constant", "step": f"step:{self.k}:{self.gamma:g}",
                "cosine": f"cosine:{self.k}", "warmup": f"warmup:{self.k}"}[self.kind]


def parse_schedule(spec: str) -> Schedule:
    """"constant" | "step:K:G" | "cosine:T" | "warmup:K" -> Schedule; ValueError with a reason."""
    parts = str(spec).strip().split(":")
    kind = parts[0]
    want = {"constant": 1, "step": 3, "cosine": 2, "warmup": 2}
    if kind not in want:
        raise ValueError(f"unknown schedule '{spec}'; choose constant, step:K:G, cosine:T or warmup:K")
    if len(parts) != want[kind]:
        raise ValueError(f"--schedule {kind} takes {want[kind] - 1} number(s) after ':', got '{spec}'")
    if kind == "constant":
        return Schedule()
    try:
        k = int(parts[1])
    except ValueError:
        raise ValueError(f"--schedule {kind}: '{parts[1]}' is not a whole number") from None
    if k < 1:
        raise ValueError(f"--schedule {kind}: the step count must be >= 1, got {k}")
    gamma = 1.0
    if kind == "step":
        try:
            gamma = float(parts[2])
        except ValueError:
            raise ValueError(f"--schedule step: '{parts[2]}' is not a number") from None
        if not (math.isfinite(gamma) and gamma > 0):
            raise ValueError(f"--schedule step: gamma must be a finite number > 0, got {parts[2]}")
    return Schedule(kind, k, gamma)


def lr_factor(s: Schedule, k: np.ndarray) -> np.ndarray:
    """Factor [n] on the base lr after k [n] scheduler steps (torch's closed forms):
    StepLR gamma^floor(k/K); CosineAnnealingLR (1 + cos(pi k/T))/2; LinearLR
    1/K + (1 - 1/K) min(k, K)/K."""
    k = np.asarray(k, dtype=np.float64)
    if s.kind == "step":
        return np.power(s.gamma, np.floor(k / s.k))
    if s.kind == "cosine":
        return 0.5 * (1.0 + np.cos(math.pi * k / s.k))
    if s.kind == "warmup":
        start = 1.0 / s.k
        return start + (1.0 - start) * np.minimum(k, s.k) / s.k
    return np.ones_like(k)
