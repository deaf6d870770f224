"""Gradient descent: x <- x - lr g (torch SGD without momentum)."""
from __future__ import annotations

from sim.rules.base import Family, ParamSpec, RuleSpec

LR = ParamSpec("lr", 0.01, lo=0.0, lo_ok=False, help="learning rate")


def step_gd(r, s, V, rng) -> bool:
    g = V.grad(s.pos, out=s.tmp)
    g *= r.lr
    s.pos -= g
    return False


SPEC = RuleSpec(
    name="gd", family=Family.GD, group="gradient", color=(255, 255, 255),
    summary="x -= lr g", params=(LR,), step=step_gd, schedulable=True,
)
